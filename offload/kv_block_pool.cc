#include "offload/kv_block_pool.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "offload/kv_mru_policy.h"

namespace strata::offload {
namespace {

constexpr uint64_t kSlotAlignment = 4096;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

absl::StatusOr<uint64_t> KvBlockBacking::LoadMany(absl::Span<const BlockKey> keys,
                                                  absl::Span<uint8_t* const> data, uint64_t bytes) {
  uint64_t total = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(uint64_t read, Load(keys[i], data[i], bytes));
    total += read;
  }
  return total;
}

PinnedKvBlock& PinnedKvBlock::operator=(PinnedKvBlock&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = other.pool_;
    key_ = other.key_;
    data_ = other.data_;
    other.pool_ = nullptr;
    other.data_ = nullptr;
  }
  return *this;
}

void PinnedKvBlock::Release() {
  if (pool_ != nullptr) pool_->Unpin(key_);
  pool_ = nullptr;
  data_ = nullptr;
}

absl::StatusOr<std::unique_ptr<KvBlockPool>> KvBlockPool::Create(
    uint64_t block_bytes, uint64_t capacity_blocks, std::unique_ptr<KvBlockBacking> backing,
    std::unique_ptr<EvictionPolicy> policy) {
  if (block_bytes == 0 || capacity_blocks == 0 || capacity_blocks > UINT32_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV block pool: ", capacity_blocks, " blocks of ", block_bytes, " bytes"));
  }
  if (policy == nullptr) policy = std::make_unique<KvMruPolicy>();
  const uint64_t slot_bytes = (block_bytes + kSlotAlignment - 1) / kSlotAlignment * kSlotAlignment;
  auto pool = std::unique_ptr<KvBlockPool>(new KvBlockPool(block_bytes, slot_bytes, capacity_blocks,
                                                           std::move(backing), std::move(policy)));
  std::lock_guard<std::mutex> lock(pool->mu_);
  pool->policy_->SetCapacity(static_cast<int64_t>(capacity_blocks * slot_bytes));
  pool->stats_.block_bytes = block_bytes;
  pool->stats_.capacity_blocks = capacity_blocks;
  return pool;
}

KvBlockPool::~KvBlockPool() = default;

std::string KvBlockPool::backing_description() const {
  std::lock_guard<std::mutex> lock(mu_);
  return backing_ != nullptr ? backing_->Describe() : "";
}

void KvBlockPool::Unpin(BlockKey key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) --it->second.pins;
}

