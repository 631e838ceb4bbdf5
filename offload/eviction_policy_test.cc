// The contract every policy keeps, checked for all of them: the factory,
// victims are always resident and evictable, and PickVictim() does not walk
// the whole cache when a few blocks are pinned.
#include "offload/eviction_policy.h"

#include <chrono>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "offload/testing/eviction_policy_driver.h"

namespace strata::offload {
namespace {

using ::strata::offload::testing::EvictOne;
using ::testing::ElementsAre;

TEST(MakeEvictionPolicyTest, KnowsEveryListedName) {
  EXPECT_THAT(EvictionPolicyNames(), ElementsAre("lru", "lfu", "lfu-aging", "s3fifo", "score"));
  for (const std::string& name : EvictionPolicyNames()) {
    auto policy = MakeEvictionPolicy(name);
    ASSERT_TRUE(policy.ok()) << policy.status();
    EXPECT_EQ((*policy)->name(), name);
  }
}

TEST(MakeEvictionPolicyTest, UnknownNameListsTheKnownOnes) {
  auto policy = MakeEvictionPolicy("arc");
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(policy.status().message(), "'arc'"));
  EXPECT_TRUE(absl::StrContains(policy.status().message(), "s3fifo"));
}

class EvictionPolicyContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<EvictionPolicy> Make() {
    auto policy = MakeEvictionPolicy(GetParam());
    EXPECT_TRUE(policy.ok());
    return *std::move(policy);
  }
};

// A random workload through a cache of 64 blocks with a few pinned: every
// victim must be resident and unpinned, and a victim must exist whenever an
// unpinned block does.
TEST_P(EvictionPolicyContractTest, VictimsAreResidentAndEvictable) {
  auto policy = Make();
  policy->SetCapacity(64 * 3);
  std::mt19937 rng(7);
  absl::flat_hash_set<BlockKey> resident, pinned;
  for (int step = 0; step < 20000; ++step) {
    const BlockKey key = rng() % 256;
    if (resident.contains(key)) {
      policy->OnAccess(key);
    } else {
      policy->OnInsert(key, 1 + key % 5, /*prefetched=*/rng() % 4 == 0);
      resident.insert(key);
    }
    policy->SetScore(key, static_cast<double>(rng() % 10));
    if (rng() % 16 == 0) {  // Pin or unpin.
      if (pinned.size() < 4) {
        pinned.insert(key);
      } else {
        pinned.erase(pinned.begin());
      }
    }
    if (rng() % 64 == 0 && !pinned.contains(key)) {  // Drop a block outright.
      policy->OnRemove(key);
      resident.erase(key);
      continue;
    }
    while (resident.size() > 64) {
      const std::optional<BlockKey> victim = EvictOne(*policy, pinned);
      ASSERT_TRUE(victim.has_value()) << "step " << step;
      ASSERT_TRUE(resident.contains(*victim)) << *victim;
      ASSERT_FALSE(pinned.contains(*victim)) << *victim;
      resident.erase(*victim);
    }
  }
  // Drain: exactly the unpinned blocks come out, then nothing.
  size_t evicted = 0;
  while (std::optional<BlockKey> victim = EvictOne(*policy, pinned)) {
    ASSERT_TRUE(resident.contains(*victim));
    ASSERT_FALSE(pinned.contains(*victim));
    resident.erase(*victim);
    ++evicted;
  }
  for (BlockKey key : resident) EXPECT_TRUE(pinned.contains(key)) << key;
}

// Pinning the blocks a policy would evict next must cost one predicate call
// per pinned block, not a walk over the cache.
TEST_P(EvictionPolicyContractTest, PinnedBlocksCostOnlyThemselves) {
  auto policy = Make();
  constexpr int kResident = 100000;
  constexpr int kPinned = 16;
  policy->SetCapacity(kResident);
  for (BlockKey key = 0; key < kResident; ++key) policy->OnInsert(key, 1, false);
  for (BlockKey key = 0; key < kResident; key += 2) policy->OnAccess(key);
  absl::flat_hash_set<BlockKey> pinned;
  for (int i = 0; i < kPinned; ++i) {
    pinned.insert(*policy->PickVictim([&](BlockKey k) { return !pinned.contains(k); }));
  }
  int64_t max_calls = 0;
  for (int i = 0; i < 1000; ++i) {
    int64_t calls = 0;
    const std::optional<BlockKey> victim = policy->PickVictim([&](BlockKey k) {
      ++calls;
      return !pinned.contains(k);
    });
    ASSERT_TRUE(victim.has_value());
    policy->OnRemove(*victim);
    policy->OnInsert(kResident + i, 1, false);
    max_calls = std::max(max_calls, calls);
  }
  EXPECT_LE(max_calls, kPinned + 1);
}

// 10^6 resident blocks (the largest models have ~10^4 experts, KV blocks
// many more): a million operations must take seconds, not minutes.
TEST_P(EvictionPolicyContractTest, HandlesAMillionResidentBlocks) {
  auto policy = Make();
  constexpr BlockKey kResident = 1000000;
  policy->SetCapacity(kResident);
  const auto start = std::chrono::steady_clock::now();
  for (BlockKey key = 0; key < kResident; ++key) policy->OnInsert(key, 1, false);
  std::mt19937_64 rng(3);
  BlockKey next = kResident;
  absl::flat_hash_set<BlockKey> evicted;
  for (int i = 0; i < 1000000; ++i) {
    const BlockKey key = rng() % next;
    if (evicted.contains(key)) continue;
    if (i % 4 == 0) {
      const std::optional<BlockKey> v = EvictOne(*policy);
      ASSERT_TRUE(v.has_value());
      evicted.insert(*v);
      policy->OnInsert(next++, 1, false);
    } else {
      policy->OnAccess(key);
      policy->SetScore(key, static_cast<double>(i % 100));
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 30.0);
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, EvictionPolicyContractTest,
                         ::testing::ValuesIn(EvictionPolicyNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace strata::offload
