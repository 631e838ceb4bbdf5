// Entry points of the ISA-specific kernel translation units (cpu/x86/*.cc),
// for the kernel tables (cpu/quant_kernels.cc) and nothing else.
//
// Each ISA namespace declares the same functions, with the signatures of
// QuantKernels' members. Only declarations live here: the translation units
// that define them are compiled with their ISA's -m flags, and anything
// inline they shared with baseline code could be emitted with (and linked
// as) AVX-512 instructions. cpu/CMakeLists.txt checks their object files for
// such shared symbols. Callers must check the CPU first (cpu/cpu_features.h).
// Pure functions, thread-safe.
#ifndef STRATA_CPU_X86_INTERNAL_ISA_KERNELS_H_
#define STRATA_CPU_X86_INTERNAL_ISA_KERNELS_H_

#include <cstdint>

#include "cpu/dot_tile.h"

// The weight types with optimised kernels, as X(name) for DType::k<name>.
#define STRATA_X86_KERNEL_TYPES(X) \
  X(F32)                           \
  X(F16)                           \
  X(BF16)                          \
  X(Q4_0)                          \
  X(Q4_1)                          \
  X(Q5_0)                          \
  X(Q5_1)                          \
  X(Q8_0)                          \
  X(Q2_K)                          \
  X(Q3_K)                          \
  X(Q4_K)                          \
  X(Q5_K)                          \
  X(Q6_K)

#define STRATA_X86_DECLARE_KERNELS(T)                       \
  float VecDot##T(int64_t n, const void* w, const void* a); \
  void DotTile##T(const DotTileArgs& args);

namespace strata::cpu::avx2 {
STRATA_X86_KERNEL_TYPES(STRATA_X86_DECLARE_KERNELS)
float VecDotF32Batch(int64_t n, const void* w, const void* a);
float VecDotF16Batch(int64_t n, const void* w, const void* a);
}  // namespace strata::cpu::avx2

namespace strata::cpu::avx512 {
STRATA_X86_KERNEL_TYPES(STRATA_X86_DECLARE_KERNELS)
float VecDotF32Batch(int64_t n, const void* w, const void* a);
float VecDotF16Batch(int64_t n, const void* w, const void* a);
}  // namespace strata::cpu::avx512

#endif  // STRATA_CPU_X86_INTERNAL_ISA_KERNELS_H_
