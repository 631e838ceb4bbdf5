// `strata inspect`: what a GGUF file holds and what running it costs.
#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cpu/cpu_features.h"
#include "cpu/thread_pool.h"
#include "nlohmann/json.hpp"
#include "runtime/memory_plan.h"
#include "runtime/model/model.h"
#include "storage/gguf_file.h"
#include "tools/cli/common.h"
#include "tools/cli/flag_parser.h"

namespace strata::cli {
namespace {

const char* ArchNote(const HParams& hp) { return hp.is_moe() ? "mixture of experts" : "dense"; }

nlohmann::json HParamsJson(const HParams& hp) {
  return {
      {"arch", hp.arch_name},
      {"n_vocab", hp.n_vocab},
      {"n_ctx_train", hp.n_ctx_train},
      {"n_embd", hp.n_embd},
      {"n_layer", hp.n_layer},
      {"n_head", hp.n_head[0]},
      {"n_head_kv", hp.n_head_kv[0]},
      {"head_dim_k", hp.head_dim_k},
      {"head_dim_v", hp.head_dim_v},
      {"n_ff", hp.n_ff[0]},
      {"n_expert", hp.n_expert},
      {"n_expert_used", hp.n_expert_used},
      {"n_ff_exp", hp.n_ff_exp},
      {"n_rot", hp.n_rot},
      {"rope_type", hp.rope_mode == cpu::RopeMode::kNeox ? "neox" : "normal"},
      {"rope_freq_base", hp.rope_freq_base},
      {"rope_freq_scale", hp.rope_freq_scale},
      {"rms_eps", hp.rms_eps},
      {"expert_weights_norm", hp.expert_weights_norm},
      {"expert_gating", hp.expert_gating == ExpertGating::kSigmoid ? "sigmoid" : "softmax"},
  };
}

int Inspect(int argc, char** argv) {
  std::string model_path;
  bool json = false;
  bool show_metadata = false;
  bool show_cpu = false;
  FlagParser parser("inspect");
  parser.String({"-m", "--model"}, "FILE", &model_path, "GGUF model");
  parser.Bool({"--json"}, &json, "print one JSON object");
  parser.Bool({"--metadata"}, &show_metadata, "also list every metadata key");
  parser.Bool({"--cpu"}, &show_cpu, "print the CPU features detected and the kernels chosen");
  std::vector<std::string> positional;
  if (auto exit_code = parser.ParseOrExit(
          argc, argv, "strata inspect -m MODEL [--json] [--metadata] | --cpu", &positional)) {
    return *exit_code;
  }
  if (show_cpu) {
    cpu::ThreadPool pool(cpu::DefaultThreadCount());
    std::printf("%sthreads:       %s\n", cpu::DescribeCpu().c_str(), pool.Describe().c_str());
    if (model_path.empty() && positional.empty()) return 0;
  }
  if (model_path.empty() && positional.size() == 1) model_path = positional[0];
  if (model_path.empty() || positional.size() > 1) {
    ReportError("inspect", absl::InvalidArgumentError("give one model with -m FILE"));
    return 2;
  }

  auto gguf = GgufFile::Open(model_path);
  if (!gguf.ok()) return ReportError("inspect", gguf.status());
  // A file Strata cannot run (unknown architecture, ...) is still described.
  // Nothing is read from the weights: Open binds tensors and plans blocks.
  auto model = Model::Open(model_path);

  int64_t total_bytes = 0;
  std::map<std::string, int64_t> bytes_by_type;
  for (const GgufTensorInfo& t : (*gguf)->tensors()) {
    total_bytes += static_cast<int64_t>(t.size_bytes);
    bytes_by_type[std::string(DTypeName(t.type))] += static_cast<int64_t>(t.size_bytes);
  }

  if (json) {
    nlohmann::json out;
    out["path"] = model_path;
    out["gguf_version"] = (*gguf)->version();
    out["file_bytes"] = (*gguf)->file_size();
    out["tensor_count"] = (*gguf)->tensors().size();
    out["total_weight_bytes"] = total_bytes;
    out["bytes_by_type"] = bytes_by_type;
    nlohmann::json tensors = nlohmann::json::array();
    for (const GgufTensorInfo& t : (*gguf)->tensors()) {
      tensors.push_back({{"name", t.name},
                         {"type", std::string(DTypeName(t.type))},
                         {"shape", std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims)},
                         {"bytes", t.size_bytes},
                         {"offset", t.file_offset}});
    }
    out["tensors"] = tensors;
    if (model.ok()) {
      const Model& m = **model;
      out["runnable"] = true;
      out["hparams"] = HParamsJson(m.hparams());
      out["active_bytes_per_token"] = m.active_bytes_per_token();
      // For `run`'s defaults (-c 4096, -b 512, all threads).
      auto plan = PlanMemory(m, ContextOptions{}, UINT64_MAX);
      if (plan.ok()) {
        out["min_ram_budget_bytes"] = plan->min_ram_budget_bytes;
        out["full_ram_budget_bytes"] = plan->full_ram_budget_bytes;
      }
      out["output_tied"] = m.weights().output_tied;
      const Tokenizer& tok = m.tokenizer();
      out["tokenizer"] = {{"model", std::string(tok.model_name())},
                          {"pre", std::string(tok.pre_name())},
                          {"n_vocab", tok.n_vocab()},
                          {"bos", tok.bos()},
                          {"eos", tok.eos()},
                          {"add_bos", tok.add_bos()}};
    } else {
      out["runnable"] = false;
      out["error"] = std::string(model.status().message());
    }
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }

