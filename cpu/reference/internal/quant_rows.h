// The per-format row functions behind FindReferenceKernels (cpu/quant_kernels.h).
//
// Private to cpu/reference/: other code reaches these through the kernel
// table. Signatures match QuantKernels' function pointers: `n` is the row
// length in elements, a multiple of the format's block size; quantized rows
// are arrays of the block structs of core/quant_blocks.h. Inputs and outputs
// must not overlap. Pure functions, thread-safe.
#ifndef STRATA_CPU_REFERENCE_INTERNAL_QUANT_ROWS_H_
#define STRATA_CPU_REFERENCE_INTERNAL_QUANT_ROWS_H_

#include <cstdint>

namespace strata::cpu::reference {

// Plain floats (quant_float.cc).
void DequantizeRowF32(const void* src, float* dst, int64_t n);
void QuantizeRowF32(const float* src, void* dst, int64_t n);
float VecDotF32(int64_t n, const void* w, const void* a);
float VecDotF32Batch(int64_t n, const void* w, const void* a);
void DequantizeRowF16(const void* src, float* dst, int64_t n);
void QuantizeRowF16(const float* src, void* dst, int64_t n);
float VecDotF16(int64_t n, const void* w, const void* a);
float VecDotF16Batch(int64_t n, const void* w, const void* a);
void DequantizeRowBF16(const void* src, float* dst, int64_t n);
void QuantizeRowBF16(const float* src, void* dst, int64_t n);
float VecDotBF16(int64_t n, const void* w, const void* a);

// 32-element block formats (quant_legacy.cc).
void DequantizeRowQ4_0(const void* src, float* dst, int64_t n);
void QuantizeRowQ4_0(const float* src, void* dst, int64_t n);
float VecDotQ4_0Q8_0(int64_t n, const void* w, const void* a);
void DequantizeRowQ4_1(const void* src, float* dst, int64_t n);
void QuantizeRowQ4_1(const float* src, void* dst, int64_t n);
float VecDotQ4_1Q8_1(int64_t n, const void* w, const void* a);
void DequantizeRowQ5_0(const void* src, float* dst, int64_t n);
void QuantizeRowQ5_0(const float* src, void* dst, int64_t n);
float VecDotQ5_0Q8_0(int64_t n, const void* w, const void* a);
void DequantizeRowQ5_1(const void* src, float* dst, int64_t n);
void QuantizeRowQ5_1(const float* src, void* dst, int64_t n);
float VecDotQ5_1Q8_1(int64_t n, const void* w, const void* a);
void DequantizeRowQ8_0(const void* src, float* dst, int64_t n);
void QuantizeRowQ8_0(const float* src, void* dst, int64_t n);
float VecDotQ8_0Q8_0(int64_t n, const void* w, const void* a);
void DequantizeRowQ8_1(const void* src, float* dst, int64_t n);
void QuantizeRowQ8_1(const float* src, void* dst, int64_t n);

// K-quants: dequantization, Q8_K and the dot products (quant_k.cc) ...
void DequantizeRowQ2_K(const void* src, float* dst, int64_t n);
float VecDotQ2_KQ8_K(int64_t n, const void* w, const void* a);
void DequantizeRowQ3_K(const void* src, float* dst, int64_t n);
float VecDotQ3_KQ8_K(int64_t n, const void* w, const void* a);
void DequantizeRowQ4_K(const void* src, float* dst, int64_t n);
float VecDotQ4_KQ8_K(int64_t n, const void* w, const void* a);
void DequantizeRowQ5_K(const void* src, float* dst, int64_t n);
float VecDotQ5_KQ8_K(int64_t n, const void* w, const void* a);
void DequantizeRowQ6_K(const void* src, float* dst, int64_t n);
float VecDotQ6_KQ8_K(int64_t n, const void* w, const void* a);
void DequantizeRowQ8_K(const void* src, float* dst, int64_t n);
void QuantizeRowQ8_K(const float* src, void* dst, int64_t n);

// ... and the K-quant weight quantizers (quant_k_quantize.cc).
void QuantizeRowQ2_K(const float* src, void* dst, int64_t n);
void QuantizeRowQ3_K(const float* src, void* dst, int64_t n);
void QuantizeRowQ4_K(const float* src, void* dst, int64_t n);
void QuantizeRowQ5_K(const float* src, void* dst, int64_t n);
void QuantizeRowQ6_K(const float* src, void* dst, int64_t n);

}  // namespace strata::cpu::reference

#endif  // STRATA_CPU_REFERENCE_INTERNAL_QUANT_ROWS_H_
