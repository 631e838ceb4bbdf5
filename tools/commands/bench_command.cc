// `strata bench`: prefill and decode throughput, measured like llama-bench.
//
// pp<N>: N random tokens evaluated as one prompt into an empty cache.
// tg<N>: N tokens evaluated one at a time into an empty cache.
// With -d D both run after D tokens already in the cache ("pp<N> @ d<D>"),
// as llama-bench's -d: how long contexts slow attention.
// Each test runs once to warm up, then -r times; we report mean ± stddev of
// tokens/s over the repetitions.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "offload/process_memory.h"
#include "runtime/inference_context.h"
#include "runtime/model/model.h"
#include "tools/cli/common.h"
#include "tools/cli/flag_parser.h"
#include "tools/cli/model_loader.h"
#include "tools/cli/stats_report.h"

namespace strata::cli {
namespace {

struct TestResult {
  std::string name;
  int64_t n_prompt = 0;
  int64_t n_gen = 0;
  int64_t n_depth = 0;
  std::vector<double> samples_tps;
  double mean() const {
    double s = 0;
    for (double x : samples_tps) s += x;
    return samples_tps.empty() ? 0 : s / samples_tps.size();
  }
  double stddev() const {
    if (samples_tps.size() < 2) return 0;
    const double m = mean();
    double s = 0;
    for (double x : samples_tps) s += (x - m) * (x - m);
    return std::sqrt(s / (samples_tps.size() - 1));
  }
};

// Tokens/s of one run of `n` tokens, in batches of `batch` (n for prefill, 1
// for decode), after the `depth` positions already in the cache.
absl::StatusOr<double> TimeOnce(InferenceContext& ctx, const std::vector<int32_t>& tokens,
                                int64_t batch, int64_t depth) {
  ctx.Truncate(depth);
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < tokens.size(); i += batch) {
    const size_t len = std::min<size_t>(batch, tokens.size() - i);
    absl::Status s = ctx.Eval(absl::MakeConstSpan(tokens.data() + i, len));
    if (!s.ok()) return s;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return tokens.size() / seconds;
}

int Bench(int argc, char** argv) {
  std::string model_path;
  int64_t n_prompt = 128, n_gen = 64, depth = 0, reps = 5, threads = 0, batch = 512;
  bool json = false;
  TieringFlags tiering;
  FlagParser parser("bench");
  parser.String({"-m", "--model"}, "FILE", &model_path, "GGUF model (default: the demo model)");
  parser.Int({"-p", "--n-prompt"}, "N", &n_prompt,
             "prompt tokens for the prefill test, 0 = skip (default 128)");
  parser.Int({"-n", "--n-gen"}, "N", &n_gen, "tokens for the decode test, 0 = skip (default 64)");
  parser.Int({"-d", "--n-depth"}, "N", &depth,
             "tokens already in the cache before each test (default 0)");
  parser.Int({"-r", "--repetitions"}, "N", &reps, "repetitions of each test (default 5)");
  parser.Int({"-t", "--threads"}, "N", &threads, "threads (default: all CPUs)");
  parser.Int({"-b", "--batch-size"}, "N", &batch, "prefill batch size (default 512)");
  RegisterTieringFlags(parser, &tiering);
  parser.Bool({"--json"}, &json, "print one JSON object");
  if (auto exit_code = parser.ParseOrExit(
          argc, argv, "strata bench [-m MODEL] [-p N] [-n N] [-d N] [-r N] [-t N] [--json]")) {
    return *exit_code;
  }
  if (n_prompt < 0 || n_gen < 0 || (n_prompt == 0 && n_gen == 0) || depth < 0 || reps <= 0 ||
      threads < 0 || batch <= 0) {
    ReportError("bench", absl::InvalidArgumentError("-p and -n must be >= 0 (not both 0), -d >= 0, "
                                                    "-r and -b positive, -t >= 0"));
    return 2;
  }
  if (model_path.empty()) {
    auto path = EnsureDefaultModel();
    if (!path.ok()) return ReportError("bench", path.status());
    model_path = *path;
  }
  ContextOptions options;
  options.n_ctx = depth + std::max<int64_t>(n_prompt, n_gen) + 1;
  options.n_batch = batch;
  options.n_threads = static_cast<int>(threads);
  if (absl::Status s = ApplyKvFlags(tiering, &options); !s.ok()) {
    ReportError("bench", s);
    return 2;
  }
  auto loaded = LoadModel(model_path, options, tiering);
  if (!loaded.ok()) return ReportError("bench", loaded.status());
  const std::unique_ptr<Model>& model = loaded->model;
  const HParams& hp = model->hparams();
  auto ctx = InferenceContext::Create(*model, options);
  if (ctx.ok()) (*ctx)->set_hooks(loaded->prefetcher.get());
  if (!ctx.ok()) return ReportError("bench", ctx.status());

  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(hp.n_vocab - 1));
  std::vector<TestResult> results;
  if (depth > 0) {  // Evaluated once; each test truncates back to it.
    std::vector<int32_t> context(depth);
    for (int32_t& t : context) t = token(rng);
    (*ctx)->Truncate(0);
    for (int64_t i = 0; i < depth; i += batch) {
      const int64_t len = std::min(batch, depth - i);
      if (absl::Status s = (*ctx)->Eval(absl::MakeConstSpan(context.data() + i, len)); !s.ok()) {
        return ReportError("bench", s);
      }
    }
  }
  for (const auto& [count, is_prefill] : {std::pair{n_prompt, true}, std::pair{n_gen, false}}) {
    if (count == 0) continue;
    TestResult r;
    r.name =
        absl::StrCat(is_prefill ? "pp" : "tg", count, depth > 0 ? absl::StrCat(" @ d", depth) : "");
    (is_prefill ? r.n_prompt : r.n_gen) = count;
    r.n_depth = depth;
    std::vector<int32_t> tokens(count);
    for (int32_t& t : tokens) t = token(rng);
    const int64_t step = is_prefill ? batch : 1;
    for (int64_t rep = -1; rep < reps; ++rep) {  // rep -1 warms up.
      auto tps = TimeOnce(**ctx, tokens, step, depth);
      if (!tps.ok()) return ReportError("bench", tps.status());
      if (rep >= 0) r.samples_tps.push_back(*tps);
    }
    results.push_back(std::move(r));
  }

