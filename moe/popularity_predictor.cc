#include "moe/popularity_predictor.h"

namespace strata::moe {

PopularityPredictor::PopularityPredictor(const PredictorConfig& config)
    : config_(config), counts_(config.n_layer, config.n_expert) {
  const PopularityProfile* p = config.popularity;
  if (p != nullptr && p->n_layer() == config.n_layer && p->n_expert() == config.n_expert) {
    counts_ = *p;
  }
}

void PopularityPredictor::Observe(int64_t layer, absl::Span<const int32_t> experts) {
  counts_.Add(layer, experts);
}

void PopularityPredictor::Frequencies(int64_t layer, std::vector<float>* out) const {
  out->assign(config_.n_expert, 0.0f);
  const uint64_t total = counts_.layer_total(layer);
  if (total == 0) return;
  for (int64_t e = 0; e < config_.n_expert; ++e) {
    (*out)[e] = static_cast<float>(counts_.count(layer, e)) / static_cast<float>(total);
  }
}

void PopularityPredictor::Predict(int64_t target_layer, const float*,
                                  std::vector<ScoredExpert>* out) {
  std::vector<float> freq;
  Frequencies(target_layer, &freq);
  out->clear();
  RankScores(freq, out);
  while (!out->empty() && out->back().score <= 0.0f) out->pop_back();
}

}  // namespace strata::moe
