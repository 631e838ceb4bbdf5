// AVX-512 VNNI dot products of the 32-element block formats: Q4_0, Q4_1,
// Q5_0, Q5_1 and Q8_0 weights with Q8_0 / Q8_1 activations.
//
// The reference (cpu/reference/quant_legacy.cc) keeps each block's integer
// products in eight int32 lanes, lane l holding elements 4l..4l+3, converts
// them to float and fuses them into eight float accumulators by the block
// scale. A ymm register holds exactly those eight lanes, and vpdpbusd
// (u8 × s8, four products into each int32 lane, no saturation) forms them in
// one instruction, so the vector code performs the same float operations in
// the same order. Weight codes are made unsigned (q + bias) and the bias is
// taken off afterwards with bias · (sum of each lane's four activations),
// also one vpdpbusd: exact for every input, including codes of -128.
//
// A register tile of R weight rows × C activation rows shares the activation
// loads across rows and keeps R·C independent accumulator chains in flight
// (one chain's fused multiply-add latency would otherwise bound a GEMV).
//
// Compiled with the AVX-512 flags of cpu/CMakeLists.txt; called only on CPUs
// with AVX-512 F/BW/VL + VNNI.
#include <immintrin.h>

#include <cstdint>

#include "core/quant_blocks.h"
#include "cpu/dot_tile.h"
#include "cpu/x86/internal/avx512_util.h"
#include "cpu/x86/internal/isa_kernels.h"
#include "cpu/x86/internal/tile_driver.h"

namespace strata::cpu::avx512 {
namespace {

using x86::DotOne;
using x86::DriveTile;
using x86::Half;
using x86::LoadU32;
using x86::Prefetcher;
using x86::SumLanes8;

// The 32 codes of a Q4 block in element order: low nibbles are elements
// 0..15, high nibbles 16..31.
inline __m256i Nibbles(const uint8_t* qs) {
  const __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1);
  return _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
}

// Plus bit j of the little-endian qh as bit 4 of element j.
inline __m256i FiveBit(const uint8_t* qs, const uint8_t* qh) {
  const __m256i q = Nibbles(qs);
  return _mm256_mask_add_epi8(q, static_cast<__mmask32>(LoadU32(qh)), q, _mm256_set1_epi8(16));
}

// How far ahead a single-row GEMV prefetches its row stream (bytes).
constexpr int kPrefetchDistance = 6144;

// Per format: the activation block, the weight codes as unsigned bytes, and
// the bias subtracted from them (the signed value is code - kBias).
struct Q4_0Traits {
  static constexpr int kGemvRows = 4;
  using Block = BlockQ4_0;
  using Act = BlockQ8_0;
  static constexpr int kBias = 8;
  static constexpr bool kAffine = false;
  static __m256i Codes(const Block& x) { return Nibbles(x.qs); }
};

struct Q5_0Traits {
  static constexpr int kGemvRows = 4;
  using Block = BlockQ5_0;
  using Act = BlockQ8_0;
  static constexpr int kBias = 16;
  static constexpr bool kAffine = false;
  static __m256i Codes(const Block& x) { return FiveBit(x.qs, x.qh); }
};

struct Q8_0Traits {
  using Block = BlockQ8_0;
  using Act = BlockQ8_0;
  // 34-byte blocks: one row's fused multiply-add chain keeps up with memory,
  // and one row at a time reads a single sequential stream (see
  // LegacyKernel).
  static constexpr int kGemvRows = 1;
  static constexpr int kBias = 128;
  static constexpr bool kAffine = false;
  static __m256i Codes(const Block& x) {
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs));
    return _mm256_xor_si256(q, _mm256_set1_epi8(static_cast<char>(0x80)));  // q + 128
  }
};

// The offset formats: x = d * q + m, with m · s_a added per block.
struct Q4_1Traits {
  static constexpr int kGemvRows = 4;
  using Block = BlockQ4_1;
  using Act = BlockQ8_1;
  static constexpr int kBias = 0;
  static constexpr bool kAffine = true;
  static __m256i Codes(const Block& x) { return Nibbles(x.qs); }
};

