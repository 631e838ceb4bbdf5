#include "offload/block_cache.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace strata::offload {
namespace {

using Clock = std::chrono::steady_clock;

// Blocks per batch of prefetch reads with one I/O thread: enough to keep the
// device's queue busy, few enough that a demand read arriving meanwhile waits
// little.
constexpr size_t kPrefetchBatch = 2;
// Blocks per batch on a prefetch thread of its own: one. A batch's blocks
// become resident only when all of it has landed, and the predictor's first
// choice is usually the one needed next: on the 17 GB model at 6 GiB, one
// block per batch cut decode's I/O stall from ~40% to 29% where four blocks
// per batch made the first choice wait for the fourth (BENCHMARKS.md).
constexpr size_t kPrefetchLaneBatch = 1;
// Demand reads submitted together at most.
constexpr size_t kDemandBatch = 64;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// The per-layer counters of an expert block (nullptr for other classes).
ClassCounters* LayerCounters(TierStats& stats, const BlockDesc& desc) {
  if (desc.block_class != BlockClass::kExpert || desc.layer < 0) return nullptr;
  if (stats.expert_by_layer.size() <= static_cast<size_t>(desc.layer)) {
    stats.expert_by_layer.resize(desc.layer + 1);
  }
  return &stats.expert_by_layer[desc.layer];
}

}  // namespace

PinnedBlock& PinnedBlock::operator=(PinnedBlock&& other) noexcept {
  if (this != &other) {
    Release();
    cache_ = other.cache_;
    key_ = other.key_;
    other.cache_ = nullptr;
  }
  return *this;
}

void PinnedBlock::Release() {
  if (cache_ != nullptr) cache_->Unpin(key_);
  cache_ = nullptr;
}

const uint8_t* PinnedBlock::Locate(uint64_t file_offset) const {
  const BlockCache::Entry& e = cache_->entries_[key_];
  for (size_t i = 0; i < e.desc.ranges.size(); ++i) {
    const FileRange& r = e.desc.ranges[i];
    if (file_offset >= r.offset && file_offset < r.offset + r.length) {
      return cache_->arena_->at(e.arena_offset + e.copy_offset[i] +
                                (file_offset - e.aligned_start[i]));
    }
  }
  return nullptr;  // Not in this block: a binding bug, caught by the callers' checks.
}

TensorView PinnedBlock::Resolve(const TensorView& unresolved) const {
  TensorView v = unresolved;
  v.data = Locate(unresolved.file_offset);
  return v;
}

BlockCache::BlockCache(std::unique_ptr<Arena> arena, std::unique_ptr<EvictionPolicy> policy,
                       uint64_t slot_bytes, uint64_t read_alignment, uint64_t file_size)
    : arena_(std::move(arena)),
      slot_bytes_(slot_bytes),
      read_alignment_(read_alignment),
      file_size_(file_size),
      policy_(std::move(policy)),
      io_clock_(Clock::now()) {}

absl::StatusOr<std::unique_ptr<BlockCache>> BlockCache::Create(
    std::unique_ptr<BlockReader> reader, uint64_t capacity_bytes,
    std::unique_ptr<EvictionPolicy> policy, uint64_t slot_bytes,
    std::unique_ptr<BlockReader> prefetch_reader) {
  // Blocks are laid out for the stricter reader (alignments are powers of two).
  uint64_t read_alignment = reader->alignment();
  if (prefetch_reader != nullptr) {
    if (prefetch_reader->file_size() != reader->file_size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the prefetch reader of ", prefetch_reader->path(), " sees ",
                       prefetch_reader->file_size(), " bytes, the demand reader of ",
                       reader->path(), " ", reader->file_size(), ": they must read the same file"));
    }
    read_alignment = std::max(read_alignment, prefetch_reader->alignment());
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Arena> arena,
                          Arena::Create(capacity_bytes, std::max<uint64_t>(read_alignment, 64)));
  auto cache = std::unique_ptr<BlockCache>(new BlockCache(
      std::move(arena), std::move(policy), slot_bytes, read_alignment, reader->file_size()));
  {
    std::lock_guard<std::mutex> lock(cache->mutex_);
    cache->stats_.cache_capacity_bytes = cache->arena_->capacity();
    cache->policy_->SetCapacity(static_cast<int64_t>(cache->arena_->capacity()));
  }
  cache->demand_lane_ = std::make_unique<IoLane>();
  cache->demand_lane_->reader = std::move(reader);
  cache->demand_lane_->serves_demand = true;
  if (prefetch_reader != nullptr) {
    cache->prefetch_lane_ = std::make_unique<IoLane>();
    cache->prefetch_lane_->reader = std::move(prefetch_reader);
    cache->prefetch_lane_->prefetch_batch = kPrefetchLaneBatch;
  } else {
    cache->demand_lane_->prefetch_batch = kPrefetchBatch;
  }
  BlockCache* self = cache.get();
  for (IoLane* lane : {cache->demand_lane_.get(), cache->prefetch_lane_.get()}) {
    if (lane != nullptr) lane->thread = std::thread([self, lane] { self->IoLoop(*lane); });
  }
  return cache;
}

