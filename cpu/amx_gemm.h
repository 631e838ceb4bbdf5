// Prefill matrix × matrix on AMX tiles (Sapphire Rapids and later):
//
//   Y[t, r] = sum_k W[r, k] * X[t, k],  W [rows, k] any supported type,
//   X [n_tokens, k] F32, Y[t * y_stride + r].
//
// Two tile paths:
// - INT8 (TDPBSSD) for weights stored in 32-element blocks with one scale
//   (and min) per block: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K. Activations
//   are quantized per 32-element block to int8 with a float scale; each
//   block's 16 × 16 int32 tile is scaled into float accumulators with
//   AVX-512.
// - BF16 (TDPBF16PS) for F32/F16/BF16 and for every other type (Q6_K, Q2_K,
//   Q3_K): weights are dequantized to BF16, activations rounded to BF16,
//   products accumulated in F32 over the whole row.
//
// Weights are repacked into tile layout per call, one panel of rows at a
// time, by the thread that multiplies it, into that thread's scratch; the
// panel is then used for every token. Strata keeps no repacked copy of the
// weights: the offload cache (offload/) owns the weight bytes, streams and
// evicts them per block, and a second, repacked copy would have to follow
// every residency change and double the RAM the budget accounts for. For a
// prefill batch the repack is O(rows · k) against O(tokens · rows · k) of
// tile work, so per-call repacking costs little once a batch is large, which
// is also the only case AMX is used for (see MatMulOptions in matmul.h).
//
// Results are NOT bit-identical to the exact kernels (cpu/quant_kernels.h):
// the sums are formed in a different order, and activations are quantized
// differently. MatMul therefore uses this only when asked to.
//
// Thread-compatible: one AmxGemmScratch per concurrent caller. AmxGemm
// requires GetCpuFeatures().Has(Isa::kAmx); on other CPUs it must not be
// called (AmxGemmAvailable() says so).
#ifndef STRATA_CPU_AMX_GEMM_H_
#define STRATA_CPU_AMX_GEMM_H_

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "cpu/thread_pool.h"

namespace strata::cpu {

// Reusable buffers for the quantized / rounded activations.
struct AmxGemmScratch {
  std::vector<int8_t> codes;   // [m_pad, k_pad] int8 activations (INT8 path).
  std::vector<float> scales;   // [m_pad, k_pad / 32] their block scales.
  std::vector<int32_t> sums;   // [m_pad, k_pad / 32] sums of each block's codes.
  std::vector<uint16_t> bf16;  // [m_pad, k_pad] BF16 activations (BF16 path).
};

// True when this CPU can run AmxGemm (AMX usable, see cpu_features.h).
bool AmxGemmAvailable();

// Which tile path `type` takes; false for types AmxGemm cannot multiply.
enum class AmxPath { kInt8, kBf16 };
bool AmxGemmSupports(DType type, AmxPath* path = nullptr);

void AmxGemm(const TensorView& w, const float* x, int64_t n_tokens, float* y, int64_t y_stride,
             AmxGemmScratch* scratch, ThreadPool* pool);

namespace internal {

// The same GEMM with every tile instruction replaced by a scalar emulation of
// its documented semantics (the AVX-512 parts run as they are), so that the
// tile code's arithmetic is testable on CPUs without AMX. Requires AVX-512.
void AmxGemmEmulated(const TensorView& w, const float* x, int64_t n_tokens, float* y,
                     int64_t y_stride, AmxGemmScratch* scratch, ThreadPool* pool);

}  // namespace internal

}  // namespace strata::cpu

#endif  // STRATA_CPU_AMX_GEMM_H_
