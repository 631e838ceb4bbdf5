// Reference kernels for the 32-element block formats: Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0 and the activation format Q8_1.
//
// Dot products follow ggml: the activation row is already quantized (Q8_0 for
// Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1); each block contributes exact int32
// sums of products, scaled by the two F16 scales in float and accumulated in
// the order of llama.cpp's x86 kernels (AccumulateLanes), plus for the offset
// formats m_w * s_a (s_a = d_a * sum(q_a), precomputed by the Q8_1 quantizer).
// The Q8_0/Q8_1 quantizers reproduce ggml's x86 activation quantizer exactly
// (see QuantizeRowQ8_0), because that is what our logits are compared with.
// Pure functions, thread-safe.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/fp16.h"
#include "core/quant_blocks.h"
#include "cpu/multiversion.h"
#include "cpu/reference/internal/quant_math.h"
#include "cpu/reference/internal/quant_rows.h"
#include "cpu/reference/internal/scale_search.h"

namespace strata::cpu::reference {
namespace {

constexpr int kQK = 32;  // Every format in this file has 32-element blocks.

// The 4-bit codes of a Q4 block in element order: element j is the low nibble
// of qs[j], element j + 16 the high nibble.
inline void UnpackNibbles(const uint8_t* __restrict qs, uint8_t* __restrict q) {
  for (int j = 0; j < kQK / 2; ++j) {
    q[j] = qs[j] & 0x0F;
    q[j + kQK / 2] = qs[j] >> 4;
  }
}

// 1 << j: testing bit j against a per-element constant mask vectorises on
// baseline x86-64, where shifting by a per-element amount does not.
constexpr std::array<uint32_t, kQK> kBit = [] {
  std::array<uint32_t, kQK> bits{};
  for (int j = 0; j < kQK; ++j) bits[j] = 1u << j;
  return bits;
}();

// The 5-bit codes of a Q5 block: the nibbles as in Q4 plus bit j of the
// little-endian 32-bit qh as bit 4 of element j.
inline void UnpackFiveBit(const uint8_t* __restrict qs, const uint8_t* __restrict qh_bytes,
                          uint8_t* __restrict q) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, sizeof(qh));
  UnpackNibbles(qs, q);
  for (int j = 0; j < kQK; ++j) q[j] |= (qh & kBit[j]) != 0 ? 16 : 0;
}

inline void PackNibbles(const uint8_t* __restrict q, uint8_t* __restrict qs) {
  for (int j = 0; j < kQK / 2; ++j) {
    qs[j] = static_cast<uint8_t>((q[j] & 0x0F) | ((q[j + kQK / 2] & 0x0F) << 4));
  }
}

inline void PackFiveBit(const uint8_t* __restrict q, uint8_t* __restrict qs,
                        uint8_t* __restrict qh_bytes) {
  PackNibbles(q, qs);
  uint32_t qh = 0;
  for (int j = 0; j < kQK; ++j) qh |= static_cast<uint32_t>(q[j] >> 4) << j;
  std::memcpy(qh_bytes, &qh, sizeof(qh));
}

// sum_j (q[j] - bias) * a[j] over one block, exactly, split into the eight
// int32 lanes of llama.cpp's x86 kernels (see AccumulateLanes).
inline void BlockDotLanes(const uint8_t* __restrict q, int bias, const int8_t* __restrict a,
                          int32_t* __restrict lanes) {
  int32_t p[kQK];
  for (int j = 0; j < kQK; ++j) p[j] = (static_cast<int32_t>(q[j]) - bias) * a[j];
  for (int l = 0; l < kAccLanes; ++l) lanes[l] = 0;
  AddGroupToLanes(p, lanes);
}