BlockCache::~BlockCache() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  // A lane in ReadAll finishes its batch first: nothing is left in flight.
  for (IoLane* lane : {demand_lane_.get(), prefetch_lane_.get()}) {
    if (lane == nullptr) continue;
    lane->work_cv.notify_all();
    if (lane->thread.joinable()) lane->thread.join();
  }
}

absl::StatusOr<BlockKey> BlockCache::Register(BlockDesc desc) {
  Entry e;
  uint64_t cursor = 0;
  for (const FileRange& r : desc.ranges) {
    STRATA_ASSIGN_OR_RETURN(AlignedRange aligned,
                            EnclosingAlignedRange(r.offset, r.length, read_alignment_, file_size_));
    e.aligned_start.push_back(aligned.offset);
    e.copy_offset.push_back(cursor);
    e.copy_length.push_back(aligned.length);
    cursor += aligned.length;
  }
  e.arena_bytes = arena_->Rounded(cursor);
  if (slot_bytes_ > 0) {
    if (e.arena_bytes > slot_bytes_) {
      return absl::InvalidArgumentError(absl::StrCat(desc.DebugName(), " needs ", e.arena_bytes,
                                                     " bytes, more than the ", slot_bytes_,
                                                     "-byte slot"));
    }
    e.arena_bytes = slot_bytes_;
  }
  e.desc = std::move(desc);
  entries_.push_back(std::move(e));
  return entries_.size() - 1;
}

void BlockCache::SetObserver(IoObserver* observer) {
  std::lock_guard<std::mutex> lock(mutex_);
  observer_ = observer;
}

bool BlockCache::IsResident(BlockKey key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_[key].state == State::kResident;
}

void BlockCache::Unpin(BlockKey key) {
  std::lock_guard<std::mutex> lock(mutex_);
  --entries_[key].pins;
}

void BlockCache::Enqueue(BlockKey key, bool demand, int64_t tag) {
  Entry& e = entries_[key];
  e.state = State::kQueued;
  e.demanded = demand;
  e.prefetch_tag = tag;
  e.error = absl::OkStatus();
  (demand ? demand_queue_ : prefetch_queue_).push_back(key);
}

void BlockCache::Request(absl::Span<const BlockKey> keys) {
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (BlockKey key : keys) {
      Entry& e = entries_[key];
      if (e.state == State::kAbsent) {
        Enqueue(key, /*demand=*/true, 0);
        queued = true;
      } else if (e.state != State::kResident && !e.demanded) {
        // A prefetch turned out right but has not landed: it becomes urgent.
        e.demanded = true;
        ++stats_.prefetch.late;
        if (e.state == State::kQueued) demand_queue_.push_back(key);
        queued = true;
      }
    }
  }
  if (queued) demand_lane_->work_cv.notify_one();
}

void BlockCache::Prefetch(absl::Span<const BlockKey> keys, int64_t tag) {
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (BlockKey key : keys) {
      if (entries_[key].state != State::kAbsent) continue;
      Enqueue(key, /*demand=*/false, tag);
      ++stats_.prefetch.requested;
      queued = true;
    }
  }
  if (queued) prefetch_lane().work_cv.notify_one();
}

