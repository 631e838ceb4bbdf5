// AVX-512 VNNI dot products of the K-quants (Q2_K .. Q6_K) with Q8_K
// activations.
//
// A zmm register holds 64 codes: two 32-element groups. vpmaddubsw forms the
// exact u8 × s8 pair sums in int16 (the codes are at most 63, so nothing
// saturates) and vpdpwssd multiplies them by the sub-block scales and adds
// them into int32 lanes. Integer sums are exact in any order, so what
// matters is only which integers reach float and how they are combined
// there; per format that follows its reference kernel (quant_k.cc):
//
// - Q4_K, Q6_K (llama.cpp's order): eight lanes, lane l holding elements
//   4l..4l+3 of every 32-element group times its scale. The zmm's two
//   halves are the lanes of two groups and are added at the end of the
//   super-block; then one fused multiply-add per super-block, as in the
//   reference.
// - Q2_K, Q3_K, Q5_K: the super-block's integer total, scaled in float once
//   per super-block with plain multiplies and adds, as in the reference.
//
// Tiles are one weight row × up to four activation rows: the codes and scale
// vectors of a super-block are decoded once and used for every column.
//
// Compiled with the AVX-512 flags of cpu/CMakeLists.txt; called only on CPUs
// with AVX-512 F/BW/VL + VNNI.
#include <immintrin.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/quant_blocks.h"
#include "cpu/dot_tile.h"
#include "cpu/x86/internal/avx512_util.h"
#include "cpu/x86/internal/isa_kernels.h"
#include "cpu/x86/internal/tile_driver.h"

