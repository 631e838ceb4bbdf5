// The RAM tier of the paged KV cache: equal-size, writable blocks under a
// hard block budget, pinned while attention reads or writes them, spilled to
// a backing store (the NVMe tier) when the budget is full.
//
// BlockCache (offload/block_cache.h) serves read-only ranges of the model
// file; KV blocks differ in every way that matters for residency: they are
// written by the forward pass, so an evicted block must be stored before its
// slot is reused (it has no copy on disk until then), they start empty, and
// they are dropped when a conversation is truncated. Blocks are identified by
// an opaque BlockKey (runtime/kv_cache.h packs (page, layer) into it).
//
// A block is in one of three states: empty (never written: pinning it gives a
// zero-filled slot and reads nothing), resident (in a RAM slot, possibly dirty:
// written since it was last stored), or spilled (only in the backing store;
// pinning it reads it back — a miss). Eviction chooses victims with an
// EvictionPolicy among unpinned resident blocks (KvMruPolicy by default, see
// why there); a dirty victim is stored first, and if that fails the victim
// stays resident and the Pin fails: nothing is ever lost, and the cache is
// exactly as before the failed call except for blocks that were evicted
// successfully (which are consistent spilled blocks).
//
// Slots are allocated on first use (so an unused budget costs no memory), at
// a size rounded up to 4096 and 4096-aligned, so that a backing store with
// O_DIRECT can write an F32 block straight from its slot.
//
// Counters: the KV class's ClassCounters (hits = pins of resident blocks,
// misses = blocks read back, bytes/time read, evictions) plus writes to the
// backing store and the number of blocks per tier.
//
// Thread-safe: one mutex guards the pool, held during backing I/O (the
// forward pass pins from one thread at a time). PinnedKvBlock handles may be
// released from any thread.
#ifndef STRATA_OFFLOAD_KV_BLOCK_POOL_H_
#define STRATA_OFFLOAD_KV_BLOCK_POOL_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "offload/eviction_policy.h"
#include "offload/tier_stats.h"
#include "storage/aligned_buffer.h"

namespace strata::offload {

// Where evicted blocks go; runtime/ implements it over a SpillFile, encoding
// as it writes. Called with the pool's lock held, one call at a time.
class KvBlockBacking {
 public:
  virtual ~KvBlockBacking() = default;
  // Stores the block's `bytes` bytes at `data`; returns the bytes that
  // reached the device.
  virtual absl::StatusOr<uint64_t> Store(BlockKey key, const uint8_t* data, uint64_t bytes) = 0;
  // Restores what Store wrote for `key` into `data` (`bytes` bytes); returns
  // the bytes read from the device.
  virtual absl::StatusOr<uint64_t> Load(BlockKey key, uint8_t* data, uint64_t bytes) = 0;
  // Several Loads at once (a layer's spilled blocks), so that their reads
  // can overlap; the default loads one after the other.
  virtual absl::StatusOr<uint64_t> LoadMany(absl::Span<const BlockKey> keys,
                                            absl::Span<uint8_t* const> data, uint64_t bytes);
  // The stored copy of `key` is no longer needed.
  virtual void Discard(BlockKey key) = 0;
  // For messages and /stats, e.g. "f16 in /var/tmp (O_DIRECT)".
  virtual std::string Describe() const = 0;
};

struct KvPoolStats {
  ClassCounters counters;  // The KV class: hits, misses (read back), bytes read, evictions.
  uint64_t block_bytes = 0;
  uint64_t capacity_blocks = 0;
  uint64_t resident_blocks = 0;  // In RAM.
  uint64_t spilled_blocks = 0;   // Only in the backing store.
  uint64_t peak_resident_blocks = 0;
  uint64_t new_blocks = 0;  // First pins of empty blocks (zero-filled, nothing read).
  uint64_t writes = 0;      // Blocks stored (spilled) to the backing store.
  uint64_t bytes_written = 0;
  double write_seconds = 0;
};

class KvBlockPool;

// A pinned, resident block; unpins on destruction. Movable.
class PinnedKvBlock {
 public:
  PinnedKvBlock() = default;
  PinnedKvBlock(PinnedKvBlock&& other) noexcept { *this = std::move(other); }
  PinnedKvBlock& operator=(PinnedKvBlock&& other) noexcept;
  ~PinnedKvBlock() { Release(); }

