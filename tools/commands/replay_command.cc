// `strata replay`: replay a recorded routing trace through a simulated expert
// cache and report the hit rate of each eviction policy (and of Belady's
// offline optimum) at one RAM budget.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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
  std::vector<std::string> positional;
  if (auto exit_code = p.ParseOrExit(
          argc, argv, "strata replay TRACE.csv --budget SIZE [--policy NAME|all] [--json]",
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
  return 0;
}

}  // namespace

int ReplayCommand(int argc, char** argv) { return Replay(argc, argv); }

}  // namespace strata::cli
