#include "runtime/model/hparams.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"

namespace strata {
namespace {

struct ArchEntry {
  const char* name;
  Arch arch;
  cpu::RopeMode rope_mode;
};

constexpr ArchEntry kArches[] = {
    {"llama", Arch::kLlama, cpu::RopeMode::kAdjacent},
    {"qwen2", Arch::kQwen2, cpu::RopeMode::kNeox},
    {"qwen3", Arch::kQwen3, cpu::RopeMode::kNeox},
    {"qwen3moe", Arch::kQwen3Moe, cpu::RopeMode::kNeox},
};

// Reads a value that may be a scalar or a per-layer array.
absl::StatusOr<std::vector<int64_t>> ReadPerLayer(const GgufFile& gguf, const std::string& key,
                                                  int64_t n_layer, bool required,
                                                  int64_t fallback) {
  const GgufValue* v = gguf.Find(key);
  if (v == nullptr) {
    if (required) {
      return absl::NotFoundError(absl::StrCat(gguf.path(), ": missing metadata key '", key, "'"));
    }
    return std::vector<int64_t>(n_layer, fallback);
  }
  if (v->type() == GgufType::kArray) {
    STRATA_ASSIGN_OR_RETURN(const GgufArray* array, v->AsArray());
    if (static_cast<int64_t>(array->elements.size()) != n_layer) {
      return absl::InvalidArgumentError(absl::StrCat(gguf.path(), ": '", key, "' has ",
                                                     array->elements.size(), " entries for ",
                                                     n_layer, " layers"));
    }
    std::vector<int64_t> out;
    for (const GgufValue& e : array->elements) {
      auto x = e.AsInt();
      if (!x.ok())
        return absl::InvalidArgumentError(
            absl::StrCat(gguf.path(), ": '", key, "': ", x.status().message()));
      out.push_back(*x);
    }
    return out;
  }
  STRATA_ASSIGN_OR_RETURN(uint64_t x, gguf.GetUint(key));
  return std::vector<int64_t>(n_layer, static_cast<int64_t>(x));
}

absl::Status Invalid(const GgufFile& gguf, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(gguf.path(), ": ", what));
}

}  // namespace

const std::vector<std::string>& SupportedArchNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>();
    for (const ArchEntry& e : kArches) v->push_back(e.name);
    return v;
  }();
  return *names;
}

