// Qwen3 (dense).
//
// A pre-norm decoder with no attention biases; each query and key head is
// RMS-normalised (its own learned weight over head_dim) before NeoX RoPE.
// head_dim comes from attention.key_length and need not equal
// n_embd / n_head. SwiGLU FFN.
#include "runtime/forward/forward_pass.h"
#include "runtime/models/arch.h"

namespace strata {
namespace {

absl::Status BindQwen3(const HParams& hp, const TensorBinder& binder, ModelWeights* weights) {
  return BindDecoderWeights(hp, binder, {.qk_norm = true}, weights);
}

void ForwardQwen3(ForwardPass& pass) {
  const HParams& hp = pass.hparams();
  pass.Embed();
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& w = pass.layer(il);
    pass.Norm(w.attn_norm);
    pass.SelfAttention(il, {.qk_norm = true});
    pass.AddToResidual();
    if (il == hp.n_layer - 1) pass.KeepOutputRows();
    pass.Norm(w.ffn_norm);
    pass.FeedForward(il);
    pass.AddToResidual();
  }
  pass.Logits();
}

}  // namespace

const ArchDescriptor& Qwen3Arch() {
  static const ArchDescriptor kArch = {Arch::kQwen3, &BindQwen3, &ForwardQwen3};
  return kArch;
}

}  // namespace strata
