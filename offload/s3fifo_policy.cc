#include "offload/s3fifo_policy.h"

#include <algorithm>

namespace strata::offload {

int64_t S3FifoPolicy::Capacity() const {
  return capacity_ > 0 ? capacity_ : small_bytes_ + main_bytes_;
}

void S3FifoPolicy::SetCapacity(int64_t bytes) {
  capacity_ = std::max<int64_t>(bytes, 0);
  TrimGhosts();
}

void S3FifoPolicy::OnInsert(BlockKey key, int64_t bytes, bool prefetched) {
  if (entries_.contains(key)) {  // Already resident: treat as a hit.
    OnAccess(key);
    return;
  }
  bool to_main = false;
  if (auto g = ghost_.find(key); g != ghost_.end()) {
    to_main = !prefetched;
    ghost_bytes_ -= g->second->second;
    ghost_order_.erase(g->second);
    ghost_.erase(g);
  }
  Entry& e = entries_[key];
  e.bytes = std::max<int64_t>(bytes, 0);
  e.freq = 0;
  e.in_main = to_main;
  if (to_main) {
    e.pos = main_.insert(main_.end(), key);
    main_bytes_ += e.bytes;
  } else {
    e.pos = small_.insert(small_.end(), key);
    small_bytes_ += e.bytes;
  }
}

void S3FifoPolicy::OnAccess(BlockKey key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (it->second.freq < 3) ++it->second.freq;
}

void S3FifoPolicy::OnRemove(BlockKey key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (e.in_main) {
    main_.erase(e.pos);
    main_bytes_ -= e.bytes;
  } else {
    small_.erase(e.pos);
    small_bytes_ -= e.bytes;
    // Only blocks that never earned a place in M are remembered: if one comes
    // back soon, S was too small to see its reuse.
    AddGhost(key, e.bytes);
  }
  entries_.erase(it);
}

void S3FifoPolicy::AddGhost(BlockKey key, int64_t bytes) {
  if (auto g = ghost_.find(key); g != ghost_.end()) {
    ghost_bytes_ -= g->second->second;
    ghost_order_.erase(g->second);
    ghost_.erase(g);
  }
  ghost_[key] = ghost_order_.insert(ghost_order_.end(), {key, bytes});
  ghost_bytes_ += bytes;
  TrimGhosts();
}

void S3FifoPolicy::TrimGhosts() {
  // Without a capacity the limit follows the resident bytes.
  const double limit = options_.ghost_fraction * static_cast<double>(Capacity());
  while (!ghost_order_.empty() && static_cast<double>(ghost_bytes_) > limit) {
    ghost_bytes_ -= ghost_order_.front().second;
    ghost_.erase(ghost_order_.front().first);
    ghost_order_.pop_front();
  }
}

std::optional<BlockKey> S3FifoPolicy::PickFromSmall(absl::FunctionRef<bool(BlockKey)> evictable) {
  auto it = small_.begin();
  while (it != small_.end()) {
    const BlockKey key = *it;
    Entry& e = entries_.find(key)->second;
    if (e.freq >= options_.move_to_main_threshold) {
      auto next = std::next(it);
      main_.splice(main_.end(), small_, it);
      e.in_main = true;
      e.freq = 0;
      small_bytes_ -= e.bytes;
      main_bytes_ += e.bytes;
      it = next;
      continue;
    }
    if (evictable(key)) return key;
    ++it;
  }
  return std::nullopt;
}

std::optional<BlockKey> S3FifoPolicy::PickFromMain(absl::FunctionRef<bool(BlockKey)> evictable) {
  // Each block is reinserted at most 3 times before its frequency is 0, so
  // 5 visits per block bound the walk even when nothing is evictable.
  const int64_t max_steps = 5 * static_cast<int64_t>(main_.size());
  auto it = main_.begin();
  for (int64_t step = 0; step < max_steps; ++step) {
    if (it == main_.end()) it = main_.begin();
    const BlockKey key = *it;
    Entry& e = entries_.find(key)->second;
    if (e.freq > 0) {
      --e.freq;
      auto next = std::next(it);
      main_.splice(main_.end(), main_, it);
      it = next;
      continue;
    }
    if (evictable(key)) return key;
    ++it;
  }
  return std::nullopt;
}

std::optional<BlockKey> S3FifoPolicy::PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) {
  const bool small_first =
      main_.empty() || static_cast<double>(small_bytes_) >=
                           options_.small_fraction * static_cast<double>(Capacity());
  // The other queue is the fallback when the preferred one has no evictable
  // block (everything there pinned or in the batch in flight).
  if (small_first) {
    if (auto v = PickFromSmall(evictable)) return v;
    return PickFromMain(evictable);
  }
  if (auto v = PickFromMain(evictable)) return v;
  return PickFromSmall(evictable);
}

bool S3FifoPolicy::InSmall(BlockKey key) const {
  auto it = entries_.find(key);
  return it != entries_.end() && !it->second.in_main;
}

bool S3FifoPolicy::InMain(BlockKey key) const {
  auto it = entries_.find(key);
  return it != entries_.end() && it->second.in_main;
}

int S3FifoPolicy::Frequency(BlockKey key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.freq;
}

}  // namespace strata::offload
