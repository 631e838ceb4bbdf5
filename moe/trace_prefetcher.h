// Route prediction replayed on a recorded routing trace: how well would a
// predictor have done on a real model's routing, and what would its
// prefetches have saved? Plugs into offload::TraceReplay (`strata replay
// --predictor`).
//
// Before each decode batch (token t, layer L) the predictor, having observed
// every batch up to (t, L-1), ranks layer L's experts; the top
// n_expert_used + margin are prefetched and scored against the experts the
// batch really used (PredictionStats). Prefill batches are observed only (a
// prompt layer's experts as one step). A trace holds no hidden states, so
// the gate predictor cannot run here and `combined` mixes its temporal and
// popularity parts only.
#ifndef STRATA_MOE_TRACE_PREFETCHER_H_
#define STRATA_MOE_TRACE_PREFETCHER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "moe/expert_predictor.h"
#include "moe/prediction_stats.h"
#include "offload/replay/routing_trace.h"
#include "offload/replay/trace_replay.h"

namespace strata::moe {

// The shape a trace implies: layers, experts per layer (largest id + 1) and
// experts per token (the most any token used at one layer).
struct TraceShape {
  int64_t n_layer = 0;
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
};
TraceShape ShapeOfTrace(const offload::RoutingTrace& trace);

class TracePrefetcher : public offload::ReplayPrefetcher {
 public:
  // InvalidArgument for "gate" (needs hidden states), an unknown name or a
  // negative margin. `popularity` (optional, not owned) seeds the
  // popularity and combined predictors.
  static absl::StatusOr<std::unique_ptr<TracePrefetcher>> Create(
      absl::string_view predictor, const TraceShape& shape, int64_t margin,
      const PopularityProfile* popularity);

  void Before(const offload::AccessBatch& batch, std::vector<offload::BlockKey>* keys) override;
  void After(const offload::AccessBatch& batch) override;

  const PredictionStats& stats() const { return stats_; }
  absl::string_view predictor_name() const { return predictor_->name(); }

 private:
  TracePrefetcher(const TraceShape& shape, int64_t margin);

  TraceShape shape_;
  int64_t margin_;
  std::unique_ptr<ExpertPredictor> predictor_;
  PredictionStats stats_;
  std::vector<ScoredExpert> ranked_;
  std::vector<int32_t> predicted_;  // For the batch in progress.
  std::vector<int32_t> experts_;    // Scratch: a batch's experts.
};

}  // namespace strata::moe

#endif  // STRATA_MOE_TRACE_PREFETCHER_H_
