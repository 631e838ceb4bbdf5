// The replay's unit of work: the lookups a cache sees together.
//
// BuildAccessBatches() applies the batching rules of the published
// BigMoeOnEdge replay (../shared/traces/README.md) to a RoutingTrace:
//  - prefill: one batch per layer holding every prompt token's experts of
//    that layer, tokens in order (a prompt runs layer by layer over all its
//    tokens at once);
//  - decode: one batch per (token, layer), layers in order within a token;
//  - turns in order, each turn's prefill before its decode.
// Inside a batch each distinct expert is one lookup and a repeat only
// refreshes it; a batch therefore lists each key once, ordered by its *last*
// occurrence, which leaves a recency-ordered policy exactly as "look up at
// the first occurrence, refresh at each repeat" would (hits and misses do
// not depend on the order within a batch, since eviction runs after it).
//
// Plain values; thread-safe.
#ifndef STRATA_OFFLOAD_REPLAY_ACCESS_BATCHES_H_
#define STRATA_OFFLOAD_REPLAY_ACCESS_BATCHES_H_

#include <cstdint>
#include <vector>

#include "offload/eviction_policy.h"
#include "offload/replay/routing_trace.h"

namespace strata::offload {

// The cache key of expert `expert` of layer `layer`.
constexpr BlockKey ExpertKey(int32_t layer, int32_t expert) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(layer)) << 32) |
         static_cast<uint32_t>(expert);
}
constexpr int32_t KeyLayer(BlockKey key) { return static_cast<int32_t>(key >> 32); }
constexpr int32_t KeyExpert(BlockKey key) { return static_cast<int32_t>(key & 0xffffffffu); }

struct AccessBatch {
  bool decode = true;
  int32_t layer = 0;           // Every key of a batch is of this layer.
  std::vector<BlockKey> keys;  // Distinct, by last occurrence.
};

std::vector<AccessBatch> BuildAccessBatches(const RoutingTrace& trace);

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_REPLAY_ACCESS_BATCHES_H_
