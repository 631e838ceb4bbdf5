// The per-architecture entry points: which tensors a model of this
// architecture has, and its forward pass.
//
// Each architecture lives in its own file (runtime/models/<arch>.cc) and
// reads like a reference implementation, composing the shared blocks of
// runtime/forward/. Descriptors are static and immutable.
#ifndef STRATA_RUNTIME_MODELS_ARCH_H_
#define STRATA_RUNTIME_MODELS_ARCH_H_

#include "absl/status/status.h"
#include "runtime/model/hparams.h"
#include "runtime/model/tensor_binder.h"
#include "runtime/model/weights.h"

namespace strata {

class ForwardPass;

struct ArchDescriptor {
  Arch arch;
  // Binds every tensor of the model; errors name the tensor.
  absl::Status (*bind)(const HParams& hp, const TensorBinder& binder, ModelWeights* weights);
  // Runs one batch of tokens through the model (see ForwardPass).
  void (*forward)(ForwardPass& pass);
};

const ArchDescriptor& LlamaArch();
const ArchDescriptor& Qwen2Arch();
const ArchDescriptor& Qwen3Arch();
const ArchDescriptor& Qwen3MoeArch();

// The descriptor for hp.arch.
const ArchDescriptor& GetArch(Arch arch);

// Binding shared by the Llama-family architectures.
struct LayerSpec {
  enum class Bias { kNone, kOptional, kRequired };
  Bias qkv_bias = Bias::kNone;
  bool qk_norm = false;
};
absl::Status BindDecoderWeights(const HParams& hp, const TensorBinder& binder,
                                const LayerSpec& spec, ModelWeights* weights);

}  // namespace strata

#endif  // STRATA_RUNTIME_MODELS_ARCH_H_
