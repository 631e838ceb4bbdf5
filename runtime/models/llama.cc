// Llama (1/2/3) and Mixtral.
//
// A pre-norm decoder: per layer, RMSNorm → grouped-query self-attention with
// RoPE on adjacent pairs (optionally scaled per pair by `rope_freqs`) →
// residual → RMSNorm → SwiGLU FFN, or for Mixtral a softmax router choosing
// the top-k experts, renormalised → residual. Final RMSNorm and the output
// matrix (tied to the embedding when absent).
#include "runtime/forward/forward_pass.h"
#include "runtime/models/arch.h"

namespace strata {
namespace {

absl::Status BindLlama(const HParams& hp, const TensorBinder& binder, ModelWeights* weights) {
  // Some Llama derivatives ship attention biases; llama.cpp loads them if present.
  return BindDecoderWeights(hp, binder, {.qkv_bias = LayerSpec::Bias::kOptional}, weights);
}

void ForwardLlama(ForwardPass& pass) {
  const HParams& hp = pass.hparams();
  pass.Embed();
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& w = pass.layer(il);
    pass.Norm(w.attn_norm);
    pass.SelfAttention(il, {.qk_norm = false});
    pass.AddToResidual();
    if (il == hp.n_layer - 1) pass.KeepOutputRows();
    pass.Norm(w.ffn_norm);
    if (hp.is_moe()) {
      pass.MixtureOfExperts(il);
    } else {
      pass.FeedForward(il);
    }
    pass.AddToResidual();
  }
  pass.Logits();
}

}  // namespace

const ArchDescriptor& LlamaArch() {
  static const ArchDescriptor kArch = {Arch::kLlama, &BindLlama, &ForwardLlama};
  return kArch;
}

}  // namespace strata