// Codes q in [0, 2 * nmax) for x ≈ d * (q - nmax): the symmetric formats.
inline void QuantizeSymmetric(const float* __restrict x, int nmax, uint16_t* d,
                              uint8_t* __restrict q) {
  *d = Fp32ToFp16(FitSymmetric<kQK>(x, nmax));
  const float fd = LoadHalf(*d);
  const float id = fd != 0.0f ? 1.0f / fd : 0.0f;
  const float lo = static_cast<float>(-nmax);
  const float hi = static_cast<float>(nmax - 1);
  for (int j = 0; j < kQK; ++j) q[j] = static_cast<uint8_t>(ClampRound(x[j] * id, lo, hi) + nmax);
}

// Codes q in [0, nmax] for x ≈ d * q + m: the offset formats.
inline void QuantizeAffine(const float* __restrict x, int nmax, uint16_t* d, uint16_t* m,
                           uint8_t* __restrict q) {
  const AffineFit fit = FitAffine<kQK>(x, nmax, /*nonpositive_offset=*/false);
  *d = Fp32ToFp16(fit.scale);
  *m = Fp32ToFp16(fit.offset);
  const float fd = LoadHalf(*d);
  const float fm = LoadHalf(*m);
  const float id = fd != 0.0f ? 1.0f / fd : 0.0f;
  const float hi = static_cast<float>(nmax);
  for (int j = 0; j < kQK; ++j) q[j] = static_cast<uint8_t>(ClampRound((x[j] - fm) * id, 0, hi));
}

// ggml's x86 (AVX2/AVX-512) activation quantizer: d = amax / 127 rounded to
// F16, but the multiplier is 127 / amax from the unrounded amax, and rounding
// is nearest-even (_mm256_round_ps). Returns the float d (before F16
// rounding) and the sum of the codes, which Q8_1 needs.
inline float QuantizeQ8Block(const float* __restrict x, uint16_t* d16, int8_t* __restrict q,
                             int32_t* sum) {
  float amax = 0.0f;
  for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  *d16 = Fp32ToFp16(d);
  int32_t s = 0;
  for (int j = 0; j < kQK; ++j) {
    // |x * id| <= 127 up to one rounding, so the code fits in int8.
    q[j] = static_cast<int8_t>(RoundHalfEven(x[j] * id));
    s += q[j];
  }
  *sum = s;
  return d;
}

}  // namespace

// ---- Q4_0 -------------------------------------------------------------------

STRATA_MULTIVERSION
void DequantizeRowQ4_0(const void* src, float* dst, int64_t n) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(src);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float d = LoadHalf(x[b].d);
    uint8_t q[kQK];
    UnpackNibbles(x[b].qs, q);
    float* __restrict y = dst + b * kQK;
    for (int j = 0; j < kQK; ++j) y[j] = d * static_cast<float>(q[j] - 8);
  }
}

STRATA_MULTIVERSION
void QuantizeRowQ4_0(const float* src, void* dst, int64_t n) {
  BlockQ4_0* y = static_cast<BlockQ4_0*>(dst);
  for (int64_t b = 0; b < n / kQK; ++b) {
    uint8_t q[kQK];
    QuantizeSymmetric(src + b * kQK, 8, &y[b].d, q);
    PackNibbles(q, y[b].qs);
  }
}

STRATA_MULTIVERSION
float VecDotQ4_0Q8_0(int64_t n, const void* w, const void* a) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float acc[kAccLanes] = {};
  for (int64_t b = 0; b < n / kQK; ++b) {
    uint8_t q[kQK];
    UnpackNibbles(x[b].qs, q);
    int32_t lanes[kAccLanes];
    BlockDotLanes(q, 8, y[b].qs, lanes);
    AccumulateLanes(LoadHalf(x[b].d) * LoadHalf(y[b].d), lanes, acc);
  }
  return SumAccLanes(acc);
}

// ---- Q4_1 -------------------------------------------------------------------

STRATA_MULTIVERSION
void DequantizeRowQ4_1(const void* src, float* dst, int64_t n) {
  const BlockQ4_1* x = static_cast<const BlockQ4_1*>(src);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float d = LoadHalf(x[b].d);
    const float m = LoadHalf(x[b].m);
    uint8_t q[kQK];
    UnpackNibbles(x[b].qs, q);
    float* __restrict y = dst + b * kQK;
    for (int j = 0; j < kQK; ++j) y[j] = d * static_cast<float>(q[j]) + m;
  }
}

