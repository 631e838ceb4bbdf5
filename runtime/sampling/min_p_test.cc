#include "runtime/sampling/min_p.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/sampling/sampling_test_util.h"

namespace strata::sampling {
namespace {

using ::testing::ElementsAre;
using testing::FromLogits;
using testing::FromPairs;
using testing::Ids;

// Relative probabilities 1, 0.5, 0.1, 0.01 (logits are their logs, so prob/max_prob is exact
// up to rounding far from the 0.05 threshold).
TEST(MinPSamplerTest, KeepsTokensAtLeastPTimesTheMax) {
  Candidates c = FromLogits({0.0f, std::log(0.5f), std::log(0.1f), std::log(0.01f)});
  MinPSampler(0.05f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1, 2));

  c = FromLogits({0.0f, std::log(0.5f), std::log(0.1f), std::log(0.01f)});
  MinPSampler(0.2f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1));
}

TEST(MinPSamplerTest, IsRelativeToTheMaxNotAbsolute) {
  // Shifting every logit by a constant changes nothing.
  Candidates c = FromLogits({7.0f, 7.0f + std::log(0.5f), 7.0f + std::log(0.01f)});
  MinPSampler(0.05f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1));
}

TEST(MinPSamplerTest, UnsortedInputKeepsItsOrder) {
  Candidates c = FromLogits({std::log(0.1f), 0.0f, std::log(0.01f), std::log(0.5f)});
  MinPSampler(0.05f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1, 3));
  EXPECT_FALSE(c.sorted);
}

TEST(MinPSamplerTest, SortedInputIsTruncated) {
  Candidates c =
      FromPairs({{3, 0.0f}, {1, std::log(0.5f)}, {0, std::log(0.1f)}, {2, std::log(0.01f)}});
  c.sorted = true;
  MinPSampler(0.05f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(3, 1, 0));
  EXPECT_TRUE(c.sorted);
}

TEST(MinPSamplerTest, BoundaryIsInclusive) {
  // The second logit is exactly max + log(p): prob == p * max prob, so it stays.
  const float p = 0.05f;
  Candidates c = FromLogits({0.0f, std::log(p), std::log(p) - 1e-3f});
  MinPSampler(p).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1));

  c = FromPairs({{0, 0.0f}, {1, std::log(p)}, {2, std::log(p) - 1e-3f}});
  c.sorted = true;
  MinPSampler(p).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1));
}

TEST(MinPSamplerTest, MinKeepFallsBackToTheBestTokens) {
  Candidates c = FromLogits({std::log(0.01f), 0.0f, std::log(0.02f), std::log(0.5f)});
  MinPSampler(0.9f, /*min_keep=*/2).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(1, 3));
}

TEST(MinPSamplerTest, PZeroIsOffAndPOneKeepsTheMaxAndItsTies) {
  Candidates c = FromLogits({1.0f, -30.0f, 2.0f});
  MinPSampler(0.0f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1, 2));

  c = FromLogits({2.0f, 1.0f, 2.0f});
  MinPSampler(1.0f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 2));
}

}  // namespace
}  // namespace strata::sampling
