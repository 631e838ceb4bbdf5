#include "tools/profile/profile_report.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"

namespace strata::cli {
namespace {

constexpr double kBandwidthBinUs = 50'000;  // 50 ms bins for the bandwidth curve.

double MiB(uint64_t bytes) { return bytes / 1048576.0; }

nlohmann::json Counters(const offload::ClassCounters& c) {
  return {{"hits", c.hits},
          {"misses", c.misses},
          {"accesses", c.accesses()},
          {"hit_pct", 100.0 * c.hit_rate()},
          {"bytes_read", c.bytes_read},
          {"read_seconds", c.read_seconds},
          {"stall_seconds", c.stall_seconds},
          {"evictions", c.evictions}};
}

// Read bandwidth in bins over the run: GB/s per bin, from the read events
// (a read's bytes spread evenly over its duration).
}  // namespace

std::vector<double> ReadBandwidthBins(const ProfileData& d, double* bin_us) {
  *bin_us = kBandwidthBinUs;
  double end = d.wall_seconds * 1e6;
  for (const ReadRecord& r : d.reads) end = std::max(end, r.end_us);
  std::vector<double> bytes(static_cast<size_t>(end / kBandwidthBinUs) + 1, 0.0);
  for (const ReadRecord& r : d.reads) {
    const double dur = std::max(r.end_us - r.start_us, 1.0);
    for (double t = r.start_us; t < r.end_us;) {
      const size_t bin = static_cast<size_t>(t / kBandwidthBinUs);
      const double bin_end = (bin + 1) * kBandwidthBinUs;
      const double seg = std::min(bin_end, r.end_us) - t;
      bytes[bin] += r.bytes * seg / dur;
      t += seg;
    }
  }
  for (double& b : bytes) b = b / (kBandwidthBinUs * 1e-6) / 1e9;
  return bytes;
}

namespace {

std::string ClassName(offload::BlockClass c) { return std::string(offload::BlockClassName(c)); }

}  // namespace

nlohmann::json SummaryJson(const ProfileData& d) {
  nlohmann::json j;
  j["model"] = d.model_path;
  j["predictor"] = d.predictor;
  j["cache_policy"] = d.cache_policy;
  j["io_mode"] = d.io_mode;
  int64_t prompt = 0, generated = 0;
  double prompt_s = 0, decode_s = 0;
  nlohmann::json turns = nlohmann::json::array();
  for (const TurnTimings& t : d.turns) {
    prompt += t.prompt_tokens;
    generated += t.generated_tokens;
    prompt_s += t.prompt_seconds;
    decode_s += t.decode_seconds;
    turns.push_back({{"prompt_tokens", t.prompt_tokens},
                     {"generated_tokens", t.generated_tokens},
                     {"prompt_seconds", t.prompt_seconds},
                     {"decode_seconds", t.decode_seconds}});
  }
  j["turns"] = turns;
  j["tokens"] = {{"prompt", prompt},
                 {"generated", generated},
                 {"prefill_tps", prompt_s > 0 ? prompt / prompt_s : 0.0},
                 {"decode_tps", decode_s > 0 ? generated / decode_s : 0.0}};
  j["ram"] = {{"budget_bytes", d.plan.ram_budget_bytes},
              {"cache_capacity_bytes", d.tiers.cache_capacity_bytes},
              {"peak_resident_bytes", d.tiers.peak_resident_bytes}};
  nlohmann::json classes;
  for (int c = 0; c < offload::kBlockClassCount; ++c) {
    classes[ClassName(static_cast<offload::BlockClass>(c))] = Counters(d.tiers.by_class[c]);
  }
  j["classes"] = classes;
  j["total"] = Counters(d.tiers.total());
  const offload::PrefetchCounters& p = d.tiers.prefetch;
  j["prefetch"] = {{"requested", p.requested},
                   {"completed", p.completed},
                   {"bytes", p.bytes},
                   {"used", p.used},
                   {"used_bytes", p.used_bytes},
                   {"wasted", p.wasted},
                   {"wasted_bytes", p.wasted_bytes},
                   {"cancelled", p.cancelled},
                   {"late", p.late}};
  j["io"] = {{"busy_seconds", d.tiers.io_busy_seconds},
             {"idle_seconds", d.tiers.io_idle_seconds},
             {"requests", d.tiers.read_requests}};
  nlohmann::json layers = nlohmann::json::array();
  for (int64_t l = 0; l < d.n_layer; ++l) {
    nlohmann::json layer = {{"layer", l}};
    if (static_cast<size_t>(l) < d.tiers.expert_by_layer.size()) {
      layer["expert"] = Counters(d.tiers.expert_by_layer[l]);
    }
    double compute_s = 0;
    for (const SpanRecord& s : d.compute) {
      if (s.layer == l) compute_s += (s.end_us - s.start_us) * 1e-6;
    }
    layer["compute_seconds"] = compute_s;
    if (d.prediction.has_value()) {
      const moe::LayerPredictionStats& ps = d.prediction->layers()[l];
      layer["predictor"] = {
          {"recall", ps.recall()}, {"precision", ps.precision()}, {"predictions", ps.predictions}};
    }
    layers.push_back(layer);
  }
  j["layers"] = layers;
  if (d.prediction.has_value()) {
    const moe::LayerPredictionStats t = d.prediction->total();
    j["predictor_total"] = {
        {"recall", t.recall()}, {"precision", t.precision()}, {"predictions", t.predictions}};
  }
  // Cross-checks a reader can verify: reads add up to the bytes counted.
  uint64_t read_bytes = 0;
  for (const ReadRecord& r : d.reads) read_bytes += r.bytes;
  j["checks"] = {{"sum_of_read_events_bytes", read_bytes},
                 {"counted_bytes_read", d.tiers.total().bytes_read},
                 {"routing_rows", d.routing.size()}};
  j["wall_seconds"] = d.wall_seconds;
  return j;
}

nlohmann::json TraceJson(const ProfileData& d) {
  nlohmann::json events = nlohmann::json::array();
  auto thread_name = [&](int tid, const char* name) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", 1},
                      {"tid", tid},
                      {"args", {{"name", name}}}});
  };
  events.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "strata"}}}});
  thread_name(1, "compute");
  // Demand and prefetch reads run on different I/O threads and overlap:
  // one track each.
  thread_name(2, "demand reads");
  thread_name(3, "stalls");
  thread_name(4, "prefetch reads");
  for (const SpanRecord& s : d.compute) {
    events.push_back({{"name", absl::StrCat("layer ", s.layer)},
                      {"cat", "compute"},
                      {"ph", "X"},
                      {"ts", s.start_us},
                      {"dur", std::max(s.end_us - s.start_us, 0.0)},
                      {"pid", 1},
                      {"tid", 1},
                      {"args", {{"token", s.token}, {"n_tokens", s.n_tokens}}}});
  }
  for (const ReadRecord& r : d.reads) {
    events.push_back(
        {{"name", absl::StrCat(r.prefetch ? "prefetch " : "read ", ClassName(r.block_class),
                               r.layer >= 0 ? absl::StrCat(" L", r.layer) : "")},
         {"cat", "io"},
         {"ph", "X"},
         {"ts", r.start_us},
         {"dur", std::max(r.end_us - r.start_us, 0.0)},
         {"pid", 1},
         {"tid", r.prefetch ? 4 : 2},
         {"args", {{"bytes", r.bytes}, {"blocks", r.blocks}, {"prefetch", r.prefetch}}}});
  }
  for (const StallRecord& s : d.stalls) {
    events.push_back({{"name", absl::StrCat("stall ", ClassName(s.block_class),
                                            s.layer >= 0 ? absl::StrCat(" L", s.layer) : "")},
                      {"cat", "stall"},
                      {"ph", "X"},
                      {"ts", s.start_us},
                      {"dur", std::max(s.end_us - s.start_us, 0.0)},
                      {"pid", 1},
                      {"tid", 3}});
  }
  for (const OccupancySample& o : d.occupancy) {
    events.push_back({{"name", "RAM tier resident"},
                      {"ph", "C"},
                      {"ts", o.time_us},
                      {"pid", 1},
                      {"args", {{"MiB", MiB(o.resident_bytes)}}}});
  }
  double bin_us = 0;
  const std::vector<double> bw = ReadBandwidthBins(d, &bin_us);
  for (size_t i = 0; i < bw.size(); ++i) {
    events.push_back({{"name", "read bandwidth"},
                      {"ph", "C"},
                      {"ts", i * bin_us},
                      {"pid", 1},
                      {"args", {{"GB/s", bw[i]}}}});
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

std::string RoutingCsv(const ProfileData& d) {
  std::string out = absl::StrFormat("# model=%s n_layer=%d n_expert=%d n_expert_used=%d\n",
                                    d.model_name.empty() ? "strata" : d.model_name, d.n_layer,
                                    d.n_expert, d.n_expert_used);
  for (int64_t l = 0; l < d.n_layer; ++l) {
    absl::StrAppendFormat(&out, "# layer=%d expert_bytes=%d\n", l, d.expert_bytes);
  }
  out += "turn,phase,token,layer,expert,weight\n";
  for (const RoutingRecord& r : d.routing) {
    absl::StrAppendFormat(&out, "%d,%d,%d,%d,%d,%.6g\n", r.turn, r.decode ? 1 : 0, r.token, r.layer,
                          r.expert, r.weight);
  }
  return out;
}

std::string TerminalSummary(const ProfileData& d) {
  const nlohmann::json s = SummaryJson(d);
  std::string out = absl::StrFormat(
      "profile: %d prompts, %d prompt + %d generated tokens; prefill %.2f t/s, decode %.2f t/s\n",
      d.turns.size(), s["tokens"]["prompt"].get<int64_t>(), s["tokens"]["generated"].get<int64_t>(),
      s["tokens"]["prefill_tps"].get<double>(), s["tokens"]["decode_tps"].get<double>());
  absl::StrAppendFormat(&out, "%-6s %9s %9s %7s %10s %8s %9s %9s\n", "layer", "hits", "misses",
                        "hit%", "read MiB", "stall s", "recall%", "precis%");
  for (const auto& layer : s["layers"]) {
    const auto e = layer.contains("expert") ? layer["expert"] : nlohmann::json::object();
    const double recall =
        layer.contains("predictor") ? layer["predictor"]["recall"].get<double>() : 0.0;
    const double precision =
        layer.contains("predictor") ? layer["predictor"]["precision"].get<double>() : 0.0;
    absl::StrAppendFormat(&out, "%-6d %9d %9d %6.1f%% %10.1f %8.3f %8.1f%% %8.1f%%\n",
                          layer["layer"].get<int>(), e.value("hits", uint64_t{0}),
                          e.value("misses", uint64_t{0}), e.value("hit_pct", 0.0),
                          MiB(e.value("bytes_read", uint64_t{0})), e.value("stall_seconds", 0.0),
                          100.0 * recall, 100.0 * precision);
  }
  const offload::ClassCounters t = d.tiers.total();
  absl::StrAppendFormat(&out,
                        "total: hit %.1f%%, %.1f MiB read in %.2f s, stalls %.2f s, prefetch "
                        "%u used / %u wasted (predictor %s)\n",
                        100.0 * t.hit_rate(), MiB(t.bytes_read), t.read_seconds, t.stall_seconds,
                        d.tiers.prefetch.used, d.tiers.prefetch.wasted, d.predictor);
  return out;
}

absl::Status WriteProfileReport(const ProfileData& d, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  }
  auto write = [&](const std::string& name, const std::string& text) -> absl::Status {
    const std::string path = dir + "/" + name;
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    if (!out) return absl::UnavailableError(absl::StrCat(path, ": write failed"));
    return absl::OkStatus();
  };
  STRATA_RETURN_IF_ERROR(write("summary.json", SummaryJson(d).dump(2)));
  STRATA_RETURN_IF_ERROR(write("trace.json", TraceJson(d).dump()));
  STRATA_RETURN_IF_ERROR(write("routing.csv", RoutingCsv(d)));
  STRATA_RETURN_IF_ERROR(write("report.html", ReportHtml(d)));
  if (d.popularity.has_value()) {
    STRATA_RETURN_IF_ERROR(d.popularity->Save(dir + "/popularity.csv"));
  }
  return absl::OkStatus();
}

}  // namespace strata::cli
