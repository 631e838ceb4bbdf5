// Popularity prediction: how often each expert of a layer is routed to over
// many tokens — a static hot set, from a profile written by `strata profile`
// (`--popularity-profile`), plus what this sequence has routed so far.
#ifndef STRATA_MOE_POPULARITY_PREDICTOR_H_
#define STRATA_MOE_POPULARITY_PREDICTOR_H_

#include <vector>

#include "moe/expert_predictor.h"

namespace strata::moe {

class PopularityPredictor : public ExpertPredictor {
 public:
  explicit PopularityPredictor(const PredictorConfig& config);
  absl::string_view name() const override { return "popularity"; }
  void Observe(int64_t layer, absl::Span<const int32_t> experts) override;
  void Predict(int64_t target_layer, const float* residual,
               std::vector<ScoredExpert>* out) override;
  // Share of `layer`'s routings that went to each expert (sums to 1, or 0s).
  void Frequencies(int64_t layer, std::vector<float>* out) const;

 private:
  PredictorConfig config_;
  PopularityProfile counts_;  // The loaded profile plus this sequence's routing.
};

}  // namespace strata::moe

#endif  // STRATA_MOE_POPULARITY_PREDICTOR_H_
