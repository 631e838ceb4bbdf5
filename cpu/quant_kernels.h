// Per-type kernel table for the quantized formats.
//
// For each supported DType: conversion of a row to float, quantization of a
// float row into the type (for activations and for writing models), and the
// dot product of a weight row with an activation row. As in ggml, activations
// are first quantized to the weight type's `vec_dot_type` (Q8_0 for
// Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants, F16 for F16,
// BF16 for BF16, F32 for F32), and the dot product then runs on integers
// within each block. Matching that scheme is what makes our logits agree with
// llama.cpp's to within 5e-2 on quantized models.
//
// Rows hold n elements, n a multiple of the type's block size. The tables are
// immutable; the functions are pure and thread-safe.
#ifndef STRATA_CPU_QUANT_KERNELS_H_
#define STRATA_CPU_QUANT_KERNELS_H_

#include <cstdint>

#include "core/dtype.h"

namespace strata::cpu {

struct QuantKernels {
  DType type;
  // Activation format the dot product expects.
  DType vec_dot_type;
  // dst[0..n) = the values encoded in src.
  void (*to_float)(const void* src, float* dst, int64_t n);
  // Encodes src[0..n) into dst; nullptr when Strata has no quantizer for it.
  void (*from_float)(const float* src, void* dst, int64_t n);
  // Returns sum_i w[i] * a[i], w a row of `type`, a a row of `vec_dot_type`.
  // nullptr for activation-only formats (Q8_1, Q8_K).
  float (*vec_dot)(int64_t n, const void* w, const void* a);
  // The same sum in the order llama.cpp uses when it multiplies two or more
  // activation rows at once (llamafile's sgemm), where that order differs
  // from vec_dot's; valid when n % 16 == 0 and the matrix has a multiple of
  // 4 rows (otherwise llama.cpp falls back to vec_dot). nullptr: use vec_dot.
  float (*vec_dot_batch)(int64_t n, const void* w, const void* a) = nullptr;
};

// The scalar reference kernels (cpu/reference/): the ground truth every
// optimised kernel is tested against. nullptr for unsupported types.
const QuantKernels* FindReferenceKernels(DType type);

}  // namespace strata::cpu

#endif  // STRATA_CPU_QUANT_KERNELS_H_
