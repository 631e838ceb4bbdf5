#include "offload/lru_policy.h"

namespace strata::offload {

// A prefetched block counts as just used.
void LruPolicy::OnInsert(BlockKey key, int64_t bytes, bool prefetched) { order_.Touch(key); }

void LruPolicy::OnAccess(BlockKey key) { order_.TouchIfPresent(key); }

void LruPolicy::OnRemove(BlockKey key) { order_.Remove(key); }

std::optional<BlockKey> LruPolicy::PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) {
  for (BlockKey key : order_.oldest_first()) {
    if (evictable(key)) return key;
  }
  return std::nullopt;
}

}  // namespace strata::offload
