// `strata profile`: run prompts and write a report folder on how the tiers,
// the cache and the route predictor behaved (see tools/profile/).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "offload/process_memory.h"
#include "runtime/forward/forward_hooks.h"
#include "runtime/generator.h"
#include "runtime/inference_context.h"
#include "runtime/profile/profile_recorder.h"
#include "runtime/sampling/sampling_params.h"
#include "tools/cli/common.h"
#include "tools/cli/flag_parser.h"
#include "tools/cli/model_loader.h"
#include "tools/profile/profile_report.h"

namespace strata::cli {
namespace {

// A mixed set: narrative, explanation, code and a list, so that routing is
// not dominated by one kind of text.
const char* const kBuiltinPrompts[] = {
    "Once upon a time, in a town built on the side of a hill, there lived a baker who",
    "Explain why a computer spends so much time waiting for memory, and what caches do about it.",
    "def merge_sorted(a, b):\n    \"\"\"Merge two sorted lists into one sorted list.\"\"\"\n",
    "Ten things to pack for a week of hiking in the mountains:\n1.",
};

std::vector<std::string> SplitPrompts(const std::string& text) {
  std::vector<std::string> prompts;
  for (absl::string_view p : absl::StrSplit(text, "\n---\n")) {
    if (!absl::StripAsciiWhitespace(p).empty()) prompts.emplace_back(p);
  }
  return prompts;
}

int Profile(int argc, char** argv) {
  std::string model_path, prompt_file, out_dir;
  int64_t n_predict = 32, threads = 0, ctx_size = 2048, seed = 42;
  float temp = 0.8f;
  TieringFlags tiering;
  FlagParser p("profile");
  p.String({"-m", "--model"}, "FILE", &model_path, "GGUF model (default: the demo model)");
  p.String({"-f", "--file"}, "FILE", &prompt_file,
           "prompts, separated by lines holding only --- (default: a built-in set)");
  p.Int({"-n", "--n-predict"}, "N", &n_predict, "tokens to generate per prompt (default 32)");
  p.Int({"-t", "--threads"}, "N", &threads, "threads (default: all CPUs)");
  p.Int({"-c", "--ctx-size"}, "N", &ctx_size, "context size (default 2048)");
  p.Float({"--temp"}, "T", &temp, "temperature (default 0.8)");
  p.Int({"-s", "--seed"}, "N", &seed, "sampling seed (default 42)");
  p.String({"-o", "--output"}, "DIR", &out_dir, "report folder (required)");
  RegisterTieringFlags(p, &tiering);
  if (auto exit_code = p.ParseOrExit(argc, argv,
                                     "strata profile -m MODEL [-f PROMPTS] [-n N] "
                                     "[--ram-budget SIZE] [--predictor P] -o DIR")) {
    return *exit_code;
  }
  if (out_dir.empty()) {
    ReportError("profile", absl::InvalidArgumentError("give the report folder with -o DIR"));
    return 2;
  }
  if (n_predict <= 0 || threads < 0 || ctx_size <= 0 || seed < 0) {
    ReportError("profile", absl::InvalidArgumentError("-n, -c must be positive; -t, -s >= 0"));
    return 2;
  }
  std::vector<std::string> prompts;
  if (!prompt_file.empty()) {
    auto text = ReadFileBytes(prompt_file);
    if (!text.ok()) return ReportError("profile", text.status());
    prompts = SplitPrompts(*text);
    if (prompts.empty()) {
      return ReportError("profile",
                         absl::InvalidArgumentError(prompt_file + ": no prompts in the file"));
    }
  } else {
    prompts.assign(std::begin(kBuiltinPrompts), std::end(kBuiltinPrompts));
  }
  if (model_path.empty()) {
    auto path = EnsureDefaultModel();
    if (!path.ok()) return ReportError("profile", path.status());
    model_path = *path;
  }

  ContextOptions ctx_options;
  ctx_options.n_ctx = ctx_size;
  ctx_options.n_threads = static_cast<int>(threads);
  if (absl::Status s = ApplyKvFlags(tiering, &ctx_options); !s.ok()) {
    ReportError("profile", s);
    return 2;
  }
  auto loaded = LoadModel(model_path, ctx_options, tiering);
  if (!loaded.ok()) return ReportError("profile", loaded.status());
  const Model& model = *loaded->model;
  const HParams& hp = model.hparams();

  ProfileRecorder recorder(model);
  model.store().SetObserver(&recorder);
  HookList hooks;
  hooks.Add(loaded->prefetcher.get());
  hooks.Add(&recorder);

  ProfileData data;
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto ctx = InferenceContext::Create(model, ctx_options);
    if (!ctx.ok()) return ReportError("profile", ctx.status());
    (*ctx)->set_hooks(&hooks);
    recorder.BeginTurn(static_cast<int32_t>(i));
    sampling::SamplingParams params;
    params.temp = temp;
    params.seed = static_cast<uint32_t>(seed + i);
    auto chain = sampling::MakeSamplerChain(params, static_cast<int32_t>(hp.n_vocab));
    if (!chain.ok()) return ReportError("profile", chain.status());
    const std::vector<int32_t> ids = model.tokenizer().Encode(prompts[i], true, true);
    if (ids.empty() || static_cast<int64_t>(ids.size()) + n_predict > (*ctx)->n_ctx()) {
      return ReportError("profile", absl::InvalidArgumentError(
                                        "a prompt is empty or does not fit in the context (-c)"));
    }
    Generator generator(ctx->get(), chain->get());
    GenerationOptions options;
    options.n_predict = n_predict;
    options.ignore_eos = true;
    auto result = generator.Generate(ids, options, [](int32_t) { return true; });
    if (!result.ok()) {
      model.store().SetObserver(nullptr);
      return ReportError("profile", result.status());
    }
    data.turns.push_back(
        {result->n_prompt, result->n_decoded, result->prompt_seconds, result->decode_seconds});
  }
  model.store().SetObserver(nullptr);

  data.model_path = model_path;
  data.model_name = hp.model_name;
  data.n_layer = hp.n_layer;
  data.n_expert = hp.n_expert;
  data.n_expert_used = hp.n_expert_used;
  data.expert_bytes = model.store().expert_slot_bytes();
  data.predictor = tiering.predictor;
  data.cache_policy = tiering.cache_policy;
  data.io_mode = std::string(model.store().io_mode());
  data.plan = loaded->plan;
  data.tiers = model.store().stats();
  if (loaded->prefetcher) data.prediction = loaded->prefetcher->prediction_stats();
  data.routing = recorder.routing();
  data.compute = recorder.compute();
  data.reads = recorder.reads();
  data.stalls = recorder.stalls();
  data.occupancy = recorder.occupancy();
  if (hp.is_moe()) data.popularity = recorder.popularity();
  data.wall_seconds = recorder.elapsed_us() * 1e-6;
  if (absl::Status s = WriteProfileReport(data, out_dir); !s.ok()) {
    return ReportError("profile", s);
  }
  std::printf("%s", TerminalSummary(data).c_str());
  std::printf("report: %s/{summary.json,trace.json,routing.csv,%sreport.html}\n", out_dir.c_str(),
              hp.is_moe() ? "popularity.csv," : "");
  return 0;
}

}  // namespace

int ProfileCommand(int argc, char** argv) { return Profile(argc, argv); }

}  // namespace strata::cli
