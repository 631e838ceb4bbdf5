// Qwen3-MoE (Qwen3-30B-A3B, Qwen3-235B-A22B).
//
// Qwen3's attention (per-head q/k RMSNorm, NeoX RoPE, no biases) with a sparse
// FFN in every layer: softmax over all experts' router logits, the top-k
// (k = expert_used_count) by probability, their probabilities renormalised to
// sum to 1, each expert a SwiGLU FFN of width expert_feed_forward_length. No
// shared expert.
#include "runtime/forward/forward_pass.h"
#include "runtime/models/arch.h"

namespace strata {
namespace {

absl::Status BindQwen3Moe(const HParams& hp, const TensorBinder& binder, ModelWeights* weights) {
  return BindDecoderWeights(hp, binder, {.qk_norm = true}, weights);
}

void ForwardQwen3Moe(ForwardPass& pass) {
  const HParams& hp = pass.hparams();
  pass.Embed();
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& w = pass.layer(il);
    pass.Norm(w.attn_norm);
    pass.SelfAttention(il, {.qk_norm = true});
    pass.AddToResidual();
    if (il == hp.n_layer - 1) pass.KeepOutputRows();
    pass.Norm(w.ffn_norm);
    pass.MixtureOfExperts(il);
    pass.AddToResidual();
  }
  pass.Logits();
}

}  // namespace

const ArchDescriptor& Qwen3MoeArch() {
  static const ArchDescriptor kArch = {Arch::kQwen3Moe, &BindQwen3Moe, &ForwardQwen3Moe};
  return kArch;
}

}  // namespace strata