namespace strata::cpu::avx512 {
namespace {

using x86::DotOne;
using x86::DriveTile;
using x86::FoldHalves;
using x86::Half;
using x86::Join256;
using x86::Prefetcher;
using x86::SumI32x8;
using x86::SumLanes4;
using x86::SumLanes8;

inline __m512i Load512(const void* p) { return _mm512_loadu_si512(p); }
inline __m256i Load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i Load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

// A word-index vector for vpermw: word p (0..31) selects word f(p).
template <typename F>
inline __m512i WordIndex(F f) {
  alignas(64) int16_t idx[32];
  for (int p = 0; p < 32; ++p) idx[p] = static_cast<int16_t>(f(p));
  return _mm512_load_si512(idx);
}

// Q4_K/Q5_K's 6-bit scales and mins as sixteen words (scales 0..7, then mins
// 0..7), unpacked with byte shuffles (the reference's UnpackScaleMinK4):
// scale j < 4 = b[j] & 63, min j < 4 = b[j + 4] & 63; for j >= 4 the low
// four bits come from b[j + 4] (scale: low nibble, min: high nibble) and the
// top two from bits 6-7 of b[j - 4] (scales) or b[j] (mins).
inline __m256i ScalesMinsK4(const uint8_t* packed) {
  // 16 bytes: the 12 packed ones and 4 of the block's next field, ignored.
  const __m128i v = Load128(packed);
  const __m128i low =
      _mm_shuffle_epi8(v, _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11));
  const __m128i top =
      _mm_shuffle_epi8(v, _mm_setr_epi8(-1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1, 4, 5, 6, 7));
  // Bytes 12..15 need the high nibble: shift them down.
  const __m128i low2 = _mm_blend_epi32(low, _mm_srli_epi16(low, 4), 0x8);
  const __m128i mask_low =
      _mm_setr_epi8(63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15);
  const __m128i bytes = _mm_or_si128(
      _mm_and_si128(low2, mask_low),
      _mm_and_si128(_mm_srli_epi16(top, 2),
                    _mm_setr_epi8(0, 0, 0, 0, 48, 48, 48, 48, 0, 0, 0, 0, 48, 48, 48, 48)));
  return _mm256_cvtepu8_epi16(bytes);
}

// ---- Q4_K and Q5_K ----------------------------------------------------------
//
// A zmm load of 64 packed bytes qs[64g .. 64g + 63] holds four sub-blocks:
// its low nibbles are sub-blocks 4g and 4g + 2 (elements 128g + 0..31 and
// 128g + 64..95), its high nibbles 4g + 1 and 4g + 3. Rather than shuffle
// every weight row into element order, the activations are rearranged once
// per tile into that order (PreparedK4), together with the per-sub-block
// sums and the scale, and every row of the tile then reads them as they are.

// One Q8_K super-block rearranged for the Q4_K/Q5_K kernels.
struct alignas(64) PreparedK4 {
  int8_t qs[256];     // [A0 | B0 | A1 | B1]: A_g = elements 128g + {0..31, 64..95},
                      // B_g = 128g + {32..63, 96..127}.
  int16_t sums32[8];  // bsums[2j] + bsums[2j + 1]: the sum of sub-block j.
  float d[4];         // {d, -d, 0, 0}: multiplied by {x.d, x.dmin} in one go.
  uint8_t pad[32];
};
static_assert(sizeof(PreparedK4) == 320);

// The sixteen-bit sums of each sub-block of 32 activations, from the Q8_K
// block sums of 16: word j = bsums[2j] + bsums[2j + 1] (j < 8).
inline __m128i SubBlockSums32(const BlockQ8_K& y) {
  const __m256i bs = Load256(y.bsums);
  return _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
}

inline void PrepareK4(const BlockQ8_K* y, int64_t nb, PreparedK4* out) {
  for (int64_t i = 0; i < nb; ++i) {
    for (int g = 0; g < 2; ++g) {
      const int8_t* src = y[i].qs + 128 * g;
      int8_t* dst = out[i].qs + 128 * g;
      _mm256_store_si256(reinterpret_cast<__m256i*>(dst), Load256(src));
      _mm256_store_si256(reinterpret_cast<__m256i*>(dst + 32), Load256(src + 64));
      _mm256_store_si256(reinterpret_cast<__m256i*>(dst + 64), Load256(src + 32));
      _mm256_store_si256(reinterpret_cast<__m256i*>(dst + 96), Load256(src + 96));
    }
    _mm_store_si128(reinterpret_cast<__m128i*>(out[i].sums32), SubBlockSums32(y[i]));
    _mm_store_ps(out[i].d, _mm_setr_ps(y[i].d, -y[i].d, 0.0f, 0.0f));
  }
}

// A per-thread buffer for prepared activations (grown, never shrunk).
struct ThreadBuffer {
  void* data = nullptr;
  size_t bytes = 0;
  ~ThreadBuffer() { std::free(data); }
};
thread_local ThreadBuffer tls_prepared;

inline PreparedK4* PreparedBuffer(int64_t count) {
  const size_t bytes = static_cast<size_t>(count) * sizeof(PreparedK4);
  if (tls_prepared.bytes < bytes) {
    std::free(tls_prepared.data);
    tls_prepared.data = std::aligned_alloc(64, bytes);
    tls_prepared.bytes = bytes;
  }
  return static_cast<PreparedK4*>(tls_prepared.data);
}

// Sub-block (of 32) in the low half of code vector k (k = 0..3: the low and
// high nibbles of the two 64-byte loads); the high half holds this + 2.
constexpr int SubBlockOf(int k) { return (k / 2) * 4 + k % 2; }

// The scale words of code vector k: words 0..15 take scale SubBlockOf(k),
// words 16..31 scale SubBlockOf(k) + 2. `scales_mins` holds the eight scales
// in words 0..7; they are broadcast to every 128-bit lane and picked with
// in-lane byte shuffles (cheaper than cross-lane word permutes).
struct ScalePicks {
  __m512i pick[4];
  ScalePicks() {
    for (int k = 0; k < 4; ++k) {
      const int lo = 2 * SubBlockOf(k), hi = 2 * (SubBlockOf(k) + 2);
      const __m128i pick_lo = _mm_set1_epi16(static_cast<int16_t>((lo + 1) << 8 | lo));
      const __m128i pick_hi = _mm_set1_epi16(static_cast<int16_t>((hi + 1) << 8 | hi));
      pick[k] = Join256(_mm256_broadcastsi128_si256(pick_lo), _mm256_broadcastsi128_si256(pick_hi));
    }
  }
};

inline void QuadScales(__m256i scales_mins, const ScalePicks& picks, __m512i* scale) {
  const __m512i lanes = _mm512_broadcast_i32x4(_mm256_castsi256_si128(scales_mins));
  for (int k = 0; k < 4; ++k) scale[k] = _mm512_shuffle_epi8(lanes, picks.pick[k]);
}

// The four code vectors of a super-block's 4-bit part.
inline void Nibbles4(const uint8_t* qs, __m512i* q) {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  for (int g = 0; g < 2; ++g) {
    const __m512i bits = Load512(qs + 64 * g);
    q[2 * g] = _mm512_and_si512(bits, m4);
    q[2 * g + 1] = _mm512_and_si512(_mm512_srli_epi16(bits, 4), m4);
  }
}

// {y.d · x.d, -y.d · x.dmin}: the two float factors of a Q4_K super-block,
// each the same single product the reference forms.
inline __m128 ScaleAndMinFactors(const float* yd_pair, const uint16_t* d_dmin) {
  const __m128 halves = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(x86::LoadU32(d_dmin))));
  return _mm_mul_ps(_mm_load_ps(yd_pair), halves);
}

