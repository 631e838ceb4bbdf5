// Matrix multiplication of weights (any supported type) with F32 activations.
//
//   Y[t, r] = sum_k W[r, k] * X[t, k],  W [rows, k], X [n_tokens, k], Y [n_tokens, rows]
//
// As in ggml, activations are first quantized once to the weight type's
// vec_dot_type (see cpu/quant_kernels.h); the kernel then walks tiles of
// (rows x tokens) in parallel, so each weight row is read from memory once per
// tile of tokens and the activation tile stays in cache. Work splits across the
// ThreadPool; tiny products run on the calling thread. Thread-compatible: one
// QuantizedActivations per concurrent caller.
//
// The products come from FindKernels (the fastest exact kernels this CPU
// runs: equal, bit for bit, to the reference's). Only when MatMulOptions
// allow it do large batches go to the AMX tile GEMM (cpu/amx_gemm.h), which
// is faster but not bit-identical. The MoE block's per-expert products are
// already grouped: it gathers the tokens routed to each expert and multiplies
// them in one MatMul per expert matrix, so a prefill batch reaches the
// tiled (and AMX) paths with all of an expert's tokens at once.
#ifndef STRATA_CPU_MATMUL_H_
#define STRATA_CPU_MATMUL_H_

#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"
#include "cpu/thread_pool.h"

namespace strata::cpu {

// Activations encoded in some vec_dot_type, one row per token.
class QuantizedActivations {
 public:
  // Encodes x [n_tokens, k] as `type` rows (F32 keeps a pointer, no copy).
  void Quantize(DType type, const float* x, int64_t n_tokens, int64_t k, ThreadPool* pool);

  DType type() const { return type_; }
  int64_t k() const { return k_; }
  int64_t n_tokens() const { return n_tokens_; }
  int64_t row_bytes() const { return row_bytes_; }
  const uint8_t* row(int64_t t) const { return data_ + t * row_bytes_; }
  // The float rows that were quantized (valid while the caller keeps them
  // unchanged); the AMX path quantizes them its own way.
  const float* source() const { return source_; }

 private:
  DType type_ = DType::kF32;
  int64_t k_ = 0;
  int64_t n_tokens_ = 0;
  int64_t row_bytes_ = 0;
  const uint8_t* data_ = nullptr;
  const float* source_ = nullptr;
  std::vector<uint8_t> storage_;
};

// How MatMul may trade exactness for speed. The defaults are exact.
struct MatMulOptions {
  // Multiply batches of at least amx_min_tokens tokens on AMX tiles when the
  // CPU allows it. Not bit-identical to llama.cpp (see cpu/amx_gemm.h).
  bool allow_amx = false;
  int64_t amx_min_tokens = 64;
  // Testing: run the AMX path through its scalar tile emulation (any
  // AVX-512 CPU), to measure what AMX prefill changes. Slow.
  bool emulate_amx = false;
};

// Process-wide; set before running (not synchronised with MatMul calls).
void SetMatMulOptions(const MatMulOptions& options);
const MatMulOptions& GetMatMulOptions();

// The activation format MatMul needs for weights of `weight_type`.
DType ActivationTypeFor(DType weight_type);

// Y = X Wᵀ with X already quantized to ActivationTypeFor(w.type).
// `y_stride` is the distance in floats between consecutive tokens' outputs.
void MatMulQuantized(const TensorView& w, const QuantizedActivations& x, float* y, int64_t y_stride,
                     ThreadPool* pool);

// Convenience: quantizes x into `scratch` and multiplies. y_stride = rows(w).
void MatMul(const TensorView& w, const float* x, int64_t n_tokens, float* y,
            QuantizedActivations* scratch, ThreadPool* pool);

}  // namespace strata::cpu

#endif  // STRATA_CPU_MATMUL_H_