absl::StatusOr<HParams> ReadHParams(const GgufFile& gguf) {
  HParams hp;
  STRATA_ASSIGN_OR_RETURN(hp.arch_name, gguf.GetString("general.architecture"));
  const ArchEntry* entry = nullptr;
  for (const ArchEntry& e : kArches) {
    if (hp.arch_name == e.name) entry = &e;
  }
  if (entry == nullptr) {
    return absl::UnimplementedError(absl::StrCat(
        gguf.path(), ": architecture '", hp.arch_name,
        "' is not supported (supported: ", absl::StrJoin(SupportedArchNames(), ", "), ")"));
  }
  hp.arch = entry->arch;
  hp.rope_mode = entry->rope_mode;
  STRATA_ASSIGN_OR_RETURN(hp.model_name, gguf.GetStringOr("general.name", ""));
  const std::string p = hp.arch_name + ".";

  STRATA_ASSIGN_OR_RETURN(uint64_t n_embd, gguf.GetUint(p + "embedding_length"));
  STRATA_ASSIGN_OR_RETURN(uint64_t n_layer, gguf.GetUint(p + "block_count"));
  STRATA_ASSIGN_OR_RETURN(uint64_t n_ctx, gguf.GetUintOr(p + "context_length", 4096));
  if (n_embd == 0 || n_embd > (1 << 20)) return Invalid(gguf, absl::StrCat("bad n_embd ", n_embd));
  if (n_layer == 0 || n_layer > 4096) return Invalid(gguf, absl::StrCat("bad n_layer ", n_layer));
  hp.n_embd = static_cast<int64_t>(n_embd);
  hp.n_layer = static_cast<int64_t>(n_layer);
  hp.n_ctx_train = static_cast<int64_t>(n_ctx);

  STRATA_ASSIGN_OR_RETURN(hp.n_head,
                          ReadPerLayer(gguf, p + "attention.head_count", hp.n_layer, true, 0));
  STRATA_ASSIGN_OR_RETURN(hp.n_head_kv, ReadPerLayer(gguf, p + "attention.head_count_kv",
                                                     hp.n_layer, false, hp.n_head[0]));
  for (int64_t l = 0; l < hp.n_layer; ++l) {
    if (hp.n_head[l] <= 0 || hp.n_head_kv[l] <= 0 || hp.n_head[l] % hp.n_head_kv[l] != 0) {
      return Invalid(
          gguf, absl::StrCat("layer ", l, ": ", hp.n_head[l], " query heads is not a multiple of ",
                             hp.n_head_kv[l], " KV heads"));
    }
  }

  STRATA_ASSIGN_OR_RETURN(uint64_t n_expert, gguf.GetUintOr(p + "expert_count", 0));
  STRATA_ASSIGN_OR_RETURN(uint64_t n_expert_used, gguf.GetUintOr(p + "expert_used_count", 0));
  hp.n_expert = static_cast<int64_t>(n_expert);
  hp.n_expert_used = static_cast<int64_t>(n_expert_used);
  if (hp.n_expert > 0 &&
      (hp.n_expert_used <= 0 || hp.n_expert_used > hp.n_expert || hp.n_expert > 4096)) {
    return Invalid(gguf, absl::StrCat("expert_used_count ", hp.n_expert_used, " is invalid for ",
                                      hp.n_expert, " experts"));
  }
  if (hp.n_expert == 0 && hp.n_expert_used != 0) {
    return Invalid(gguf, "expert_used_count set without expert_count");
  }
  if (hp.arch == Arch::kQwen3Moe && hp.n_expert == 0) {
    return Invalid(gguf, "qwen3moe model without experts (expert_count missing)");
  }
  if ((hp.arch == Arch::kQwen2 || hp.arch == Arch::kQwen3) && hp.n_expert > 0) {
    return absl::UnimplementedError(
        absl::StrCat(gguf.path(), ": ", hp.arch_name, " with experts is not supported"));
  }

  const bool dense_ffn = hp.n_expert == 0;
  STRATA_ASSIGN_OR_RETURN(hp.n_ff,
                          ReadPerLayer(gguf, p + "feed_forward_length", hp.n_layer, dense_ffn, 0));
  if (hp.is_moe()) {
    // Mixtral-style llama stores the expert width as feed_forward_length.
    const int64_t fallback = hp.arch == Arch::kLlama ? hp.n_ff[0] : 0;
    STRATA_ASSIGN_OR_RETURN(uint64_t n_ff_exp,
                            gguf.GetUintOr(p + "expert_feed_forward_length", fallback));
    hp.n_ff_exp = static_cast<int64_t>(n_ff_exp);
    if (hp.n_ff_exp <= 0) {
      return absl::NotFoundError(
          absl::StrCat(gguf.path(), ": missing metadata key '", p, "expert_feed_forward_length'"));
    }
    // Expert routing, as llama.cpp: llama and qwen3moe always renormalise the
    // selected weights and never scale them.
    hp.expert_weights_norm = true;
    STRATA_ASSIGN_OR_RETURN(uint64_t gating, gguf.GetUintOr(p + "expert_gating_func", 1));
    if (gating != 1 && gating != 2) {
      return Invalid(gguf, absl::StrCat("unknown expert_gating_func ", gating));
    }
    hp.expert_gating = gating == 2 ? ExpertGating::kSigmoid : ExpertGating::kSoftmax;
  }

  const int64_t default_head_dim = hp.n_embd / hp.n_head[0];
  STRATA_ASSIGN_OR_RETURN(uint64_t head_dim_k,
                          gguf.GetUintOr(p + "attention.key_length", default_head_dim));
  STRATA_ASSIGN_OR_RETURN(uint64_t head_dim_v,
                          gguf.GetUintOr(p + "attention.value_length", head_dim_k));
  hp.head_dim_k = static_cast<int64_t>(head_dim_k);
  hp.head_dim_v = static_cast<int64_t>(head_dim_v);
  if (hp.head_dim_k <= 0 || hp.head_dim_v <= 0 || hp.head_dim_k > 4096) {
    return Invalid(gguf, absl::StrCat("bad head dimensions ", hp.head_dim_k, "/", hp.head_dim_v));
  }

  STRATA_ASSIGN_OR_RETURN(double eps,
                          gguf.GetFloatOr(p + "attention.layer_norm_rms_epsilon", 1e-5));
  hp.rms_eps = static_cast<float>(eps);
  STRATA_ASSIGN_OR_RETURN(uint64_t n_rot,
                          gguf.GetUintOr(p + "rope.dimension_count", hp.head_dim_k));
  hp.n_rot = static_cast<int64_t>(n_rot);
  if (hp.n_rot <= 0 || hp.n_rot > hp.head_dim_k || hp.n_rot % 2 != 0) {
    return Invalid(gguf, absl::StrCat("rope.dimension_count ", hp.n_rot, " is invalid for head ",
                                      "dimension ", hp.head_dim_k));
  }
  STRATA_ASSIGN_OR_RETURN(double base, gguf.GetFloatOr(p + "rope.freq_base", 10000.0));
  hp.rope_freq_base = static_cast<float>(base);

  // As llama.cpp: the scaling type defaults to linear and the factor (new or
  // old key name) sets freq_scale = 1/factor; type "none" never scales.
  STRATA_ASSIGN_OR_RETURN(std::string scaling, gguf.GetStringOr(p + "rope.scaling.type", "linear"));
  double factor = 0.0;
  if (gguf.Find(p + "rope.scaling.factor") != nullptr) {
    STRATA_ASSIGN_OR_RETURN(factor, gguf.GetFloat(p + "rope.scaling.factor"));
  } else {
    STRATA_ASSIGN_OR_RETURN(factor, gguf.GetFloatOr(p + "rope.scale_linear", 0.0));
  }
  if (scaling == "yarn" || scaling == "longrope") {
    if (factor != 0.0 && factor != 1.0) {
      return absl::UnimplementedError(absl::StrCat(gguf.path(), ": RoPE scaling '", scaling,
                                                   "' is not supported yet for ", hp.arch_name));
    }
  } else if (scaling == "linear") {
    if (factor > 0.0) hp.rope_freq_scale = static_cast<float>(1.0 / factor);
  } else if (scaling != "none") {
    return Invalid(gguf, absl::StrCat("unknown rope.scaling.type '", scaling, "'"));
  }

  // The vocabulary size comes from the tokenizer when the arch key is absent.
  STRATA_ASSIGN_OR_RETURN(uint64_t n_vocab, gguf.GetUintOr(p + "vocab_size", 0));
  if (n_vocab == 0) {
    if (gguf.Find("tokenizer.ggml.tokens") != nullptr) {
      STRATA_ASSIGN_OR_RETURN(const GgufArray* tokens, gguf.GetArray("tokenizer.ggml.tokens"));
      n_vocab = tokens->elements.size();
    } else if (const GgufTensorInfo* embd = gguf.FindTensor("token_embd.weight")) {
      n_vocab = static_cast<uint64_t>(embd->ne[1]);
    }
  }
  hp.n_vocab = static_cast<int64_t>(n_vocab);
  if (hp.n_vocab <= 0) return Invalid(gguf, "cannot determine the vocabulary size");
  return hp;
}

}  // namespace strata
