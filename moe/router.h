// Expert routing: from router logits to the chosen experts and their weights.
//
// For each token: gate probabilities (softmax over all experts, or sigmoid),
// the top-k experts by probability, their probabilities as weights,
// optionally renormalised to sum to 1 (divided by max(sum, 2^-14), as
// llama.cpp does) and scaled. Pure functions, thread-safe.
#ifndef STRATA_MOE_ROUTER_H_
#define STRATA_MOE_ROUTER_H_

#include <cstdint>
#include <vector>

namespace strata::moe {

enum class GatingFunction { kSoftmax, kSigmoid };

struct RouterOptions {
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  GatingFunction gating = GatingFunction::kSoftmax;
  bool normalize_weights = true;
  float weights_scale = 0.0f;  // Applied when neither 0 nor 1.
};

// The routing decision of one token: `n_expert_used` experts in rank order.
struct TokenRoute {
  std::vector<int32_t> experts;
  std::vector<float> weights;
};

// Routes one token. `logits` holds n_expert router outputs and is used as
// scratch (overwritten with the gate probabilities).
void RouteToken(const RouterOptions& options, float* logits, TokenRoute* route);

}  // namespace strata::moe

#endif  // STRATA_MOE_ROUTER_H_
