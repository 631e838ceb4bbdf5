#include "tools/cli/stats_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/cli/flag_parser.h"

namespace strata::cli {
namespace {

constexpr offload::BlockClass kClasses[] = {
    offload::BlockClass::kDense, offload::BlockClass::kExpert,
    offload::BlockClass::kEmbeddingOutput, offload::BlockClass::kKv};

double MiB(uint64_t bytes) { return bytes / 1048576.0; }

double Gbps(uint64_t bytes, double seconds) { return seconds > 0 ? bytes / seconds / 1e9 : 0.0; }

nlohmann::json ClassJson(const offload::ClassCounters& c) {
  return {{"hits", c.hits},
          {"misses", c.misses},
          {"hit_pct", 100.0 * c.hit_rate()},
          {"bytes_read", c.bytes_read},
          {"read_seconds", c.read_seconds},
          {"stall_seconds", c.stall_seconds},
          {"evictions", c.evictions},
          {"evicted_bytes", c.evicted_bytes}};
}

struct DecodeCounters {
  offload::ClassCounters expert;
  offload::ClassCounters all;
};

// Counters of the decode phase: totals minus what the prompt used.
DecodeCounters Decode(const StatsSnapshot& s) {
  auto minus = [](offload::ClassCounters a, const offload::ClassCounters& b) {
    a.hits -= b.hits;
    a.misses -= b.misses;
    a.bytes_read -= b.bytes_read;
    a.read_seconds -= b.read_seconds;
    a.stall_seconds -= b.stall_seconds;
    a.evictions -= b.evictions;
    a.evicted_bytes -= b.evicted_bytes;
    return a;
  };
  return {minus(s.tiers.of(offload::BlockClass::kExpert),
                s.after_prompt->of(offload::BlockClass::kExpert)),
          minus(s.tiers.total(), s.after_prompt->total())};
}

}  // namespace

std::string FormatKvLine(const KvCacheStats& kv) {
  const offload::KvPoolStats& pool = kv.pool;
  // KV budgets of small models are KiB-sized: FormatBytes picks the unit.
  std::string out = absl::StrFormat(
      "KV cache (%s): %d positions in %d blocks of %d; RAM %u of %u blocks (%s budget)",
      KvTypeName(kv.type), kv.n_used, kv.pages_used, kv.block_tokens, pool.resident_blocks,
      pool.capacity_blocks, FormatBytes(static_cast<int64_t>(kv.budget_bytes)));
  if (kv.spill.empty()) {
    absl::StrAppend(&out, ", no spill (the budget holds the whole context)");
  } else {
    absl::StrAppendFormat(
        &out, ", disk %u blocks; spill %s: %s written in %.3f s, %s read back in %.3f s",
        pool.spilled_blocks, kv.spill, FormatBytes(static_cast<int64_t>(pool.bytes_written)),
        pool.write_seconds, FormatBytes(static_cast<int64_t>(pool.counters.bytes_read)),
        pool.counters.read_seconds);
  }
  return out;
}

std::string FormatStats(const StatsSnapshot& s) {
  const MemoryPlan& p = s.plan;
  std::string out = absl::StrFormat(
      "RAM tier: budget %.1f MiB = weight caches %.1f MiB (dense %.1f, experts %.1f) + KV %.1f + "
      "scratch %.1f + process %.1f\n"
      "          resident peak %.1f MiB of %.1f MiB cache; VmHWM %.1f MiB "
      "(budget %+.1f%%); minimum budget %.1f MiB\n",
      MiB(p.ram_budget_bytes), MiB(p.dense_cache_bytes + p.expert_cache_bytes),
      MiB(p.dense_cache_bytes), MiB(p.expert_cache_bytes), MiB(p.kv_bytes), MiB(p.scratch_bytes),
      MiB(p.base_bytes), MiB(s.tiers.peak_resident_bytes), MiB(s.tiers.cache_capacity_bytes),
      MiB(s.process.hwm_bytes),
      p.ram_budget_bytes
          ? 100.0 * (static_cast<double>(s.process.hwm_bytes) / p.ram_budget_bytes - 1.0)
          : 0.0,
      MiB(p.min_ram_budget_bytes));
  absl::StrAppendFormat(&out, "%-18s %9s %9s %7s %10s %8s %7s %10s\n", "class", "hits", "misses",
                        "hit%", "read MiB", "read s", "GB/s", "evictions");
  for (offload::BlockClass c : kClasses) {
    const offload::ClassCounters& k =
        c == offload::BlockClass::kKv && s.kv.has_value() ? s.kv->pool.counters : s.tiers.of(c);
    absl::StrAppendFormat(&out, "%-18s %9u %9u %6.1f%% %10.1f %8.3f %7.2f %10u\n",
                          std::string(offload::BlockClassName(c)), k.hits, k.misses,
                          100.0 * k.hit_rate(), MiB(k.bytes_read), k.read_seconds,
                          Gbps(k.bytes_read, k.read_seconds), k.evictions);
  }
  if (s.kv.has_value()) absl::StrAppend(&out, FormatKvLine(*s.kv), "\n");
  const offload::ClassCounters t = s.tiers.total();
  absl::StrAppendFormat(&out, "NVMe tier: %s, %u requests, %.1f MiB read in %.3f s (%.2f GB/s)\n",
                        s.io_mode, s.tiers.read_requests, MiB(t.bytes_read), t.read_seconds,
                        Gbps(t.bytes_read, t.read_seconds));
  const offload::PrefetchCounters& pf = s.tiers.prefetch;
  absl::StrAppendFormat(&out,
                        "prefetch:  %u requested, %u read (%.1f MiB), %u used, %u wasted, "
                        "%u cancelled, %u late; stalls %.3f s; I/O threads idle %.1f s\n",
                        pf.requested, pf.completed, MiB(pf.bytes), pf.used, pf.wasted, pf.cancelled,
                        pf.late, t.stall_seconds, s.tiers.io_idle_seconds);
  if (s.prefetcher != nullptr) {
    const moe::LayerPredictionStats p = s.prefetcher->prediction_stats().total();
    absl::StrAppendFormat(&out,
                          "predictor: %s, recall %.1f%%, precision %.1f%% over %u predictions\n",
                          std::string(s.prefetcher->predictor_name()), 100.0 * p.recall(),
                          100.0 * p.precision(), p.predictions);
  }
  if (s.after_prompt.has_value() && s.decoded_tokens > 0) {
    const DecodeCounters d = Decode(s);
    absl::StrAppendFormat(&out,
                          "decode:    %d tokens, expert hit %.1f%%, %.1f MiB read per token, "
                          "%.2f GB/s while reading\n",
                          s.decoded_tokens, 100.0 * d.expert.hit_rate(),
                          MiB(d.all.bytes_read) / s.decoded_tokens,
                          Gbps(d.all.bytes_read, d.all.read_seconds));
    if (s.decode_seconds > 0) {
      absl::StrAppendFormat(&out, "           stalled on I/O %.3f s of %.3f s (%.1f%%)\n",
                            d.all.stall_seconds, s.decode_seconds,
                            100.0 * d.all.stall_seconds / s.decode_seconds);
    }
  }
  return out;
}

nlohmann::json StatsJson(const StatsSnapshot& s) {
  const MemoryPlan& p = s.plan;
  nlohmann::json j;
  j["ram"] = {{"budget_bytes", p.ram_budget_bytes},
              {"min_budget_bytes", p.min_ram_budget_bytes},
              {"dense_cache_bytes", p.dense_cache_bytes},
              {"expert_cache_bytes", p.expert_cache_bytes},
              {"kv_bytes", p.kv_bytes},
              {"scratch_bytes", p.scratch_bytes},
              {"process_base_bytes", p.base_bytes},
              {"resident_bytes", s.tiers.resident_bytes},
              {"peak_resident_bytes", s.tiers.peak_resident_bytes}};
  for (offload::BlockClass c : kClasses) {
    j[std::string(offload::BlockClassName(c))] = ClassJson(s.tiers.of(c));
  }
  if (s.kv.has_value()) {
    const KvCacheStats& kv = *s.kv;
    j["kv"] = ClassJson(kv.pool.counters);
    j["kv"]["type"] = std::string(KvTypeName(kv.type));
    j["kv"]["positions"] = kv.n_used;
    j["kv"]["block_tokens"] = kv.block_tokens;
    j["kv"]["block_bytes"] = kv.pool.block_bytes;
    j["kv"]["budget_bytes"] = kv.budget_bytes;
    j["kv"]["blocks_ram"] = kv.pool.resident_blocks;
    j["kv"]["blocks_disk"] = kv.pool.spilled_blocks;
    j["kv"]["peak_blocks_ram"] = kv.pool.peak_resident_blocks;
    j["kv"]["spill"] = kv.spill;
    j["kv"]["bytes_written"] = kv.pool.bytes_written;
    j["kv"]["write_seconds"] = kv.pool.write_seconds;
  }
  j["kv"]["resident_bytes"] = p.kv_bytes;
  const offload::ClassCounters t = s.tiers.total();
  j["nvme"] = {{"mode", s.io_mode},
               {"requests", s.tiers.read_requests},
               {"bytes_read", t.bytes_read},
               {"read_seconds", t.read_seconds},
               {"read_gbps", Gbps(t.bytes_read, t.read_seconds)}};
  if (s.after_prompt.has_value() && s.decoded_tokens > 0) {
    const DecodeCounters d = Decode(s);
    j["decode"] = {{"tokens", s.decoded_tokens},
                   {"expert", ClassJson(d.expert)},
                   {"bytes_read", d.all.bytes_read},
                   {"read_seconds", d.all.read_seconds},
                   {"stall_seconds", d.all.stall_seconds},
                   {"seconds", s.decode_seconds},
                   {"bytes_read_per_token", d.all.bytes_read / s.decoded_tokens},
                   {"read_gbps", Gbps(d.all.bytes_read, d.all.read_seconds)}};
  }
  const offload::PrefetchCounters& pf = s.tiers.prefetch;
  j["prefetch"] = {{"requested", pf.requested},
                   {"completed", pf.completed},
                   {"bytes", pf.bytes},
                   {"used", pf.used},
                   {"used_bytes", pf.used_bytes},
                   {"wasted", pf.wasted},
                   {"wasted_bytes", pf.wasted_bytes},
                   {"cancelled", pf.cancelled},
                   {"late", pf.late}};
  j["stall_seconds"] = t.stall_seconds;
  j["io_busy_seconds"] = s.tiers.io_busy_seconds;
  j["io_idle_seconds"] = s.tiers.io_idle_seconds;
  if (s.prefetcher != nullptr) {
    const moe::PredictionStats& ps = s.prefetcher->prediction_stats();
    nlohmann::json layers = nlohmann::json::array();
    for (const moe::LayerPredictionStats& l : ps.layers()) {
      layers.push_back(
          {{"recall", l.recall()}, {"precision", l.precision()}, {"predictions", l.predictions}});
    }
    const moe::LayerPredictionStats total = ps.total();
    j["predictor"] = {{"name", std::string(s.prefetcher->predictor_name())},
                      {"recall", total.recall()},
                      {"precision", total.precision()},
                      {"predictions", total.predictions},
                      {"per_layer", layers}};
  }
  j["vm_hwm_bytes"] = s.process.hwm_bytes;
  j["vm_rss_bytes"] = s.process.rss_bytes;
  return j;
}

}  // namespace strata::cli
