#include "runtime/sampling/temperature.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/sampling/sampling_test_util.h"

namespace strata::sampling {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatNear;
using testing::FromLogits;
using testing::Logits;

TEST(TemperatureSamplerTest, DividesLogits) {
  Candidates c = FromLogits({2.0f, -4.0f, 0.0f, 1.0f});
  TemperatureSampler(2.0f).Apply(c);
  EXPECT_THAT(Logits(c), ElementsAre(1.0f, -2.0f, 0.0f, 0.5f));
}

TEST(TemperatureSamplerTest, BelowOneSharpens) {
  Candidates c = FromLogits({1.5f, -0.25f});
  TemperatureSampler(0.5f).Apply(c);
  EXPECT_THAT(Logits(c), ElementsAre(3.0f, -0.5f));
}

TEST(TemperatureSamplerTest, ScalesTheSoftmaxAsExpected) {
  // T = 2 turns logits {ln 4, 0} into {ln 2, 0}: probabilities 4/5, 1/5 become 2/3, 1/3.
  Candidates c = FromLogits({std::log(4.0f), 0.0f});
  TemperatureSampler(2.0f).Apply(c);
  Softmax(c);
  EXPECT_THAT(c.data[0].prob, FloatNear(2.0f / 3.0f, 1e-6f));
  EXPECT_THAT(c.data[1].prob, FloatNear(1.0f / 3.0f, 1e-6f));
}

TEST(TemperatureSamplerTest, OneIsANoOp) {
  Candidates c = FromLogits({0.3f, -0.7f});
  TemperatureSampler(1.0f).Apply(c);
  EXPECT_THAT(Logits(c), ElementsAre(0.3f, -0.7f));
}

TEST(TemperatureSamplerTest, KeepsSortedFlagForPositiveTemperature) {
  Candidates c = FromLogits({3.0f, 2.0f, 1.0f});
  c.sorted = true;
  TemperatureSampler(0.7f).Apply(c);
  EXPECT_TRUE(c.sorted);
}

TEST(TemperatureSamplerTest, ZeroKeepsOnlyTheArgmaxLowestIdOnTies) {
  Candidates c = FromLogits({1.0f, 4.0f, 4.0f, -2.0f});
  TemperatureSampler(0.0f).Apply(c);
  EXPECT_THAT(Logits(c), ElementsAre(-INFINITY, 4.0f, -INFINITY, -INFINITY));
}

}  // namespace
}  // namespace strata::sampling