  std::printf("file:          %s\n", model_path.c_str());
  std::printf("format:        GGUF v%u, %zu tensors, %zu metadata keys, %s\n", (*gguf)->version(),
              (*gguf)->tensors().size(), (*gguf)->metadata().size(),
              FormatBytes(static_cast<int64_t>((*gguf)->file_size())).c_str());
  if (model.ok()) {
    const Model& m = **model;
    const HParams& hp = m.hparams();
    std::printf("architecture:  %s (%s)%s\n", hp.arch_name.c_str(), ArchNote(hp),
                hp.model_name.empty() ? "" : absl::StrCat(", \"", hp.model_name, "\"").c_str());
    std::printf(
        "hparams:       n_embd %lld, n_layer %lld, n_head %lld, n_head_kv %lld, "
        "head_dim %lld/%lld, n_ctx_train %lld\n",
        (long long)hp.n_embd, (long long)hp.n_layer, (long long)hp.n_head[0],
        (long long)hp.n_head_kv[0], (long long)hp.head_dim_k, (long long)hp.head_dim_v,
        (long long)hp.n_ctx_train);
    if (hp.is_moe()) {
      std::printf("experts:       %lld, %lld used per token, expert FFN %lld, gating %s%s\n",
                  (long long)hp.n_expert, (long long)hp.n_expert_used, (long long)hp.n_ff_exp,
                  hp.expert_gating == ExpertGating::kSigmoid ? "sigmoid" : "softmax",
                  hp.expert_weights_norm ? ", weights renormalised" : "");
    } else {
      std::printf("ffn:           %lld\n", (long long)hp.n_ff[0]);
    }
    std::printf("rope:          %s, n_rot %lld, base %g, freq_scale %g; rms_eps %g\n",
                hp.rope_mode == cpu::RopeMode::kNeox ? "neox" : "normal", (long long)hp.n_rot,
                hp.rope_freq_base, hp.rope_freq_scale, hp.rms_eps);
    const Tokenizer& tok = m.tokenizer();
    std::printf("tokenizer:     %s (pre: %s), %lld tokens, bos %d, eos %d, add_bos %s\n",
                std::string(tok.model_name()).c_str(), std::string(tok.pre_name()).c_str(),
                (long long)tok.n_vocab(), tok.bos(), tok.eos(), tok.add_bos() ? "yes" : "no");
    if (auto plan = PlanMemory(m, ContextOptions{}, UINT64_MAX); plan.ok()) {
      std::printf("RAM budget:    at least %s to run (-c 4096), %s to keep every weight resident\n",
                  FormatBytes(plan->min_ram_budget_bytes).c_str(),
                  FormatBytes(plan->full_ram_budget_bytes).c_str());
    }
    std::printf("weights:       %s total; %s active per decoded token%s\n",
                FormatBytes(total_bytes).c_str(), FormatBytes(m.active_bytes_per_token()).c_str(),
                m.weights().output_tied ? " (output tied to embedding)" : "");
  } else {
    std::printf("cannot run:    %s\n", std::string(model.status().message()).c_str());
  }
  std::string types;
  for (const auto& [name, bytes] : bytes_by_type) {
    absl::StrAppend(&types, types.empty() ? "" : ", ", name, " ", FormatBytes(bytes));
  }
  std::printf("by type:       %s\n\n", types.c_str());

  if (show_metadata) {
    for (const auto& [key, value] : (*gguf)->metadata()) {
      std::printf("  %-48s %s\n", key.c_str(), value.DebugString().c_str());
    }
    std::printf("\n");
  }
  std::printf("%-36s %-8s %-22s %12s\n", "tensor", "type", "shape", "bytes");
  for (const GgufTensorInfo& t : (*gguf)->tensors()) {
    std::printf("%-36s %-8s %-22s %12llu\n", t.name.c_str(), std::string(DTypeName(t.type)).c_str(),
                ShapeString(t.ne, t.n_dims).c_str(), (unsigned long long)t.size_bytes);
  }
  return 0;
}

}  // namespace

int InspectCommand(int argc, char** argv) { return Inspect(argc, argv); }

}  // namespace strata::cli
