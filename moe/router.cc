#include "moe/router.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "cpu/activations.h"

namespace strata::moe {

void RouteToken(const RouterOptions& options, float* logits, TokenRoute* route) {
  const int64_t n = options.n_expert;
  const int64_t k = options.n_expert_used;
  if (options.gating == GatingFunction::kSoftmax) {
    cpu::Softmax(logits, n);
  } else {
    for (int64_t e = 0; e < n; ++e) logits[e] = 1.0f / (1.0f + std::exp(-logits[e]));
  }
  // Top-k by probability; equal probabilities keep the lower expert id first.
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
    return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
  });
  route->experts.assign(order.begin(), order.begin() + k);
  route->weights.resize(k);
  for (int64_t i = 0; i < k; ++i) route->weights[i] = logits[route->experts[i]];
  if (options.normalize_weights) {
    double sum = 0.0;
    for (float w : route->weights) sum += w;
    const float denom = std::max(static_cast<float>(sum), 6.103515625e-5f);
    for (float& w : route->weights) w /= denom;
  }
  if (options.weights_scale != 0.0f && options.weights_scale != 1.0f) {
    for (float& w : route->weights) w *= options.weights_scale;
  }
}

}  // namespace strata::moe
