// Keys in order of last use, for the recency-based eviction policies (LRU
// and the KV tier's MRU): a doubly linked list plus a hash index, so every
// operation is O(1). Iterating from the front gives the least recently used
// key first. Not thread-safe.
#ifndef STRATA_OFFLOAD_RECENCY_ORDER_H_
#define STRATA_OFFLOAD_RECENCY_ORDER_H_

#include <list>

#include "absl/container/flat_hash_map.h"
#include "offload/eviction_policy.h"

namespace strata::offload {

class RecencyOrder {
 public:
  // Makes `key` the most recently used, inserting it if absent.
  void Touch(BlockKey key) {
    auto [it, inserted] = index_.try_emplace(key);
    if (inserted) {
      it->second = order_.insert(order_.end(), key);
    } else {
      order_.splice(order_.end(), order_, it->second);
    }
  }
  // Makes a known `key` the most recently used; unknown keys are ignored.
  void TouchIfPresent(BlockKey key) {
    auto it = index_.find(key);
    if (it != index_.end()) order_.splice(order_.end(), order_, it->second);
  }
  void Remove(BlockKey key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    order_.erase(it->second);
    index_.erase(it);
  }
  size_t size() const { return order_.size(); }
  const std::list<BlockKey>& oldest_first() const { return order_; }

 private:
  std::list<BlockKey> order_;  // Back: most recently used.
  absl::flat_hash_map<BlockKey, std::list<BlockKey>::iterator> index_;
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_RECENCY_ORDER_H_
