// The tier statistics `strata run --stats` (and `strata chat`'s /stats)
// print and `--json` embeds: the RAM budget and how it is spent, per-class
// hits / misses / bytes read / read time / evictions (the KV class from the
// paged KV cache), KV blocks per tier, the NVMe read path, and the process's
// peak RSS.
#ifndef STRATA_TOOLS_CLI_STATS_REPORT_H_
#define STRATA_TOOLS_CLI_STATS_REPORT_H_

#include <optional>
#include <string>

#include "nlohmann/json.hpp"
#include "offload/process_memory.h"
#include "offload/tier_stats.h"
#include "runtime/kv_cache.h"
#include "runtime/memory_plan.h"
#include "runtime/prefetch/expert_prefetcher.h"

namespace strata::cli {

struct StatsSnapshot {
  MemoryPlan plan;
  offload::TierStats tiers;
  std::string io_mode;
  offload::ProcessMemory process;
  // The counters when the prompt had been evaluated, to report decode alone.
  std::optional<offload::TierStats> after_prompt;
  int64_t decoded_tokens = 0;
  // The context's paged KV cache (its class counters and blocks per tier).
  std::optional<KvCacheStats> kv;
  const ExpertPrefetcher* prefetcher = nullptr;  // For predictor accuracy.
  double decode_seconds = 0;  // Wall time of decode, to put its I/O stalls in proportion.
};

// One line: the KV cache's positions, blocks in RAM and on disk, spill I/O.
std::string FormatKvLine(const KvCacheStats& kv);

std::string FormatStats(const StatsSnapshot& s);
nlohmann::json StatsJson(const StatsSnapshot& s);

}  // namespace strata::cli

#endif  // STRATA_TOOLS_CLI_STATS_REPORT_H_
