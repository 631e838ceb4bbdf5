#include "moe/router.h"

#include <cmath>

#include "gtest/gtest.h"

namespace strata::moe {
namespace {

TEST(RouterTest, SoftmaxTopKRenormalised) {
  RouterOptions options{.n_expert = 4, .n_expert_used = 2};
  float logits[4] = {1.0f, 3.0f, 2.0f, 0.0f};
  TokenRoute route;
  RouteToken(options, logits, &route);
  ASSERT_EQ(route.experts, (std::vector<int32_t>{1, 2}));
  // Renormalised top-2 of a softmax = softmax over the two logits.
  const float p1 = 1.0f / (1.0f + std::exp(-1.0f));
  EXPECT_NEAR(route.weights[0], p1, 1e-6);
  EXPECT_NEAR(route.weights[1], 1.0f - p1, 1e-6);
}

TEST(RouterTest, WithoutNormalisationWeightsAreProbabilities) {
  RouterOptions options{.n_expert = 3, .n_expert_used = 1, .normalize_weights = false};
  float logits[3] = {0.0f, 0.0f, std::log(2.0f)};
  TokenRoute route;
  RouteToken(options, logits, &route);
  ASSERT_EQ(route.experts, (std::vector<int32_t>{2}));
  EXPECT_NEAR(route.weights[0], 0.5f, 1e-6);
}

TEST(RouterTest, TiesPreferLowerIdAndScaleApplies) {
  RouterOptions options{
      .n_expert = 4, .n_expert_used = 2, .normalize_weights = true, .weights_scale = 2.5f};
  float logits[4] = {0.5f, 0.5f, 0.5f, 0.5f};
  TokenRoute route;
  RouteToken(options, logits, &route);
  EXPECT_EQ(route.experts, (std::vector<int32_t>{0, 1}));
  EXPECT_NEAR(route.weights[0], 1.25f, 1e-6);
}

TEST(RouterTest, SigmoidGating) {
  RouterOptions options{.n_expert = 2,
                        .n_expert_used = 1,
                        .gating = GatingFunction::kSigmoid,
                        .normalize_weights = false};
  float logits[2] = {-1.0f, 2.0f};
  TokenRoute route;
  RouteToken(options, logits, &route);
  EXPECT_EQ(route.experts[0], 1);
  EXPECT_NEAR(route.weights[0], 1.0f / (1.0f + std::exp(-2.0f)), 1e-6);
}

}  // namespace
}  // namespace strata::moe
