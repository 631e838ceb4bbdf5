// Small arithmetic helpers shared by the scalar reference kernels.
//
// Everything here is inline, pure and thread-safe. The helpers are written so
// that loops calling them still auto-vectorise: no libm calls, no branches
// that depend on data (selects only), no lookup tables.
#ifndef STRATA_CPU_REFERENCE_INTERNAL_QUANT_MATH_H_
#define STRATA_CPU_REFERENCE_INTERNAL_QUANT_MATH_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/fp16.h"
#include "core/quant_blocks.h"

namespace strata::cpu::reference {

// Round to nearest, ties to even, for |x| < 2^22. Adding 1.5 * 2^23 pushes the
// fraction bits out of the mantissa, so the FPU's default rounding (nearest
// even) does the work; this is what _mm256_round_ps(_MM_ROUND_NEAREST) and
// ggml's nearest_int compute, and unlike std::nearbyint it needs no libm call
// on baseline x86-64 and so vectorises. Requires IEEE semantics (no
// -ffast-math / -fassociative-math, which could fold the two additions).
inline float RoundHalfEven(float x) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  return (x + kMagic) - kMagic;
}

// round-half-even(clamp(x, lo, hi)) as an int. Clamping first keeps the
// magic-number rounding in range and turns Inf/NaN into lo or hi.
inline int ClampRound(float x, float lo, float hi) {
  return static_cast<int>(RoundHalfEven(std::max(lo, std::min(x, hi))));
}

// clamp(round-half-even(x), lo, hi) for finite |x| < 2^22, clamping the
// integer: unlike ClampRound this vectorises (float min/max do not, under
// GCC's default -ftrapping-math), so the scale searches, which know their
// arguments are bounded, use it in their inner loops.
inline int RoundClampInt(float x, int lo, int hi) {
  return std::min(std::max(static_cast<int>(RoundHalfEven(x)), lo), hi);
}

// F16 -> F32 without branches, equal to strata::Fp16ToFp32 for all 65536
// inputs (tested). Normal halves are rebiased by a float multiply; subnormal
// halves are built as 0.5 + m * 2^-24 in a float with exponent 2^-1 and the 0.5
// subtracted. Used in the hot F16 loops; scalar code may use core/fp16.h.
inline float HalfToFloat(uint16_t h) {
  const uint32_t w = static_cast<uint32_t>(h) << 16;
  const uint32_t sign = w & 0x80000000u;
  const uint32_t two_w = w + w;  // Drops the sign bit.
  const float normalized = BitsToFloat((two_w >> 4) + (0xE0u << 23)) * 0x1.0p-112f;
  const float denormalized = BitsToFloat((two_w >> 17) | (126u << 23)) - 0.5f;
  // A mask rather than ?: so that GCC keeps both float operations
  // unconditional and the select vectorises.
  const uint32_t is_subnormal = 0u - static_cast<uint32_t>(two_w < (1u << 27));
  const uint32_t magnitude =
      (FloatBits(denormalized) & is_subnormal) | (FloatBits(normalized) & ~is_subnormal);
  return BitsToFloat(sign | magnitude);
}

inline float LoadHalf(uint16_t h) { return Fp16ToFp32(h); }

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K super-block.
// Bytes 0..3 hold the scales of sub-blocks 0..3 in their low 6 bits, bytes
// 4..7 the mins of sub-blocks 0..3; sub-blocks 4..7 keep their low 4 bits in
// bytes 8..11 (scale low nibble, min high nibble) and their top 2 bits in the
// spare top bits of bytes 0..3 (scales) and 4..7 (mins).
inline void UnpackScaleMinK4(const uint8_t* packed, int j, int* scale, int* min) {
  if (j < 4) {
    *scale = packed[j] & 63;
    *min = packed[j + 4] & 63;
  } else {
    *scale = (packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4);
    *min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

// Inverse of UnpackScaleMinK4 for all eight sub-blocks (values 0..63).
inline void PackScalesMinsK4(const int* scales, const int* mins, uint8_t* packed) {
  for (int j = 0; j < 4; ++j) {
    packed[j] = static_cast<uint8_t>((scales[j] & 63) | ((scales[j + 4] >> 4) << 6));
    packed[j + 4] = static_cast<uint8_t>((mins[j] & 63) | ((mins[j + 4] >> 4) << 6));
    packed[j + 8] = static_cast<uint8_t>((scales[j + 4] & 0x0F) | ((mins[j + 4] & 0x0F) << 4));
  }
}

// The sixteen signed 6-bit Q3_K scales (-32..31). Low nibbles: sub-blocks
// 0..7 in the low halves of bytes 0..7, 8..15 in their high halves; the top
// 2 bits of sub-block j sit in byte 8 + j % 4 at bit pair j / 4.
inline void UnpackScalesQ3K(const uint8_t* packed, int* scales) {
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? (packed[j] & 0x0F) : (packed[j - 8] >> 4);
    const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    scales[j] = (low | (high << 4)) - 32;
  }
}

// Inverse of UnpackScalesQ3K (values -32..31).
inline void PackScalesQ3K(const int* scales, uint8_t* packed) {
  std::memset(packed, 0, 12);
  for (int j = 0; j < 16; ++j) {
    const int biased = scales[j] + 32;
    packed[j % 8] |= static_cast<uint8_t>((biased & 0x0F) << (j < 8 ? 0 : 4));
    packed[8 + j % 4] |= static_cast<uint8_t>((biased >> 4) << (2 * (j / 4)));
  }
}

// ---- llama.cpp's x86 accumulation order for the quantized dot products ----
//
// llama.cpp's x86 kernels (the AVX2 / AVX-512 vec_dot functions, and
// llamafile's tinyBLAS for Q4_0/Q5_0/Q8_0, which adds in the same order)
// hold a block's integer products in eight int32 lanes, lane l summing the
// elements 4l..4l+3 of each 32-element group; convert the lanes to float;
// accumulate them over the blocks with a fused multiply-add by the block's
// float scale into eight float accumulators; and reduce those as
// hsum_float_8 does. We follow the same order so that our dot products are
// bit-identical to llama.cpp's: activations are re-quantized before every
// matmul, so a one-ulp difference that moves a value across a rounding
// boundary of a Q8_0 code turns into a ~1e-2 logit difference a few layers
// on. std::fma is exact (it is a libm call on baseline x86-64, so these
// loops do not vectorise; the integer work does).
constexpr int kAccLanes = 8;

// Adds the integer products p[0..32) of one 32-element group to the lanes:
// lane l gets p[4l .. 4l + 3].
inline void AddGroupToLanes(const int32_t* __restrict p, int32_t* __restrict lanes) {
  for (int l = 0; l < kAccLanes; ++l) {
    lanes[l] += (p[4 * l] + p[4 * l + 1]) + (p[4 * l + 2] + p[4 * l + 3]);
  }
}

// acc[l] = fma(d, lanes[l], acc[l]).
inline void AccumulateLanes(float d, const int32_t* lanes, float* acc) {
  for (int l = 0; l < kAccLanes; ++l) acc[l] = std::fma(d, static_cast<float>(lanes[l]), acc[l]);
}

// hsum_float_8: ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)).
inline float SumAccLanes(const float* acc) {
  float r[4];
  for (int l = 0; l < 4; ++l) r[l] = acc[l] + acc[l + 4];
  return (r[0] + r[2]) + (r[1] + r[3]);
}

}  // namespace strata::cpu::reference

#endif  // STRATA_CPU_REFERENCE_INTERNAL_QUANT_MATH_H_
