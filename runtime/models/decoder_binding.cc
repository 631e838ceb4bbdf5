// Tensor binding for the Llama-family decoders (llama, mixtral, qwen2,
// qwen3, qwen3moe): one pre-norm attention block and one FFN or MoE block per
// layer, token embedding, final norm, and an output matrix that may be tied
// to the embedding.
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/models/arch.h"

namespace strata {

absl::Status BindDecoderWeights(const HParams& hp, const TensorBinder& binder,
                                const LayerSpec& spec, ModelWeights* w) {
  const int64_t n_embd = hp.n_embd;
  STRATA_ASSIGN_OR_RETURN(w->token_embd,
                          binder.Require("token_embd.weight", {n_embd, hp.n_vocab, 1}));
  STRATA_ASSIGN_OR_RETURN(w->output_norm, binder.Require("output_norm.weight", {n_embd, 1, 1}));
  STRATA_ASSIGN_OR_RETURN(w->output, binder.Optional("output.weight", {n_embd, hp.n_vocab, 1}));
  w->output_tied = !present(w->output);
  if (w->output_tied) w->output = w->token_embd;
  STRATA_ASSIGN_OR_RETURN(w->rope_freqs,
                          binder.Optional("rope_freqs.weight", {hp.n_rot / 2, 1, 1}));

  w->layers.resize(hp.n_layer);
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    LayerWeights& l = w->layers[il];
    auto name = [il](const char* suffix) { return TensorBinder::LayerName(il, suffix); };
    const int64_t q_dim = hp.n_head[il] * hp.head_dim_k;
    const int64_t k_dim = hp.n_head_kv[il] * hp.head_dim_k;
    const int64_t v_dim = hp.n_head_kv[il] * hp.head_dim_v;
    const int64_t o_dim = hp.n_head[il] * hp.head_dim_v;

    STRATA_ASSIGN_OR_RETURN(l.attn_norm, binder.Require(name("attn_norm.weight"), {n_embd, 1, 1}));
    STRATA_ASSIGN_OR_RETURN(l.wq, binder.Require(name("attn_q.weight"), {n_embd, q_dim, 1}));
    STRATA_ASSIGN_OR_RETURN(l.wk, binder.Require(name("attn_k.weight"), {n_embd, k_dim, 1}));
    STRATA_ASSIGN_OR_RETURN(l.wv, binder.Require(name("attn_v.weight"), {n_embd, v_dim, 1}));
    STRATA_ASSIGN_OR_RETURN(l.wo, binder.Require(name("attn_output.weight"), {o_dim, n_embd, 1}));
    if (spec.qkv_bias != LayerSpec::Bias::kNone) {
      const bool required = spec.qkv_bias == LayerSpec::Bias::kRequired;
      auto bind = [&](const char* suffix, int64_t n) {
        return required ? binder.Require(name(suffix), {n, 1, 1})
                        : binder.Optional(name(suffix), {n, 1, 1});
      };
      STRATA_ASSIGN_OR_RETURN(l.bq, bind("attn_q.bias", q_dim));
      STRATA_ASSIGN_OR_RETURN(l.bk, bind("attn_k.bias", k_dim));
      STRATA_ASSIGN_OR_RETURN(l.bv, bind("attn_v.bias", v_dim));
      STRATA_ASSIGN_OR_RETURN(l.bo, binder.Optional(name("attn_output.bias"), {n_embd, 1, 1}));
    }
    if (spec.qk_norm) {
      STRATA_ASSIGN_OR_RETURN(l.q_norm,
                              binder.Require(name("attn_q_norm.weight"), {hp.head_dim_k, 1, 1}));
      STRATA_ASSIGN_OR_RETURN(l.k_norm,
                              binder.Require(name("attn_k_norm.weight"), {hp.head_dim_k, 1, 1}));
    }
    STRATA_ASSIGN_OR_RETURN(l.ffn_norm, binder.Require(name("ffn_norm.weight"), {n_embd, 1, 1}));

    if (hp.is_moe()) {
      const int64_t n_exp = hp.n_expert;
      const int64_t n_ff = hp.n_ff_exp;
      STRATA_ASSIGN_OR_RETURN(l.ffn_gate_inp,
                              binder.Require(name("ffn_gate_inp.weight"), {n_embd, n_exp, 1}));
      STRATA_ASSIGN_OR_RETURN(l.ffn_gate_exps,
                              binder.Require(name("ffn_gate_exps.weight"), {n_embd, n_ff, n_exp}));
      STRATA_ASSIGN_OR_RETURN(l.ffn_up_exps,
                              binder.Require(name("ffn_up_exps.weight"), {n_embd, n_ff, n_exp}));
      STRATA_ASSIGN_OR_RETURN(l.ffn_down_exps,
                              binder.Require(name("ffn_down_exps.weight"), {n_ff, n_embd, n_exp}));
    } else {
      const int64_t n_ff = hp.n_ff[il];
      STRATA_ASSIGN_OR_RETURN(l.ffn_gate,
                              binder.Require(name("ffn_gate.weight"), {n_embd, n_ff, 1}));
      STRATA_ASSIGN_OR_RETURN(l.ffn_up, binder.Require(name("ffn_up.weight"), {n_embd, n_ff, 1}));
      STRATA_ASSIGN_OR_RETURN(l.ffn_down,
                              binder.Require(name("ffn_down.weight"), {n_ff, n_embd, 1}));
    }
  }
  return absl::OkStatus();
}

const ArchDescriptor& GetArch(Arch arch) {
  switch (arch) {
    case Arch::kLlama:
      return LlamaArch();
    case Arch::kQwen2:
      return Qwen2Arch();
    case Arch::kQwen3:
      return Qwen3Arch();
    case Arch::kQwen3Moe:
      return Qwen3MoeArch();
  }
  return LlamaArch();
}

}  // namespace strata
