// Least-recently-used eviction: the victim is the resident block whose last
// insert or hit is oldest.
//
// A doubly linked list in recency order plus a hash index: every operation is
// O(1); PickVictim() walks from the old end past non-evictable keys. The
// `prefetched` flag is ignored (a prefetched block counts as just used).
// Not thread-safe (see eviction_policy.h).
#ifndef STRATA_OFFLOAD_LRU_POLICY_H_
#define STRATA_OFFLOAD_LRU_POLICY_H_

#include "offload/eviction_policy.h"
#include "offload/recency_order.h"

namespace strata::offload {

class LruPolicy final : public EvictionPolicy {
 public:
  absl::string_view name() const override { return "lru"; }
  void OnInsert(BlockKey key, int64_t bytes, bool prefetched) override;
  void OnAccess(BlockKey key) override;
  void OnRemove(BlockKey key) override;
  std::optional<BlockKey> PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) override;

  size_t size() const { return order_.size(); }

 private:
  RecencyOrder order_;
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_LRU_POLICY_H_