STRATA_MULTIVERSION
void QuantizeRowQ4_1(const float* src, void* dst, int64_t n) {
  BlockQ4_1* y = static_cast<BlockQ4_1*>(dst);
  for (int64_t b = 0; b < n / kQK; ++b) {
    uint8_t q[kQK];
    QuantizeAffine(src + b * kQK, 15, &y[b].d, &y[b].m, q);
    PackNibbles(q, y[b].qs);
  }
}

// The offset term m_w * s_a accumulates separately, in plain float
// (multiply, then add), and joins the lane sum at the end, as in llama.cpp.
STRATA_MULTIVERSION
float VecDotQ4_1Q8_1(int64_t n, const void* w, const void* a) {
  const BlockQ4_1* x = static_cast<const BlockQ4_1*>(w);
  const BlockQ8_1* y = static_cast<const BlockQ8_1*>(a);
  float acc[kAccLanes] = {};
  float offsets = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    uint8_t q[kQK];
    UnpackNibbles(x[b].qs, q);
    int32_t lanes[kAccLanes];
    BlockDotLanes(q, 0, y[b].qs, lanes);
    AccumulateLanes(LoadHalf(x[b].d) * LoadHalf(y[b].d), lanes, acc);
    const float offset = LoadHalf(x[b].m) * LoadHalf(y[b].s);
    offsets += offset;
  }
  return SumAccLanes(acc) + offsets;
}

// ---- Q5_0 -------------------------------------------------------------------

STRATA_MULTIVERSION
void DequantizeRowQ5_0(const void* src, float* dst, int64_t n) {
  const BlockQ5_0* x = static_cast<const BlockQ5_0*>(src);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float d = LoadHalf(x[b].d);
    uint8_t q[kQK];
    UnpackFiveBit(x[b].qs, x[b].qh, q);
    float* __restrict y = dst + b * kQK;
    for (int j = 0; j < kQK; ++j) y[j] = d * static_cast<float>(q[j] - 16);
  }
}

STRATA_MULTIVERSION
void QuantizeRowQ5_0(const float* src, void* dst, int64_t n) {
  BlockQ5_0* y = static_cast<BlockQ5_0*>(dst);
  for (int64_t b = 0; b < n / kQK; ++b) {
    uint8_t q[kQK];
    QuantizeSymmetric(src + b * kQK, 16, &y[b].d, q);
    PackFiveBit(q, y[b].qs, y[b].qh);
  }
}

STRATA_MULTIVERSION
float VecDotQ5_0Q8_0(int64_t n, const void* w, const void* a) {
  const BlockQ5_0* x = static_cast<const BlockQ5_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float acc[kAccLanes] = {};
  for (int64_t b = 0; b < n / kQK; ++b) {
    uint8_t q[kQK];
    UnpackFiveBit(x[b].qs, x[b].qh, q);
    int32_t lanes[kAccLanes];
    BlockDotLanes(q, 16, y[b].qs, lanes);
    AccumulateLanes(LoadHalf(x[b].d) * LoadHalf(y[b].d), lanes, acc);
  }
  return SumAccLanes(acc);
}

// ---- Q5_1 -------------------------------------------------------------------

STRATA_MULTIVERSION
void DequantizeRowQ5_1(const void* src, float* dst, int64_t n) {
  const BlockQ5_1* x = static_cast<const BlockQ5_1*>(src);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float d = LoadHalf(x[b].d);
    const float m = LoadHalf(x[b].m);
    uint8_t q[kQK];
    UnpackFiveBit(x[b].qs, x[b].qh, q);
    float* __restrict y = dst + b * kQK;
    for (int j = 0; j < kQK; ++j) y[j] = d * static_cast<float>(q[j]) + m;
  }
}

