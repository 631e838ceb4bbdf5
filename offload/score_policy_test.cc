#include "offload/score_policy.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "offload/testing/eviction_policy_driver.h"

namespace strata::offload {
namespace {

using ::strata::offload::testing::EvictAll;
using ::strata::offload::testing::EvictOne;
using ::strata::offload::testing::InsertAll;
using ::testing::ElementsAre;
using ::testing::Optional;

TEST(ScorePolicyTest, WithoutScoresItIsLru) {
  ScorePolicy p;
  EXPECT_EQ(p.name(), "score");
  InsertAll(p, {1, 2, 3});
  p.OnAccess(1);
  EXPECT_THAT(EvictAll(p), ElementsAre(2, 3, 1));
}

TEST(ScorePolicyTest, EvictsTheLowestScoreFirst) {
  ScorePolicy p;
  InsertAll(p, {1, 2, 3, 4});
  p.SetScore(1, 0.9);
  p.SetScore(2, 0.1);
  p.SetScore(3, 0.5);
  p.SetScore(4, -1);
  p.OnAccess(4);  // Recency does not outrank a score.
  EXPECT_THAT(EvictAll(p), ElementsAre(4, 2, 3, 1));
}

TEST(ScorePolicyTest, EqualScoresGoByRecency) {
  ScorePolicy p;
  InsertAll(p, {1, 2, 3, 4});
  p.SetScore(1, 0.5);
  p.SetScore(2, 0.5);
  p.SetScore(3, 0.9);
  p.OnAccess(1);
  // 4 is unscored (0); then 2 and 1 tie at 0.5, 2 used longer ago.
  EXPECT_THAT(EvictAll(p), ElementsAre(4, 2, 1, 3));
}

TEST(ScorePolicyTest, ScoresChangeAndAreForgottenOnRemove) {
  ScorePolicy p;
  InsertAll(p, {1, 2});
  p.SetScore(1, 0.1);
  p.SetScore(2, 0.2);
  p.SetScore(1, 0.3);
  EXPECT_THAT(EvictOne(p), Optional(2));
  p.OnRemove(1);
  InsertAll(p, {1, 3});
  p.SetScore(3, 0.05);
  EXPECT_THAT(EvictAll(p), ElementsAre(1, 3));  // 1 came back unscored.
}

// A prefetched block nobody used yet ranks below every used block, whatever
// its score: speculation displaces older unused speculation, not hot blocks.
TEST(ScorePolicyTest, UnusedPrefetchesRankLowest) {
  ScorePolicy p;
  InsertAll(p, {1});
  p.SetScore(1, 0.1);
  p.OnInsert(2, 1, /*prefetched=*/true);
  p.SetScore(2, 0.9);
  p.OnInsert(3, 1, /*prefetched=*/true);
  p.SetScore(3, 0.8);
  EXPECT_THAT(EvictOne(p, {3}), Optional(2));  // Not the cold-but-used 1.
  p.OnAccess(3);                               // The prefetch paid off.
  EXPECT_THAT(EvictAll(p), ElementsAre(1, 3));
}

TEST(ScorePolicyTest, PredicateSkipsPinnedKeys) {
  ScorePolicy p;
  InsertAll(p, {1, 2, 3});
  p.SetScore(1, 0);
  p.SetScore(2, 1);
  p.SetScore(3, 2);
  EXPECT_THAT(EvictOne(p, {1}), Optional(2));
  EXPECT_EQ(EvictOne(p, {1, 3}), std::nullopt);
}

TEST(ScorePolicyTest, IgnoresNanAndNonResidentScores) {
  ScorePolicy p;
  p.SetScore(1, 5);  // Not resident: ignored.
  InsertAll(p, {1, 2});
  p.SetScore(2, 1);
  p.SetScore(2, std::nan(""));
  EXPECT_THAT(EvictAll(p), ElementsAre(1, 2));
}

// Belady as a score: minus the next use, never-again = -inf.
TEST(ScorePolicyTest, NegativeNextUseIsBelady) {
  ScorePolicy p;
  InsertAll(p, {1, 2, 3});
  p.SetScore(1, -10);
  p.SetScore(2, -std::numeric_limits<double>::infinity());
  p.SetScore(3, -4);
  EXPECT_THAT(EvictAll(p), ElementsAre(2, 1, 3));
}

}  // namespace
}  // namespace strata::offload