// Decode reads the weights once, as one sequential stream (rows are
// contiguous), and the kernel is close to compute-bound: asking for the
// lines a few KB ahead keeps the loads in flight that the hardware
// prefetcher alone does not (measured: BM_MatVecCold, one thread).
constexpr int kPrefetchDistance = 6144;
template <typename Block>
inline void PrefetchAhead(const Block* x) {
  const char* p = reinterpret_cast<const char*>(x) + kPrefetchDistance;
  _mm_prefetch(p, _MM_HINT_T0);
  _mm_prefetch(p + 64, _MM_HINT_T0);
  if constexpr (sizeof(Block) > 128) _mm_prefetch(p + 128, _MM_HINT_T0);
}

// Runs K::Run<C>(x, nb, prepared columns, out) for every row and group of
// up to four columns, preparing each column group once.
template <class K>
void DriveK4(const DotTileArgs& t) {
  using Block = typename K::Block;
  const int64_t nb = t.n / kQK_K;
  const ScalePicks picks;
  for (int64_t c0 = 0; c0 < t.cols; c0 += 4) {
    const int nc = t.cols - c0 < 4 ? static_cast<int>(t.cols - c0) : 4;
    PreparedK4* prepared = PreparedBuffer(nc * nb);
    const PreparedK4* y[4];
    for (int c = 0; c < nc; ++c) {
      PrepareK4(reinterpret_cast<const BlockQ8_K*>(t.a + (c0 + c) * t.a_stride), nb,
                prepared + c * nb);
      y[c] = prepared + c * nb;
    }
    for (int64_t r = 0; r < t.rows; ++r) {
      const Block* x = reinterpret_cast<const Block*>(t.w + r * t.w_stride);
      float out[4];
      switch (nc) {
        case 1:
          K::template Run<1>(x, nb, y, picks, out);
          break;
        case 2:
          K::template Run<2>(x, nb, y, picks, out);
          break;
        case 3:
          K::template Run<3>(x, nb, y, picks, out);
          break;
        default:
          K::template Run<4>(x, nb, y, picks, out);
      }
      for (int c = 0; c < nc; ++c) t.y[(c0 + c) * t.y_stride + r] = out[c];
    }
  }
}

template <class K>
float DotK4(int64_t n, const void* w, const void* a) {
  DotTileArgs t;
  t.n = n;
  t.w = static_cast<const uint8_t*>(w);
  t.rows = 1;
  t.a = static_cast<const uint8_t*>(a);
  t.cols = 1;
  float out;
  t.y = &out;
  t.y_stride = 1;
  DriveK4<K>(t);
  return out;
}