STRATA_MULTIVERSION
void QuantizeRowQ5_1(const float* src, void* dst, int64_t n) {
  BlockQ5_1* y = static_cast<BlockQ5_1*>(dst);
  for (int64_t b = 0; b < n / kQK; ++b) {
    uint8_t q[kQK];
    QuantizeAffine(src + b * kQK, 31, &y[b].d, &y[b].m, q);
    PackFiveBit(q, y[b].qs, y[b].qh);
  }
}

STRATA_MULTIVERSION
float VecDotQ5_1Q8_1(int64_t n, const void* w, const void* a) {
  const BlockQ5_1* x = static_cast<const BlockQ5_1*>(w);
  const BlockQ8_1* y = static_cast<const BlockQ8_1*>(a);
  float acc[kAccLanes] = {};
  float offsets = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    uint8_t q[kQK];
    UnpackFiveBit(x[b].qs, x[b].qh, q);
    int32_t lanes[kAccLanes];
    BlockDotLanes(q, 0, y[b].qs, lanes);
    AccumulateLanes(LoadHalf(x[b].d) * LoadHalf(y[b].d), lanes, acc);
    const float offset = LoadHalf(x[b].m) * LoadHalf(y[b].s);
    offsets += offset;
  }
  return SumAccLanes(acc) + offsets;
}

// ---- Q8_0 -------------------------------------------------------------------

STRATA_MULTIVERSION
void DequantizeRowQ8_0(const void* src, float* dst, int64_t n) {
  const BlockQ8_0* x = static_cast<const BlockQ8_0*>(src);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float d = LoadHalf(x[b].d);
    float* __restrict y = dst + b * kQK;
    for (int j = 0; j < kQK; ++j) y[j] = d * static_cast<float>(x[b].qs[j]);
  }
}

// Used both for activations and for writing Q8_0 weights; llama-quantize's
// rounding differs (round-half-away, multiplier 1 / d), by at most one code
// on exact ties, which does not matter for weights.
STRATA_MULTIVERSION
void QuantizeRowQ8_0(const float* src, void* dst, int64_t n) {
  BlockQ8_0* y = static_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / kQK; ++b) {
    int32_t unused_sum;
    QuantizeQ8Block(src + b * kQK, &y[b].d, y[b].qs, &unused_sum);
  }
}

STRATA_MULTIVERSION
float VecDotQ8_0Q8_0(int64_t n, const void* w, const void* a) {
  const BlockQ8_0* x = static_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float acc[kAccLanes] = {};
  for (int64_t b = 0; b < n / kQK; ++b) {
    int32_t p[kQK];
    for (int j = 0; j < kQK; ++j) p[j] = static_cast<int32_t>(x[b].qs[j]) * y[b].qs[j];
    int32_t lanes[kAccLanes] = {};
    AddGroupToLanes(p, lanes);
    AccumulateLanes(LoadHalf(x[b].d) * LoadHalf(y[b].d), lanes, acc);
  }
  return SumAccLanes(acc);
}

// ---- Q8_1 (activations only) ------------------------------------------------

STRATA_MULTIVERSION
void DequantizeRowQ8_1(const void* src, float* dst, int64_t n) {
  const BlockQ8_1* x = static_cast<const BlockQ8_1*>(src);
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float d = LoadHalf(x[b].d);
    float* __restrict y = dst + b * kQK;
    for (int j = 0; j < kQK; ++j) y[j] = d * static_cast<float>(x[b].qs[j]);
  }
}

STRATA_MULTIVERSION
void QuantizeRowQ8_1(const float* src, void* dst, int64_t n) {
  BlockQ8_1* y = static_cast<BlockQ8_1*>(dst);
  for (int64_t b = 0; b < n / kQK; ++b) {
    int32_t sum;
    const float d = QuantizeQ8Block(src + b * kQK, &y[b].d, y[b].qs, &sum);
    // s = d * sum(q) from the float d, as ggml's AVX2 path computes it.
    y[b].s = Fp32ToFp16(d * static_cast<float>(sum));
  }
}

}  // namespace strata::cpu::reference
