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
//
// There is one table per kernel ISA (cpu/cpu_features.h). FindReferenceKernels
// is the scalar ground truth; FindKernels returns the fastest table this CPU
// runs, chosen once at start-up. Every optimised dot product returns the same
// float, bit for bit, as the reference's (cpu/kernels_consistency_test.cc
// checks it per ISA); entries without an optimised version are the
// reference's functions.
#ifndef STRATA_CPU_QUANT_KERNELS_H_
#define STRATA_CPU_QUANT_KERNELS_H_

#include <cstdint>

#include "core/dtype.h"
#include "cpu/cpu_features.h"
#include "cpu/dot_tile.h"

namespace strata::cpu {

struct QuantKernels {
  DType type;
  // Activation format the dot product expects.
  DType vec_dot_type;
  // dst[0..n) = the values encoded in src.
  void (*to_float)(const void* src, float* dst, int64_t n);
  // Encodes src[0..n) into dst; nullptr when Strata has no quantizer for it.
  void (*from_float)(const float* src, void* dst, int64_t n);
  // Returns sum_i w[i] * a[i], w a row of `type`, a a row of `vec_dot_type`
  // as that type's from_float writes it (the optimised kernels rely on its
  // invariants: Q8 codes in [-127, 127], Q8_K block sums equal to the codes').
  // nullptr for activation-only formats (Q8_1, Q8_K).
  float (*vec_dot)(int64_t n, const void* w, const void* a);
  // The same sum in the order llama.cpp uses when it multiplies two or more
  // activation rows at once (llamafile's sgemm), where that order differs
  // from vec_dot's; valid when n % 16 == 0 and the matrix has a multiple of
  // 4 rows (otherwise llama.cpp falls back to vec_dot). nullptr: use vec_dot.
  float (*vec_dot_batch)(int64_t n, const void* w, const void* a) = nullptr;
  // vec_dot_batch reads F32 activation rows instead of vec_dot_type rows
  // (F16: llamafile multiplies F16 weights by the unrounded F32 activations).
  bool batch_reads_f32 = false;
  // A tile of dot products at once (see cpu/dot_tile.h), each equal to
  // vec_dot's (or vec_dot_batch's, with args.batch) result for its row and
  // column; shares activation loads across rows and weight decoding across
  // columns. nullptr: call vec_dot per element.
  void (*dot_tile)(const DotTileArgs& args) = nullptr;
  // The ISA whose code the optimised entries run.
  Isa isa = Isa::kScalar;
};

// The scalar reference kernels (cpu/reference/): the ground truth every
// optimised kernel is tested against. nullptr for unsupported types.
const QuantKernels* FindReferenceKernels(DType type);

// The fastest kernels for `type` on this CPU (SelectedIsa()). nullptr for
// unsupported types.
const QuantKernels* FindKernels(DType type);

// The kernels of one ISA, for tests and benchmarks: nullptr when this CPU
// cannot run `isa` or the type is unsupported. kAmx's table is kAvx512's (AMX
// serves the prefill GEMM, cpu/amx_gemm.h, not dot products).
const QuantKernels* FindKernelsForIsa(DType type, Isa isa);

}  // namespace strata::cpu

#endif  // STRATA_CPU_QUANT_KERNELS_H_
