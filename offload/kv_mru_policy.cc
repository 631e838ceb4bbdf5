#include "offload/kv_mru_policy.h"

namespace strata::offload {

// A prefetched block counts as just used.
void KvMruPolicy::OnInsert(BlockKey key, int64_t bytes, bool prefetched) { order_.Touch(key); }

void KvMruPolicy::OnAccess(BlockKey key) { order_.TouchIfPresent(key); }

void KvMruPolicy::OnRemove(BlockKey key) { order_.Remove(key); }

std::optional<BlockKey> KvMruPolicy::PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) {
  const std::list<BlockKey>& keys = order_.oldest_first();
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
    if (evictable(*it)) return *it;
  }
  return std::nullopt;
}

}  // namespace strata::offload
