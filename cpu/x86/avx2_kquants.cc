// AVX2 dot products of the K-quants (Q2_K .. Q6_K) with Q8_K activations,
// for CPUs without AVX-512 (avx512_kquants.cc has the AVX-512 versions).
//
// llama.cpp's AVX2 sequence: vpmaddubsw forms exact u8 × s8 pair sums in
// int16 (codes <= 63: nothing saturates), vpmaddwd multiplies them by the
// sub-block scales into int32 lanes, lane l holding elements 4l..4l+3 of
// every 32-element group. Q4_K and Q6_K fuse those eight lanes into float as
// their reference does; Q2_K, Q3_K and Q5_K sum the lanes to the
// super-block's integer total and scale it with plain float operations, as
// theirs do (cpu/reference/quant_k.cc). The results are bit-identical.
//
// Compiled with -mavx2 -mfma -mf16c (cpu/CMakeLists.txt).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "core/quant_blocks.h"
#include "cpu/dot_tile.h"
#include "cpu/x86/internal/avx2_util.h"
#include "cpu/x86/internal/isa_kernels.h"
#include "cpu/x86/internal/tile_driver.h"

namespace strata::cpu::avx2 {
namespace {

using x86::DotOne;
using x86::DriveTile;
using x86::Half;
using x86::Load128;
using x86::Load256;
using x86::Prefetcher;
using x86::SumI32x4;
using x86::SumI32x8;
using x86::SumLanes4;
using x86::SumLanes8;

// Word i of `words` in every word of both 128-bit halves (i < 8, so within
// each half).
inline __m256i BroadcastWord(__m256i words, int i) {
  return _mm256_shuffle_epi8(words,
                             _mm256_set1_epi16(static_cast<int16_t>((2 * i + 1) << 8 | 2 * i)));
}

// Sixteen bytes -> sixteen words: scale s0 for the low eight, s1 for the high.
inline __m256i TwoScales(int s0, int s1) {
  return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(s1)),
                          _mm_set1_epi16(static_cast<int16_t>(s0)));
}

// Q4_K/Q5_K's scales (words 0..7) and mins (words 8..15).
inline __m256i ScalesMinsK4(const uint8_t* packed) {
  constexpr uint32_t kMask1 = 0x3f3f3f3f, kMask2 = 0x0f0f0f0f, kMask3 = 0x03030303;
  uint32_t u[4];
  std::memcpy(u, packed, 12);
  u[3] = ((u[2] >> 4) & kMask2) | (((u[1] >> 6) & kMask3) << 4);
  const uint32_t mins_low = u[1] & kMask1;
  u[1] = (u[2] & kMask2) | (((u[0] >> 6) & kMask3) << 4);
  u[2] = mins_low;
  u[0] &= kMask1;
  return _mm256_cvtepu8_epi16(_mm_set_epi32(static_cast<int>(u[3]), static_cast<int>(u[2]),
                                            static_cast<int>(u[1]), static_cast<int>(u[0])));
}

inline __m128i SubBlockSums32(const BlockQ8_K& y) {
  const __m256i bs = Load256(y.bsums);
  return _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
}

// One weight row × one activation row: decoding is cheap next to the
// products here, and AVX2 has too few registers to keep a super-block's
// codes for several columns.
struct KQuantTile {
  static constexpr int kGemvRows = 1;
  static constexpr int kGemmRows = 1;
  static constexpr int kGemmCols = 1;
  static int64_t StepsPerRow(int64_t n) { return n / 256; }
};

// ---- Q4_K -------------------------------------------------------------------

struct Q4KKernel : KQuantTile {
  template <int R, int C>
  static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a, Prefetcher* pf,
                  float* out) {
    static_assert(R == 1 && C == 1);
    const BlockQ4_K* x = reinterpret_cast<const BlockQ4_K*>(w);
    const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(a);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256 acc = _mm256_setzero_ps();
    __m128 acc_min = _mm_setzero_ps();
    for (int64_t i = 0; i < t.n / kQK_K; ++i) {
      const __m256i scales_mins = ScalesMinsK4(x[i].scales);
      const __m128i sc128 = _mm256_castsi256_si128(scales_mins);
      const __m256i scales = _mm256_set_m128i(sc128, sc128);
      const float dmin = -y[i].d * Half(x[i].dmin);
      const __m128i min_lanes =
          _mm_madd_epi16(_mm256_extracti128_si256(scales_mins, 1), SubBlockSums32(y[i]));
      acc_min = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(min_lanes), acc_min);
      __m256i sumi = _mm256_setzero_si256();
      for (int j = 0; j < 4; ++j) {
        const __m256i bits = Load256(x[i].qs + 32 * j);
        const __m256i low = _mm256_and_si256(bits, m4);
        const __m256i high = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
        const __m256i p_low = _mm256_madd_epi16(
            BroadcastWord(scales, 2 * j), _mm256_maddubs_epi16(low, Load256(y[i].qs + 64 * j)));
        const __m256i p_high =
            _mm256_madd_epi16(BroadcastWord(scales, 2 * j + 1),
                              _mm256_maddubs_epi16(high, Load256(y[i].qs + 64 * j + 32)));
        sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p_low, p_high));
      }
      const float d = y[i].d * Half(x[i].d);
      acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    out[0] = SumLanes8(acc) + SumLanes4(acc_min);
  }
};

