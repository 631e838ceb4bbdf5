#include "offload/lfu_policy.h"

#include <cmath>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "offload/lru_policy.h"
#include "offload/testing/eviction_policy_driver.h"

namespace strata::offload {
namespace {

using ::strata::offload::testing::EvictAll;
using ::strata::offload::testing::EvictOne;
using ::strata::offload::testing::InsertAll;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Optional;

TEST(LfuPolicyTest, EvictsTheLeastUsedFirst) {
  LfuPolicy lfu;
  EXPECT_EQ(lfu.name(), "lfu");
  InsertAll(lfu, {1, 2, 3});  // Counts 1 1 1.
  lfu.OnAccess(1);
  lfu.OnAccess(1);
  lfu.OnAccess(3);  // Counts: 1:3, 2:1, 3:2.
  EXPECT_EQ(lfu.Count(1), 3);
  EXPECT_THAT(EvictAll(lfu), ElementsAre(2, 3, 1));
}

TEST(LfuPolicyTest, TiesGoToTheLeastRecentlyUsed) {
  LfuPolicy lfu;
  InsertAll(lfu, {1, 2, 3, 4});
  lfu.OnAccess(2);
  lfu.OnAccess(1);
  lfu.OnAccess(4);
  // Counts 1:2 2:2 3:1 4:2; among the 2s, 2 was used before 1, 1 before 4.
  EXPECT_THAT(EvictAll(lfu), ElementsAre(3, 2, 1, 4));
}

TEST(LfuPolicyTest, CountsSurviveEviction) {
  LfuPolicy lfu;
  InsertAll(lfu, {1});
  lfu.OnAccess(1);
  lfu.OnAccess(1);  // 1:3
  EXPECT_THAT(EvictOne(lfu), Optional(1));
  EXPECT_EQ(lfu.history_size(), 1u);
  InsertAll(lfu, {2});
  lfu.OnAccess(2);      // 2:2
  InsertAll(lfu, {1});  // Back with 3 + 1.
  EXPECT_EQ(lfu.Count(1), 4);
  EXPECT_EQ(lfu.history_size(), 0u);
  EXPECT_THAT(EvictAll(lfu), ElementsAre(2, 1));
}

TEST(LfuPolicyTest, WithoutHistoryAReturningBlockStartsOver) {
  LfuPolicy lfu(LfuPolicy::Options{.history_limit = 0});
  InsertAll(lfu, {1});
  lfu.OnAccess(1);
  lfu.OnAccess(1);
  EXPECT_THAT(EvictOne(lfu), Optional(1));
  InsertAll(lfu, {2});
  lfu.OnAccess(2);      // 2:2
  InsertAll(lfu, {1});  // 1:1
  EXPECT_THAT(EvictAll(lfu), ElementsAre(1, 2));
}

TEST(LfuPolicyTest, HistoryForgetsTheLongestEvictedFirst) {
  LfuPolicy lfu(LfuPolicy::Options{.history_limit = 2});
  InsertAll(lfu, {1, 2, 3});
  for (BlockKey k : {1, 2, 3}) lfu.OnAccess(k);
  EXPECT_THAT(EvictAll(lfu), ElementsAre(1, 2, 3));
  EXPECT_EQ(lfu.history_size(), 2u);
  EXPECT_EQ(lfu.Count(1), 0);  // Forgotten.
  EXPECT_EQ(lfu.Count(2), 2);
  EXPECT_EQ(lfu.Count(3), 2);
}

TEST(LfuPolicyTest, PredicateSkipsPinnedKeys) {
  LfuPolicy lfu;
  InsertAll(lfu, {1, 2, 3});
  lfu.OnAccess(3);
  EXPECT_THAT(EvictOne(lfu, {1, 2}), Optional(3));
  EXPECT_EQ(EvictOne(lfu, {1, 2}), std::nullopt);
  EXPECT_THAT(EvictAll(lfu), ElementsAre(1, 2));
}

// Aging: with a half-life of 4 uses, six early uses of A weigh less than
// four recent uses of B; without aging A's six win.
TEST(LfuPolicyTest, AgingLetsRecentUseOutweighOldUse) {
  for (int64_t half_life : {int64_t{0}, int64_t{4}}) {
    LfuPolicy lfu(LfuPolicy::Options{.half_life_uses = half_life});
    InsertAll(lfu, {1});                          // Use 0.
    for (int i = 0; i < 5; ++i) lfu.OnAccess(1);  // Uses 1..5.
    InsertAll(lfu, {2});                          // Use 6.
    for (int i = 0; i < 3; ++i) lfu.OnAccess(2);  // Uses 7..9.
    if (half_life == 0) {
      EXPECT_EQ(lfu.Count(1), 6);
      EXPECT_EQ(lfu.Count(2), 4);
      EXPECT_THAT(EvictOne(lfu), Optional(2));
    } else {
      EXPECT_EQ(lfu.name(), "lfu-aging");
      // Decayed counts, in units of one use now (use 9).
      auto decayed = [](int first, int last) {
        double sum = 0;
        for (int i = first; i <= last; ++i) sum += std::exp2((i - 9) / 4.0);
        return sum;
      };
      EXPECT_THAT(lfu.Count(1), DoubleNear(decayed(0, 5), 1e-12));
      EXPECT_THAT(lfu.Count(2), DoubleNear(decayed(6, 9), 1e-12));
      EXPECT_THAT(EvictOne(lfu), Optional(1));
    }
  }
}

// Aging also applies to remembered counts of evicted blocks.
TEST(LfuPolicyTest, AgingDecaysRememberedCounts) {
  LfuPolicy lfu(LfuPolicy::Options{.half_life_uses = 1});
  InsertAll(lfu, {1});
  lfu.OnAccess(1);  // 1: 1 + 2 = 3 in use-0 units.
  EXPECT_THAT(EvictOne(lfu), Optional(1));
  InsertAll(lfu, {2, 3});  // Uses 2, 3.
  EXPECT_THAT(lfu.Count(1), DoubleNear(3.0 / 8, 1e-12));
}

// With a half-life of one use the newest use outweighs all older ones
// together, so LFU-aging degenerates to LRU — across many rescalings.
TEST(LfuPolicyTest, HalfLifeOfOneUseIsLruAcrossRescaling) {
  LfuPolicy lfu(LfuPolicy::Options{.half_life_uses = 1, .history_limit = 0});
  LruPolicy lru;
  std::mt19937 rng(1);
  absl::flat_hash_set<BlockKey> resident;
  for (int step = 0; step < 5000; ++step) {  // ~20 rescales of 2^256.
    const BlockKey key = rng() % 64;
    if (resident.contains(key)) {
      lfu.OnAccess(key);
      lru.OnAccess(key);
    } else {
      lfu.OnInsert(key, 1, false);
      lru.OnInsert(key, 1, false);
      resident.insert(key);
    }
    if (resident.size() > 32) {
      const absl::flat_hash_set<BlockKey> pinned = {key};
      const std::optional<BlockKey> a = EvictOne(lfu, pinned);
      const std::optional<BlockKey> b = EvictOne(lru, pinned);
      ASSERT_EQ(a, b) << "step " << step;
      resident.erase(*a);
    }
  }
  EXPECT_TRUE(std::isfinite(lfu.Count(*resident.begin())));
}

TEST(LfuPolicyTest, ToleratesContractViolations) {
  LfuPolicy lfu;
  lfu.OnAccess(7);
  lfu.OnRemove(7);
  EXPECT_EQ(lfu.history_size(), 0u);
  InsertAll(lfu, {1, 1});  // The second insert counts as a use.
  EXPECT_EQ(lfu.Count(1), 2);
  EXPECT_EQ(lfu.size(), 1u);
}

}  // namespace
}  // namespace strata::offload
