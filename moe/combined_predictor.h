// A weighted mix of the gate, temporal and popularity predictors: each
// contributes a distribution over the layer's experts (the gate's router
// probabilities, recency-weighted use, long-run frequency), mixed 0.6 / 0.25
// / 0.15; without a residual (the first layers of a new token) the gate is
// left out and the others renormalised.
#ifndef STRATA_MOE_COMBINED_PREDICTOR_H_
#define STRATA_MOE_COMBINED_PREDICTOR_H_

#include "moe/gate_predictor.h"
#include "moe/popularity_predictor.h"
#include "moe/temporal_predictor.h"

namespace strata::moe {

class CombinedPredictor : public ExpertPredictor {
 public:
  explicit CombinedPredictor(const PredictorConfig& config)
      : config_(config), gate_(config), temporal_(config), popularity_(config) {}
  absl::string_view name() const override { return "combined"; }
  void Observe(int64_t layer, absl::Span<const int32_t> experts) override;
  void Predict(int64_t target_layer, const float* residual,
               std::vector<ScoredExpert>* out) override;

 private:
  PredictorConfig config_;
  GatePredictor gate_;
  TemporalPredictor temporal_;
  PopularityPredictor popularity_;
};

}  // namespace strata::moe

#endif  // STRATA_MOE_COMBINED_PREDICTOR_H_
