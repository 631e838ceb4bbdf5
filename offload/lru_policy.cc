#include "offload/lru_policy.h"

namespace strata::offload {

void LruPolicy::OnInsert(BlockKey key, int64_t bytes, bool prefetched) {
  auto [it, inserted] = index_.try_emplace(key);
  if (!inserted) {  // Already resident: treat as a use.
    order_.splice(order_.end(), order_, it->second);
    return;
  }
  it->second = order_.insert(order_.end(), key);
}

void LruPolicy::OnAccess(BlockKey key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  order_.splice(order_.end(), order_, it->second);
}

void LruPolicy::OnRemove(BlockKey key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  order_.erase(it->second);
  index_.erase(it);
}

std::optional<BlockKey> LruPolicy::PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) {
  for (BlockKey key : order_) {
    if (evictable(key)) return key;
  }
  return std::nullopt;
}

}  // namespace strata::offload