// sum_k scale[k] · (q[k] · y[64k ..]) in sixteen int32 lanes, as two
// independent chains (integer sums: exact in any order).
inline __m512i ScaledDots(const __m512i* q, const __m512i* scale, const int8_t* y) {
  const __m512i zero = _mm512_setzero_si512();
  __m512i s0 =
      _mm512_dpwssd_epi32(zero, _mm512_maddubs_epi16(q[0], _mm512_load_si512(y)), scale[0]);
  __m512i s1 =
      _mm512_dpwssd_epi32(zero, _mm512_maddubs_epi16(q[1], _mm512_load_si512(y + 64)), scale[1]);
  s0 = _mm512_dpwssd_epi32(s0, _mm512_maddubs_epi16(q[2], _mm512_load_si512(y + 128)), scale[2]);
  s1 = _mm512_dpwssd_epi32(s1, _mm512_maddubs_epi16(q[3], _mm512_load_si512(y + 192)), scale[3]);
  return _mm512_add_epi32(s0, s1);
}

inline __m128i LoadSums32(const PreparedK4& y) {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(y.sums32));
}

// Q4_K in the reference's (llama.cpp's) order: the scaled code products in
// eight int32 lanes fused into eight float accumulators by d, the mins in
// four lanes (sub-blocks 2m, 2m + 1) fused by -dmin, the two added at the end.
struct Q4KKernel {
  using Block = BlockQ4_K;

  template <int C>
  static void Run(const BlockQ4_K* x, int64_t nb, const PreparedK4* const* y,
                  const ScalePicks& picks, float* out) {
    __m256 acc[C];
    __m128 acc_min[C];
    for (int c = 0; c < C; ++c) {
      acc[c] = _mm256_setzero_ps();
      acc_min[c] = _mm_setzero_ps();
    }
    for (int64_t i = 0; i < nb; ++i) {
      PrefetchAhead(x + i);
      const __m256i scales_mins = ScalesMinsK4(x[i].scales);
      const __m128i mins = _mm256_extracti128_si256(scales_mins, 1);
      __m512i q[4], scale[4];
      QuadScales(scales_mins, picks, scale);
      Nibbles4(x[i].qs, q);
      for (int c = 0; c < C; ++c) {
        const PreparedK4& yb = y[c][i];
        const __m512i sumi = ScaledDots(q, scale, yb.qs);
        const __m128 factors = ScaleAndMinFactors(yb.d, &x[i].d);
        acc[c] = _mm256_fmadd_ps(_mm256_broadcastss_ps(factors),
                                 _mm256_cvtepi32_ps(FoldHalves(sumi)), acc[c]);
        const __m128i min_lanes = _mm_madd_epi16(mins, LoadSums32(yb));
        acc_min[c] =
            _mm_fmadd_ps(_mm_permute_ps(factors, 0x55), _mm_cvtepi32_ps(min_lanes), acc_min[c]);
      }
    }
    for (int c = 0; c < C; ++c) out[c] = SumLanes8(acc[c]) + SumLanes4(acc_min[c]);
  }
};

// Q5_K in its reference's order: the super-block's integer totals (codes ·
// scales, mins · sums), scaled in float with plain multiplies and adds.
struct Q5KKernel {
  using Block = BlockQ5_K;

