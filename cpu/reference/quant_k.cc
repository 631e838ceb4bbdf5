// Reference kernels for the K-quants (Q2_K .. Q6_K): dequantization and dot
// products with Q8_K activations, and the Q8_K activation format itself.
//
// Every kernel first unpacks a super-block's codes into element order (one
// byte per element) and its sub-block scales into small int arrays; the
// arithmetic then runs on plain arrays with fixed trip counts, which the
// compiler vectorises and which reads like the format description in
// core/quant_blocks.h. The dot products use the standard decomposition: per
// sub-block an exact integer sum of code * activation products, times the
// sub-block's integer scale, summed in int32; the weights' mins (Q2_K, Q4_K,
// Q5_K) fold in through the Q8_K block sums, sum_j min_j * bsum_j; only the
// resulting integers are scaled in float. Q4_K and Q6_K, which llama.cpp's
// Q4_K_M files use, split those integers and scale them in the order of
// llama.cpp's x86 kernels (AccumulateLanes), so their results are
// bit-identical to llama.cpp's.
// Pure functions, thread-safe.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/fp16.h"
#include "core/quant_blocks.h"
#include "cpu/multiversion.h"
#include "cpu/reference/internal/quant_math.h"
#include "cpu/reference/internal/quant_rows.h"

namespace strata::cpu::reference {
namespace {

constexpr int kQK = kQK_K;  // 256 elements per super-block.

// Codes 0..3: qs[32n + l] holds element 128n + 32s + l at bit pair s.
inline void UnpackQ2K(const BlockQ2_K& b, uint8_t* __restrict q) {
  for (int n = 0; n < 2; ++n) {
    for (int s = 0; s < 4; ++s) {
      for (int l = 0; l < 32; ++l) q[128 * n + 32 * s + l] = (b.qs[32 * n + l] >> (2 * s)) & 3;
    }
  }
}

// Codes -4..3: the 2 low bits as in Q2_K; bit 4n + s of hmask[l] set means
// "no -4" for element 128n + 32s + l.
inline void UnpackQ3K(const BlockQ3_K& b, int8_t* __restrict q) {
  for (int n = 0; n < 2; ++n) {
    for (int s = 0; s < 4; ++s) {
      const int bit = 4 * n + s;
      for (int l = 0; l < 32; ++l) {
        const int low = (b.qs[32 * n + l] >> (2 * s)) & 3;
        const int high = (b.hmask[l] >> bit) & 1;
        q[128 * n + 32 * s + l] = static_cast<int8_t>(low - 4 + 4 * high);
      }
    }
  }
}

// Codes 0..15: sub-blocks 2p and 2p + 1 are the low and high nibbles of
// qs[32p .. 32p + 31].
inline void UnpackQ4K(const uint8_t* __restrict qs, uint8_t* __restrict q) {
  for (int p = 0; p < 4; ++p) {
    for (int l = 0; l < 32; ++l) {
      q[64 * p + l] = qs[32 * p + l] & 0x0F;
      q[64 * p + 32 + l] = qs[32 * p + l] >> 4;
    }
  }
}

// Codes 0..31: Q4_K's nibbles plus bit j of qh[l] as bit 4 of element 32j + l.
inline void UnpackQ5K(const BlockQ5_K& b, uint8_t* __restrict q) {
  UnpackQ4K(b.qs, q);
  for (int j = 0; j < 8; ++j) {
    for (int l = 0; l < 32; ++l) q[32 * j + l] |= static_cast<uint8_t>(((b.qh[l] >> j) & 1) << 4);
  }
}

// Codes -32..31: for each half n, ql[64n + l] holds elements 128n + l (low
// nibble) and 128n + 64 + l (high); ql[64n + 32 + l] holds 128n + 32 + l and
// 128n + 96 + l; qh[32n + l] holds the top 2 bits of 128n + 32s + l at bit
// pair s.
inline void UnpackQ6K(const BlockQ6_K& b, int8_t* __restrict q) {
  for (int n = 0; n < 2; ++n) {
    const uint8_t* __restrict ql = b.ql + 64 * n;
    const uint8_t* __restrict qh = b.qh + 32 * n;
    int8_t* __restrict y = q + 128 * n;
    for (int l = 0; l < 32; ++l) {
      y[l] = static_cast<int8_t>(((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32);
      y[l + 32] = static_cast<int8_t>(((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32);
      y[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
      y[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
    }
  }
}

inline void UnpackScalesMinsK4(const uint8_t* packed, int* scales, int* mins) {
  for (int j = 0; j < 8; ++j) UnpackScaleMinK4(packed, j, &scales[j], &mins[j]);
}

// Exact sums of code * activation over each sub-block of G elements.
template <int G, typename Code>
inline void SubBlockDots(const Code* __restrict q, const int8_t* __restrict a,
                         int32_t* __restrict sums) {
  for (int j = 0; j < kQK / G; ++j) {
    int32_t s = 0;
    for (int l = 0; l < G; ++l) s += static_cast<int32_t>(q[G * j + l]) * a[G * j + l];
    sums[j] = s;
  }
}

// dst[e] = scale[e / G] * q[e] - min[e / G].
template <int G, typename Code>
inline void DequantizeSubBlocks(const Code* __restrict q, const float* __restrict scale,
                                const float* __restrict min, float* __restrict dst) {
  for (int j = 0; j < kQK / G; ++j) {
    for (int l = 0; l < G; ++l)
      dst[G * j + l] = scale[j] * static_cast<float>(q[G * j + l]) - min[j];
  }
}

}  // namespace

// ---- Q2_K -------------------------------------------------------------------

STRATA_MULTIVERSION
void DequantizeRowQ2_K(const void* src, float* dst, int64_t n) {
  const BlockQ2_K* x = static_cast<const BlockQ2_K*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float d = LoadHalf(x[i].d);
    const float dmin = LoadHalf(x[i].dmin);
    float scale[16], min[16];
    for (int j = 0; j < 16; ++j) {
      scale[j] = d * static_cast<float>(x[i].scales[j] & 0x0F);
      min[j] = dmin * static_cast<float>(x[i].scales[j] >> 4);
    }
    uint8_t q[kQK];
    UnpackQ2K(x[i], q);
    DequantizeSubBlocks<16>(q, scale, min, dst + i * kQK);
  }
}

STRATA_MULTIVERSION
float VecDotQ2_KQ8_K(int64_t n, const void* w, const void* a) {
  const BlockQ2_K* x = static_cast<const BlockQ2_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK; ++i) {
    uint8_t q[kQK];
    UnpackQ2K(x[i], q);
    int32_t dots[16];
    SubBlockDots<16>(q, y[i].qs, dots);
    int32_t isum = 0;
    int32_t imin = 0;
    for (int j = 0; j < 16; ++j) {
      isum += (x[i].scales[j] & 0x0F) * dots[j];
      imin += (x[i].scales[j] >> 4) * y[i].bsums[j];
    }
    const float d = y[i].d * LoadHalf(x[i].d);
    const float dmin = y[i].d * LoadHalf(x[i].dmin);
    sum += d * static_cast<float>(isum) - dmin * static_cast<float>(imin);
  }
  return sum;
}

// ---- Q3_K -------------------------------------------------------------------

STRATA_MULTIVERSION
void DequantizeRowQ3_K(const void* src, float* dst, int64_t n) {
  const BlockQ3_K* x = static_cast<const BlockQ3_K*>(src);
  const float zero[16] = {};
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float d = LoadHalf(x[i].d);
    int sc[16];
    UnpackScalesQ3K(x[i].scales, sc);
    float scale[16];
    for (int j = 0; j < 16; ++j) scale[j] = d * static_cast<float>(sc[j]);
    int8_t q[kQK];
    UnpackQ3K(x[i], q);
    DequantizeSubBlocks<16>(q, scale, zero, dst + i * kQK);
  }
}

STRATA_MULTIVERSION
float VecDotQ3_KQ8_K(int64_t n, const void* w, const void* a) {
  const BlockQ3_K* x = static_cast<const BlockQ3_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int8_t q[kQK];
    UnpackQ3K(x[i], q);
    int sc[16];
    UnpackScalesQ3K(x[i].scales, sc);
    int32_t dots[16];
    SubBlockDots<16>(q, y[i].qs, dots);
    int32_t isum = 0;
    for (int j = 0; j < 16; ++j) isum += sc[j] * dots[j];
    sum += (LoadHalf(x[i].d) * y[i].d) * static_cast<float>(isum);
  }
  return sum;
}

// ---- Q4_K -------------------------------------------------------------------

namespace {

// The float scale and min of each of the 8 sub-blocks of a Q4_K/Q5_K block.
inline void SubBlockScalesMinsK4(uint16_t d16, uint16_t dmin16, const uint8_t* packed, float* scale,
                                 float* min) {
  const float d = LoadHalf(d16);
  const float dmin = LoadHalf(dmin16);
  int sc[8], m[8];
  UnpackScalesMinsK4(packed, sc, m);
  for (int j = 0; j < 8; ++j) {
    scale[j] = d * static_cast<float>(sc[j]);
    min[j] = dmin * static_cast<float>(m[j]);
  }
}

}  // namespace

STRATA_MULTIVERSION
void DequantizeRowQ4_K(const void* src, float* dst, int64_t n) {
  const BlockQ4_K* x = static_cast<const BlockQ4_K*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    float scale[8], min[8];
    SubBlockScalesMinsK4(x[i].d, x[i].dmin, x[i].scales, scale, min);
    uint8_t q[kQK];
    UnpackQ4K(x[i].qs, q);
    DequantizeSubBlocks<32>(q, scale, min, dst + i * kQK);
  }
}

namespace {

// Q5_K's dot product: exact per-sub-block integer sums, scaled in float once
// per super-block (not yet in llama.cpp's x86 lane order, unlike Q4_K/Q6_K).
inline float DotK4Block(const uint8_t* q, const uint8_t* packed_scales, uint16_t d16,
                        uint16_t dmin16, const BlockQ8_K& y) {
  int sc[8], m[8];
  UnpackScalesMinsK4(packed_scales, sc, m);
  int32_t dots[8];
  SubBlockDots<32>(q, y.qs, dots);
  int32_t isum = 0;
  int32_t imin = 0;
  for (int j = 0; j < 8; ++j) {
    isum += sc[j] * dots[j];
    imin += m[j] * (y.bsums[2 * j] + y.bsums[2 * j + 1]);
  }
  const float d = y.d * LoadHalf(d16);
  const float dmin = y.d * LoadHalf(dmin16);
  return d * static_cast<float>(isum) - dmin * static_cast<float>(imin);
}

}  // namespace

// In the order of llama.cpp's AVX2 kernel (see AccumulateLanes): the scaled
// code products in eight int32 lanes, fused into eight float accumulators by
// d; the mins term in four more, lane m holding sub-blocks 2m and 2m + 1,
// fused by -dmin; the two sums added at the end.
STRATA_MULTIVERSION
float VecDotQ4_KQ8_K(int64_t n, const void* w, const void* a) {
  const BlockQ4_K* x = static_cast<const BlockQ4_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float acc[kAccLanes] = {};
  float acc_min[4] = {};
  for (int64_t i = 0; i < n / kQK; ++i) {
    uint8_t q[kQK];
    UnpackQ4K(x[i].qs, q);
    int sc[8], m[8];
    UnpackScalesMinsK4(x[i].scales, sc, m);
    // Integer sums are exact in any order: form each 32-element sub-block's
    // eight lane partials first, then scale them by the sub-block's scale.
    int32_t lanes[kAccLanes] = {};
    for (int g = 0; g < kQK / 32; ++g) {
      int32_t p[32];
      for (int e = 0; e < 32; ++e) {
        p[e] = static_cast<int32_t>(q[32 * g + e]) * y[i].qs[32 * g + e];
      }
      int32_t part[kAccLanes] = {};
      AddGroupToLanes(p, part);
      for (int l = 0; l < kAccLanes; ++l) lanes[l] += sc[g] * part[l];
    }
    AccumulateLanes(y[i].d * LoadHalf(x[i].d), lanes, acc);
    const float dmin = -y[i].d * LoadHalf(x[i].dmin);
    for (int l = 0; l < 4; ++l) {
      int32_t mins = 0;
      for (int j = 2 * l; j < 2 * l + 2; ++j) {
        mins += m[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
      }
      acc_min[l] = std::fma(dmin, static_cast<float>(mins), acc_min[l]);
    }
  }
  return SumAccLanes(acc) + ((acc_min[0] + acc_min[2]) + (acc_min[1] + acc_min[3]));
}

// ---- Q5_K -------------------------------------------------------------------

STRATA_MULTIVERSION
void DequantizeRowQ5_K(const void* src, float* dst, int64_t n) {
  const BlockQ5_K* x = static_cast<const BlockQ5_K*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    float scale[8], min[8];
    SubBlockScalesMinsK4(x[i].d, x[i].dmin, x[i].scales, scale, min);
    uint8_t q[kQK];
    UnpackQ5K(x[i], q);
    DequantizeSubBlocks<32>(q, scale, min, dst + i * kQK);
  }
}

STRATA_MULTIVERSION
float VecDotQ5_KQ8_K(int64_t n, const void* w, const void* a) {
  const BlockQ5_K* x = static_cast<const BlockQ5_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK; ++i) {
    uint8_t q[kQK];
    UnpackQ5K(x[i], q);
    sum += DotK4Block(q, x[i].scales, x[i].d, x[i].dmin, y[i]);
  }
  return sum;
}

// ---- Q6_K -------------------------------------------------------------------

STRATA_MULTIVERSION
void DequantizeRowQ6_K(const void* src, float* dst, int64_t n) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(src);
  const float zero[16] = {};
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float d = LoadHalf(x[i].d);
    float scale[16];
    for (int j = 0; j < 16; ++j) scale[j] = d * static_cast<float>(x[i].scales[j]);
    int8_t q[kQK];
    UnpackQ6K(x[i], q);
    DequantizeSubBlocks<16>(q, scale, zero, dst + i * kQK);
  }
}

