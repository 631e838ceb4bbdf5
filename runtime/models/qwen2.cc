// Qwen2 (and Qwen2.5).
//
// A pre-norm decoder like Llama, with two differences: the Q, K and V
// projections carry biases, and RoPE rotates x[i] with x[i + n_rot/2] (NeoX
// pairing). SwiGLU FFN; output tied to the embedding in the small models.
#include "runtime/forward/forward_pass.h"
#include "runtime/models/arch.h"

namespace strata {
namespace {

absl::Status BindQwen2(const HParams& hp, const TensorBinder& binder, ModelWeights* weights) {
  return BindDecoderWeights(hp, binder, {.qkv_bias = LayerSpec::Bias::kRequired}, weights);
}

void ForwardQwen2(ForwardPass& pass) {
  const HParams& hp = pass.hparams();
  pass.Embed();
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& w = pass.layer(il);
    pass.Norm(w.attn_norm);
    pass.SelfAttention(il, {.qk_norm = false});  // q/k/v biases are bound, so applied.
    pass.AddToResidual();
    if (il == hp.n_layer - 1) pass.KeepOutputRows();
    pass.Norm(w.ffn_norm);
    pass.FeedForward(il);
    pass.AddToResidual();
  }
  pass.Logits();
}

}  // namespace

const ArchDescriptor& Qwen2Arch() {
  static const ArchDescriptor kArch = {Arch::kQwen2, &BindQwen2, &ForwardQwen2};
  return kArch;
}

}  // namespace strata