void BlockCache::CancelPrefetchesBefore(int64_t tag) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::deque<BlockKey> kept;
  for (BlockKey key : prefetch_queue_) {
    Entry& e = entries_[key];
    if (e.state == State::kQueued && !e.demanded && e.prefetch_tag < tag) {
      e.state = State::kAbsent;
      ++stats_.prefetch.cancelled;
    } else {
      kept.push_back(key);
    }
  }
  prefetch_queue_.swap(kept);
  // Landed in time but not used by the step they were for: the guess was
  // wrong, so these go before any block the policy ranks.
  kept.clear();
  for (BlockKey key : landed_prefetches_) {
    const Entry& e = entries_[key];
    if (e.state != State::kResident || !e.prefetch_unused) continue;  // Used or gone.
    (e.prefetch_tag < tag ? expired_prefetches_ : kept).push_back(key);
  }
  landed_prefetches_.swap(kept);
}

void BlockCache::Evict(BlockKey key) {
  Entry& e = entries_[key];
  arena_->Free(e.arena_offset, e.arena_bytes);
  e.state = State::kAbsent;
  policy_->OnRemove(key);
  ClassCounters& c = stats_.of(e.desc.block_class);
  ++c.evictions;
  c.evicted_bytes += e.arena_bytes;
  stats_.resident_bytes -= e.arena_bytes;
  if (e.prefetch_unused) {
    ++stats_.prefetch.wasted;
    stats_.prefetch.wasted_bytes += e.arena_bytes;
    e.prefetch_unused = false;
  }
}

absl::StatusOr<uint64_t> BlockCache::Allocate(BlockKey key) {
  const Entry& e = entries_[key];
  for (;;) {
    if (std::optional<uint64_t> offset = arena_->Allocate(e.arena_bytes)) return *offset;
    if (!expired_prefetches_.empty()) {
      const BlockKey expired = expired_prefetches_.front();
      expired_prefetches_.pop_front();
      const Entry& x = entries_[expired];
      if (x.state == State::kResident && x.prefetch_unused && x.pins == 0) Evict(expired);
      continue;
    }
    const std::optional<BlockKey> victim = policy_->PickVictim([&](BlockKey candidate) {
      const Entry& c = entries_[candidate];
      return c.state == State::kResident && c.pins == 0;
    });
    if (!victim.has_value()) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the RAM budget is too small: ", e.desc.DebugName(), " needs ", e.arena_bytes,
          " bytes but only ", arena_->largest_free(), " of the ", arena_->capacity(),
          "-byte weight cache are free and every other resident block is in use"));
    }
    Evict(*victim);
  }
}

absl::StatusOr<uint64_t> BlockCache::AllocateForRead(BlockKey key,
                                                     std::unique_lock<std::mutex>& lock) {
  absl::StatusOr<uint64_t> offset = Allocate(key);
  // Blocks being prefetched hold memory that no eviction can free until they
  // land; a demand read must not fail for that.
  if (offset.ok() || !entries_[key].demanded || prefetch_lane_ == nullptr ||
      !prefetch_lane_->reading) {
    return offset;
  }
  demand_waits_for_memory_ = true;
  done_cv_.wait(lock, [&] { return !prefetch_lane_->reading; });
  demand_waits_for_memory_ = false;
  prefetch_lane_->work_cv.notify_one();
  return Allocate(key);
}

bool BlockCache::HasWork(const IoLane& lane) const {
  if (lane.serves_demand && !demand_queue_.empty()) return true;
  return lane.prefetch_batch > 0 && !prefetch_queue_.empty() && !demand_waits_for_memory_;
}

std::vector<BlockKey> BlockCache::TakeBatch(const IoLane& lane) {
  std::vector<BlockKey> batch;
  auto take = [&](std::deque<BlockKey>& queue, size_t limit, bool prefetch) {
    while (!queue.empty() && batch.size() < limit) {
      const BlockKey key = queue.front();
      queue.pop_front();
      Entry& e = entries_[key];
      // Skip keys already taken (through the other queue) or cancelled. A
      // demanded one is read from the demand queue, by the demand lane.
      if (e.state != State::kQueued || (prefetch && e.demanded)) continue;
      e.state = State::kLoading;
      batch.push_back(key);
    }
  };
  if (lane.serves_demand) take(demand_queue_, kDemandBatch, /*prefetch=*/false);
  if (batch.empty() && lane.prefetch_batch > 0) {
    take(prefetch_queue_, lane.prefetch_batch, /*prefetch=*/true);
  }
  return batch;
}

