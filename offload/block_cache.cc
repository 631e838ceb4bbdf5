#include "offload/block_cache.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace strata::offload {

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

absl::StatusOr<std::unique_ptr<BlockCache>> BlockCache::Create(
    std::unique_ptr<BlockReader> reader, uint64_t capacity_bytes,
    std::unique_ptr<EvictionPolicy> policy, uint64_t slot_bytes) {
  const uint64_t alignment = std::max<uint64_t>(reader->alignment(), 64);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Arena> arena, Arena::Create(capacity_bytes, alignment));
  auto cache = std::unique_ptr<BlockCache>(
      new BlockCache(std::move(reader), std::move(arena), std::move(policy), slot_bytes));
  std::lock_guard<std::mutex> lock(cache->mutex_);
  cache->stats_.cache_capacity_bytes = cache->arena_->capacity();
  cache->policy_->SetCapacity(static_cast<int64_t>(cache->arena_->capacity()));
  return cache;
}

absl::StatusOr<BlockKey> BlockCache::Register(BlockDesc desc) {
  Entry e;
  uint64_t cursor = 0;
  for (const FileRange& r : desc.ranges) {
    STRATA_ASSIGN_OR_RETURN(AlignedRange aligned,
                            EnclosingAlignedRange(*reader_, r.offset, r.length));
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

void BlockCache::Unpin(BlockKey key) {
  std::lock_guard<std::mutex> lock(mutex_);
  --entries_[key].pins;
}

void BlockCache::Evict(BlockKey key) {
  Entry& e = entries_[key];
  arena_->Free(e.arena_offset, e.arena_bytes);
  e.resident = false;
  policy_->OnRemove(key);
  ClassCounters& c = stats_.of(e.desc.block_class);
  ++c.evictions;
  c.evicted_bytes += e.arena_bytes;
  stats_.resident_bytes -= e.arena_bytes;
}

absl::StatusOr<uint64_t> BlockCache::Allocate(BlockKey key, absl::Span<const BlockKey> keep) {
  const Entry& e = entries_[key];
  for (;;) {
    if (std::optional<uint64_t> offset = arena_->Allocate(e.arena_bytes)) return *offset;
    const std::optional<BlockKey> victim = policy_->PickVictim([&](BlockKey candidate) {
      const Entry& c = entries_[candidate];
      return c.resident && c.pins == 0 &&
             std::find(keep.begin(), keep.end(), candidate) == keep.end();
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

absl::StatusOr<PinnedBlock> BlockCache::Pin(BlockKey key) {
  STRATA_ASSIGN_OR_RETURN(std::vector<PinnedBlock> pinned, PinMany(absl::MakeConstSpan(&key, 1)));
  return std::move(pinned[0]);
}

absl::StatusOr<std::vector<PinnedBlock>> BlockCache::PinMany(absl::Span<const BlockKey> keys) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<BlockKey> missing;
  for (BlockKey key : keys) {
    Entry& e = entries_[key];
    if (e.resident) {
      ++stats_.of(e.desc.block_class).hits;
      policy_->OnAccess(key);
    } else {
      missing.push_back(key);
    }
    ++e.pins;  // Hits are now safe from eviction while misses make room.
  }
  auto unpin_all = [&] {
    for (BlockKey key : keys) --entries_[key].pins;
  };

  std::vector<ReadRequest> requests;
  std::vector<BlockKey> allocated;
  for (BlockKey key : missing) {
    absl::StatusOr<uint64_t> offset = Allocate(key, keys);
    if (!offset.ok()) {
      for (BlockKey k : allocated) arena_->Free(entries_[k].arena_offset, entries_[k].arena_bytes);
      unpin_all();
      return offset.status();
    }
    Entry& e = entries_[key];
    e.arena_offset = *offset;
    allocated.push_back(key);
    for (size_t i = 0; i < e.desc.ranges.size(); ++i) {
      requests.push_back(
          {e.aligned_start[i], e.copy_length[i], arena_->at(e.arena_offset + e.copy_offset[i])});
    }
  }
  if (!requests.empty()) {
    const auto start = std::chrono::steady_clock::now();
    absl::Status read = reader_->ReadAll(requests);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!read.ok()) {
      // Nothing half-read is ever marked resident.
      for (BlockKey k : allocated) arena_->Free(entries_[k].arena_offset, entries_[k].arena_bytes);
      unpin_all();
      return read;
    }
    stats_.read_requests += requests.size();
    uint64_t total = 0;
    for (BlockKey key : missing) total += entries_[key].arena_bytes;
    for (BlockKey key : missing) {
      Entry& e = entries_[key];
      e.resident = true;
      policy_->OnInsert(key, static_cast<int64_t>(e.arena_bytes), /*prefetched=*/false);
      ClassCounters& c = stats_.of(e.desc.block_class);
      ++c.misses;
      c.bytes_read += e.arena_bytes;
      c.read_seconds += seconds * static_cast<double>(e.arena_bytes) / static_cast<double>(total);
      stats_.resident_bytes += e.arena_bytes;
    }
    stats_.peak_resident_bytes = std::max(stats_.peak_resident_bytes, stats_.resident_bytes);
  }
  std::vector<PinnedBlock> pinned;
  pinned.reserve(keys.size());
  for (BlockKey key : keys) pinned.push_back(PinnedBlock(this, key));
  return pinned;
}

TierStats BlockCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace strata::offload
