// Counters of the tiered memory manager, per tier and per block class.
//
// Every byte moved and every hit or miss is counted here, in one place: this
// is what `strata run --stats` prints and what `strata profile` reports.
// Plain data; the cache updates its copy under its lock and hands out copies.
#ifndef STRATA_OFFLOAD_TIER_STATS_H_
#define STRATA_OFFLOAD_TIER_STATS_H_

#include <array>
#include <cstdint>
#include <vector>

#include "offload/block.h"

namespace strata::offload {

struct ClassCounters {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t bytes_read = 0;  // From the NVMe tier (the model file).
  // I/O time of those reads: each batch's share of the time it was in flight
  // (split equally while a batch of the cache's other I/O thread was too), split
  // among its blocks by bytes. So bytes_read / read_seconds is the device's
  // rate while this cache reads, with one I/O thread or two.
  double read_seconds = 0;
  uint64_t evictions = 0;
  uint64_t evicted_bytes = 0;
  double stall_seconds = 0;  // Time computations waited for these blocks' reads.

  uint64_t accesses() const { return hits + misses; }
  void Add(const ClassCounters& other) {
    hits += other.hits;
    misses += other.misses;
    bytes_read += other.bytes_read;
    read_seconds += other.read_seconds;
    evictions += other.evictions;
    evicted_bytes += other.evicted_bytes;
    stall_seconds += other.stall_seconds;
  }
  double hit_rate() const { return accesses() ? static_cast<double>(hits) / accesses() : 0.0; }
};

// What speculative reads achieved.
struct PrefetchCounters {
  uint64_t requested = 0;  // Prefetches queued for blocks not resident.
  uint64_t completed = 0;  // Read and inserted.
  uint64_t bytes = 0;      // Bytes those reads brought in.
  uint64_t used = 0;       // Prefetched blocks a computation then pinned.
  uint64_t used_bytes = 0;
  uint64_t wasted = 0;  // Prefetched blocks evicted before any use.
  uint64_t wasted_bytes = 0;
  uint64_t cancelled = 0;  // Dropped from the queue before being read.
  uint64_t late = 0;       // Demanded while their read was still queued or in flight.

  void Add(const PrefetchCounters& o) {
    requested += o.requested;
    completed += o.completed;
    bytes += o.bytes;
    used += o.used;
    used_bytes += o.used_bytes;
    wasted += o.wasted;
    wasted_bytes += o.wasted_bytes;
    cancelled += o.cancelled;
    late += o.late;
  }
};

struct TierStats {
  std::array<ClassCounters, kBlockClassCount> by_class;
  uint64_t budget_bytes = 0;          // The whole RAM budget.
  uint64_t cache_capacity_bytes = 0;  // What is left of it for weight blocks.
  uint64_t resident_bytes = 0;
  uint64_t peak_resident_bytes = 0;
  uint64_t read_requests = 0;
  PrefetchCounters prefetch;
  // Expert blocks per layer (hits, misses, bytes, stalls), [layers seen].
  std::vector<ClassCounters> expert_by_layer;
  // A cache's lifetime, split by whether any of its I/O threads (one or two)
  // has a read in flight: overlapping reads count once, and busy + idle is
  // wall time. WeightStore::stats() adds up its two caches'.
  double io_busy_seconds = 0;
  double io_idle_seconds = 0;

  const ClassCounters& of(BlockClass c) const { return by_class[static_cast<int>(c)]; }
  ClassCounters& of(BlockClass c) { return by_class[static_cast<int>(c)]; }
  ClassCounters total() const;
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_TIER_STATS_H_
