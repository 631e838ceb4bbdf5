// `strata make-model`: write a synthetic GGUF model.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/synthetic/synthetic_model.h"
#include "tools/cli/common.h"
#include "tools/cli/flag_parser.h"

namespace strata::cli {
namespace {

int MakeModel(int argc, char** argv) {
  std::string preset = "tiny", arch, type, output;
  int64_t n_embd = -1, n_layer = -1, n_head = -1, n_head_kv = -1, head_dim = -1, n_ff = -1;
  int64_t n_expert = -1, n_expert_used = -1, n_ff_exp = -1, n_vocab = -1, seed = -1, threads = 0;
  bool quiet = false;
  FlagParser p("make-model");
  p.String({"--preset"}, "NAME", &preset,
           "tiny | small | qwen3-30b-a3b | mixtral-8x7b (default tiny)");
  p.String({"--arch"}, "ARCH", &arch, "llama | qwen2 | qwen3 | qwen3moe (default: the preset's)");
  p.Int({"--n-embd"}, "N", &n_embd, "embedding width");
  p.Int({"--n-layer"}, "N", &n_layer, "layers");
  p.Int({"--n-head"}, "N", &n_head, "query heads");
  p.Int({"--n-head-kv"}, "N", &n_head_kv, "key/value heads");
  p.Int({"--head-dim"}, "N", &head_dim, "head dimension");
  p.Int({"--n-ff"}, "N", &n_ff, "dense FFN width");
  p.Int({"--n-expert"}, "N", &n_expert, "experts per layer, 0 = dense");
  p.Int({"--n-expert-used"}, "N", &n_expert_used, "experts used per token");
  p.Int({"--n-ff-exp"}, "N", &n_ff_exp, "width of one expert's FFN");
  p.Int({"--n-vocab"}, "N", &n_vocab, "vocabulary size (built-in byte-level BPE)");
  p.String({"--type"}, "TYPE", &type,
           "type of the weight matrices: f32 f16 bf16 q8_0 q4_0 q4_k q5_k q6_k ...");
  p.Int({"--seed"}, "N", &seed, "seed of the random weights (default 42)");
  p.Int({"-t", "--threads"}, "N", &threads, "threads (default: all CPUs)");
  p.String({"-o", "--output"}, "FILE", &output, "output path (default <preset>-<type>.gguf)");
  p.Bool({"-q", "--quiet"}, &quiet, "no progress output");
  if (auto exit_code = p.ParseOrExit(
          argc, argv, "strata make-model [--preset NAME] [hyper-parameters] [--type T] -o FILE")) {
    return *exit_code;
  }
  auto spec = PresetSpec(preset);
  if (!spec.ok()) {
    ReportError("make-model", spec.status());
    return 2;
  }
  if (!arch.empty()) {
    spec->arch = arch;
    spec->name = absl::StrCat("strata-", arch);
  }
  auto set = [](int64_t value, int64_t* field) {
    if (value >= 0) *field = value;
  };
  set(n_embd, &spec->n_embd);
  set(n_layer, &spec->n_layer);
  set(n_head, &spec->n_head);
  set(n_head_kv, &spec->n_head_kv);
  set(head_dim, &spec->head_dim);
  set(n_ff, &spec->n_ff);
  set(n_expert, &spec->n_expert);
  set(n_expert_used, &spec->n_expert_used);
  set(n_ff_exp, &spec->n_ff_exp);
  set(n_vocab, &spec->n_vocab);
  // A dense architecture given without --n-expert drops the preset's experts.
  if ((spec->arch == "qwen2" || spec->arch == "qwen3") && n_expert < 0) spec->n_expert = 0;
  if (spec->n_expert == 0) {
    spec->n_expert_used = 0;
    if (spec->n_ff <= 0) spec->n_ff = 4 * spec->n_embd;
  }
  if (seed >= 0) spec->seed = static_cast<uint64_t>(seed);
  if (!type.empty()) {
    auto t = ParseDType(type);
    if (!t.ok()) {
      ReportError("make-model", t.status());
      return 2;
    }
    spec->type = *t;
  }
  if (absl::Status s = ValidateSpec(*spec); !s.ok()) {
    ReportError("make-model", s);
    return 2;
  }
  if (output.empty()) output = absl::StrCat(preset, "-", DTypeName(spec->type), ".gguf");
  int last_percent = -1;
  auto progress = [&](int64_t done, int64_t total) {
    const int percent = static_cast<int>(100 * done / std::max<int64_t>(total, 1));
    if (!quiet && percent != last_percent) {
      last_percent = percent;
      std::fprintf(stderr, "\rmake-model: %3d%% (%.0f / %.0f MB)", percent, done / 1e6,
                   total / 1e6);
    }
  };
  auto stats = WriteSyntheticModel(*spec, output, static_cast<int>(threads), progress);
  if (!quiet) std::fprintf(stderr, "\n");
  if (!stats.ok()) return ReportError("make-model", stats.status());
  std::printf("wrote %s: %s %s, %lld tensors, %.1f MB in %.2f s (%.0f MB/s)\n", output.c_str(),
              spec->arch.c_str(), std::string(DTypeName(spec->type)).c_str(),
              static_cast<long long>(stats->tensors), stats->bytes / 1e6, stats->seconds,
              stats->bytes / 1e6 / std::max(stats->seconds, 1e-9));
  return 0;
}

}  // namespace

int MakeModelCommand(int argc, char** argv) { return MakeModel(argc, argv); }

}  // namespace strata::cli
