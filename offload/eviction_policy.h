// Eviction policies: which resident block a cache gives up next.
//
// A policy only orders keys; it owns no data and never decides *whether* to
// evict. The cache that owns the blocks (the live RAM-tier cache, or the
// offline trace replay in offload/replay/) tells the policy what happened —
// a block became resident (OnInsert), was hit (OnAccess), left (OnRemove) —
// and, when it is over budget, asks PickVictim() for a candidate, evicts it
// and reports that with OnRemove(). PickVictim() itself never forgets a key:
// to plan several evictions before applying them (plan/apply), exclude the
// ones already chosen through `evictable`. Policies may reorganise their
// internal queues inside PickVictim() (S3-FIFO promotes and reinserts there).
//
// Contract for callers: OnInsert only for a key that is not resident,
// OnAccess/OnRemove/SetScore only for resident keys (policies tolerate
// violations — a repeated OnInsert counts as a use, the rest are ignored —
// so a cache bug cannot corrupt a policy's structures), and
// SetCapacity() with the tier's byte budget before the first PickVictim()
// (only S3-FIFO uses it; the others ignore it).
//
// Cost: every operation is O(1) or O(log n) in the number of resident keys;
// PickVictim() also pays O(k) for the k non-evictable keys it walks past
// (pinned blocks and the blocks of the batch in flight, which are few).
//
// Not thread-safe: the owning cache serialises every call.
#ifndef STRATA_OFFLOAD_EVICTION_POLICY_H_
#define STRATA_OFFLOAD_EVICTION_POLICY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata::offload {

// Identifies a block; opaque to policies (the replay packs (layer, expert)).
using BlockKey = uint64_t;

class EvictionPolicy {
 public:
  virtual ~EvictionPolicy() = default;

  // The name MakeEvictionPolicy() knows it by.
  virtual absl::string_view name() const = 0;

  // `key` became resident and costs `bytes`. `prefetched`: loaded
  // speculatively, not because a computation asked for it (yet).
  virtual void OnInsert(BlockKey key, int64_t bytes, bool prefetched) = 0;
  // A hit on a resident block.
  virtual void OnAccess(BlockKey key) = 0;
  // `key` left the tier (evicted or dropped).
  virtual void OnRemove(BlockKey key) = 0;

  // The block to evict next among resident ones for which evictable(key) is
  // true (pinned / touched-in-this-batch blocks are not); nullopt if none.
  virtual std::optional<BlockKey> PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) = 0;

  // Optional hint from a predictor (higher = keep); used by the score policy.
  virtual void SetScore(BlockKey key, double score) {}

  // The byte budget of the tier the policy serves. The cache calls it once
  // after creating the policy and again whenever its budget changes. Only
  // policies that size internal queues by bytes (S3-FIFO) use it.
  virtual void SetCapacity(int64_t bytes) {}
};

// "lru", "lfu", "lfu-aging", "s3fifo" or "score" (see EvictionPolicyNames()).
// InvalidArgument for any other name, listing the known ones.
absl::StatusOr<std::unique_ptr<EvictionPolicy>> MakeEvictionPolicy(absl::string_view name);

// The names MakeEvictionPolicy() accepts, in a stable order.
std::vector<std::string> EvictionPolicyNames();

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_EVICTION_POLICY_H_
