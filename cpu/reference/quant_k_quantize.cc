// Weight quantizers for the K-quants: Q2_K, Q3_K, Q4_K, Q5_K and Q6_K.
//
// Each super-block is quantized in three steps: fit a float scale (and, for
// Q2_K/Q4_K/Q5_K, a min) per sub-block by least squares over a small grid of
// candidate level spacings (internal/scale_search.h); quantize those sub-block
// scales to the format's 4-, 6- or 8-bit codes relative to one F16 super-block
// scale chosen so the largest one uses the full code range; then recompute
// every element's code for the sub-block scale it will really be decoded with.
// The results are not bit-identical to llama-quantize (which weights errors by
// magnitude and can use an importance matrix) but have lower unweighted error
// on Gaussian data. Pure functions, thread-safe.
#include <algorithm>
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

constexpr int kQK = kQK_K;

// Per-sub-block affine fits (x ≈ scale * q - min, min >= 0) for the formats
// with unsigned codes, and their codes after the scales are quantized to
// `scale_max`-level codes (15 for Q2_K, 63 for Q4_K/Q5_K) of the F16 d/dmin.
template <int G>
void QuantizeAffineSuperBlock(const float* __restrict x, int nmax, int scale_max, uint16_t* d16,
                              uint16_t* dmin16, int* __restrict scale_codes,
                              int* __restrict min_codes, uint8_t* __restrict q) {
  constexpr int kSub = kQK / G;
  float scales[kSub], mins[kSub];
  float max_scale = 0.0f;
  float max_min = 0.0f;
  for (int j = 0; j < kSub; ++j) {
    const AffineFit fit = FitAffine<G>(x + G * j, nmax, /*nonpositive_offset=*/true);
    scales[j] = std::max(fit.scale, 0.0f);
    mins[j] = std::max(-fit.offset, 0.0f);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float code_max = static_cast<float>(scale_max);
  *d16 = Fp32ToFp16(max_scale / code_max);
  *dmin16 = Fp32ToFp16(max_min / code_max);
  const float d = LoadHalf(*d16);
  const float dmin = LoadHalf(*dmin16);
  const float id = d > 0.0f ? 1.0f / d : 0.0f;
  const float idmin = dmin > 0.0f ? 1.0f / dmin : 0.0f;
  const float hi = static_cast<float>(nmax);
  for (int j = 0; j < kSub; ++j) {
    const float* __restrict xs = x + G * j;
    uint8_t* __restrict qs = q + G * j;
    scale_codes[j] = ClampRound(scales[j] * id, 0.0f, code_max);
    const float sub_scale = d * static_cast<float>(scale_codes[j]);
    const float inv = sub_scale > 0.0f ? 1.0f / sub_scale : 0.0f;
    // Rounding the scale to its code moved the levels away from the fitted
    // min: refit the min as mean(sub_scale * q - x) over the codes q that the
    // fitted min gives. This matters most when a sub-block's scale code
    // rounds to 0 next to a much larger sub-block: all its values then decode
    // to -min, which should be their mean, not their fitted minimum.
    float sub_min = dmin * static_cast<float>(ClampRound(mins[j] * idmin, 0.0f, code_max));
    float residual_lanes[kLanes] = {};
    for (int i = 0; i < G; i += kLanes) {
      for (int l = 0; l < kLanes; ++l) {
        const float code = static_cast<float>(ClampRound((xs[i + l] + sub_min) * inv, 0.0f, hi));
        residual_lanes[l] += sub_scale * code - xs[i + l];
      }
    }
    const float refit_min = LaneSum(residual_lanes) / static_cast<float>(G);
    min_codes[j] = ClampRound(refit_min * idmin, 0.0f, code_max);
    sub_min = dmin * static_cast<float>(min_codes[j]);
    for (int l = 0; l < G; ++l) {
      qs[l] = static_cast<uint8_t>(ClampRound((xs[l] + sub_min) * inv, 0.0f, hi));
    }
  }
}

// Per-16-element symmetric fits (x ≈ scale * q, q in [-nmax, nmax - 1]) for
// Q3_K and Q6_K, with the scales quantized to signed codes in
// [-code_half, code_half - 1] of an F16 d. The sub-block scale of largest
// magnitude maps to -code_half, mirroring how each sub-block uses its extra
// negative level. Codes are written biased by +nmax (0 .. 2 nmax - 1).
void QuantizeSymmetricSuperBlock(const float* __restrict x, int nmax, int code_half, uint16_t* d16,
                                 int* __restrict scale_codes, uint8_t* __restrict q) {
  float scales[16];
  float max_scale = 0.0f;
  float amax = 0.0f;
  for (int j = 0; j < 16; ++j) {
    scales[j] = FitSymmetric<16>(x + 16 * j, nmax);
    if (std::fabs(scales[j]) > amax) {
      amax = std::fabs(scales[j]);
      max_scale = scales[j];
    }
  }
  *d16 = Fp32ToFp16(amax < kTinyGroup ? 0.0f : max_scale / static_cast<float>(-code_half));
  const float d = LoadHalf(*d16);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const float lo = static_cast<float>(-nmax);
  const float hi = static_cast<float>(nmax - 1);
  for (int j = 0; j < 16; ++j) {
    scale_codes[j] = ClampRound(scales[j] * id, static_cast<float>(-code_half),
                                static_cast<float>(code_half - 1));
    const float sub_scale = d * static_cast<float>(scale_codes[j]);
    const float inv = sub_scale != 0.0f ? 1.0f / sub_scale : 0.0f;
    for (int l = 0; l < 16; ++l) {
      q[16 * j + l] = static_cast<uint8_t>(ClampRound(x[16 * j + l] * inv, lo, hi) + nmax);
    }
  }
}

// Inverse of the 2-bit layout (see UnpackQ2K in quant_k.cc); codes 0..3.
void PackTwoBit(const uint8_t* __restrict q, uint8_t* __restrict qs) {
  for (int n = 0; n < 2; ++n) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t* e = q + 128 * n + l;
      qs[32 * n + l] = static_cast<uint8_t>(e[0] | (e[32] << 2) | (e[64] << 4) | (e[96] << 6));
    }
  }
}