void BlockCache::AccountIoTime() {
  const Clock::time_point now = Clock::now();
  const double seconds = Seconds(io_clock_, now);
  io_clock_ = now;
  int reading = 0;
  for (IoLane* lane : {demand_lane_.get(), prefetch_lane_.get()}) {
    reading += lane != nullptr && lane->reading;
  }
  if (reading == 0) {
    stats_.io_idle_seconds += seconds;
    return;
  }
  stats_.io_busy_seconds += seconds;
  for (IoLane* lane : {demand_lane_.get(), prefetch_lane_.get()}) {
    if (lane != nullptr && lane->reading) lane->attributed_seconds += seconds / reading;
  }
}

void BlockCache::IoLoop(IoLane& lane) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    lane.work_cv.wait(lock, [&] { return stop_ || HasWork(lane); });
    if (stop_) return;
    std::vector<BlockKey> batch = TakeBatch(lane);
    if (batch.empty()) continue;

    std::vector<BlockKey> loading;
    std::vector<ReadRequest> requests;
    bool any_prefetch = false;
    for (BlockKey key : batch) {
      Entry& e = entries_[key];
      absl::StatusOr<uint64_t> offset = AllocateForRead(key, lock);
      if (!offset.ok()) {
        e.state = State::kAbsent;
        if (e.demanded) {
          e.error = offset.status();
        } else {
          ++stats_.prefetch.cancelled;  // No room without evicting pinned blocks.
        }
        continue;
      }
      e.arena_offset = *offset;
      any_prefetch |= !e.demanded;
      loading.push_back(key);
      for (size_t i = 0; i < e.desc.ranges.size(); ++i) {
        requests.push_back(
            {e.aligned_start[i], e.copy_length[i], arena_->at(e.arena_offset + e.copy_offset[i])});
      }
    }
    if (loading.empty()) {
      done_cv_.notify_all();
      continue;
    }
    IoObserver* observer = observer_;
    AccountIoTime();
    lane.reading = true;
    lane.attributed_seconds = 0;
    lock.unlock();
    const Clock::time_point start = Clock::now();
    const absl::Status read = lane.reader->ReadAll(requests);
    const Clock::time_point end = Clock::now();
    lock.lock();
    AccountIoTime();
    lane.reading = false;

    uint64_t total = 0;
    for (BlockKey key : loading) total += entries_[key].arena_bytes;
    // The batch's share of the busy time (all of it while it read alone), so
    // that overlapping batches do not count the same seconds twice.
    const double seconds = lane.attributed_seconds;
    for (BlockKey key : loading) {
      Entry& e = entries_[key];
      if (!read.ok()) {
        // Nothing half-read is ever marked resident.
        arena_->Free(e.arena_offset, e.arena_bytes);
        e.state = State::kAbsent;
        if (e.demanded) e.error = read;
        continue;
      }
      e.state = State::kResident;
      const bool prefetched = !e.demanded;
      e.prefetch_unused = prefetched;
      policy_->OnInsert(key, static_cast<int64_t>(e.arena_bytes), prefetched);
      ClassCounters& c = stats_.of(e.desc.block_class);
      const double share =
          seconds * static_cast<double>(e.arena_bytes) / static_cast<double>(total);
      c.bytes_read += e.arena_bytes;
      c.read_seconds += share;
      if (ClassCounters* l = LayerCounters(stats_, e.desc)) {
        l->bytes_read += e.arena_bytes;
        l->read_seconds += share;
      }
      stats_.resident_bytes += e.arena_bytes;
      if (prefetched) {
        landed_prefetches_.push_back(key);
        ++stats_.prefetch.completed;
        stats_.prefetch.bytes += e.arena_bytes;
      }
    }
    if (read.ok()) stats_.read_requests += requests.size();
    stats_.peak_resident_bytes = std::max(stats_.peak_resident_bytes, stats_.resident_bytes);
    if (observer != nullptr) {
      const BlockDesc& first = entries_[loading.front()].desc;
      observer->OnRead(first.block_class, first.layer, any_prefetch,
                       static_cast<int>(loading.size()), total, start, end);
    }
    done_cv_.notify_all();
  }
}

