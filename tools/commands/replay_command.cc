// `strata replay`: replay a recorded routing trace through a simulated expert
// cache and report the hit rate of each eviction policy (and of Belady's
// offline optimum) at one RAM budget.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "moe/popularity_profile.h"
#include "moe/trace_prefetcher.h"
#include "nlohmann/json.hpp"
#include "offload/replay/routing_trace.h"
#include "offload/replay/trace_replay.h"
#include "tools/cli/common.h"
#include "tools/cli/flag_parser.h"

namespace strata::cli {
namespace {

constexpr char kCommand[] = "replay";

int UsageError(absl::string_view message) {
  ReportError(kCommand, absl::InvalidArgumentError(message));
  return 2;
}

int Replay(int argc, char** argv) {
  int64_t budget = -1;
  std::string policy = "all";
  bool json = false;
  int64_t expert_bytes = 1;
  int64_t prompt_tokens = -1;
  std::string predictor = "off";
  int64_t margin = 0;
  std::string popularity_path;
  FlagParser p(kCommand);
  p.Size({"-b", "--budget"}, "SIZE", &budget,
         "cache size: bytes or K/M/G (1M = 2^20 bytes); required");
  p.String({"-p", "--policy"}, "NAME", &policy,
           "lru | lfu | lfu-aging | s3fifo | score | belady | layer-<name> | all (default all)");
  p.Bool({"--json"}, &json, "print one JSON object");
  p.Size({"--expert-bytes"}, "SIZE", &expert_bytes,
         "bytes of one expert of a layer the trace does not size (default 1)");
  p.Int({"--prompt-tokens"}, "N", &prompt_tokens,
        "traces without a phase column: the first N tokens are the prompt (default: the "
        "file's # prompt_tokens=N, else 0)");
  p.String({"--predictor"}, "NAME", &predictor,
           "also replay with route prediction and prefetch: temporal, popularity, combined "
           "(default off)");
  p.Int({"--prefetch-margin"}, "N", &margin,
        "experts prefetched beyond those a token uses (default 0)");
  p.String({"--popularity-profile"}, "FILE", &popularity_path,
           "seed for popularity/combined (default: learned as the trace goes)");
  std::vector<std::string> positional;
  if (auto exit_code = p.ParseOrExit(
          argc, argv, "strata replay TRACE.csv --budget SIZE [--policy NAME|all] [--predictor P] [--json]",
          &positional)) {
    return *exit_code;
  }
  if (positional.size() != 1) return UsageError("give one routing trace file");
  if (!p.WasSet("--budget")) return UsageError("--budget SIZE is required (e.g. --budget 4G)");
  if (budget <= 0) return UsageError("--budget must be positive");
  if (expert_bytes <= 0) return UsageError("--expert-bytes must be positive");

  std::vector<std::string> policies;
  if (policy == "all") {
    policies = offload::TraceReplay::DefaultPolicies();
  } else if (absl::Status s = offload::TraceReplay::CheckPolicy(policy); s.ok()) {
    policies = {policy};
  } else {
    return UsageError(s.message());
  }

  offload::RoutingTraceOptions options;
  options.default_expert_bytes = expert_bytes;
  options.prompt_tokens = prompt_tokens;
  auto trace = offload::ReadRoutingTrace(positional[0], options);
  if (!trace.ok()) return ReportError(kCommand, trace.status());
  const offload::TraceReplay replay(*trace);

  std::vector<offload::ReplayStats> results;
  for (const std::string& name : policies) {
    auto stats = replay.Run(name, budget);
    if (!stats.ok()) return ReportError(kCommand, stats.status());
    results.push_back(*std::move(stats));
  }

  // The same policies with the predictor's prefetches (each run its own
  // predictor, so every run sees the trace from the start).
  std::vector<offload::ReplayStats> prefetched;
  std::unique_ptr<moe::TracePrefetcher> last_prefetcher;
  if (predictor != "off") {
    std::unique_ptr<moe::PopularityProfile> popularity;
    if (!popularity_path.empty()) {
      auto loaded = moe::PopularityProfile::Load(popularity_path);
      if (!loaded.ok()) return ReportError(kCommand, loaded.status());
      popularity = std::make_unique<moe::PopularityProfile>(*std::move(loaded));
    }
    const moe::TraceShape shape = moe::ShapeOfTrace(*trace);
    for (const std::string& name : policies) {
      if (name == "belady") continue;
      auto prefetcher = moe::TracePrefetcher::Create(predictor, shape, margin, popularity.get());
      if (!prefetcher.ok()) return UsageError(prefetcher.status().message());
      auto stats = replay.Run(name, budget, prefetcher->get());
      if (!stats.ok()) return ReportError(kCommand, stats.status());
      stats->policy = absl::StrCat(name, "+", predictor);
      prefetched.push_back(*std::move(stats));
      last_prefetcher = *std::move(prefetcher);
    }
  }

  if (json) {
    nlohmann::json out;
    out["trace"] = positional[0];
    out["budget_bytes"] = budget;
    out["accesses"] = replay.lookups();
    out["decode_accesses"] = replay.decode_lookups();
    out["batches"] = replay.batches().size();
    out["n_layer"] = replay.n_layer();
    nlohmann::json by_policy = nlohmann::json::object();
    for (const offload::ReplayStats& s : results) {
      by_policy[s.policy] = {{"decode_hit_pct", s.decode_hit_pct()},
                             {"hit_pct", s.hit_pct()},
                             {"hits", s.hits},
                             {"decode_hits", s.decode_hits},
                             {"read_bytes", s.read_bytes},
                             {"evictions", s.evictions},
                             {"peak_bytes", s.peak_bytes}};
    }
    out["policies"] = by_policy;
    if (last_prefetcher != nullptr) {
      nlohmann::json with = nlohmann::json::object();
      for (const offload::ReplayStats& s : prefetched) {
        with[s.policy] = {{"decode_hit_pct", s.decode_hit_pct()},
                          {"hit_pct", s.hit_pct()},
                          {"read_bytes", s.read_bytes},
                          {"prefetch_reads", s.prefetch_reads},
                          {"prefetch_bytes", s.prefetch_bytes},
                          {"prefetch_used", s.prefetch_used}};
      }
      out["prefetch"] = with;
      const moe::PredictionStats& ps = last_prefetcher->stats();
      nlohmann::json layers = nlohmann::json::array();
      for (const moe::LayerPredictionStats& l : ps.layers()) {
        layers.push_back({{"recall", l.recall()}, {"precision", l.precision()}});
      }
      out["predictor"] = {{"name", predictor},
                          {"margin", margin},
                          {"recall", ps.total().recall()},
                          {"precision", ps.total().precision()},
                          {"predictions", ps.total().predictions},
                          {"per_layer", layers}};
    }
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }

  std::printf("trace:   %s%s\n", positional[0].c_str(),
              trace->model.empty() ? "" : absl::StrCat(" (", trace->model, ")").c_str());
  std::printf(
      "         %d layers, %lld prompt + %lld decoded tokens, %zu batches, %lld lookups "
      "(%lld in decode)\n",
      replay.n_layer(), static_cast<long long>(trace->prefill_tokens()),
      static_cast<long long>(trace->decode_tokens()), replay.batches().size(),
      static_cast<long long>(replay.lookups()), static_cast<long long>(replay.decode_lookups()));
  std::printf("budget:  %s (%lld bytes)\n\n", FormatBytes(budget).c_str(),
              static_cast<long long>(budget));
  std::printf("%-12s %12s %12s %14s\n", "policy", "decode hit%", "hit%", "read");
  for (const offload::ReplayStats& s : results) {
    std::printf("%-12s %12.2f %12.2f %14s\n", s.policy.c_str(), s.decode_hit_pct(), s.hit_pct(),
                FormatBytes(s.read_bytes).c_str());
  }
  if (last_prefetcher != nullptr) {
    const moe::LayerPredictionStats total = last_prefetcher->stats().total();
    std::printf(
        "\nwith --predictor %s (top-k + %lld prefetched before each decode step, assumed on "
        "time):\npredictor recall %.1f%%, precision %.1f%% over %llu token-layers\n",
        predictor.c_str(), static_cast<long long>(margin), 100.0 * total.recall(),
        100.0 * total.precision(), static_cast<unsigned long long>(total.predictions));
    std::printf("%-22s %12s %12s %14s %14s %8s\n", "policy", "decode hit%", "hit%", "demand read",
                "prefetch read", "used%");
    for (const offload::ReplayStats& s : prefetched) {
      std::printf("%-22s %12.2f %12.2f %14s %14s %8.1f\n", s.policy.c_str(), s.decode_hit_pct(),
                  s.hit_pct(), FormatBytes(s.read_bytes).c_str(),
                  FormatBytes(s.prefetch_bytes).c_str(),
                  s.prefetch_reads ? 100.0 * s.prefetch_used / s.prefetch_reads : 0.0);
    }
  }
  return 0;
}

}  // namespace

int ReplayCommand(int argc, char** argv) { return Replay(argc, argv); }

}  // namespace strata::cli
