// Offline replay of a routing trace through a simulated expert cache: how
// often would a RAM tier of a given size, run by a given eviction policy,
// have held the experts a real model asked for?
//
// The rules are those of the published BigMoeOnEdge replay
// (../shared/traces/README.md), so its numbers can be reproduced exactly:
// one global cache over (layer, expert) keys, empty at the start, each entry
// costing its layer's expert_bytes; the trace is fed in AccessBatches (see
// access_batches.h); inside a batch a resident key is a hit (OnAccess) and a
// missing one is inserted (OnInsert, a miss); after the batch, while the
// cache is over budget, the policy's PickVictim() chooses among entries the
// batch did not touch. A batch larger than the budget therefore overflows it
// until the next batch (peak_bytes reports that).
//
// Policies: every EvictionPolicyNames() name, plus
//  - "belady": the offline optimum, evicting the entry whose next use is
//    farthest (ScorePolicy fed score = -(index of the next batch using the
//    key), never-again = -inf); entries reused in the same batch tie, and
//    which of them goes does not change the outcome;
//  - "layer-<name>": one cache per layer, each with budget / n_layer bytes
//    (floor), each run by its own <name> policy (the published "layer" and
//    "layerlfu" columns are layer-lru and layer-lfu).
// The published `lfu` column is our `lfu` (counts kept across evictions, ties
// by recency, no aging); see lfu_policy.h.
//
// With a ReplayPrefetcher, the keys it names before each batch are read
// first (inserted flagged as prefetched, counted apart from the lookups, not
// evictable by that batch): what a route predictor would have saved, assuming
// each prefetch lands before its batch runs (an upper bound on the live
// pipeline, where reads can be late).
//
// A TraceReplay is immutable after construction; Run() is const and may be
// called from several threads at once.
#ifndef STRATA_OFFLOAD_REPLAY_TRACE_REPLAY_H_
#define STRATA_OFFLOAD_REPLAY_TRACE_REPLAY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "offload/replay/access_batches.h"
#include "offload/replay/routing_trace.h"

namespace strata::offload {

struct ReplayStats {
  std::string policy;
  int64_t budget_bytes = 0;
  int64_t lookups = 0;  // Distinct experts per batch, summed over batches.
  int64_t hits = 0;
  int64_t decode_lookups = 0;
  int64_t decode_hits = 0;
  int64_t read_bytes = 0;  // Bytes of every miss (what NVMe would serve).
  int64_t evictions = 0;
  int64_t peak_bytes = 0;  // Most bytes resident after any batch's evictions.
  int64_t prefetch_reads = 0;  // Keys a ReplayPrefetcher brought in.
  int64_t prefetch_bytes = 0;
  int64_t prefetch_used = 0;  // Of those, looked up by the batch they were read for.

  double hit_pct() const { return Pct(hits, lookups); }
  double decode_hit_pct() const { return Pct(decode_hits, decode_lookups); }

 private:
  static double Pct(int64_t n, int64_t d) { return d == 0 ? 0.0 : 100.0 * n / d; }
};

// Speculative reads for a replay: a route predictor stepping through the
// trace (moe/trace_prefetcher.h). Stateful: one per Run.
class ReplayPrefetcher {
 public:
  virtual ~ReplayPrefetcher() = default;
  // The keys (of batch.layer) to read before `batch` runs.
  virtual void Before(const AccessBatch& batch, std::vector<BlockKey>* keys) = 0;
  // `batch` ran: the experts it really used.
  virtual void After(const AccessBatch& batch) = 0;
};

class TraceReplay {
 public:
  explicit TraceReplay(const RoutingTrace& trace);

  // Replays the whole trace with a fresh cache of `budget_bytes`, prefetching
  // what `prefetcher` (optional, not owned) names. InvalidArgument for an
  // unknown policy, a negative budget, or belady with a prefetcher (its
  // oracle scores only looked-up keys).
  absl::StatusOr<ReplayStats> Run(absl::string_view policy, int64_t budget_bytes,
                                  ReplayPrefetcher* prefetcher = nullptr) const;

  // What `strata replay --policy all` runs, in report order: every live
  // policy except "score" (a trace carries no predictor hints, so it would
  // only repeat lru), then "belady", "layer-lru", "layer-lfu".
  static std::vector<std::string> DefaultPolicies();
  // OK for the names Run() accepts; otherwise the InvalidArgument Run()
  // would return, listing the known names.
  static absl::Status CheckPolicy(absl::string_view policy);

  const std::vector<AccessBatch>& batches() const { return batches_; }
  int32_t n_layer() const { return n_layer_; }
  int64_t lookups() const { return lookups_; }
  int64_t decode_lookups() const { return decode_lookups_; }

 private:
  std::vector<int64_t> expert_bytes_;  // [n_layer]
  int32_t n_layer_ = 0;
  std::vector<AccessBatch> batches_;
  // Belady's oracle: for the j-th key of batch b, next_use_[first_[b] + j] is
  // the index of the next batch using it, or kNever.
  std::vector<size_t> first_;
  std::vector<int64_t> next_use_;
  int64_t lookups_ = 0;
  int64_t decode_lookups_ = 0;
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_REPLAY_TRACE_REPLAY_H_
