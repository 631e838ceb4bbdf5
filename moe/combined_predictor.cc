#include "moe/combined_predictor.h"

namespace strata::moe {
namespace {

constexpr float kGateWeight = 0.6f;
constexpr float kTemporalWeight = 0.25f;
constexpr float kPopularityWeight = 0.15f;

}  // namespace

void CombinedPredictor::Observe(int64_t layer, absl::Span<const int32_t> experts) {
  temporal_.Observe(layer, experts);
  popularity_.Observe(layer, experts);
}

void CombinedPredictor::Predict(int64_t target_layer, const float* residual,
                                std::vector<ScoredExpert>* out) {
  const int64_t n = config_.n_expert;
  std::vector<float> gate, freq;
  gate_.Probabilities(target_layer, residual, &gate);
  popularity_.Frequencies(target_layer, &freq);
  const absl::Span<const float> recent = temporal_.scores(target_layer);
  float recent_total = 0.0f;
  for (float s : recent) recent_total += s;

  const float wg = gate.empty() ? 0.0f : kGateWeight;
  const float wt = recent_total > 0.0f ? kTemporalWeight : 0.0f;
  const float wp = kPopularityWeight;
  const float norm = wg + wt + wp;
  std::vector<float> mixed(n, 0.0f);
  for (int64_t e = 0; e < n; ++e) {
    float s = wp * freq[e];
    if (wg > 0.0f) s += wg * gate[e];
    if (wt > 0.0f) s += wt * recent[e] / recent_total;
    mixed[e] = s / norm;
  }
  out->clear();
  RankScores(mixed, out);
  while (!out->empty() && out->back().score <= 0.0f) out->pop_back();
}

}  // namespace strata::moe