absl::StatusOr<PinnedBlock> BlockCache::Pin(BlockKey key) {
  STRATA_ASSIGN_OR_RETURN(std::vector<PinnedBlock> pinned, PinMany(absl::MakeConstSpan(&key, 1)));
  return std::move(pinned[0]);
}

absl::StatusOr<std::vector<PinnedBlock>> BlockCache::PinMany(absl::Span<const BlockKey> keys) {
  std::unique_lock<std::mutex> lock(mutex_);
  std::vector<BlockKey> missing;
  bool queued = false;
  for (BlockKey key : keys) {
    Entry& e = entries_[key];
    ++e.pins;  // A pinned resident block is safe from eviction while others load.
    if (e.state == State::kResident) {
      ++stats_.of(e.desc.block_class).hits;
      if (ClassCounters* l = LayerCounters(stats_, e.desc)) ++l->hits;
      policy_->OnAccess(key);
      if (e.prefetch_unused) {
        e.prefetch_unused = false;
        ++stats_.prefetch.used;
        stats_.prefetch.used_bytes += e.arena_bytes;
      }
      continue;
    }
    ++stats_.of(e.desc.block_class).misses;
    if (ClassCounters* l = LayerCounters(stats_, e.desc)) ++l->misses;
    missing.push_back(key);
    if (e.state == State::kAbsent) {
      Enqueue(key, /*demand=*/true, 0);
      queued = true;
    } else if (!e.demanded) {
      e.demanded = true;
      ++stats_.prefetch.late;
      if (e.state == State::kQueued) {
        demand_queue_.push_back(key);
        queued = true;
      }
    }
  }
  if (missing.empty()) {
    std::vector<PinnedBlock> pinned;
    pinned.reserve(keys.size());
    for (BlockKey key : keys) pinned.push_back(PinnedBlock(this, key));
    return pinned;
  }
  if (queued) demand_lane_->work_cv.notify_one();

  const Clock::time_point start = Clock::now();
  absl::Status error;
  done_cv_.wait(lock, [&] {
    for (BlockKey key : missing) {
      const Entry& e = entries_[key];
      if (e.state == State::kResident) continue;
      if (e.state == State::kAbsent && !e.error.ok()) continue;  // Failed.
      return false;
    }
    return true;
  });
  const Clock::time_point end = Clock::now();
  for (BlockKey key : missing) {
    Entry& e = entries_[key];
    if (e.state != State::kResident && error.ok()) error = e.error;
    e.error = absl::OkStatus();
    e.demanded = false;
    if (e.state == State::kResident && e.prefetch_unused) {
      // A late prefetch: it was read before this pin arrived, so it counts as used.
      e.prefetch_unused = false;
      ++stats_.prefetch.used;
      stats_.prefetch.used_bytes += e.arena_bytes;
    }
  }
  const BlockDesc& first = entries_[missing.front()].desc;
  stats_.of(first.block_class).stall_seconds += Seconds(start, end);
  if (ClassCounters* l = LayerCounters(stats_, first)) l->stall_seconds += Seconds(start, end);
  if (observer_ != nullptr) observer_->OnStall(first.block_class, first.layer, start, end);
  if (!error.ok()) {
    for (BlockKey key : keys) --entries_[key].pins;
    return error;
  }
  std::vector<PinnedBlock> pinned;
  pinned.reserve(keys.size());
  for (BlockKey key : keys) pinned.push_back(PinnedBlock(this, key));
  return pinned;
}

TierStats BlockCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  TierStats stats = stats_;
  const double since = Seconds(io_clock_, Clock::now());
  const bool reading =
      demand_lane_->reading || (prefetch_lane_ != nullptr && prefetch_lane_->reading);
  (reading ? stats.io_busy_seconds : stats.io_idle_seconds) += since;
  return stats;
}

}  // namespace strata::offload