// ---- Q5_K -------------------------------------------------------------------

struct Q5KKernel : KQuantTile {
  template <int R, int C>
  static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a, Prefetcher* pf,
                  float* out) {
    static_assert(R == 1 && C == 1);
    const BlockQ5_K* x = reinterpret_cast<const BlockQ5_K*>(w);
    const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(a);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i m16 = _mm256_set1_epi8(16);
    float sum = 0.0f;
    for (int64_t i = 0; i < t.n / kQK_K; ++i) {
      const __m256i scales_mins = ScalesMinsK4(x[i].scales);
      const __m128i sc128 = _mm256_castsi256_si128(scales_mins);
      const __m256i scales = _mm256_set_m128i(sc128, sc128);
      const __m256i qh = Load256(x[i].qh);
      __m256i sumi = _mm256_setzero_si256();
      for (int j = 0; j < 4; ++j) {
        const __m256i bits = Load256(x[i].qs + 32 * j);
        // Bit 2j of qh[l] is bit 4 of element 64j + l, bit 2j + 1 of 64j + 32 + l.
        const __m256i sel_low = _mm256_set1_epi8(static_cast<char>(1 << (2 * j)));
        const __m256i sel_high = _mm256_set1_epi8(static_cast<char>(1 << (2 * j + 1)));
        const __m256i top_low =
            _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, sel_low), sel_low), m16);
        const __m256i top_high =
            _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, sel_high), sel_high), m16);
        const __m256i low = _mm256_or_si256(_mm256_and_si256(bits, m4), top_low);
        const __m256i high =
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), m4), top_high);
        const __m256i p_low = _mm256_madd_epi16(
            BroadcastWord(scales, 2 * j), _mm256_maddubs_epi16(low, Load256(y[i].qs + 64 * j)));
        const __m256i p_high =
            _mm256_madd_epi16(BroadcastWord(scales, 2 * j + 1),
                              _mm256_maddubs_epi16(high, Load256(y[i].qs + 64 * j + 32)));
        sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p_low, p_high));
      }
      const int32_t isum = SumI32x8(sumi);
      const int32_t imin =
          SumI32x4(_mm_madd_epi16(_mm256_extracti128_si256(scales_mins, 1), SubBlockSums32(y[i])));
      const float d = y[i].d * Half(x[i].d);
      const float dmin = y[i].d * Half(x[i].dmin);
      sum += d * static_cast<float>(isum) - dmin * static_cast<float>(imin);
    }
    out[0] = sum;
  }
};

// ---- Q6_K -------------------------------------------------------------------

struct Q6KKernel : KQuantTile {
  template <int R, int C>
  static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a, Prefetcher* pf,
                  float* out) {
    static_assert(R == 1 && C == 1);
    const BlockQ6_K* x = reinterpret_cast<const BlockQ6_K*>(w);
    const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(a);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i m3 = _mm256_set1_epi8(3);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < t.n / kQK_K; ++i) {
      const __m128i scales = Load128(x[i].scales);
      __m256i sumi = _mm256_setzero_si256();
      for (int half = 0; half < 2; ++half) {
        const __m256i bits1 = Load256(x[i].ql + 64 * half);
        const __m256i bits2 = Load256(x[i].ql + 64 * half + 32);
        const __m256i bits_h = Load256(x[i].qh + 32 * half);
        // Elements 128 half + 32 s + l for s = 0..3: unsigned codes 0..63.
        const __m256i q[4] = {
            _mm256_or_si256(_mm256_and_si256(bits1, m4),
                            _mm256_slli_epi16(_mm256_and_si256(bits_h, m3), 4)),
            _mm256_or_si256(
                _mm256_and_si256(bits2, m4),
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bits_h, 2), m3), 4)),
            _mm256_or_si256(
                _mm256_and_si256(_mm256_srli_epi16(bits1, 4), m4),
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bits_h, 4), m3), 4)),
            _mm256_or_si256(
                _mm256_and_si256(_mm256_srli_epi16(bits2, 4), m4),
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bits_h, 6), m3), 4)),
        };
        for (int s = 0; s < 4; ++s) {
          const int group = 8 * half + 2 * s;  // Scales of elements 0..15 and 16..31.
          const __m256i scale = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(
              scales,
              _mm_set_epi64x(0x0101010101010101LL * (group + 1), 0x0101010101010101LL * group)));
          const __m256i prod = _mm256_maddubs_epi16(q[s], Load256(y[i].qs + 128 * half + 32 * s));
          sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(scale, prod));
        }
      }
      const __m256i offset = _mm256_slli_epi32(
          _mm256_madd_epi16(Load256(y[i].bsums), _mm256_cvtepi8_epi16(scales)), 5);
      const __m256i lanes = _mm256_sub_epi32(sumi, offset);
      acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * Half(x[i].d)), _mm256_cvtepi32_ps(lanes), acc);
    }
    out[0] = SumLanes8(acc);
  }
};