  uint8_t* data() const { return data_; }
  bool valid() const { return pool_ != nullptr; }
  void Release();

 private:
  friend class KvBlockPool;
  PinnedKvBlock(KvBlockPool* pool, BlockKey key, uint8_t* data)
      : pool_(pool), key_(key), data_(data) {}
  KvBlockPool* pool_ = nullptr;
  BlockKey key_ = 0;
  uint8_t* data_ = nullptr;
};

struct KvPinRequest {
  BlockKey key = 0;
  bool write = false;  // The caller will write it: it becomes dirty.
};

class KvBlockPool {
 public:
  // A pool of at most `capacity_blocks` blocks of `block_bytes` in RAM.
  // `backing` may be null: the pool then cannot evict, and a Pin that needs
  // more than the capacity fails with ResourceExhausted. `policy` null means
  // KvMruPolicy.
  static absl::StatusOr<std::unique_ptr<KvBlockPool>> Create(
      uint64_t block_bytes, uint64_t capacity_blocks, std::unique_ptr<KvBlockBacking> backing,
      std::unique_ptr<EvictionPolicy> policy = nullptr);
  ~KvBlockPool();

  // Pins every requested block (keys distinct), making it resident: empty
  // blocks get a zero-filled slot, spilled ones are read back. All or
  // nothing: on error nothing stays pinned and no requested block changed
  // state. ResourceExhausted when the request alone exceeds the capacity, or
  // when a block cannot be evicted (no backing store, or disk full); DataLoss
  // / Unavailable for backing I/O errors.
  absl::StatusOr<std::vector<PinnedKvBlock>> Pin(absl::Span<const KvPinRequest> requests);

  // Forgets `key` (must be unpinned): frees its slot and its stored copy.
  void Drop(BlockKey key);

  KvPoolStats stats() const;
  uint64_t block_bytes() const { return block_bytes_; }
  uint64_t slot_bytes() const { return slot_bytes_; }
  uint64_t capacity_blocks() const { return capacity_blocks_; }
  bool can_spill() const { return backing_ != nullptr; }
  // The backing store's description, or "" without one.
  std::string backing_description() const;

 private:
  friend class PinnedKvBlock;
  enum class State : uint8_t { kEmpty, kResident, kSpilled };
  struct Entry {
    State state = State::kEmpty;
    bool dirty = false;   // Written since last stored.
    bool stored = false;  // The backing store holds a copy (current unless dirty).
    int pins = 0;
    uint32_t slot = 0;
  };

  KvBlockPool(uint64_t block_bytes, uint64_t slot_bytes, uint64_t capacity_blocks,
              std::unique_ptr<KvBlockBacking> backing, std::unique_ptr<EvictionPolicy> policy)
      : block_bytes_(block_bytes),
        slot_bytes_(slot_bytes),
        capacity_blocks_(capacity_blocks),
        backing_(std::move(backing)),
        policy_(std::move(policy)) {}

  void Unpin(BlockKey key);
  // A free slot, allocating one below the capacity or evicting a victim.
  absl::StatusOr<uint32_t> TakeSlot() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves `key` out of RAM, storing it first if dirty.
  absl::Status Evict(BlockKey key, Entry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const uint64_t block_bytes_;
  const uint64_t slot_bytes_;
  const uint64_t capacity_blocks_;
  mutable std::mutex mu_;
  std::unique_ptr<KvBlockBacking> backing_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<EvictionPolicy> policy_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<BlockKey, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::vector<AlignedBuffer> slots_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> free_slots_ ABSL_GUARDED_BY(mu_);
  KvPoolStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_KV_BLOCK_POOL_H_
