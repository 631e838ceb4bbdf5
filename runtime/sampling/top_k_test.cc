#include "runtime/sampling/top_k.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/sampling/sampling_test_util.h"

namespace strata::sampling {
namespace {

using ::testing::ElementsAre;
using testing::FromLogits;
using testing::Ids;

TEST(TopKSamplerTest, KeepsTheKLargestSorted) {
  Candidates c = FromLogits({1.0f, 5.0f, 3.0f, 4.0f, 2.0f});
  TopKSampler(3).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(1, 3, 2));
  EXPECT_TRUE(c.sorted);
}

TEST(TopKSamplerTest, KOneKeepsOnlyTheArgmax) {
  Candidates c = FromLogits({1.0f, 5.0f, 3.0f});
  TopKSampler(1).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(1));
}

TEST(TopKSamplerTest, KOneOnATieKeepsTheLowestId) {
  Candidates c = FromLogits({2.0f, 7.0f, 7.0f, 7.0f});
  TopKSampler(1).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(1));
}

TEST(TopKSamplerTest, TiesAtTheCutKeepLowerIds) {
  Candidates c = FromLogits({2.0f, 1.0f, 2.0f, 2.0f});
  TopKSampler(2).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 2));
}

TEST(TopKSamplerTest, KLargerThanTheSetChangesNothing) {
  Candidates c = FromLogits({1.0f, 3.0f, 2.0f});
  TopKSampler(10).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1, 2));
  EXPECT_FALSE(c.sorted);
}

TEST(TopKSamplerTest, KEqualToTheSetChangesNothing) {
  Candidates c = FromLogits({1.0f, 3.0f, 2.0f});
  TopKSampler(3).Apply(c);
  EXPECT_EQ(c.data.size(), 3u);
}

TEST(TopKSamplerTest, ZeroAndNegativeKAreOff) {
  for (int32_t k : {0, -1, -40}) {
    Candidates c = FromLogits({1.0f, 3.0f, 2.0f});
    TopKSampler(k).Apply(c);
    EXPECT_THAT(Ids(c), ElementsAre(0, 1, 2)) << "k=" << k;
    EXPECT_FALSE(c.sorted);
  }
}

TEST(TopKSamplerTest, TruncatesAnAlreadySortedSetWithoutReordering) {
  Candidates c = testing::FromPairs({{4, 9.0f}, {0, 8.0f}, {3, 1.0f}});
  c.sorted = true;
  TopKSampler(2).Apply(c);
  EXPECT_THAT(Ids(c), ElementsAre(4, 0));
}

// Both selection strategies (heap for small k, nth_element above) against a full sort, on a
// vocabulary the size of Qwen2's.
TEST(TopKSamplerTest, MatchesAFullSortOnALargeVocabulary) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> logits(151936);
  for (float& l : logits) l = normal(rng);
  // Some exact ties too.
  for (size_t i = 0; i < logits.size(); i += 997) logits[i] = 9.5f;

  Candidates reference = FromLogits(logits);
  std::sort(reference.data.begin(), reference.data.end(), LogitGreater);
  for (int32_t k : {1, 40, 256, 257, 5000}) {
    Candidates c = FromLogits(logits);
    TopKSampler(k).Apply(c);
    ASSERT_EQ(c.data.size(), static_cast<size_t>(k));
    for (int32_t i = 0; i < k; ++i) {
      ASSERT_EQ(c.data[i].id, reference.data[i].id) << "k=" << k << " i=" << i;
    }
  }
}

}  // namespace
}  // namespace strata::sampling
