// Counters of the tiered memory manager, per tier and per block class.
//
// Every byte moved and every hit or miss is counted here, in one place: this
// is what `strata run --stats` prints and what `strata profile` reports.
// Plain data; the cache updates its copy under its lock and hands out copies.
#ifndef STRATA_OFFLOAD_TIER_STATS_H_
#define STRATA_OFFLOAD_TIER_STATS_H_

#include <array>
#include <cstdint>

#include "offload/block.h"

namespace strata::offload {

struct ClassCounters {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t bytes_read = 0;  // From the NVMe tier (the model file).
  double read_seconds = 0;  // Wall time spent waiting for those reads.
  uint64_t evictions = 0;
  uint64_t evicted_bytes = 0;

  uint64_t accesses() const { return hits + misses; }
  void Add(const ClassCounters& other) {
    hits += other.hits;
    misses += other.misses;
    bytes_read += other.bytes_read;
    read_seconds += other.read_seconds;
    evictions += other.evictions;
    evicted_bytes += other.evicted_bytes;
  }
  double hit_rate() const { return accesses() ? static_cast<double>(hits) / accesses() : 0.0; }
};

struct TierStats {
  std::array<ClassCounters, kBlockClassCount> by_class;
  uint64_t budget_bytes = 0;          // The whole RAM budget.
  uint64_t cache_capacity_bytes = 0;  // What is left of it for weight blocks.
  uint64_t resident_bytes = 0;
  uint64_t peak_resident_bytes = 0;
  uint64_t read_requests = 0;

  const ClassCounters& of(BlockClass c) const { return by_class[static_cast<int>(c)]; }
  ClassCounters& of(BlockClass c) { return by_class[static_cast<int>(c)]; }
  ClassCounters total() const;
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_TIER_STATS_H_
