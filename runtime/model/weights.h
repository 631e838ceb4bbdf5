// The weight tensors of a transformer, bound by name from a GGUF file.
//
// As bound, views carry only their position in the model file
// (`file_offset`); the WeightStore resolves them to memory while their block
// is pinned. Optional tensors that are absent stay empty; `present()` tells.
// Shapes use ggml order: [row length, rows, experts].
#ifndef STRATA_RUNTIME_MODEL_WEIGHTS_H_
#define STRATA_RUNTIME_MODEL_WEIGHTS_H_

#include <vector>

#include "core/tensor.h"

namespace strata {

// Optional tensors that are absent have neither bytes nor a file position.
inline bool present(const TensorView& t) { return t.data != nullptr || t.file_offset != 0; }

struct LayerWeights {
  TensorView attn_norm;  // [n_embd] F32
  TensorView wq;         // [n_embd, n_head * head_dim_k]
  TensorView wk;         // [n_embd, n_head_kv * head_dim_k]
  TensorView wv;         // [n_embd, n_head_kv * head_dim_v]
  TensorView wo;         // [n_head * head_dim_v, n_embd]
  TensorView bq;         // [n_head * head_dim_k] F32, optional (qwen2)
  TensorView bk;         // [n_head_kv * head_dim_k] F32, optional
  TensorView bv;         // [n_head_kv * head_dim_v] F32, optional
  TensorView bo;         // [n_embd] F32, optional
  TensorView q_norm;     // [head_dim_k] F32, optional (qwen3)
  TensorView k_norm;     // [head_dim_k] F32, optional (qwen3)
  TensorView ffn_norm;   // [n_embd] F32

  // Dense feed-forward.
  TensorView ffn_gate;  // [n_embd, n_ff]
  TensorView ffn_up;    // [n_embd, n_ff]
  TensorView ffn_down;  // [n_ff, n_embd]

  // Mixture of experts: the router and the merged expert tensors.
  TensorView ffn_gate_inp;   // [n_embd, n_expert] (F32 in practice)
  TensorView ffn_gate_exps;  // [n_embd, n_ff_exp, n_expert]
  TensorView ffn_up_exps;    // [n_embd, n_ff_exp, n_expert]
  TensorView ffn_down_exps;  // [n_ff_exp, n_embd, n_expert]
};

struct ModelWeights {
  TensorView token_embd;   // [n_embd, n_vocab]
  TensorView output_norm;  // [n_embd] F32
  TensorView output;       // [n_embd, n_vocab]; token_embd when tied
  bool output_tied = false;
  TensorView rope_freqs;  // [n_rot / 2] F32, optional (Llama 3.1 RoPE factors)
  std::vector<LayerWeights> layers;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_MODEL_WEIGHTS_H_
