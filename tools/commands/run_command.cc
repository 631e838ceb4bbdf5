// `strata run`: generate text from a prompt, streaming it to stdout.
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"
#include "offload/process_memory.h"
#include "runtime/generator.h"
#include "runtime/inference_context.h"
#include "runtime/model/model.h"
#include "runtime/sampling/sampling_params.h"
#include "tools/cli/common.h"
#include "tools/cli/flag_parser.h"
#include "tools/cli/model_loader.h"
#include "tools/cli/sampling_flags.h"
#include "tools/cli/stats_report.h"

namespace strata::cli {
namespace {

constexpr char kDefaultPrompt[] = "Once upon a time";

std::atomic<bool> g_interrupted{false};

void OnSigint(int) { g_interrupted.store(true); }

struct RunFlags {
  std::string model;
  std::string prompt;
  std::string prompt_file;
  int64_t n_predict = -1;
  int64_t threads = 0;
  int64_t ctx_size = 4096;
  int64_t batch_size = 512;
  SamplingFlags sampling;
  bool ignore_eos = false;
  bool json = false;
  bool no_display_prompt = false;
  std::string dump_logits;
  bool stats = false;
  TieringFlags tiering;
};

void Register(FlagParser& p, RunFlags& f) {
  p.String({"-m", "--model"}, "FILE", &f.model, "GGUF model (default: the built-in demo model)");
  p.String({"-p", "--prompt"}, "TEXT", &f.prompt, "prompt text");
  p.String({"-f", "--file"}, "FILE", &f.prompt_file,
           "read the prompt from a file (its exact bytes)");
  p.Int({"-n", "--n-predict"}, "N", &f.n_predict,
        "tokens to generate, -1 = until end of text (default -1)");
  p.Int({"-t", "--threads"}, "N", &f.threads, "threads (default: all CPUs)");
  p.Int({"-c", "--ctx-size"}, "N", &f.ctx_size, "context size, 0 = the model's (default 4096)");
  p.Int({"-b", "--batch-size"}, "N", &f.batch_size, "prompt tokens per forward pass (default 512)");
  RegisterSamplingFlags(p, &f.sampling);
  p.Bool({"--ignore-eos"}, &f.ignore_eos, "keep generating past end-of-generation tokens");
  p.Bool({"--json"}, &f.json, "print one JSON object instead of streaming text");
  p.Bool({"--no-display-prompt"}, &f.no_display_prompt, "do not echo the prompt");
  RegisterTieringFlags(p, &f.tiering);
  p.Bool({"--stats"}, &f.stats, "print tier statistics (hits, misses, bytes read, peak RSS)");
  p.String({"--dump-logits"}, "FILE", &f.dump_logits,
           "write the last prompt position's logits as raw little-endian float32");
}

absl::Status ValidateFlags(const RunFlags& f, const FlagParser& p) {
  if (f.n_predict == 0 || f.n_predict < -1) {
    return absl::InvalidArgumentError(
        absl::StrCat("-n must be a positive token count or -1, got ", f.n_predict));
  }
  if (f.threads < 0 || f.threads > 1024) {
    return absl::InvalidArgumentError(absl::StrCat("-t must be in [1, 1024], got ", f.threads));
  }
  if (f.ctx_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("-c must be >= 0, got ", f.ctx_size));
  }
  if (f.batch_size <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("-b must be positive, got ", f.batch_size));
  }
  if (p.WasSet("-p") && p.WasSet("-f")) {
    return absl::InvalidArgumentError("give the prompt with -p or -f, not both");
  }
  return absl::OkStatus();
}

