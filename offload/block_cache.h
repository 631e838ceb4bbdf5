// The RAM tier: a cache of model blocks under a hard byte budget, backed by
// the NVMe tier (the model file, read with the storage/ BlockReader).
//
// Blocks are registered once (Register) and then pinned while in use (Pin /
// PinMany return RAII handles). A pinned block is resident and cannot be
// evicted. Reads happen on the cache's own I/O threads, so computation and
// I/O overlap: Request() queues demand reads without waiting, Prefetch()
// queues speculative ones, and Pin waits only for the blocks it needs.
// Prefetches for work that has already run are dropped with
// CancelPrefetchesBefore(), and those that landed but were never used are
// evicted before anything the policy would choose (so a wrong guess costs one
// read, not a hot block). A block's memory is taken from the arena when its
// read is submitted, evicting unpinned blocks in the eviction policy's order;
// prefetched blocks enter the policy flagged as such. Ranges are rounded out to
// the reader's alignment (GGUF tensors are only 32-byte aligned; O_DIRECT
// needs 4096) and read straight into the arena. A failed read leaves its
// blocks non-resident with their memory free, and the Pin waiting for them
// returns the error. The arena is the budget: resident bytes never exceed it.
//
// I/O threads. With one reader, one thread serves both queues: demand reads
// first, then prefetches a few at a time, so a demand read that arrives while
// a prefetch batch is in flight waits for it. With a second (prefetch) reader,
// each queue has its own thread and reader: the demand thread reads only
// demanded blocks, the prefetch thread only blocks nobody has asked for yet,
// and the device sees both streams at once. Either way a block is read by one
// thread at most (queued -> loading -> resident, all under the mutex): a block
// demanded while the prefetch thread reads it is waited for, not read again,
// and if that read fails the Pin returns its error (a later Pin reads the
// block again). The one place demand still waits for a prefetch is memory: if
// the arena is full of blocks still being prefetched, a demand read waits for
// that batch to land (the prefetch thread starts no other meanwhile) and then
// evicts what it needs, rather than fail for lack of room.
//
// Thread-safe. One mutex guards the cache state; the I/O threads release it
// while reading. PinnedBlock handles may be released from any thread.
#ifndef STRATA_OFFLOAD_BLOCK_CACHE_H_
#define STRATA_OFFLOAD_BLOCK_CACHE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/tensor.h"
#include "offload/arena.h"
#include "offload/block.h"
#include "offload/eviction_policy.h"
#include "offload/io_observer.h"
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
  // equal (the expert cache uses this). With `prefetch_reader` (another reader
  // of the same file; InvalidArgument if its size differs) prefetches are read
  // on a thread of their own through it.
  static absl::StatusOr<std::unique_ptr<BlockCache>> Create(
      std::unique_ptr<BlockReader> reader, uint64_t capacity_bytes,
      std::unique_ptr<EvictionPolicy> policy, uint64_t slot_bytes = 0,
      std::unique_ptr<BlockReader> prefetch_reader = nullptr);
  ~BlockCache();

  // Registers a block (before any Pin); InvalidArgument if a range lies
  // outside the file.
  absl::StatusOr<BlockKey> Register(BlockDesc desc);
  const BlockDesc& desc(BlockKey key) const { return entries_[key].desc; }
  size_t block_count() const { return entries_.size(); }
  // Arena bytes the block occupies when resident (ranges rounded to the
  // reader's alignment).
  uint64_t ResidentBytes(BlockKey key) const { return entries_[key].arena_bytes; }
  uint64_t capacity() const { return arena_->capacity(); }

  // Pins `key`, waiting for its read if it is not resident.
  absl::StatusOr<PinnedBlock> Pin(BlockKey key);
  // Pins all `keys` (distinct); the missing ones are read in one batch.
  absl::StatusOr<std::vector<PinnedBlock>> PinMany(absl::Span<const BlockKey> keys);
  // Queues demand reads for those of `keys` that are not resident; returns
  // at once. A later Pin waits for them.
  void Request(absl::Span<const BlockKey> keys);
  // Queues speculative reads for those of `keys` that are not resident, to
  // be read on the prefetch thread (or, with one thread, when no demand read
  // is waiting), first queued first read. `tag` (e.g. the target step) lets
  // CancelPrefetchesBefore() drop them.
  void Prefetch(absl::Span<const BlockKey> keys, int64_t tag);
  // Drops queued, not yet submitted prefetches with tag < `tag`, and marks
  // resident, still unused ones with tag < `tag` as the next to evict.
  void CancelPrefetchesBefore(int64_t tag);
  bool IsResident(BlockKey key) const;
  // Optional; must outlive the cache (or be reset to nullptr first).
  void SetObserver(IoObserver* observer);

  // A copy; io_busy_seconds and io_idle_seconds include the interval in
  // progress.
  TierStats stats() const;
  absl::string_view reader_mode() const { return demand_lane_->reader->mode(); }

 private:
  friend class PinnedBlock;
  enum class State { kAbsent, kQueued, kLoading, kResident };
  struct Entry {
    BlockDesc desc;
    uint64_t arena_bytes = 0;
    // Per range: the aligned file offset its copy starts at, and where in the
    // block's arena allocation that copy begins.
    std::vector<uint64_t> aligned_start;
    std::vector<uint64_t> copy_offset;
    std::vector<uint64_t> copy_length;
    State state = State::kAbsent;
    bool demanded = false;         // Some computation waits (or will wait) for it.
    bool prefetch_unused = false;  // Brought in by a prefetch, not pinned since.
    int64_t prefetch_tag = 0;
    uint64_t arena_offset = 0;
    int pins = 0;
    absl::Status error;  // The last failed read, reported to the next Pin.
  };

  // One I/O thread, its reader and what it serves. Fields without a note are
  // set before the thread starts; the others are guarded by the cache's mutex_.
  struct IoLane {
    std::unique_ptr<BlockReader> reader;  // Used by this lane's thread only.
    bool serves_demand = false;
    size_t prefetch_batch = 0;        // Prefetched blocks per read; 0: none.
    std::condition_variable work_cv;  // The thread waits here for queued reads.
    bool reading = false;             // mutex_: a ReadAll is in flight.
    double attributed_seconds = 0;    // mutex_: its batch's share of busy time.
    std::thread thread;
  };

  BlockCache(std::unique_ptr<Arena> arena, std::unique_ptr<EvictionPolicy> policy,
             uint64_t slot_bytes, uint64_t read_alignment, uint64_t file_size);

  void Unpin(BlockKey key);
  void IoLoop(IoLane& lane);
  // The lane that reads prefetches (the demand lane when there is one lane).
  IoLane& prefetch_lane() { return prefetch_lane_ ? *prefetch_lane_ : *demand_lane_; }
  bool HasWork(const IoLane& lane) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Queues `key` (absent) as a demand or prefetch read.
  void Enqueue(BlockKey key, bool demand, int64_t tag) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Arena space for `key`, evicting unpinned resident blocks as needed.
  absl::StatusOr<uint64_t> Allocate(BlockKey key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Allocate(), but a demanded block that finds no room while the prefetch
  // lane is reading waits for that read to land and tries again.
  absl::StatusOr<uint64_t> AllocateForRead(BlockKey key, std::unique_lock<std::mutex>& lock)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Evict(BlockKey key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Takes the next batch of queued blocks `lane` reads (demand first) and
  // marks them loading, so no other lane takes them.
  std::vector<BlockKey> TakeBatch(const IoLane& lane) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Adds the time since the last call to io_busy_seconds (shared equally by
  // the lanes reading) or io_idle_seconds. Called when a lane starts or stops
  // reading.
  void AccountIoTime() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  std::unique_ptr<Arena> arena_;
  const uint64_t slot_bytes_;
  const uint64_t read_alignment_;  // What both readers can read (the larger alignment).
  const uint64_t file_size_;
  mutable std::mutex mutex_;
  std::condition_variable done_cv_;  // Pins (and a demand read short of memory) wait for reads.
  std::unique_ptr<EvictionPolicy> policy_ ABSL_GUARDED_BY(mutex_);
  // Registered before use and never removed: indexed by BlockKey.
  std::vector<Entry> entries_;
  // A kQueued block that is demanded is always in demand_queue_ (perhaps in
  // prefetch_queue_ too); either queue may hold keys taken or cancelled since.
  std::deque<BlockKey> demand_queue_ ABSL_GUARDED_BY(mutex_);
  std::deque<BlockKey> prefetch_queue_ ABSL_GUARDED_BY(mutex_);
  // Prefetched blocks that landed, oldest first (some used or gone since),
  // and those whose step passed unused: evicted first.
  std::deque<BlockKey> landed_prefetches_ ABSL_GUARDED_BY(mutex_);
  std::deque<BlockKey> expired_prefetches_ ABSL_GUARDED_BY(mutex_);
  TierStats stats_ ABSL_GUARDED_BY(mutex_);
  std::chrono::steady_clock::time_point io_clock_ ABSL_GUARDED_BY(mutex_);  // AccountIoTime's.
  IoObserver* observer_ ABSL_GUARDED_BY(mutex_) = nullptr;
  // The demand lane waits for the prefetch lane's batch to free memory: the
  // prefetch lane starts no new batch until then.
  bool demand_waits_for_memory_ ABSL_GUARDED_BY(mutex_) = false;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  // Their threads start once everything else exists. prefetch_lane_ is null
  // with one reader.
  std::unique_ptr<IoLane> demand_lane_;
  std::unique_ptr<IoLane> prefetch_lane_;
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_BLOCK_CACHE_H_