// In the order of llama.cpp's AVX2 kernel (see AccumulateLanes), which
// multiplies the unsigned codes 0..63 and takes the -32 offset off afterwards
// through the Q8_K block sums, lane m losing 32 * (sums of the 16-element
// groups 2m and 2m + 1, each times its scale). The integer total is the
// same, but how it splits over the lanes decides the float rounding.
STRATA_MULTIVERSION
float VecDotQ6_KQ8_K(int64_t n, const void* w, const void* a) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float acc[kAccLanes] = {};
  for (int64_t i = 0; i < n / kQK; ++i) {
    int8_t q[kQK];
    UnpackQ6K(x[i], q);
    // Lane l of a 32-element group covers elements 4l..4l+3, i.e. part k = l % 4
    // of 16-element scale group 2g + l / 4: sum each part, then scale it (the
    // integer total is exact in any order).
    int32_t lanes[kAccLanes] = {};
    for (int h = 0; h < kQK / 16; ++h) {
      int32_t part[4] = {};
      for (int k = 0; k < 4; ++k) {
        for (int t = 0; t < 4; ++t) {
          const int e = 16 * h + 4 * k + t;
          part[k] += (static_cast<int32_t>(q[e]) + 32) * y[i].qs[e];
        }
      }
      for (int k = 0; k < 4; ++k) lanes[4 * (h % 2) + k] += x[i].scales[h] * part[k];
    }
    for (int l = 0; l < kAccLanes; ++l) {
      lanes[l] -= 32 * (y[i].bsums[2 * l] * x[i].scales[2 * l] +
                        y[i].bsums[2 * l + 1] * x[i].scales[2 * l + 1]);
    }
    AccumulateLanes(y[i].d * LoadHalf(x[i].d), lanes, acc);
  }
  return SumAccLanes(acc);
}