// ---- Q2_K and Q3_K ----------------------------------------------------------

// The integer total of one super-block given its codes (unsigned, element
// 128n + 32s + l from shift 2s of qs[32n + l]) and sixteen 16-element scales.
template <typename CodesFn>
inline int32_t ScaledTotal(const int16_t* scale, const BlockQ8_K& y, CodesFn codes) {
  __m256i sumi = _mm256_setzero_si256();
  for (int n = 0; n < 2; ++n) {
    for (int s = 0; s < 4; ++s) {
      const int group = 8 * n + 2 * s;
      const __m256i prod = _mm256_maddubs_epi16(codes(n, s), Load256(y.qs + 128 * n + 32 * s));
      sumi = _mm256_add_epi32(sumi,
                              _mm256_madd_epi16(TwoScales(scale[group], scale[group + 1]), prod));
    }
  }
  return SumI32x8(sumi);
}

struct Q2KKernel : KQuantTile {
  template <int R, int C>
  static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a, Prefetcher* pf,
                  float* out) {
    static_assert(R == 1 && C == 1);
    const BlockQ2_K* x = reinterpret_cast<const BlockQ2_K*>(w);
    const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(a);
    const __m256i m3 = _mm256_set1_epi8(3);
    float sum = 0.0f;
    for (int64_t i = 0; i < t.n / kQK_K; ++i) {
      int16_t scale[16];
      for (int j = 0; j < 16; ++j) scale[j] = static_cast<int16_t>(x[i].scales[j] & 0x0F);
      const __m256i qs[2] = {Load256(x[i].qs), Load256(x[i].qs + 32)};
      const int32_t isum = ScaledTotal(scale, y[i], [&](int n, int s) {
        return _mm256_and_si256(_mm256_srli_epi16(qs[n], 2 * s), m3);
      });
      const __m256i mins = _mm256_cvtepu8_epi16(
          _mm_and_si128(_mm_srli_epi16(Load128(x[i].scales), 4), _mm_set1_epi8(0x0F)));
      const int32_t imin = SumI32x8(_mm256_madd_epi16(mins, Load256(y[i].bsums)));
      const float d = y[i].d * Half(x[i].d);
      const float dmin = y[i].d * Half(x[i].dmin);
      sum += d * static_cast<float>(isum) - dmin * static_cast<float>(imin);
    }
    out[0] = sum;
  }
};

// Codes q = low2 - 4 + 4 · hbit, summed as u = low2 + 4 · hbit (0..7) with
// 4 · sum(scale · bsum) taken off: the same integer.
struct Q3KKernel : KQuantTile {
  template <int R, int C>
  static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a, Prefetcher* pf,
                  float* out) {
    static_assert(R == 1 && C == 1);
    const BlockQ3_K* x = reinterpret_cast<const BlockQ3_K*>(w);
    const BlockQ8_K* y = reinterpret_cast<const BlockQ8_K*>(a);
    const __m256i m3 = _mm256_set1_epi8(3);
    const __m256i m4 = _mm256_set1_epi8(4);
    float sum = 0.0f;
    for (int64_t i = 0; i < t.n / kQK_K; ++i) {
      alignas(32) int16_t scale[16];
      const uint8_t* packed = x[i].scales;
      for (int j = 0; j < 16; ++j) {
        const int low = j < 8 ? (packed[j] & 0x0F) : (packed[j - 8] >> 4);
        const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
        scale[j] = static_cast<int16_t>((low | (high << 4)) - 32);
      }
      const __m256i qs[2] = {Load256(x[i].qs), Load256(x[i].qs + 32)};
      const __m256i hmask = Load256(x[i].hmask);
      const int32_t total = ScaledTotal(scale, y[i], [&](int n, int s) {
        const __m256i sel = _mm256_set1_epi8(static_cast<char>(1 << (4 * n + s)));
        const __m256i top =
            _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hmask, sel), sel), m4);
        return _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(qs[n], 2 * s), m3), top);
      });
      const int32_t offset = SumI32x8(_mm256_madd_epi16(
          _mm256_load_si256(reinterpret_cast<const __m256i*>(scale)), Load256(y[i].bsums)));
      const int32_t isum = total - 4 * offset;
      sum += (Half(x[i].d) * y[i].d) * static_cast<float>(isum);
    }
    out[0] = sum;
  }
};

}  // namespace

#define STRATA_AVX2_KQUANT(T, K)                                                                 \
  float VecDot##T(int64_t n, const void* w, const void* a) { return DotOne<K>(n, w, a, false); } \
  void DotTile##T(const DotTileArgs& args) { DriveTile<K>(args); }

STRATA_AVX2_KQUANT(Q2_K, Q2KKernel)
STRATA_AVX2_KQUANT(Q3_K, Q3KKernel)
STRATA_AVX2_KQUANT(Q4_K, Q4KKernel)
STRATA_AVX2_KQUANT(Q5_K, Q5KKernel)
STRATA_AVX2_KQUANT(Q6_K, Q6KKernel)

#undef STRATA_AVX2_KQUANT

}  // namespace strata::cpu::avx2
