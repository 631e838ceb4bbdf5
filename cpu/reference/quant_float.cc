// Reference kernels for the unquantized formats: F32, F16 and BF16.
//
// As in ggml, an F16 weight row is dotted with an F16 activation row (the
// activations are rounded to F16 first) and BF16 with BF16; products of two
// halves or two bfloat16s are exact in float, so the only rounding is in the
// accumulation. F32 and F16 dots follow llama.cpp's orders (see VecDotF32,
// VecDotF16 and their Batch versions); BF16 uses kDotLanes independent
// partial sums (llama.cpp's BF16 dot depends on the CPU's vdpbf16ps).
// Pure functions, thread-safe.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/fp16.h"
#include "cpu/multiversion.h"
#include "cpu/reference/internal/quant_math.h"
#include "cpu/reference/internal/quant_rows.h"

namespace strata::cpu::reference {
namespace {

constexpr int kDotLanes = 16;

// Pairwise reduction of the lanes, halves added down to one lane (the order
// of _mm512_reduce_add_ps).
inline float Reduce16(float* acc) {
  for (int width = kDotLanes / 2; width > 0; width /= 2) {
    for (int l = 0; l < width; ++l) acc[l] += acc[l + width];
  }
  return acc[0];
}

// sum_i Load(w, i) * Load(a, i), accumulated in kDotLanes float partial sums.
template <typename T, float (*Load)(T)>
float LaneDot(int64_t n, const T* __restrict w, const T* __restrict a) {
  float acc[kDotLanes] = {};
  const int64_t n_main = n - n % kDotLanes;
  for (int64_t i = 0; i < n_main; i += kDotLanes) {
    for (int l = 0; l < kDotLanes; ++l) acc[l] += Load(w[i + l]) * Load(a[i + l]);
  }
  for (int64_t i = n_main; i < n; ++i) acc[i - n_main] += Load(w[i]) * Load(a[i]);
  return Reduce16(acc);
}

}  // namespace

STRATA_MULTIVERSION
void DequantizeRowF32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

STRATA_MULTIVERSION
void QuantizeRowF32(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

// F32 dot products follow llama.cpp (AVX-512 build) bit for bit, because
// they feed the MoE router and attention: ggml_vec_dot_f32 runs four 16-lane
// fused multiply-add accumulators over steps of 64 elements, adds them as
// (0 + 2) + (1 + 3), reduces the lanes, then adds the remaining elements one
// by one (multiply, then add).
STRATA_MULTIVERSION
float VecDotF32(int64_t n, const void* w, const void* a) {
  const float* __restrict x = static_cast<const float*>(w);
  const float* __restrict y = static_cast<const float*>(a);
  const int64_t n_main = n - n % (4 * kDotLanes);
  float acc[4][kDotLanes] = {};
  for (int64_t i = 0; i < n_main; i += 4 * kDotLanes) {
    for (int j = 0; j < 4; ++j) {
      for (int l = 0; l < kDotLanes; ++l) {
        const int64_t e = i + j * kDotLanes + l;
        acc[j][l] = std::fma(x[e], y[e], acc[j][l]);
      }
    }
  }
  for (int l = 0; l < kDotLanes; ++l) {
    acc[0][l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
  }
  float sum = Reduce16(acc[0]);
  for (int64_t i = n_main; i < n; ++i) {
    const float product = x[i] * y[i];
    sum += product;
  }
  return sum;
}

// llamafile's tinyBLAS (what llama.cpp uses for F32 weights when two or more
// activation rows are multiplied at once): one 16-lane fused multiply-add
// accumulator over the whole row, then the lane reduction. n % 16 == 0.
STRATA_MULTIVERSION
float VecDotF32Batch(int64_t n, const void* w, const void* a) {
  const float* __restrict x = static_cast<const float*>(w);
  const float* __restrict y = static_cast<const float*>(a);
  float acc[kDotLanes] = {};
  for (int64_t i = 0; i < n; i += kDotLanes) {
    for (int l = 0; l < kDotLanes; ++l) acc[l] = std::fma(x[i + l], y[i + l], acc[l]);
  }
  return Reduce16(acc);
}

STRATA_MULTIVERSION
void DequantizeRowF16(const void* src, float* dst, int64_t n) {
  const uint16_t* __restrict x = static_cast<const uint16_t*>(src);
  float* __restrict y = dst;
  for (int64_t i = 0; i < n; ++i) y[i] = HalfToFloat(x[i]);
}

STRATA_MULTIVERSION
void QuantizeRowF16(const float* src, void* dst, int64_t n) {
  uint16_t* __restrict y = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) y[i] = Fp32ToFp16(src[i]);
}

// One activation row: ggml_vec_dot_f16 (AVX-512 build), four 16-lane fused
// multiply-add accumulators over steps of 64 elements, added as (0 + 2) +
// (1 + 3), the lane reduction, then the remaining products (exact in float)
// added in double, and the double sum rounded to float at the end.
STRATA_MULTIVERSION
float VecDotF16(int64_t n, const void* w, const void* a) {
  const uint16_t* __restrict x = static_cast<const uint16_t*>(w);
  const uint16_t* __restrict y = static_cast<const uint16_t*>(a);
  const int64_t n_main = n - n % (4 * kDotLanes);
  float acc[4][kDotLanes] = {};
  for (int64_t i = 0; i < n_main; i += 4 * kDotLanes) {
    for (int j = 0; j < 4; ++j) {
      for (int l = 0; l < kDotLanes; ++l) {
        const int64_t e = i + j * kDotLanes + l;
        acc[j][l] = std::fma(HalfToFloat(x[e]), HalfToFloat(y[e]), acc[j][l]);
      }
    }
  }
  for (int l = 0; l < kDotLanes; ++l) {
    acc[0][l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
  }
  double sum = Reduce16(acc[0]);
  for (int64_t i = n_main; i < n; ++i) {
    const float product = HalfToFloat(x[i]) * HalfToFloat(y[i]);
    sum += static_cast<double>(product);
  }
  return static_cast<float>(sum);
}

// Two or more activation rows: llamafile's tinyBLAS for F16 weights, which
// reads the activations as F32 (not rounded to F16): one 16-lane fused
// accumulator of (F16 weight as float) × (F32 activation) over the whole row
// (n % 16 == 0), then the lane reduction. `a` is an F32 row.
STRATA_MULTIVERSION
float VecDotF16Batch(int64_t n, const void* w, const void* a) {
  const uint16_t* __restrict x = static_cast<const uint16_t*>(w);
  const float* __restrict y = static_cast<const float*>(a);
  float acc[kDotLanes] = {};
  for (int64_t i = 0; i < n; i += kDotLanes) {
    for (int l = 0; l < kDotLanes; ++l) acc[l] = std::fma(HalfToFloat(x[i + l]), y[i + l], acc[l]);
  }
  return Reduce16(acc);
}

STRATA_MULTIVERSION
void DequantizeRowBF16(const void* src, float* dst, int64_t n) {
  const uint16_t* __restrict x = static_cast<const uint16_t*>(src);
  float* __restrict y = dst;
  for (int64_t i = 0; i < n; ++i) y[i] = Bf16ToFp32(x[i]);
}

STRATA_MULTIVERSION
void QuantizeRowBF16(const float* src, void* dst, int64_t n) {
  uint16_t* __restrict y = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) y[i] = Fp32ToBf16(src[i]);
}

STRATA_MULTIVERSION
float VecDotBF16(int64_t n, const void* w, const void* a) {
  return LaneDot<uint16_t, Bf16ToFp32>(n, static_cast<const uint16_t*>(w),
                                       static_cast<const uint16_t*>(a));
}

}  // namespace strata::cpu::reference
