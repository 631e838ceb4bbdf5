// Most-recently-used eviction, for the KV-cache tier.
//
// Decoding reads every KV block of layer 0, then of layer 1, …, then of the
// last layer, once per token: a cyclic scan. Under a cyclic scan the block
// used longest ago is the one needed soonest, so LRU evicts exactly the wrong
// block and misses on every access once the scan outgrows the budget. The
// block whose next use is farthest away is the one used most recently (the
// layer just finished), which makes MRU Belady-optimal for this order: the
// blocks that do not fit are read back once per token, and no others.
//
// A doubly linked list in recency order plus a hash index: every operation is
// O(1); PickVictim() walks from the recent end past non-evictable keys (the
// pinned blocks of the layer being attended over). Not thread-safe (see
// eviction_policy.h).
#ifndef STRATA_OFFLOAD_KV_MRU_POLICY_H_
#define STRATA_OFFLOAD_KV_MRU_POLICY_H_

#include "offload/eviction_policy.h"
#include "offload/recency_order.h"

namespace strata::offload {

class KvMruPolicy final : public EvictionPolicy {
 public:
  absl::string_view name() const override { return "mru"; }
  void OnInsert(BlockKey key, int64_t bytes, bool prefetched) override;
  void OnAccess(BlockKey key) override;
  void OnRemove(BlockKey key) override;
  std::optional<BlockKey> PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) override;

  size_t size() const { return order_.size(); }

 private:
  RecencyOrder order_;
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_KV_MRU_POLICY_H_