  template <int C>
  static void Run(const BlockQ5_K* x, int64_t nb, const PreparedK4* const* y,
                  const ScalePicks& picks, float* out) {
    // Bit j of qh[l] is bit 4 of element 32j + l: code vector k needs bit
    // SubBlockOf(k) in its low half and SubBlockOf(k) + 2 in its high half.
    __m512i high_bit[4];
    for (int k = 0; k < 4; ++k) {
      high_bit[k] = Join256(_mm256_set1_epi8(static_cast<char>(1 << SubBlockOf(k))),
                            _mm256_set1_epi8(static_cast<char>(1 << (SubBlockOf(k) + 2))));
    }
    const __m512i sixteen = _mm512_set1_epi8(16);
    float sum[C];
    for (int c = 0; c < C; ++c) sum[c] = 0.0f;
    for (int64_t i = 0; i < nb; ++i) {
      PrefetchAhead(x + i);
      const __m256i scales_mins = ScalesMinsK4(x[i].scales);
      const __m128i mins = _mm256_extracti128_si256(scales_mins, 1);
      const __m256i qh = Load256(x[i].qh);
      const __m512i qh2 = Join256(qh, qh);
      __m512i q[4], scale[4];
      QuadScales(scales_mins, picks, scale);
      Nibbles4(x[i].qs, q);
      for (int k = 0; k < 4; ++k) {
        q[k] = _mm512_mask_add_epi8(q[k], _mm512_test_epi8_mask(qh2, high_bit[k]), q[k], sixteen);
      }
      const float dx = Half(x[i].d);
      const float dminx = Half(x[i].dmin);
      for (int c = 0; c < C; ++c) {
        const PreparedK4& yb = y[c][i];
        const __m512i sumi = ScaledDots(q, scale, yb.qs);
        const int32_t isum = _mm512_reduce_add_epi32(sumi);
        const int32_t imin = x86::SumI32x4(_mm_madd_epi16(mins, LoadSums32(yb)));
        const float d = yb.d[0] * dx;
        const float dmin = yb.d[0] * dminx;
        sum[c] += d * static_cast<float>(isum) - dmin * static_cast<float>(imin);
      }
    }
    for (int c = 0; c < C; ++c) out[c] = sum[c];
  }
};

// ---- Q6_K -------------------------------------------------------------------

struct Q6KKernel {
  static constexpr int kGemvRows = 1;
  static constexpr int kGemmRows = 1;
  static constexpr int kGemmCols = 4;
  static int64_t StepsPerRow(int64_t n) { return n / 256; }

  template <int R, int C>
  static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a, Prefetcher* pf,
                  float* out) {
    static_assert(R == 1);
    const BlockQ6_K* x = reinterpret_cast<const BlockQ6_K*>(w);
    const BlockQ8_K* y[C];
    for (int c = 0; c < C; ++c) y[c] = reinterpret_cast<const BlockQ8_K*>(a + c * t.a_stride);
    // 64 elements hold four 16-element scale groups: word p -> scale 4k + p / 8.
    __m512i group_index[4];
    for (int k = 0; k < 4; ++k) group_index[k] = WordIndex([k](int p) { return 4 * k + p / 8; });
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    const __m512i bits45 = _mm512_set1_epi8(0x30);
    __m256 acc[C];
    for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();
    const int64_t nb = t.n / kQK_K;
    for (int64_t i = 0; i < nb; ++i) {
      PrefetchAhead(x + i);
      const __m256i sc16 = _mm256_cvtepi8_epi16(Load128(x[i].scales));
      const __m512i sc = _mm512_castsi256_si512(sc16);
      // The unsigned 6-bit codes 0..63 of elements 64k .. 64k + 63.
      __m512i q[4], scale[4];
      for (int half = 0; half < 2; ++half) {
        const __m512i ql = Load512(x[i].ql + 64 * half);
        const __m256i qh = Load256(x[i].qh + 32 * half);
        const __m512i qh2 = Join256(qh, _mm256_srli_epi16(qh, 2));
        q[2 * half] = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                      _mm512_and_si512(_mm512_slli_epi16(qh2, 4), bits45));
        q[2 * half + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                          _mm512_and_si512(qh2, bits45));
      }
      for (int k = 0; k < 4; ++k) scale[k] = _mm512_permutexvar_epi16(group_index[k], sc);
      const float dx = Half(x[i].d);
      for (int c = 0; c < C; ++c) {
        const BlockQ8_K& yb = y[c][i];
        __m512i sumi = _mm512_setzero_si512();
        for (int k = 0; k < 4; ++k) {
          const __m512i prod = _mm512_maddubs_epi16(q[k], Load512(yb.qs + 64 * k));
          sumi = _mm512_dpwssd_epi32(sumi, prod, scale[k]);
        }
        // The -32 offset: lane l loses 32 × (bsums · scales of groups 2l, 2l + 1).
        const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(Load256(yb.bsums), sc16), 5);
        const __m256i lanes = _mm256_sub_epi32(FoldHalves(sumi), offset);
        acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(yb.d * dx), _mm256_cvtepi32_ps(lanes), acc[c]);
      }
    }
    for (int c = 0; c < C; ++c) out[c] = SumLanes8(acc[c]);
  }
};

