#include "offload/s3fifo_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "offload/lru_policy.h"
#include "offload/testing/eviction_policy_driver.h"

namespace strata::offload {
namespace {

using ::strata::offload::testing::EvictOne;
using ::strata::offload::testing::InsertAll;
using ::testing::ElementsAre;
using ::testing::Optional;

// A cache of `capacity` one-byte blocks around a policy: Get() hits or
// inserts, then evicts (never the block just used) until it fits.
class TinyCache {
 public:
  TinyCache(EvictionPolicy& policy, int64_t capacity) : policy_(policy), capacity_(capacity) {
    policy_.SetCapacity(capacity);
  }
  void Get(BlockKey key) {
    if (resident_.contains(key)) {
      policy_.OnAccess(key);
    } else {
      resident_.insert(key);
      policy_.OnInsert(key, 1, false);
    }
    while (static_cast<int64_t>(resident_.size()) > capacity_) {
      const std::optional<BlockKey> v = EvictOne(policy_, {key});
      ASSERT_TRUE(v.has_value());
      resident_.erase(*v);
      victims_.push_back(*v);
    }
  }
  bool Resident(BlockKey key) const { return resident_.contains(key); }
  const std::vector<BlockKey>& victims() const { return victims_; }

 private:
  EvictionPolicy& policy_;
  int64_t capacity_;
  absl::flat_hash_set<BlockKey> resident_;
  std::vector<BlockKey> victims_;
};

TEST(S3FifoPolicyTest, NewBlocksEnterTheSmallQueue) {
  S3FifoPolicy s3;
  EXPECT_EQ(s3.name(), "s3fifo");
  InsertAll(s3, {1, 2});
  EXPECT_TRUE(s3.InSmall(1));
  EXPECT_EQ(s3.small_bytes(), 2);
  s3.OnAccess(1);
  s3.OnAccess(1);
  s3.OnAccess(1);
  s3.OnAccess(1);
  EXPECT_EQ(s3.Frequency(1), 3);  // Capped at 3.
}

// One-hit wonders: five hot blocks hit once each survive a scan of 50
// blocks used once, which LRU would let flush them out.
TEST(S3FifoPolicyTest, FiltersOneHitWonders) {
  S3FifoPolicy s3;
  LruPolicy lru;
  TinyCache s3_cache(s3, 10), lru_cache(lru, 10);
  for (TinyCache* c : {&s3_cache, &lru_cache}) {
    for (BlockKey k = 1; k <= 5; ++k) c->Get(k);
    for (BlockKey k = 1; k <= 5; ++k) c->Get(k);     // One hit each.
    for (BlockKey k = 100; k < 150; ++k) c->Get(k);  // The scan.
  }
  for (BlockKey k = 1; k <= 5; ++k) {
    EXPECT_TRUE(s3_cache.Resident(k)) << k;
    EXPECT_TRUE(s3.InMain(k)) << k;
    EXPECT_FALSE(lru_cache.Resident(k)) << k;
  }
  // The scan's blocks left in FIFO order: 100 first (when 105 came in; the
  // hot blocks went to M on the way), then 101, ...
  ASSERT_EQ(s3_cache.victims().size(), 45u);
  for (size_t i = 0; i < 45; ++i) EXPECT_EQ(s3_cache.victims()[i], 100 + i);
  // Evicted from S, so remembered in G: 0.9 x 10 bytes = the last 9.
  EXPECT_EQ(s3.ghost_bytes(), 9);
  EXPECT_TRUE(s3.InGhost(144));
  EXPECT_TRUE(s3.InGhost(136));
  EXPECT_FALSE(s3.InGhost(135));
}

TEST(S3FifoPolicyTest, GhostHitGoesStraightToMain) {
  S3FifoPolicy s3;
  TinyCache cache(s3, 4);
  for (BlockKey k : {1, 2, 3, 4, 5}) cache.Get(k);  // 1 evicted from S.
  EXPECT_THAT(cache.victims(), ElementsAre(1));
  EXPECT_TRUE(s3.InGhost(1));
  cache.Get(1);  // Back soon: S was too small to see its reuse.
  EXPECT_TRUE(s3.InMain(1));
  EXPECT_FALSE(s3.InGhost(1));
  EXPECT_EQ(s3.Frequency(1), 0);
  cache.Get(6);  // Not a ghost: S.
  EXPECT_TRUE(s3.InSmall(6));
}

TEST(S3FifoPolicyTest, PrefetchedGhostStillEntersSmall) {
  S3FifoPolicy s3;
  TinyCache cache(s3, 4);
  for (BlockKey k : {1, 2, 3, 4, 5}) cache.Get(k);
  ASSERT_TRUE(s3.InGhost(1));
  s3.OnInsert(1, 1, /*prefetched=*/true);
  EXPECT_TRUE(s3.InSmall(1));
  EXPECT_FALSE(s3.InGhost(1));
}

// Promotion resets the frequency; M reinserts blocks with frequency > 0 at
// its new end, one decrement per pass, and evicts the first block at 0.
TEST(S3FifoPolicyTest, MainQueueReinsertsByFrequency) {
  S3FifoPolicy s3;
  s3.SetCapacity(3);
  InsertAll(s3, {1, 2, 3});
  s3.OnAccess(1);
  s3.OnAccess(1);
  s3.OnAccess(2);
  s3.OnAccess(3);
  InsertAll(s3, {4});
  // S: 1(2) 2(1) 3(1) 4(0). All but the pinned newcomer 4 move to M with
  // frequency 0, and M's oldest, 1, goes.
  EXPECT_THAT(EvictOne(s3, {4}), Optional(1));
  EXPECT_TRUE(s3.InMain(2));
  EXPECT_EQ(s3.Frequency(2), 0);
  s3.OnAccess(2);
  s3.OnAccess(2);
  s3.OnAccess(2);
  s3.OnAccess(3);
  InsertAll(s3, {5});
  // S: 4 5, both pinned, so M: 2(3) 3(1) -> 3 2(2) -> 2(2) 3(0) -> 3 2(1):
  // 3 goes.
  EXPECT_THAT(EvictOne(s3, {4, 5}), Optional(3));
  EXPECT_EQ(s3.Frequency(2), 1);
  EXPECT_THAT(EvictOne(s3, {4, 5}), Optional(2));
  EXPECT_EQ(EvictOne(s3, {4, 5}), std::nullopt);
}

// The small queue is preferred only while it holds >= 10% of the capacity.
TEST(S3FifoPolicyTest, EvictsFromMainWhenSmallIsBelowItsShare) {
  S3FifoPolicy s3;
  s3.SetCapacity(100);
  s3.OnInsert(1, 40, false);
  s3.OnInsert(2, 40, false);
  s3.OnAccess(1);
  s3.OnAccess(2);
  s3.OnInsert(3, 40, false);
  // S holds 120 >= 10: S first; 1 and 2 move to M, 3 is evicted from S.
  EXPECT_THAT(EvictOne(s3), Optional(3));
  EXPECT_EQ(s3.small_bytes(), 0);
  EXPECT_EQ(s3.main_bytes(), 80);
  s3.OnInsert(4, 5, false);  // S holds 5 < 10: M's oldest goes.
  EXPECT_THAT(EvictOne(s3), Optional(1));
}

TEST(S3FifoPolicyTest, GhostsAreBoundedByCapacity) {
  S3FifoPolicy s3;
  s3.SetCapacity(10);
  for (BlockKey k = 0; k < 20; ++k) {
    s3.OnInsert(k, 1, false);
    s3.OnRemove(k);
  }
  EXPECT_EQ(s3.ghost_bytes(), 9);
  s3.SetCapacity(5);  // Shrinking trims G.
  EXPECT_EQ(s3.ghost_bytes(), 4);
  EXPECT_TRUE(s3.InGhost(19));
  EXPECT_FALSE(s3.InGhost(15));
}

TEST(S3FifoPolicyTest, NothingEvictable) {
  S3FifoPolicy s3;
  EXPECT_EQ(EvictOne(s3), std::nullopt);
  InsertAll(s3, {1, 2});
  s3.OnAccess(1);
  EXPECT_EQ(EvictOne(s3, {1, 2}), std::nullopt);
  EXPECT_TRUE(s3.InMain(1));  // Promoted on the way; still resident.
  EXPECT_TRUE(s3.InSmall(2));
}

}  // namespace
}  // namespace strata::offload
