#include "moe/temporal_predictor.h"

namespace strata::moe {

TemporalPredictor::TemporalPredictor(const PredictorConfig& config)
    : config_(config), scores_(config.n_layer * config.n_expert, 0.0f) {}

void TemporalPredictor::Observe(int64_t layer, absl::Span<const int32_t> experts) {
  float* s = scores_.data() + layer * config_.n_expert;
  for (int64_t e = 0; e < config_.n_expert; ++e) s[e] *= 0.5f;
  for (int32_t e : experts) s[e] += 1.0f;
}

absl::Span<const float> TemporalPredictor::scores(int64_t layer) const {
  return absl::MakeConstSpan(scores_.data() + layer * config_.n_expert, config_.n_expert);
}

void TemporalPredictor::Predict(int64_t target_layer, const float*,
                                std::vector<ScoredExpert>* out) {
  out->clear();
  RankScores(scores(target_layer), out);
  while (!out->empty() && out->back().score <= 0.0f) out->pop_back();  // Never used.
}

}  // namespace strata::moe
