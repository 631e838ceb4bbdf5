// Turns route predictions into prefetches, and measures them.
//
// After layer L routes the token being decoded, the prefetcher asks its
// predictor to rank layer L+1's experts (and L+2's with two-layer lookahead),
// and queues speculative reads for the top n_expert_used + margin of them
// that are not resident, bounded by a byte budget for speculative reads in
// flight. When a layer starts, prefetches queued for earlier steps are
// dropped (their layer has run), and the next layer's dense block and router
// are prefetched. After the last layer of a token it predicts the next
// token's first layers (without a residual: history-based predictors only).
// Each prediction is scored against the routing that follows (recall,
// precision per layer). Prefetching never changes results: blocks are read
// earlier, nothing else. Not thread-safe; one per sequence.
#ifndef STRATA_RUNTIME_PREFETCH_EXPERT_PREFETCHER_H_
#define STRATA_RUNTIME_PREFETCH_EXPERT_PREFETCHER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "moe/expert_predictor.h"
#include "moe/popularity_profile.h"
#include "moe/prediction_stats.h"
#include "runtime/forward/forward_hooks.h"
#include "runtime/model/model.h"

namespace strata {

struct PrefetchOptions {
  std::string predictor = "off";  // off | gate | temporal | popularity | combined
  int lookahead = 1;              // Layers ahead to predict (1 or 2).
  int margin = 2;                 // Experts beyond n_expert_used to prefetch.
  // Speculative bytes queued per prediction at most (0: a quarter of the expert cache).
  uint64_t max_prefetch_bytes = 0;
  const moe::PopularityProfile* popularity = nullptr;
};

class ExpertPrefetcher : public ForwardHooks {
 public:
  // nullptr (and OK) when options.predictor is "off" or the model is dense.
  static absl::StatusOr<std::unique_ptr<ExpertPrefetcher>> Create(const Model& model,
                                                                  const PrefetchOptions& options);
  ~ExpertPrefetcher() override;

  void OnBatchBegin(int64_t pos0, int64_t n_tokens) override;
  void OnLayerBegin(int64_t layer) override;
  void OnRouted(int64_t layer, int64_t pos, const moe::TokenRoute& route, const float* residual,
                bool last) override;

  const moe::PredictionStats& prediction_stats() const { return stats_; }
  absl::string_view predictor_name() const { return predictor_->name(); }

 private:
  class StoreRouters;
  ExpertPrefetcher(const Model& model, const PrefetchOptions& options);

  // Step of `layer` of the token being decoded (tags prefetches).
  int64_t Step(int64_t token, int64_t layer) const { return token * n_layer_ + layer; }
  void PredictAndPrefetch(int64_t token, int64_t layer, const float* residual);

  const Model& model_;
  PrefetchOptions options_;
  int64_t n_layer_;
  int64_t max_experts_;  // Per prediction, within the byte budget.
  std::unique_ptr<StoreRouters> routers_;
  std::unique_ptr<moe::ExpertPredictor> predictor_;
  moe::PredictionStats stats_;
  std::vector<std::vector<int32_t>> pending_;  // [n_layer] last prediction per layer.
  std::vector<moe::ScoredExpert> ranked_;
  int64_t token_ = 0;      // Position of the token being decoded.
  bool decoding_ = false;  // Batch of one token.
};

}  // namespace strata

#endif  // STRATA_RUNTIME_PREFETCH_EXPERT_PREFETCHER_H_
