#include "runtime/sampling/top_p.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/sampling/sampling_test_util.h"

namespace strata::sampling {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatNear;
using testing::FromLogits;
using testing::FromPairs;
using testing::Ids;

// Four equal logits give probabilities of exactly 0.25, so cumulative sums hit 0.5 and 0.75
// exactly and the boundary rule (>= p) is tested without rounding noise.
TEST(TopPSamplerTest, ExactCumulativeEqualityStopsAtThatToken) {
  Candidates c = FromLogits({0.0f, 0.0f, 0.0f, 0.0f});
  TopPSampler(0.5f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1));

  c = FromLogits({0.0f, 0.0f, 0.0f, 0.0f});
  TopPSampler(0.75f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1, 2));

  c = FromLogits({0.0f, 0.0f, 0.0f, 0.0f});
  TopPSampler(0.25f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0));
}

TEST(TopPSamplerTest, JustAboveTheBoundaryTakesTheNextToken) {
  Candidates c = FromLogits({0.0f, 0.0f, 0.0f, 0.0f});
  TopPSampler(std::nextafter(0.5f, 1.0f)).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1, 2));
}

TEST(TopPSamplerTest, KeepsTheSmallestSortedPrefixReachingP) {
  // Probabilities 0.5, 0.3, 0.2 given in shuffled order.
  Candidates c = FromPairs({{0, std::log(0.2f)}, {1, std::log(0.5f)}, {2, std::log(0.3f)}});
  TopPSampler(0.7f).Apply(c);  // 0.5 < 0.7 <= 0.8
  EXPECT_THAT(Ids(c), ElementsAre(1, 2));
  EXPECT_TRUE(c.sorted);

  c = FromPairs({{0, std::log(0.2f)}, {1, std::log(0.5f)}, {2, std::log(0.3f)}});
  TopPSampler(0.81f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(1, 2, 0));

  c = FromPairs({{0, std::log(0.2f)}, {1, std::log(0.5f)}, {2, std::log(0.3f)}});
  TopPSampler(0.4f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(1));
}

TEST(TopPSamplerTest, LeavesPreTruncationProbabilities) {
  Candidates c = FromLogits({std::log(0.5f), std::log(0.3f), std::log(0.2f)});
  TopPSampler(0.7f).Apply(c);
  ASSERT_EQ(c.data.size(), 2u);
  EXPECT_THAT(c.data[0].prob, FloatNear(0.5f, 1e-6f));
  EXPECT_THAT(c.data[1].prob, FloatNear(0.3f, 1e-6f));
}

TEST(TopPSamplerTest, PAtLeastOneIsOff) {
  Candidates c = FromLogits({0.0f, 1.0f, 2.0f});
  TopPSampler(1.0f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1, 2));
  EXPECT_FALSE(c.sorted);
}

TEST(TopPSamplerTest, AlwaysKeepsAtLeastOne) {
  Candidates c = FromLogits({0.0f, 10.0f, 0.0f});
  TopPSampler(1e-9f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(1));

  c = FromLogits({0.0f, 10.0f, 0.0f});
  TopPSampler(1e-9f, /*min_keep=*/0).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(1));
}

TEST(TopPSamplerTest, MinKeepOverridesP) {
  Candidates c = FromLogits({0.0f, 10.0f, 1.0f, 2.0f});
  TopPSampler(0.1f, /*min_keep=*/3).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(1, 3, 2));
}

TEST(TopPSamplerTest, ZeroProbabilityTailIsNeverNeeded) {
  Candidates c = FromLogits({-INFINITY, 0.0f, -INFINITY});
  TopPSampler(0.99f).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(1));
}

// The lazy chunked sort must give what a full sort followed by the textbook cut gives, for
// nuclei smaller and much larger than the first chunk.
TEST(TopPSamplerTest, MatchesAFullSortOnALargeVocabulary) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> logits(151936);
  for (float& l : logits) l = normal(rng);
  logits[123] = 12.0f;  // One dominant token.

  for (float p : {0.3f, 0.9f, 0.95f, 0.999f}) {
    Candidates reference = FromLogits(logits);
    Softmax(reference);
    std::sort(reference.data.begin(), reference.data.end(), LogitGreater);
    size_t expected = reference.data.size();
    double cumulative = 0.0;
    for (size_t i = 0; i < reference.data.size(); ++i) {
      cumulative += reference.data[i].prob;
      if (cumulative >= p) {
        expected = i + 1;
        break;
      }
    }

    Candidates c = FromLogits(logits);
    TopPSampler(p).Apply(c);
    ASSERT_EQ(c.data.size(), expected) << "p=" << p;
    for (size_t i = 0; i < expected; ++i) {
      ASSERT_EQ(c.data[i].id, reference.data[i].id) << "p=" << p << " i=" << i;
    }
  }
}

}  // namespace
}  // namespace strata::sampling