int Run(int argc, char** argv) {
  RunFlags flags;
  FlagParser parser("run");
  Register(parser, flags);
  if (auto exit_code =
          parser.ParseOrExit(argc, argv, "strata run [-m MODEL] [-p PROMPT | -f FILE] [flags]")) {
    return *exit_code;
  }
  if (absl::Status s = ValidateFlags(flags, parser); !s.ok()) {
    ReportError("run", s);
    return 2;
  }
  const bool demo = flags.model.empty();
  if (demo) {
    auto path = EnsureDefaultModel();
    if (!path.ok()) return ReportError("run", path.status());
    flags.model = *path;
    if (!parser.WasSet("-n")) flags.n_predict = 64;
  }
  std::string prompt = flags.prompt;
  if (!flags.prompt_file.empty()) {
    auto bytes = ReadFileBytes(flags.prompt_file);
    if (!bytes.ok()) return ReportError("run", bytes.status());
    prompt = *std::move(bytes);
  } else if (!parser.WasSet("-p")) {
    prompt = kDefaultPrompt;
  }

  ContextOptions ctx_options;
  ctx_options.n_ctx = flags.ctx_size;
  ctx_options.n_batch = flags.batch_size;
  ctx_options.n_threads = static_cast<int>(flags.threads);
  if (absl::Status s = ApplyKvFlags(flags.tiering, &ctx_options); !s.ok()) {
    ReportError("run", s);
    return 2;
  }
  auto loaded = LoadModel(flags.model, ctx_options, flags.tiering);
  if (!loaded.ok()) return ReportError("run", loaded.status());
  const std::unique_ptr<Model>& model = loaded->model;
  const Tokenizer& tokenizer = model->tokenizer();
  auto context = InferenceContext::Create(*model, ctx_options);
  if (context.ok()) (*context)->set_hooks(loaded->prefetcher.get());
  if (!context.ok()) return ReportError("run", context.status());

  auto sampling_params = ToSamplingParams(flags.sampling, (*context)->n_ctx());
  if (!sampling_params.ok()) return ReportError("run", sampling_params.status());
  auto chain =
      sampling::MakeSamplerChain(*sampling_params, static_cast<int32_t>(tokenizer.n_vocab()));
  if (!chain.ok()) return ReportError("run", chain.status());

  const std::vector<int32_t> prompt_ids =
      tokenizer.Encode(prompt, /*add_special=*/true, /*parse_special=*/true);
  if (prompt_ids.empty()) {
    return ReportError("run", absl::InvalidArgumentError("the prompt is empty (give -p or -f)"));
  }
  if (static_cast<int64_t>(prompt_ids.size()) > (*context)->n_ctx()) {
    return ReportError(
        "run", absl::InvalidArgumentError(absl::StrCat("the prompt is ", prompt_ids.size(),
                                                       " tokens, longer than the context size ",
                                                       (*context)->n_ctx(), " (raise -c)")));
  }

  std::signal(SIGINT, OnSigint);
  (*context)->set_cancel_flag(&g_interrupted);
  Generator generator(context->get(), chain->get());
  generator.set_cancel_flag(&g_interrupted);
  GenerationOptions gen_options;
  gen_options.n_predict = flags.n_predict;
  gen_options.ignore_eos = flags.ignore_eos;
  absl::Status dump_status;
  std::optional<offload::TierStats> after_prompt;
  gen_options.on_prompt_logits = [&](absl::Span<const float> logits) {
    after_prompt = model->store().stats();
    if (!flags.dump_logits.empty()) {
      dump_status = WriteFileBytes(
          flags.dump_logits, absl::string_view(reinterpret_cast<const char*>(logits.data()),
                                                logits.size() * sizeof(float)));
    }
  };

  if (!flags.json && !flags.no_display_prompt) {
    std::fwrite(prompt.data(), 1, prompt.size(), stdout);
    std::fflush(stdout);
  }
  std::string text;
  auto result = generator.Generate(prompt_ids, gen_options, [&](int32_t token) {
    const std::string piece = tokenizer.TokenToPiece(token, /*render_special=*/false);
    text += piece;
    if (!flags.json) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    }
    return true;
  });
  std::signal(SIGINT, SIG_DFL);
  if (!result.ok()) return ReportError("run", result.status());
  if (!dump_status.ok()) return ReportError("run", dump_status);

  const StatsSnapshot stats{loaded->plan,
                            model->store().stats(),
                            std::string(model->store().io_mode()),
                            offload::ReadProcessMemory(),
                            after_prompt,
                            result->n_decoded,
                            (*context)->kv_stats(),
                            loaded->prefetcher.get(),
                            result->decode_seconds};
  if (flags.json) {
    nlohmann::json out;
    out["stats"] = StatsJson(stats);
    out["model"] = flags.model;
    out["prompt_ids"] = prompt_ids;
    out["generated_ids"] = result->generated;
    out["text"] = text;
    out["stop_reason"] = std::string(StopReasonName(result->stop_reason));
    out["timings"] = {
        {"prompt_tokens", result->n_prompt},
        {"prompt_seconds", result->prompt_seconds},
        {"prompt_tokens_per_second", result->prompt_tokens_per_second()},
        {"decode_tokens", result->n_decoded},
        {"decode_seconds", result->decode_seconds},
        {"decode_tokens_per_second", result->decode_tokens_per_second()},
        {"generated_tokens", result->generated.size()},
    };
    const std::string dumped = out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    std::printf("%s\n", dumped.c_str());
  } else {
    std::printf("\n");
    std::fprintf(stderr,
                 "\nprompt: %lld tokens, %.2f tokens/s | generation: %zu tokens, %.2f tokens/s%s\n",
                 static_cast<long long>(result->n_prompt), result->prompt_tokens_per_second(),
                 result->generated.size(), result->decode_tokens_per_second(),
                 result->stop_reason == StopReason::kCancelled ? " (interrupted)" : "");
    if (flags.stats) std::fprintf(stderr, "%s", FormatStats(stats).c_str());
  }
  return result->stop_reason == StopReason::kCancelled ? 130 : 0;
}

}  // namespace

int RunCommand(int argc, char** argv) { return Run(argc, argv); }

}  // namespace strata::cli
