// The files `strata profile` writes into its report folder, from one
// recorded run:
//   summary.json   every counter (per layer and total), tokens/s, checks
//   trace.json     Chrome Trace Event Format (open in Perfetto): compute per
//                  layer, each read, each stall as duration events; RAM-tier
//                  occupancy and read bandwidth as counter events
//   routing.csv    turn,phase,token,layer,expert,weight — what `strata replay` reads
//   popularity.csv the expert popularity profile for `--predictor popularity`
//   report.html    a self-contained page: expert-popularity heatmap, per-layer
//                  hit rate and predictor recall, bandwidth over time
// Pure functions of a ProfileData; not thread-safe beyond that.
#ifndef STRATA_TOOLS_PROFILE_PROFILE_REPORT_H_
#define STRATA_TOOLS_PROFILE_PROFILE_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "moe/prediction_stats.h"
#include "nlohmann/json.hpp"
#include "offload/tier_stats.h"
#include "runtime/memory_plan.h"
#include "runtime/profile/profile_recorder.h"

namespace strata::cli {

struct TurnTimings {
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  double prompt_seconds = 0;
  double decode_seconds = 0;
};

struct ProfileData {
  std::string model_path;
  std::string model_name;
  int64_t n_layer = 0;
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  uint64_t expert_bytes = 0;  // One expert block (slot) in the cache.
  std::string predictor = "off";
  std::string cache_policy;
  std::string io_mode;
  MemoryPlan plan;
  offload::TierStats tiers;
  std::optional<moe::PredictionStats> prediction;
  std::vector<TurnTimings> turns;
  std::vector<RoutingRecord> routing;
  std::vector<SpanRecord> compute;
  std::vector<ReadRecord> reads;
  std::vector<StallRecord> stalls;
  std::vector<OccupancySample> occupancy;
  std::optional<moe::PopularityProfile> popularity;
  double wall_seconds = 0;
};

nlohmann::json SummaryJson(const ProfileData& d);
nlohmann::json TraceJson(const ProfileData& d);
std::string RoutingCsv(const ProfileData& d);
std::string ReportHtml(const ProfileData& d);
// Read bandwidth over the run in GB/s, one value per `*bin_us` microseconds.
std::vector<double> ReadBandwidthBins(const ProfileData& d, double* bin_us);
// A short table for the terminal.
std::string TerminalSummary(const ProfileData& d);

// Writes every file into `dir` (created if needed).
absl::Status WriteProfileReport(const ProfileData& d, const std::string& dir);

}  // namespace strata::cli

#endif  // STRATA_TOOLS_PROFILE_PROFILE_REPORT_H_