// ---- Q8_K (activations only) ------------------------------------------------

STRATA_MULTIVERSION
void DequantizeRowQ8_K(const void* src, float* dst, int64_t n) {
  const BlockQ8_K* x = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    float* __restrict y = dst + i * kQK;
    for (int l = 0; l < kQK; ++l) y[l] = x[i].d * static_cast<float>(x[i].qs[l]);
  }
}

// ggml's quantize_row_q8_K (the x86 build uses the scalar version): the
// element of largest magnitude, with its sign, maps to exactly -127; codes
// round half to even and are capped at 127; d = 1 / iscale as a float.
STRATA_MULTIVERSION
void QuantizeRowQ8_K(const float* src, void* dst, int64_t n) {
  BlockQ8_K* y = static_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* __restrict x = src + i * kQK;
    float amax = 0.0f;
    float max = 0.0f;
    for (int l = 0; l < kQK; ++l) {
      const float ax = std::fabs(x[l]);
      if (ax > amax) {  // Strict: the first of equal magnitudes wins, as in ggml.
        amax = ax;
        max = x[l];
      }
    }
    if (amax == 0.0f) {
      y[i].d = 0.0f;
      std::memset(y[i].qs, 0, sizeof(y[i].qs));
      std::memset(y[i].bsums, 0, sizeof(y[i].bsums));
      continue;
    }
    const float iscale = -127.0f / max;
    for (int l = 0; l < kQK; ++l) {
      // |iscale * x| <= 127 up to rounding, so only the cap at +127 can bind.
      y[i].qs[l] = static_cast<int8_t>(ClampRound(iscale * x[l], -128.0f, 127.0f));
    }
    for (int j = 0; j < kQK / 16; ++j) {
      int32_t s = 0;
      for (int l = 0; l < 16; ++l) s += y[i].qs[16 * j + l];
      y[i].bsums[j] = static_cast<int16_t>(s);
    }
    y[i].d = 1.0f / iscale;
  }
}

}  // namespace strata::cpu::reference