absl::Status KvBlockPool::Evict(BlockKey key, Entry& e) {
  if (e.dirty) {
    const auto start = std::chrono::steady_clock::now();
    STRATA_ASSIGN_OR_RETURN(uint64_t written,
                            backing_->Store(key, slots_[e.slot].data(), block_bytes_));
    stats_.write_seconds += SecondsSince(start);
    ++stats_.writes;
    stats_.bytes_written += written;
    e.dirty = false;
    e.stored = true;
  }
  free_slots_.push_back(e.slot);
  policy_->OnRemove(key);
  --stats_.resident_blocks;
  ++stats_.counters.evictions;
  stats_.counters.evicted_bytes += slot_bytes_;
  // A block never written holds zeros: it needs no copy to come back.
  if (e.stored) {
    e.state = State::kSpilled;
    ++stats_.spilled_blocks;
  } else {
    e.state = State::kEmpty;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> KvBlockPool::TakeSlot() {
  if (!free_slots_.empty()) {
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  if (slots_.size() < capacity_blocks_) {
    STRATA_ASSIGN_OR_RETURN(AlignedBuffer slot,
                            AlignedBuffer::Allocate(slot_bytes_, kSlotAlignment));
    slots_.push_back(std::move(slot));
    return static_cast<uint32_t>(slots_.size() - 1);
  }
  if (backing_ == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the KV budget of ", capacity_blocks_, " blocks (", capacity_blocks_ * slot_bytes_,
        " bytes) is full and there is no spill file to move blocks to"));
  }
  const std::optional<BlockKey> victim = policy_->PickVictim([&](BlockKey candidate) {
    auto it = entries_.find(candidate);
    return it != entries_.end() && it->second.state == State::kResident && it->second.pins == 0;
  });
  if (!victim.has_value()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the KV budget of ", capacity_blocks_, " blocks (", capacity_blocks_ * slot_bytes_,
        " bytes) is too small: every resident block is in use (raise --kv-budget or lower -c)"));
  }
  Entry& e = entries_[*victim];
  STRATA_RETURN_IF_ERROR(Evict(*victim, e));
  const uint32_t slot = free_slots_.back();
  free_slots_.pop_back();
  return slot;
}

absl::StatusOr<std::vector<PinnedKvBlock>> KvBlockPool::Pin(
    absl::Span<const KvPinRequest> requests) {
  std::lock_guard<std::mutex> lock(mu_);
  if (requests.size() > capacity_blocks_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the KV budget holds ", capacity_blocks_, " blocks but one layer's attention needs ",
        requests.size(), " at once (raise --kv-budget to at least ", requests.size() * slot_bytes_,
        " bytes or lower -c)"));
  }
  std::vector<BlockKey> missing;
  std::vector<bool> was_resident(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    Entry& e = entries_[requests[i].key];
    was_resident[i] = e.state == State::kResident;
    if (!was_resident[i]) missing.push_back(requests[i].key);
    ++e.pins;  // Resident ones are now safe from eviction while misses make room.
  }
  auto unpin_all = [&] {
    for (const KvPinRequest& r : requests) --entries_[r.key].pins;
  };

  // Slots first, then reads: a failure part-way gives the slots back and
  // leaves every requested block as it was.
  std::vector<std::pair<BlockKey, uint32_t>> taken;
  auto give_back = [&] {
    for (const auto& [key, slot] : taken) free_slots_.push_back(slot);
    unpin_all();
  };
  for (BlockKey key : missing) {
    absl::StatusOr<uint32_t> slot = TakeSlot();
    if (!slot.ok()) {
      give_back();
      return slot.status();
    }
    taken.emplace_back(key, *slot);
  }
  // Spilled blocks come back in one batch; empty ones start as zeros.
  std::vector<BlockKey> load_keys;
  std::vector<uint8_t*> load_data;
  for (const auto& [key, slot] : taken) {
    uint8_t* data = slots_[slot].data();
    if (entries_[key].state == State::kSpilled) {
      load_keys.push_back(key);
      load_data.push_back(data);
    } else {
      std::memset(data, 0, slot_bytes_);
    }
  }
  const uint64_t read_blocks = load_keys.size();
  uint64_t read_bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  if (!load_keys.empty()) {
    absl::StatusOr<uint64_t> bytes = backing_->LoadMany(load_keys, load_data, block_bytes_);
    if (!bytes.ok()) {
      give_back();
      return bytes.status();
    }
    read_bytes = *bytes;
  }
  const double read_seconds = SecondsSince(start);

  std::vector<PinnedKvBlock> pinned;
  pinned.reserve(requests.size());
  for (const auto& [key, slot] : taken) {
    Entry& e = entries_[key];
    if (e.state == State::kSpilled) {
      --stats_.spilled_blocks;
    } else {
      ++stats_.new_blocks;
    }
    e.state = State::kResident;
    e.slot = slot;
    ++stats_.resident_blocks;
    policy_->OnInsert(key, static_cast<int64_t>(slot_bytes_), /*prefetched=*/false);
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    const KvPinRequest& r = requests[i];
    Entry& e = entries_[r.key];
    if (was_resident[i]) {
      ++stats_.counters.hits;
      policy_->OnAccess(r.key);
    }
    if (r.write) e.dirty = true;
    pinned.push_back(PinnedKvBlock(this, r.key, slots_[e.slot].data()));
  }
  stats_.counters.misses += read_blocks;
  stats_.counters.bytes_read += read_bytes;
  stats_.counters.read_seconds += read_seconds;
  stats_.peak_resident_blocks = std::max(stats_.peak_resident_blocks, stats_.resident_blocks);
  return pinned;
}

void KvBlockPool::Drop(BlockKey key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (e.pins > 0) return;  // A caller bug; keeping the block is the safe choice.
  if (e.state == State::kResident) {
    free_slots_.push_back(e.slot);
    policy_->OnRemove(key);
    --stats_.resident_blocks;
  } else if (e.state == State::kSpilled) {
    --stats_.spilled_blocks;
  }
  if (e.stored && backing_ != nullptr) backing_->Discard(key);
  entries_.erase(it);
}

KvPoolStats KvBlockPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace strata::offload
