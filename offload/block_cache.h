// The RAM tier: a cache of model blocks under a hard byte budget, backed by
// the NVMe tier (the model file, read with the storage/ BlockReader).
//
// Blocks are registered once (Register) and then pinned while in use (Pin /
// PinMany return RAII handles). A pinned block is resident and cannot be
// evicted; a miss evicts unpinned blocks in the eviction policy's order until
// the block fits in the arena, then reads its ranges — each rounded out to the
// reader's alignment, since GGUF tensors are only 32-byte aligned and O_DIRECT
// needs 4096 — straight into the arena. A failed read leaves the block
// non-resident and its memory free. The arena is the budget: resident bytes
// can never exceed it.
//
// Thread-safe: one mutex guards the cache; reads happen while holding it
// (prefetch moves them to an I/O thread). PinnedBlock handles may be released
// from any thread.
#ifndef STRATA_OFFLOAD_BLOCK_CACHE_H_
#define STRATA_OFFLOAD_BLOCK_CACHE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/tensor.h"
#include "offload/arena.h"
#include "offload/block.h"
#include "offload/eviction_policy.h"
#include "offload/tier_stats.h"
#include "storage/block_reader.h"

namespace strata::offload {

class BlockCache;

// A pinned, resident block; unpins on destruction. Movable.
class PinnedBlock {
 public:
  PinnedBlock() = default;
  PinnedBlock(PinnedBlock&& other) noexcept { *this = std::move(other); }
  PinnedBlock& operator=(PinnedBlock&& other) noexcept;
  ~PinnedBlock() { Release(); }

  // The memory of the file byte at `file_offset` (inside one of the block's
  // ranges).
  const uint8_t* Locate(uint64_t file_offset) const;
  // `unresolved` with `data` pointing at its bytes in this block.
  TensorView Resolve(const TensorView& unresolved) const;
  bool valid() const { return cache_ != nullptr; }
  void Release();

 private:
  friend class BlockCache;
  PinnedBlock(BlockCache* cache, BlockKey key) : cache_(cache), key_(key) {}
  BlockCache* cache_ = nullptr;
  BlockKey key_ = 0;
};

class BlockCache {
 public:
  // A cache of `capacity_bytes` of blocks read through `reader`. With
  // `slot_bytes` > 0 every block occupies exactly one slot of that size (it
  // must fit): the arena then never fragments, since all allocations are
  // equal (the expert cache uses this).
  static absl::StatusOr<std::unique_ptr<BlockCache>> Create(std::unique_ptr<BlockReader> reader,
                                                            uint64_t capacity_bytes,
                                                            std::unique_ptr<EvictionPolicy> policy,
                                                            uint64_t slot_bytes = 0);

  // Registers a block (before any Pin); InvalidArgument if a range lies
  // outside the file.
  absl::StatusOr<BlockKey> Register(BlockDesc desc);
  const BlockDesc& desc(BlockKey key) const { return entries_[key].desc; }
  size_t block_count() const { return entries_.size(); }
  // Arena bytes the block occupies when resident (ranges rounded to the
  // reader's alignment).
  uint64_t ResidentBytes(BlockKey key) const { return entries_[key].arena_bytes; }
  uint64_t capacity() const { return arena_->capacity(); }

  absl::StatusOr<PinnedBlock> Pin(BlockKey key);
  // Pins all `keys` (distinct), reading the missing ones in one batch.
  absl::StatusOr<std::vector<PinnedBlock>> PinMany(absl::Span<const BlockKey> keys);

  TierStats stats() const;
  absl::string_view reader_mode() const { return reader_->mode(); }

 private:
  friend class PinnedBlock;
  struct Entry {
    BlockDesc desc;
    uint64_t arena_bytes = 0;
    // Per range: the aligned file offset its copy starts at, and where in the
    // block's arena allocation that copy begins.
    std::vector<uint64_t> aligned_start;
    std::vector<uint64_t> copy_offset;
    std::vector<uint64_t> copy_length;
    bool resident = false;
    uint64_t arena_offset = 0;
    int pins = 0;
  };

  BlockCache(std::unique_ptr<BlockReader> reader, std::unique_ptr<Arena> arena,
             std::unique_ptr<EvictionPolicy> policy, uint64_t slot_bytes)
      : reader_(std::move(reader)),
        arena_(std::move(arena)),
        slot_bytes_(slot_bytes),
        policy_(std::move(policy)) {}

  void Unpin(BlockKey key);
  // Arena space for `key`, evicting unpinned blocks not in `keep` as needed.
  absl::StatusOr<uint64_t> Allocate(BlockKey key, absl::Span<const BlockKey> keep)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Evict(BlockKey key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  std::unique_ptr<BlockReader> reader_;
  std::unique_ptr<Arena> arena_;
  const uint64_t slot_bytes_;
  mutable std::mutex mutex_;
  std::unique_ptr<EvictionPolicy> policy_ ABSL_GUARDED_BY(mutex_);
  // Registered before use and never removed: indexed by BlockKey.
  std::vector<Entry> entries_;
  TierStats stats_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_BLOCK_CACHE_H_
