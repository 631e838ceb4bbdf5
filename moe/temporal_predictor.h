// Temporal prediction: the experts the previous tokens used at the same
// layer, weighted by recency (each token halves the older counts). Routing of
// consecutive tokens overlaps (41% of a token's experts recur at the next
// token on the Qwen3 trace), so recent use predicts the next use.
#ifndef STRATA_MOE_TEMPORAL_PREDICTOR_H_
#define STRATA_MOE_TEMPORAL_PREDICTOR_H_

#include <vector>

#include "moe/expert_predictor.h"

namespace strata::moe {

class TemporalPredictor : public ExpertPredictor {
 public:
  explicit TemporalPredictor(const PredictorConfig& config);
  absl::string_view name() const override { return "temporal"; }
  void Observe(int64_t layer, absl::Span<const int32_t> experts) override;
  void Predict(int64_t target_layer, const float* residual,
               std::vector<ScoredExpert>* out) override;
  // Recency-weighted use of each expert of `layer`.
  absl::Span<const float> scores(int64_t layer) const;

 private:
  PredictorConfig config_;
  std::vector<float> scores_;  // [n_layer, n_expert]
};

}  // namespace strata::moe

#endif  // STRATA_MOE_TEMPORAL_PREDICTOR_H_