// Inverse of the nibble layout of Q4_K/Q5_K; only the low 4 bits are kept.
void PackNibblesK(const uint8_t* __restrict q, uint8_t* __restrict qs) {
  for (int p = 0; p < 4; ++p) {
    for (int l = 0; l < 32; ++l) {
      qs[32 * p + l] =
          static_cast<uint8_t>((q[64 * p + l] & 0x0F) | ((q[64 * p + 32 + l] & 0x0F) << 4));
    }
  }
}

}  // namespace

STRATA_MULTIVERSION
void QuantizeRowQ2_K(const float* src, void* dst, int64_t n) {
  BlockQ2_K* y = static_cast<BlockQ2_K*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    int sc[16], m[16];
    uint8_t q[kQK];
    QuantizeAffineSuperBlock<16>(src + i * kQK, 3, 15, &y[i].d, &y[i].dmin, sc, m, q);
    for (int j = 0; j < 16; ++j) y[i].scales[j] = static_cast<uint8_t>(sc[j] | (m[j] << 4));
    PackTwoBit(q, y[i].qs);
  }
}

STRATA_MULTIVERSION
void QuantizeRowQ3_K(const float* src, void* dst, int64_t n) {
  BlockQ3_K* y = static_cast<BlockQ3_K*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    int sc[16];
    uint8_t u[kQK];  // Code + 4, 0..7.
    QuantizeSymmetricSuperBlock(src + i * kQK, 4, 32, &y[i].d, sc, u);
    PackScalesQ3K(sc, y[i].scales);
    // Bit 2 of u goes to hmask (set means "no -4"), bits 0..1 to qs.
    std::memset(y[i].hmask, 0, sizeof(y[i].hmask));
    uint8_t low[kQK];
    for (int e = 0; e < kQK; ++e) {
      low[e] = u[e] & 3;
      y[i].hmask[e % 32] |= static_cast<uint8_t>((u[e] >> 2) << (e / 32));
    }
    PackTwoBit(low, y[i].qs);
  }
}

STRATA_MULTIVERSION
void QuantizeRowQ4_K(const float* src, void* dst, int64_t n) {
  BlockQ4_K* y = static_cast<BlockQ4_K*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    int sc[8], m[8];
    uint8_t q[kQK];
    QuantizeAffineSuperBlock<32>(src + i * kQK, 15, 63, &y[i].d, &y[i].dmin, sc, m, q);
    PackScalesMinsK4(sc, m, y[i].scales);
    PackNibblesK(q, y[i].qs);
  }
}

STRATA_MULTIVERSION
void QuantizeRowQ5_K(const float* src, void* dst, int64_t n) {
  BlockQ5_K* y = static_cast<BlockQ5_K*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    int sc[8], m[8];
    uint8_t q[kQK];
    QuantizeAffineSuperBlock<32>(src + i * kQK, 31, 63, &y[i].d, &y[i].dmin, sc, m, q);
    PackScalesMinsK4(sc, m, y[i].scales);
    PackNibblesK(q, y[i].qs);
    // Bit 4 of element 32j + l goes to bit j of qh[l].
    for (int l = 0; l < 32; ++l) {
      uint8_t bits = 0;
      for (int j = 0; j < 8; ++j) bits |= static_cast<uint8_t>((q[32 * j + l] >> 4) << j);
      y[i].qh[l] = bits;
    }
  }
}

STRATA_MULTIVERSION
void QuantizeRowQ6_K(const float* src, void* dst, int64_t n) {
  BlockQ6_K* y = static_cast<BlockQ6_K*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    int sc[16];
    uint8_t u[kQK];  // Code + 32, 0..63.
    QuantizeSymmetricSuperBlock(src + i * kQK, 32, 128, &y[i].d, sc, u);
    for (int j = 0; j < 16; ++j) y[i].scales[j] = static_cast<int8_t>(sc[j]);
    for (int half = 0; half < 2; ++half) {
      const uint8_t* e = u + 128 * half;
      uint8_t* ql = y[i].ql + 64 * half;
      uint8_t* qh = y[i].qh + 32 * half;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((e[l] & 0x0F) | ((e[l + 64] & 0x0F) << 4));
        ql[l + 32] = static_cast<uint8_t>((e[l + 32] & 0x0F) | ((e[l + 96] & 0x0F) << 4));
        qh[l] = static_cast<uint8_t>((e[l] >> 4) | ((e[l + 32] >> 4) << 2) |
                                     ((e[l + 64] >> 4) << 4) | ((e[l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace strata::cpu::reference
