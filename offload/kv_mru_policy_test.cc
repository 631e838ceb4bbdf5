#include "offload/kv_mru_policy.h"

#include "gtest/gtest.h"

namespace strata::offload {
namespace {

TEST(KvMruPolicyTest, EvictsTheMostRecentlyUsedEvictableBlock) {
  KvMruPolicy p;
  for (BlockKey k = 1; k <= 4; ++k) p.OnInsert(k, 10, false);
  auto any = [](BlockKey) { return true; };
  EXPECT_EQ(p.PickVictim(any), 4u);
  p.OnAccess(2);
  EXPECT_EQ(p.PickVictim(any), 2u);
  EXPECT_EQ(p.PickVictim([](BlockKey k) { return k != 2; }), 4u);
  p.OnRemove(4);
  p.OnRemove(2);
  EXPECT_EQ(p.PickVictim(any), 3u);
  EXPECT_EQ(p.size(), 2u);
  EXPECT_EQ(p.PickVictim([](BlockKey) { return false; }), std::nullopt);
  p.OnInsert(3, 10, false);  // Repeated insert: a use.
  p.OnAccess(1);
  EXPECT_EQ(p.PickVictim(any), 1u);
}

// Under the cyclic layer order of decoding, MRU misses only the blocks that do
// not fit; LRU misses every block once the scan outgrows the budget.
TEST(KvMruPolicyTest, CyclicScanMissesOnlyWhatDoesNotFit) {
  constexpr int kBlocks = 10;
  constexpr int kCapacity = 7;
  KvMruPolicy p;
  std::vector<bool> resident(kBlocks, false);
  int resident_count = 0;
  int misses = 0;
  for (int round = 0; round < 5; ++round) {
    for (BlockKey k = 0; k < kBlocks; ++k) {
      if (resident[k]) {
        p.OnAccess(k);
        continue;
      }
      if (round > 0) ++misses;
      if (resident_count == kCapacity) {
        const auto victim = p.PickVictim([&](BlockKey c) { return c != k; });
        ASSERT_TRUE(victim.has_value());
        p.OnRemove(*victim);
        resident[*victim] = false;
        --resident_count;
      }
      p.OnInsert(k, 1, false);
      resident[k] = true;
      ++resident_count;
    }
  }
  EXPECT_EQ(misses, 4 * (kBlocks - kCapacity));
}

}  // namespace
}  // namespace strata::offload
