#include "offload/kv_mru_policy.h"

namespace strata::offload {

void KvMruPolicy::OnInsert(BlockKey key, int64_t bytes, bool prefetched) {
  auto [it, inserted] = index_.try_emplace(key);
  if (!inserted) {  // Already resident: treat as a use.
    order_.splice(order_.end(), order_, it->second);
    return;
  }
  it->second = order_.insert(order_.end(), key);
}

void KvMruPolicy::OnAccess(BlockKey key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  order_.splice(order_.end(), order_, it->second);
}

void KvMruPolicy::OnRemove(BlockKey key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  order_.erase(it->second);
  index_.erase(it);
}

std::optional<BlockKey> KvMruPolicy::PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) {
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
    if (evictable(*it)) return *it;
  }
  return std::nullopt;
}

}  // namespace strata::offload
