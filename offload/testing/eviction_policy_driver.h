// Test helpers that drive an EvictionPolicy the way a cache does: PickVictim
// followed by OnRemove of the victim. Header-only; not thread-safe.
#ifndef STRATA_OFFLOAD_TESTING_EVICTION_POLICY_DRIVER_H_
#define STRATA_OFFLOAD_TESTING_EVICTION_POLICY_DRIVER_H_

#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "offload/eviction_policy.h"

namespace strata::offload::testing {

// Picks a victim among keys not in `pinned` and removes it.
inline std::optional<BlockKey> EvictOne(EvictionPolicy& policy,
                                        const absl::flat_hash_set<BlockKey>& pinned = {}) {
  std::optional<BlockKey> victim =
      policy.PickVictim([&](BlockKey key) { return !pinned.contains(key); });
  if (victim.has_value()) policy.OnRemove(*victim);
  return victim;
}

// Evicts until nothing unpinned is left; the victims in order.
inline std::vector<BlockKey> EvictAll(EvictionPolicy& policy,
                                      const absl::flat_hash_set<BlockKey>& pinned = {}) {
  std::vector<BlockKey> order;
  while (std::optional<BlockKey> victim = EvictOne(policy, pinned)) order.push_back(*victim);
  return order;
}

// Inserts each key (1 byte, not prefetched).
inline void InsertAll(EvictionPolicy& policy, const std::vector<BlockKey>& keys) {
  for (BlockKey key : keys) policy.OnInsert(key, 1, /*prefetched=*/false);
}

}  // namespace strata::offload::testing

#endif  // STRATA_OFFLOAD_TESTING_EVICTION_POLICY_DRIVER_H_
