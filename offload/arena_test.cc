#include "offload/arena.h"

#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace strata::offload {
namespace {

TEST(ArenaTest, AllocatesAlignedRangesAndCoalescesFreedNeighbours) {
  auto arena = Arena::Create(64 * 4096, 4096);
  ASSERT_TRUE(arena.ok());
  Arena& a = **arena;
  const auto x = a.Allocate(5000);  // Rounds to 8192.
  const auto y = a.Allocate(4096);
  const auto z = a.Allocate(4096);
  ASSERT_TRUE(x && y && z);
  EXPECT_EQ(*x % 4096, 0u);
  EXPECT_EQ(a.used(), 16384u);
  std::memset(a.at(*x), 1, 8192);  // The memory is usable.
  a.Free(*y, 4096);
  a.Free(*x, 5000);
  // x and y coalesced into one 12 KiB hole at the front.
  const auto w = a.Allocate(12288);
  ASSERT_TRUE(w);
  EXPECT_EQ(*w, *x);
  EXPECT_FALSE(a.Allocate(a.capacity()));
}

TEST(ArenaTest, RandomAllocateFreeNeverOverlapsOrLeaks) {
  auto arena = Arena::Create(256 * 4096, 4096);
  ASSERT_TRUE(arena.ok());
  Arena& a = **arena;
  std::mt19937 rng(3);
  std::vector<std::pair<uint64_t, uint64_t>> live;
  for (int i = 0; i < 5000; ++i) {
    if (!live.empty() && (rng() % 2 == 0 || live.size() > 40)) {
      const size_t j = rng() % live.size();
      a.Free(live[j].first, live[j].second);
      live.erase(live.begin() + j);
    } else {
      const uint64_t bytes = 1 + rng() % (8 * 4096);
      if (auto off = a.Allocate(bytes)) {
        for (const auto& [o, b] : live) {
          ASSERT_TRUE(*off + a.Rounded(bytes) <= o || o + a.Rounded(b) <= *off);
        }
        live.emplace_back(*off, bytes);
      }
    }
  }
  for (const auto& [o, b] : live) a.Free(o, b);
  EXPECT_EQ(a.used(), 0u);
  EXPECT_EQ(a.largest_free(), a.capacity());
}

}  // namespace
}  // namespace strata::offload