struct Q5_1Traits {
  static constexpr int kGemvRows = 4;
  using Block = BlockQ5_1;
  using Act = BlockQ8_1;
  static constexpr int kBias = 0;
  static constexpr bool kAffine = true;
  static __m256i Codes(const Block& x) { return FiveBit(x.qs, x.qh); }
};

// One row's dot product is a chain of fused multiply-adds, one per block
// (the reference's order), whose latency bounds a GEMV of short blocks:
// Q4_0's 18-byte blocks then arrive slower than memory delivers them. Those
// formats run four rows at once (the tile driver prefetches their rows in
// address order); Q8_0 runs one row at a time and prefetches ahead itself.
template <class Tr>
struct LegacyKernel {
  using Block = typename Tr::Block;
  using Act = typename Tr::Act;
  static constexpr int kGemvRows = Tr::kGemvRows;
  static constexpr int kGemmRows = 2;
  static constexpr int kGemmCols = 4;
  static int64_t StepsPerRow(int64_t n) { return n / 32; }

  template <int R, int C>
  static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a, Prefetcher* pf,
                  float* out) {
    const Block* x[R];
    const Act* y[C];
    for (int r = 0; r < R; ++r) x[r] = reinterpret_cast<const Block*>(w + r * t.w_stride);
    for (int c = 0; c < C; ++c) y[c] = reinterpret_cast<const Act*>(a + c * t.a_stride);
    __m256 acc[R][C];
    float offsets[R][C];
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) {
        acc[r][c] = _mm256_setzero_ps();
        offsets[r][c] = 0.0f;
      }
    }
    const __m256i zero = _mm256_setzero_si256();
    const __m256i bias = _mm256_set1_epi8(static_cast<char>(Tr::kBias));
    const int64_t nb = t.n / 32;
    for (int64_t b = 0; b < nb; ++b) {
      pf->Step();
      if constexpr (kGemvRows == 1 && R == 1) {
        const char* ahead = reinterpret_cast<const char*>(&x[0][b]) + kPrefetchDistance;
        _mm_prefetch(ahead, _MM_HINT_T0);
        _mm_prefetch(ahead + 32, _MM_HINT_T0);
      }
      __m256i yq[C];
      __m256i correction[C];
      float dy[C];
      float sy[C];
      for (int c = 0; c < C; ++c) {
        yq[c] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[c][b].qs));
        if constexpr (Tr::kBias != 0) correction[c] = _mm256_dpbusd_epi32(zero, bias, yq[c]);
        dy[c] = Half(y[c][b].d);
        if constexpr (Tr::kAffine) sy[c] = Half(y[c][b].s);
      }
      for (int r = 0; r < R; ++r) {
        const __m256i q = Tr::Codes(x[r][b]);
        const float dx = Half(x[r][b].d);
        for (int c = 0; c < C; ++c) {
          __m256i lanes = _mm256_dpbusd_epi32(zero, q, yq[c]);
          if constexpr (Tr::kBias != 0) lanes = _mm256_sub_epi32(lanes, correction[c]);
          acc[r][c] =
              _mm256_fmadd_ps(_mm256_set1_ps(dx * dy[c]), _mm256_cvtepi32_ps(lanes), acc[r][c]);
          if constexpr (Tr::kAffine) {
            const float offset = Half(x[r][b].m) * sy[c];
            offsets[r][c] += offset;
          }
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) {
        out[r * C + c] = Tr::kAffine ? SumLanes8(acc[r][c]) + offsets[r][c] : SumLanes8(acc[r][c]);
      }
    }
  }
};

}  // namespace

#define STRATA_AVX512_LEGACY(T)                              \
  float VecDot##T(int64_t n, const void* w, const void* a) { \
    return DotOne<LegacyKernel<T##Traits>>(n, w, a, false);  \
  }                                                          \
  void DotTile##T(const DotTileArgs& args) { DriveTile<LegacyKernel<T##Traits>>(args); }

STRATA_AVX512_LEGACY(Q4_0)
STRATA_AVX512_LEGACY(Q4_1)
STRATA_AVX512_LEGACY(Q5_0)
STRATA_AVX512_LEGACY(Q5_1)
STRATA_AVX512_LEGACY(Q8_0)

#undef STRATA_AVX512_LEGACY

}  // namespace strata::cpu::avx512
