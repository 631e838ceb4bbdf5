#include "offload/lru_policy.h"

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

TEST(LruPolicyTest, EvictsInRecencyOrder) {
  LruPolicy lru;
  InsertAll(lru, {1, 2, 3, 4});
  lru.OnAccess(1);  // 2 3 4 1
  lru.OnAccess(3);  // 2 4 1 3
  EXPECT_THAT(EvictAll(lru), ElementsAre(2, 4, 1, 3));
  EXPECT_EQ(lru.size(), 0u);
}

TEST(LruPolicyTest, PredicateSkipsPinnedKeysWithoutReordering) {
  LruPolicy lru;
  InsertAll(lru, {1, 2, 3, 4});
  EXPECT_THAT(EvictOne(lru, {1, 2}), Optional(3));
  // Skipped keys keep their place: once unpinned, 1 is the oldest again.
  EXPECT_THAT(EvictAll(lru), ElementsAre(1, 2, 4));
}

TEST(LruPolicyTest, NothingEvictable) {
  LruPolicy lru;
  EXPECT_EQ(EvictOne(lru), std::nullopt);
  InsertAll(lru, {1, 2});
  EXPECT_EQ(EvictOne(lru, {1, 2}), std::nullopt);
  EXPECT_EQ(lru.size(), 2u);
}

TEST(LruPolicyTest, PrefetchedBlocksCountAsJustUsed) {
  LruPolicy lru;
  InsertAll(lru, {1});
  lru.OnInsert(2, 1, /*prefetched=*/true);
  InsertAll(lru, {3});
  EXPECT_THAT(EvictAll(lru), ElementsAre(1, 2, 3));
}

TEST(LruPolicyTest, RemoveAndReinsertGoesToTheNewEnd) {
  LruPolicy lru;
  InsertAll(lru, {1, 2, 3});
  lru.OnRemove(1);
  InsertAll(lru, {1});
  EXPECT_THAT(EvictAll(lru), ElementsAre(2, 3, 1));
}

TEST(LruPolicyTest, ToleratesContractViolations) {
  LruPolicy lru;
  lru.OnAccess(7);  // Not resident: ignored.
  lru.OnRemove(7);
  InsertAll(lru, {1, 2, 1});  // A second insert of 1 counts as a use.
  EXPECT_EQ(lru.size(), 2u);
  EXPECT_THAT(EvictAll(lru), ElementsAre(2, 1));
}

}  // namespace
}  // namespace strata::offload
