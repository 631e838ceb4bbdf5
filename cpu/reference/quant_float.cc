// Reference kernels for the unquantized formats: F32, F16 and BF16.
//
// As in ggml, an F16 weight row is dotted with an F16 activation row (the
// activations are rounded to F16 first) and BF16 with BF16; products of two
// halves or two bfloat16s are exact in float, so the only rounding is in the
// float accumulation, which uses kLanes independent partial sums (what SIMD
// code does, and what lets the compiler vectorise without reassociating).
// Pure functions, thread-safe.
#include <cstdint>
#include <cstring>

#include "core/fp16.h"
#include "cpu/reference/internal/quant_math.h"
#include "cpu/reference/internal/quant_rows.h"

namespace strata::cpu::reference {
namespace {

constexpr int kDotLanes = 16;

// sum_i Load(w, i) * Load(a, i), accumulated in kDotLanes float partial sums.
template <typename T, float (*Load)(T)>
float LaneDot(int64_t n, const T* __restrict w, const T* __restrict a) {
  float acc[kDotLanes] = {};
  const int64_t n_main = n - n % kDotLanes;
  for (int64_t i = 0; i < n_main; i += kDotLanes) {
    for (int l = 0; l < kDotLanes; ++l) acc[l] += Load(w[i + l]) * Load(a[i + l]);
  }
  for (int64_t i = n_main; i < n; ++i) acc[i - n_main] += Load(w[i]) * Load(a[i]);
  // Pairwise reduction of the lanes.
  for (int width = kDotLanes / 2; width > 0; width /= 2) {
    for (int l = 0; l < width; ++l) acc[l] += acc[l + width];
  }
  return acc[0];
}

inline float LoadF32(float x) { return x; }

}  // namespace

void DequantizeRowF32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void QuantizeRowF32(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

float VecDotF32(int64_t n, const void* w, const void* a) {
  return LaneDot<float, LoadF32>(n, static_cast<const float*>(w), static_cast<const float*>(a));
}

void DequantizeRowF16(const void* src, float* dst, int64_t n) {
  const uint16_t* __restrict x = static_cast<const uint16_t*>(src);
  float* __restrict y = dst;
  for (int64_t i = 0; i < n; ++i) y[i] = HalfToFloat(x[i]);
}

void QuantizeRowF16(const float* src, void* dst, int64_t n) {
  uint16_t* __restrict y = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) y[i] = Fp32ToFp16(src[i]);
}

float VecDotF16(int64_t n, const void* w, const void* a) {
  return LaneDot<uint16_t, HalfToFloat>(n, static_cast<const uint16_t*>(w),
                                        static_cast<const uint16_t*>(a));
}

void DequantizeRowBF16(const void* src, float* dst, int64_t n) {
  const uint16_t* __restrict x = static_cast<const uint16_t*>(src);
  float* __restrict y = dst;
  for (int64_t i = 0; i < n; ++i) y[i] = Bf16ToFp32(x[i]);
}

void QuantizeRowBF16(const float* src, void* dst, int64_t n) {
  uint16_t* __restrict y = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) y[i] = Fp32ToBf16(src[i]);
}

float VecDotBF16(int64_t n, const void* w, const void* a) {
  return LaneDot<uint16_t, Bf16ToFp32>(n, static_cast<const uint16_t*>(w),
                                       static_cast<const uint16_t*>(a));
}

}  // namespace strata::cpu::reference
