// The KV tier: empty blocks cost no reads, dirty victims are stored before
// their slot is reused and read back intact, pinned blocks are never evicted,
// and a full disk or a failing read leaves every block as it was.
#include "offload/kv_block_pool.h"

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace strata::offload {
namespace {

constexpr uint64_t kBlockBytes = 1000;  // Not a multiple of 4096: slots round up.

// An in-memory backing store that can be told to fail.
class MemoryBacking : public KvBlockBacking {
 public:
  struct Shared {
    std::map<BlockKey, std::string> blocks;
    int stores = 0;
    int loads = 0;
    int discards = 0;
    bool fail_stores = false;
    bool fail_loads = false;
  };
  explicit MemoryBacking(Shared* shared) : s_(*shared) {}

  absl::StatusOr<uint64_t> Store(BlockKey key, const uint8_t* data, uint64_t bytes) override {
    if (s_.fail_stores) return absl::ResourceExhaustedError("disk full");
    s_.blocks[key] = std::string(reinterpret_cast<const char*>(data), bytes);
    ++s_.stores;
    return bytes;
  }
  absl::StatusOr<uint64_t> Load(BlockKey key, uint8_t* data, uint64_t bytes) override {
    if (s_.fail_loads) return absl::DataLossError("EIO");
    auto it = s_.blocks.find(key);
    if (it == s_.blocks.end()) return absl::InternalError("never stored");
    std::memcpy(data, it->second.data(), bytes);
    ++s_.loads;
    return bytes;
  }
  void Discard(BlockKey key) override {
    s_.blocks.erase(key);
    ++s_.discards;
  }
  std::string Describe() const override { return "memory"; }

 private:
  Shared& s_;
};

std::unique_ptr<KvBlockPool> MakePool(uint64_t capacity, MemoryBacking::Shared* shared) {
  std::unique_ptr<KvBlockBacking> backing;
  if (shared != nullptr) backing = std::make_unique<MemoryBacking>(shared);
  auto pool = KvBlockPool::Create(kBlockBytes, capacity, std::move(backing));
  EXPECT_TRUE(pool.ok()) << pool.status();
  return *std::move(pool);
}

// Pins `key` for writing and fills it with `value`.
void WriteBlock(KvBlockPool& pool, BlockKey key, uint8_t value) {
  auto pinned = pool.Pin({{key, /*write=*/true}});
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  std::memset((*pinned)[0].data(), value, kBlockBytes);
}

// Pins `key` and checks every byte is `value`.
void ExpectBlock(KvBlockPool& pool, BlockKey key, uint8_t value) {
  auto pinned = pool.Pin({{key, false}});
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  const uint8_t* d = (*pinned)[0].data();
  for (uint64_t i = 0; i < kBlockBytes; ++i) ASSERT_EQ(d[i], value) << "byte " << i;
}

TEST(KvBlockPoolTest, EmptyBlocksAreZeroAndReadNothing) {
  MemoryBacking::Shared shared;
  auto pool = MakePool(4, &shared);
  EXPECT_EQ(pool->slot_bytes(), 4096u);
  ExpectBlock(*pool, 7, 0);
  const KvPoolStats s = pool->stats();
  EXPECT_EQ(s.new_blocks, 1u);
  EXPECT_EQ(s.counters.misses, 0u);
  EXPECT_EQ(s.resident_blocks, 1u);
  EXPECT_EQ(shared.loads, 0);
}

TEST(KvBlockPoolTest, SpillsDirtyVictimsAndReadsThemBackIntact) {
  MemoryBacking::Shared shared;
  auto pool = MakePool(2, &shared);
  WriteBlock(*pool, 1, 0x11);
  WriteBlock(*pool, 2, 0x22);
  WriteBlock(*pool, 3, 0x33);  // Evicts 2 (most recently used).
  KvPoolStats s = pool->stats();
  EXPECT_EQ(s.resident_blocks, 2u);
  EXPECT_EQ(s.spilled_blocks, 1u);
  EXPECT_EQ(s.writes, 1u);
  EXPECT_EQ(s.counters.evictions, 1u);
  ExpectBlock(*pool, 2, 0x22);  // A miss: read back.
  ExpectBlock(*pool, 1, 0x11);
  ExpectBlock(*pool, 3, 0x33);
  s = pool->stats();
  EXPECT_GE(s.counters.misses, 1u);
  EXPECT_GE(s.counters.bytes_read, kBlockBytes);
  // A clean block that was stored is evicted without writing again.
  const int stores = shared.stores;
  ExpectBlock(*pool, 2, 0x22);
  ExpectBlock(*pool, 1, 0x11);
  ExpectBlock(*pool, 3, 0x33);
  ExpectBlock(*pool, 2, 0x22);
  EXPECT_LE(shared.stores - stores, 2);  // Only 1 and 3, once each, were dirty.
}

TEST(KvBlockPoolTest, PinnedBlocksAreNeverEvicted) {
  MemoryBacking::Shared shared;
  auto pool = MakePool(2, &shared);
  auto a = pool->Pin({{1, true}, {2, true}});
  ASSERT_TRUE(a.ok());
  auto b = pool->Pin({{3, true}});
  EXPECT_TRUE(absl::IsResourceExhausted(b.status())) << b.status();
  a->clear();  // Unpin.
  EXPECT_TRUE(pool->Pin({{3, true}}).ok());
}

TEST(KvBlockPoolTest, WithoutBackingAFullPoolIsResourceExhausted) {
  auto pool = MakePool(2, nullptr);
  EXPECT_FALSE(pool->can_spill());
  WriteBlock(*pool, 1, 1);
  WriteBlock(*pool, 2, 2);
  auto pinned = pool->Pin({{3, true}});
  EXPECT_TRUE(absl::IsResourceExhausted(pinned.status()));
  EXPECT_TRUE(absl::StrContains(pinned.status().message(), "no spill file")) << pinned.status();
  // The request alone is larger than the pool.
  auto big = pool->Pin({{4, false}, {5, false}, {6, false}});
  EXPECT_TRUE(absl::StrContains(big.status().message(), "needs 3 at once")) << big.status();
  ExpectBlock(*pool, 1, 1);
  ExpectBlock(*pool, 2, 2);
}

TEST(KvBlockPoolTest, DiskFullLeavesTheVictimResidentAndTheCacheIntact) {
  MemoryBacking::Shared shared;
  auto pool = MakePool(2, &shared);
  WriteBlock(*pool, 1, 0x11);
  WriteBlock(*pool, 2, 0x22);
  shared.fail_stores = true;
  auto pinned = pool->Pin({{3, true}});
  EXPECT_TRUE(absl::IsResourceExhausted(pinned.status()));
  KvPoolStats s = pool->stats();
  EXPECT_EQ(s.resident_blocks, 2u);
  EXPECT_EQ(s.spilled_blocks, 0u);
  ExpectBlock(*pool, 1, 0x11);
  ExpectBlock(*pool, 2, 0x22);
  shared.fail_stores = false;
  WriteBlock(*pool, 3, 0x33);
  ExpectBlock(*pool, 1, 0x11);
  ExpectBlock(*pool, 2, 0x22);
  ExpectBlock(*pool, 3, 0x33);
}

TEST(KvBlockPoolTest, FailedReadBackKeepsTheBlockSpilled) {
  MemoryBacking::Shared shared;
  auto pool = MakePool(1, &shared);
  WriteBlock(*pool, 1, 0x11);
  WriteBlock(*pool, 2, 0x22);  // 1 spilled.
  shared.fail_loads = true;
  auto pinned = pool->Pin({{1, false}});
  EXPECT_TRUE(absl::IsDataLoss(pinned.status()));
  // Block 2 made room (a consistent spill) before the read failed; 1 is
  // still spilled.
  EXPECT_EQ(pool->stats().spilled_blocks, 2u);
  EXPECT_EQ(pool->stats().resident_blocks, 0u);
  shared.fail_loads = false;
  ExpectBlock(*pool, 1, 0x11);
  ExpectBlock(*pool, 2, 0x22);
}

TEST(KvBlockPoolTest, DropFreesTheSlotAndTheStoredCopy) {
  MemoryBacking::Shared shared;
  auto pool = MakePool(1, &shared);
  WriteBlock(*pool, 1, 0x11);
  WriteBlock(*pool, 2, 0x22);  // 1 spilled.
  pool->Drop(1);
  pool->Drop(2);
  EXPECT_EQ(shared.discards, 1);
  EXPECT_TRUE(shared.blocks.empty());
  const KvPoolStats s = pool->stats();
  EXPECT_EQ(s.resident_blocks, 0u);
  EXPECT_EQ(s.spilled_blocks, 0u);
  ExpectBlock(*pool, 1, 0);  // Empty again.
}

}  // namespace
}  // namespace strata::offload
