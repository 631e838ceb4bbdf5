// Hyper-parameters of a model, read from GGUF metadata.
//
// Keys follow llama.cpp's conventions, prefixed with the architecture name
// (`qwen3moe.embedding_length`, ...). Per-layer values (feed_forward_length and
// head counts may be arrays) are expanded to one entry per layer. Plain value
// type, immutable after ReadHParams.
#ifndef STRATA_RUNTIME_MODEL_HPARAMS_H_
#define STRATA_RUNTIME_MODEL_HPARAMS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cpu/rope.h"
#include "storage/gguf_file.h"

namespace strata {

enum class Arch { kLlama, kQwen2, kQwen3, kQwen3Moe };

enum class ExpertGating { kSoftmax, kSigmoid };

struct HParams {
  Arch arch = Arch::kLlama;
  std::string arch_name;   // As in general.architecture.
  std::string model_name;  // general.name, may be empty.

  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  std::vector<int64_t> n_head;     // [n_layer]
  std::vector<int64_t> n_head_kv;  // [n_layer]
  std::vector<int64_t> n_ff;       // [n_layer] dense FFN width (0 for MoE layers)
  int64_t head_dim_k = 0;          // attention.key_length
  int64_t head_dim_v = 0;          // attention.value_length
  float rms_eps = 1e-5f;

  // RoPE.
  cpu::RopeMode rope_mode = cpu::RopeMode::kAdjacent;
  int64_t n_rot = 0;
  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;

  // Mixture of experts (n_expert == 0: dense).
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  int64_t n_ff_exp = 0;  // Width of one expert's FFN.
  bool expert_weights_norm = false;
  float expert_weights_scale = 0.0f;  // 0 or 1: no scaling.
  ExpertGating expert_gating = ExpertGating::kSoftmax;

  bool is_moe() const { return n_expert > 0; }
  // Attention output width of a layer: n_head * head_dim_v.
  int64_t q_dim(int64_t layer) const { return n_head[layer] * head_dim_k; }
  int64_t kv_dim_k(int64_t layer) const { return n_head_kv[layer] * head_dim_k; }
  int64_t kv_dim_v(int64_t layer) const { return n_head_kv[layer] * head_dim_v; }
};

// Architecture names Strata can run, for messages.
const std::vector<std::string>& SupportedArchNames();

// Reads and validates hyper-parameters; Unimplemented for unknown
// architectures, NotFound for missing required keys, InvalidArgument for
// inconsistent values (e.g. n_head not a multiple of n_head_kv).
absl::StatusOr<HParams> ReadHParams(const GgufFile& gguf);

}  // namespace strata

#endif  // STRATA_RUNTIME_MODEL_HPARAMS_H_