// ---- Q2_K -------------------------------------------------------------------

// Codes 0..3 at bit pair s of qs[32n + l] are element 128n + 32s + l: one zmm
// of qs shifted by 2s holds elements 32s.. and 128 + 32s.., sub-blocks (of
// 16) 2s, 2s + 1, 8 + 2s, 9 + 2s.
inline __m512i Q2Index(int s) {
  return WordIndex([s](int p) { return (p < 16 ? 2 * s : 8 + 2 * s) + (p % 16) / 8; });
}

inline __m512i ActivationsQ2(const BlockQ8_K& y, int s) {
  return Join256(Load256(y.qs + 32 * s), Load256(y.qs + 128 + 32 * s));
}

struct Q2KKernel {
  static constexpr int kGemvRows = 1;
  static constexpr int kGemmRows = 1;
  static constexpr int kGemmCols = 4;
  static int64_t StepsPerRow(int64_t n) { return n / 256; }

  template <int R, int C>
  static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a, Prefetcher* pf,
                  float* out) {
    static_assert(R == 1);
    const BlockQ2_K* x = reinterpret_cast<const BlockQ2_K*>(w);
    const BlockQ8_K* y[C];
    for (int c = 0; c < C; ++c) y[c] = reinterpret_cast<const BlockQ8_K*>(a + c * t.a_stride);
    const __m512i index[4] = {Q2Index(0), Q2Index(1), Q2Index(2), Q2Index(3)};
    const __m512i three = _mm512_set1_epi8(3);
    const __m128i low4 = _mm_set1_epi8(0x0F);
    float sum[C];
    for (int c = 0; c < C; ++c) sum[c] = 0.0f;
    const int64_t nb = t.n / kQK_K;
    for (int64_t i = 0; i < nb; ++i) {
      PrefetchAhead(x + i);
      const __m128i packed = Load128(x[i].scales);
      const __m512i sc = _mm512_castsi256_si512(_mm256_cvtepu8_epi16(_mm_and_si128(packed, low4)));
      const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), low4));
      const __m512i qs = Load512(x[i].qs);
      __m512i q[4], scale[4];
      for (int s = 0; s < 4; ++s) {
        q[s] = _mm512_and_si512(_mm512_srli_epi16(qs, 2 * s), three);
        scale[s] = _mm512_permutexvar_epi16(index[s], sc);
      }
      const float dx = Half(x[i].d);
      const float dminx = Half(x[i].dmin);
      for (int c = 0; c < C; ++c) {
        const BlockQ8_K& yb = y[c][i];
        __m512i sumi = _mm512_setzero_si512();
        for (int s = 0; s < 4; ++s) {
          const __m512i prod = _mm512_maddubs_epi16(q[s], ActivationsQ2(yb, s));
          sumi = _mm512_dpwssd_epi32(sumi, prod, scale[s]);
        }
        const int32_t isum = _mm512_reduce_add_epi32(sumi);
        const int32_t imin = SumI32x8(_mm256_madd_epi16(mins, Load256(yb.bsums)));
        const float d = yb.d * dx;
        const float dmin = yb.d * dminx;
        sum[c] += d * static_cast<float>(isum) - dmin * static_cast<float>(imin);
      }
    }
    for (int c = 0; c < C; ++c) out[c] = sum[c];
  }
};

// ---- Q3_K -------------------------------------------------------------------

// The sixteen signed 6-bit scales (the reference's UnpackScalesQ3K).
inline __m256i ScalesQ3K(const uint8_t* packed) {
  alignas(32) int16_t s[16];
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? (packed[j] & 0x0F) : (packed[j - 8] >> 4);
    const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    s[j] = static_cast<int16_t>((low | (high << 4)) - 32);
  }
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(s));
}