  const int64_t size = model->total_weight_bytes();
  const std::string model_desc = absl::StrCat(hp.arch_name, " ", hp.model_name);
  if (json) {
    nlohmann::json out;
    out["model"] = model_path;
    out["model_bytes"] = size;
    out["active_bytes_per_token"] = model->active_bytes_per_token();
    out["threads"] = (*ctx)->n_threads();
    nlohmann::json tests = nlohmann::json::array();
    for (const TestResult& r : results) {
      tests.push_back({{"test", r.name},
                       {"n_prompt", r.n_prompt},
                       {"n_gen", r.n_gen},
                       {"n_depth", r.n_depth},
                       {"avg_ts", r.mean()},
                       {"stddev_ts", r.stddev()},
                       {"samples_ts", r.samples_tps}});
      out[r.n_prompt > 0 ? "prefill_tps" : "decode_tps"] = r.mean();
      out[r.n_prompt > 0 ? "prefill_tps_stddev" : "decode_tps_stddev"] = r.stddev();
    }
    out["results"] = tests;
    out["stats"] = StatsJson({loaded->plan, model->store().stats(),
                              std::string(model->store().io_mode()), offload::ReadProcessMemory(),
                              std::nullopt, 0, std::nullopt, loaded->prefetcher.get()});
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("| model | size | backend | threads | test | t/s |\n");
  std::printf("| --- | ---: | --- | ---: | ---: | ---: |\n");
  for (const TestResult& r : results) {
    std::printf("| %s | %s | CPU | %d | %s | %.2f ± %.2f |\n", model_desc.c_str(),
                FormatBytes(size).c_str(), (*ctx)->n_threads(), r.name.c_str(), r.mean(),
                r.stddev());
  }
  return 0;
}

}  // namespace

int BenchCommand(int argc, char** argv) { return Bench(argc, argv); }

}  // namespace strata::cli