// Codes q = low2 - 4 + 4 · hbit are summed as u = low2 + 4 · hbit (0..7) and
// 4 · sum(scale · bsum) taken off: the same integer.
struct Q3KKernel {
  static constexpr int kGemvRows = 1;
  static constexpr int kGemmRows = 1;
  static constexpr int kGemmCols = 4;
  static int64_t StepsPerRow(int64_t n) { return n / 256; }

  template <int R, int C>
  static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a, Prefetcher* pf,
                  float* out) {
    static_assert(R == 1);
    const BlockQ3_K* x = reinterpret_cast<const BlockQ3_K*>(w);
    const BlockQ8_K* y[C];
    for (int c = 0; c < C; ++c) y[c] = reinterpret_cast<const BlockQ8_K*>(a + c * t.a_stride);
    const __m512i index[4] = {Q2Index(0), Q2Index(1), Q2Index(2), Q2Index(3)};
    // Element 128n + 32s + l has its high bit at bit 4n + s of hmask[l].
    __m512i high_bit[4];
    for (int s = 0; s < 4; ++s) {
      high_bit[s] = Join256(_mm256_set1_epi8(static_cast<char>(1 << s)),
                            _mm256_set1_epi8(static_cast<char>(1 << (4 + s))));
    }
    const __m512i three = _mm512_set1_epi8(3);
    const __m512i four = _mm512_set1_epi8(4);
    float sum[C];
    for (int c = 0; c < C; ++c) sum[c] = 0.0f;
    const int64_t nb = t.n / kQK_K;
    for (int64_t i = 0; i < nb; ++i) {
      PrefetchAhead(x + i);
      const __m256i sc16 = ScalesQ3K(x[i].scales);
      const __m512i sc = _mm512_castsi256_si512(sc16);
      const __m512i qs = Load512(x[i].qs);
      const __m256i hm = Load256(x[i].hmask);
      const __m512i hm2 = Join256(hm, hm);
      __m512i q[4], scale[4];
      for (int s = 0; s < 4; ++s) {
        const __m512i low = _mm512_and_si512(_mm512_srli_epi16(qs, 2 * s), three);
        q[s] = _mm512_mask_add_epi8(low, _mm512_test_epi8_mask(hm2, high_bit[s]), low, four);
        scale[s] = _mm512_permutexvar_epi16(index[s], sc);
      }
      const float dx = Half(x[i].d);
      for (int c = 0; c < C; ++c) {
        const BlockQ8_K& yb = y[c][i];
        __m512i sumi = _mm512_setzero_si512();
        for (int s = 0; s < 4; ++s) {
          const __m512i prod = _mm512_maddubs_epi16(q[s], ActivationsQ2(yb, s));
          sumi = _mm512_dpwssd_epi32(sumi, prod, scale[s]);
        }
        const int32_t offset = SumI32x8(_mm256_madd_epi16(sc16, Load256(yb.bsums)));
        const int32_t isum = _mm512_reduce_add_epi32(sumi) - 4 * offset;
        sum[c] += (dx * yb.d) * static_cast<float>(isum);
      }
    }
    for (int c = 0; c < C; ++c) out[c] = sum[c];
  }
};

}  // namespace

#define STRATA_AVX512_KQUANT(T, K)                                                               \
  float VecDot##T(int64_t n, const void* w, const void* a) { return DotOne<K>(n, w, a, false); } \
  void DotTile##T(const DotTileArgs& args) { DriveTile<K>(args); }

STRATA_AVX512_KQUANT(Q2_K, Q2KKernel)
STRATA_AVX512_KQUANT(Q3_K, Q3KKernel)
float VecDotQ4_K(int64_t n, const void* w, const void* a) { return DotK4<Q4KKernel>(n, w, a); }
void DotTileQ4_K(const DotTileArgs& args) { DriveK4<Q4KKernel>(args); }
float VecDotQ5_K(int64_t n, const void* w, const void* a) { return DotK4<Q5KKernel>(n, w, a); }
void DotTileQ5_K(const DotTileArgs& args) { DriveK4<Q5KKernel>(args); }
STRATA_AVX512_KQUANT(Q6_K, Q6KKernel)

#undef STRATA_AVX512_KQUANT

}  // namespace strata::cpu::avx512
