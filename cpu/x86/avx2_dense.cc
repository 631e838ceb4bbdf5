// AVX2 dot products of the unquantized formats (F32, F16, BF16) and the
// 32-element block formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), for CPUs without
// AVX-512 (the AVX-512 versions are in avx512_float.cc, avx512_legacy.cc).
//
// Every kernel returns its reference kernel's float bit for bit:
// - F32/F16/BF16 keep the reference's 16-lane accumulators as two ymm
//   registers and reduce them in the same tree.
// - The block formats form the eight int32 lanes of a block (lane l holding
//   elements 4l..4l+3) with vpmaddubsw + vpmaddwd, llama.cpp's AVX2
//   sequence, and fuse them by the block scale into eight float lanes.
//   Unsigned codes with a bias taken off through the activation lane sums
//   are exact for every input; Q8_0 uses llama.cpp's sign trick, exact for
//   activation codes in [-127, 127], which Strata's Q8_0 quantizer
//   guarantees (it never produces -128).
//
// Compiled with -mavx2 -mfma -mf16c (cpu/CMakeLists.txt); called only on
// CPUs that have them.
#include <immintrin.h>

#include <cstdint>

#include "core/quant_blocks.h"
#include "cpu/dot_tile.h"
#include "cpu/x86/internal/avx2_util.h"
#include "cpu/x86/internal/isa_kernels.h"
#include "cpu/x86/internal/tile_driver.h"

namespace strata::cpu::avx2 {
namespace {

using x86::BytesFromBits;
using x86::DotLanes;
using x86::DotOne;
using x86::DriveTile;
using x86::Half;
using x86::Load128;
using x86::Load256;
using x86::LoadU32;
using x86::Prefetcher;
using x86::Reduce16;
using x86::SumLanes8;

// ---- F32 --------------------------------------------------------------------

// vec_dot: four 16-lane fused accumulators over 64-element steps, (0 + 2) +
// (1 + 3), Reduce16, then the tail element by element; vec_dot_batch: one
// accumulator. A 16-lane accumulator is a pair of ymm registers.
struct F32Kernel {
  static constexpr int kGemvRows = 1;
  static constexpr int kGemmRows = 2;
  static constexpr int kGemmCols = 2;
  static int64_t StepsPerRow(int64_t n) { return n / 64; }

  static float Single(int64_t n, const float* x, const float* y) {
    const int64_t n_main = n - n % 64;
    __m256 acc[4][2];
    for (int j = 0; j < 4; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n_main; i += 64) {
      for (int j = 0; j < 4; ++j) {
        for (int h = 0; h < 2; ++h) {
          const int64_t e = i + 16 * j + 8 * h;
          acc[j][h] = _mm256_fmadd_ps(_mm256_loadu_ps(x + e), _mm256_loadu_ps(y + e), acc[j][h]);
        }
      }
    }
    __m256 s[2];
    for (int h = 0; h < 2; ++h) {
      s[h] =
          _mm256_add_ps(_mm256_add_ps(acc[0][h], acc[2][h]), _mm256_add_ps(acc[1][h], acc[3][h]));
    }
    float sum = Reduce16(s[0], s[1]);
    for (int64_t i = n_main; i < n; ++i) {
      const float product = x[i] * y[i];
      sum += product;
    }
    return sum;
  }

  template <int R, int C>
  static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a, Prefetcher* pf,
                  float* out) {
    const float* x[R];
    const float* y[C];
    for (int r = 0; r < R; ++r) x[r] = reinterpret_cast<const float*>(w + r * t.w_stride);
    for (int c = 0; c < C; ++c) y[c] = reinterpret_cast<const float*>(a + c * t.a_stride);
    if (!t.batch) {
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) out[r * C + c] = Single(t.n, x[r], y[c]);
      }
      return;
    }
    __m256 acc[R][C][2];
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) acc[r][c][0] = acc[r][c][1] = _mm256_setzero_ps();
    }
    for (int64_t i = 0; i < t.n; i += 16) {
      for (int h = 0; h < 2; ++h) {
        __m256 yv[C];
        for (int c = 0; c < C; ++c) yv[c] = _mm256_loadu_ps(y[c] + i + 8 * h);
        for (int r = 0; r < R; ++r) {
          const __m256 xv = _mm256_loadu_ps(x[r] + i + 8 * h);
          for (int c = 0; c < C; ++c) acc[r][c][h] = _mm256_fmadd_ps(xv, yv[c], acc[r][c][h]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) out[r * C + c] = Reduce16(acc[r][c][0], acc[r][c][1]);
    }
  }
};

// ---- F16 and BF16 -----------------------------------------------------------

// BF16: sixteen lanes (two ymm), lane l summing elements 16i + l in order,
// multiplied and added separately. F16 follows llama.cpp: ggml_vec_dot_f16
// for one activation row, llamafile's tinyBLAS (F32 activations) for batches.
template <bool kBf16>
struct HalfKernel {
  static constexpr int kGemvRows = 4;
  static constexpr int kGemmRows = 2;
  static constexpr int kGemmCols = 2;
  static int64_t StepsPerRow(int64_t n) { return n / 16; }

  static __m256 Load8(const uint16_t* p) {
    const __m128i h = Load128(p);
    if constexpr (kBf16) {
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    } else {
      return _mm256_cvtph_ps(h);
    }
  }
  static __m256 Accumulate(__m256 acc, __m256 x, __m256 y) {
    if constexpr (kBf16) {
      return _mm256_add_ps(acc, _mm256_mul_ps(x, y));
    } else {
      return _mm256_fmadd_ps(x, y, acc);
    }
  }
  static float ToFloat(uint16_t h) {
    if constexpr (kBf16) {
      const uint32_t bits = static_cast<uint32_t>(h) << 16;
      float f;
      __builtin_memcpy(&f, &bits, 4);
      return f;
    } else {
      return Half(h);
    }
  }

  // F16 with one activation row (vec_dot, ggml_vec_dot_f16's order): four
  // fused 16-lane accumulators (two ymm each) over steps of 64, (0 + 2) +
  // (1 + 3), Reduce16, the remaining products added in double.
  static float Single(int64_t n, const uint16_t* x, const uint16_t* y) {
    const int64_t n_main = n - n % 64;
    __m256 acc[4][2];
    for (int j = 0; j < 4; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n_main; i += 64) {
      for (int j = 0; j < 4; ++j) {
        for (int h = 0; h < 2; ++h) {
          const int64_t e = i + 16 * j + 8 * h;
          acc[j][h] = _mm256_fmadd_ps(Load8(x + e), Load8(y + e), acc[j][h]);
        }
      }
    }
    __m256 s[2];
    for (int h = 0; h < 2; ++h) {
      s[h] =
          _mm256_add_ps(_mm256_add_ps(acc[0][h], acc[2][h]), _mm256_add_ps(acc[1][h], acc[3][h]));
    }
    double sum = Reduce16(s[0], s[1]);
    for (int64_t i = n_main; i < n; ++i) {
      const float product = ToFloat(x[i]) * ToFloat(y[i]);
      sum += static_cast<double>(product);
    }
    return static_cast<float>(sum);
  }

  template <int R, int C>
  static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a, Prefetcher* pf,
                  float* out) {
    const uint16_t* x[R];
    const uint16_t* y[C];
    for (int r = 0; r < R; ++r) x[r] = reinterpret_cast<const uint16_t*>(w + r * t.w_stride);
    for (int c = 0; c < C; ++c) y[c] = reinterpret_cast<const uint16_t*>(a + c * t.a_stride);
    if constexpr (!kBf16) {
      if (!t.batch) {
        for (int r = 0; r < R; ++r) {
          for (int c = 0; c < C; ++c) out[r * C + c] = Single(t.n, x[r], y[c]);
        }
        return;
      }
      // Batches (llamafile's tinyBLAS): F32 activation rows, one fused
      // 16-lane accumulator (two ymm) per output, n % 16 == 0.
      const float* ya[C];
      for (int c = 0; c < C; ++c) ya[c] = reinterpret_cast<const float*>(a + c * t.a_stride);
      __m256 acc[R][C][2];
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) acc[r][c][0] = acc[r][c][1] = _mm256_setzero_ps();
      }
      for (int64_t i = 0; i < t.n; i += 16) {
        pf->Step();
        for (int h = 0; h < 2; ++h) {
          __m256 yv[C];
          for (int c = 0; c < C; ++c) yv[c] = _mm256_loadu_ps(ya[c] + i + 8 * h);
          for (int r = 0; r < R; ++r) {
            const __m256 xv = Load8(x[r] + i + 8 * h);
            for (int c = 0; c < C; ++c) acc[r][c][h] = _mm256_fmadd_ps(xv, yv[c], acc[r][c][h]);
          }
        }
      }
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) out[r * C + c] = Reduce16(acc[r][c][0], acc[r][c][1]);
      }
      return;
    }
    const int64_t n = t.n;
    const int64_t n_main = n - n % 16;
    __m256 acc[R][C][2];
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) acc[r][c][0] = acc[r][c][1] = _mm256_setzero_ps();
    }
    for (int64_t i = 0; i < n_main; i += 16) {
      pf->Step();
      for (int h = 0; h < 2; ++h) {
        __m256 yv[C];
        for (int c = 0; c < C; ++c) yv[c] = Load8(y[c] + i + 8 * h);
        for (int r = 0; r < R; ++r) {
          const __m256 xv = Load8(x[r] + i + 8 * h);
          for (int c = 0; c < C; ++c) acc[r][c][h] = Accumulate(acc[r][c][h], xv, yv[c]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) {
        alignas(32) float lanes[16];
        _mm256_store_ps(lanes, acc[r][c][0]);
        _mm256_store_ps(lanes + 8, acc[r][c][1]);
        for (int64_t i = n_main; i < n; ++i) {
          const float product = ToFloat(x[r][i]) * ToFloat(y[c][i]);
          lanes[i - n_main] += product;
        }
        out[r * C + c] = Reduce16(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8));
      }
    }
  }
};

// ---- Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 -------------------------------------------

inline __m256i Nibbles(const uint8_t* qs) {
  const __m128i t = Load128(qs);
  const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1);
  return _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
}

inline __m256i FiveBit(const uint8_t* qs, const uint8_t* qh) {
  const __m256i high = _mm256_and_si256(BytesFromBits(LoadU32(qh)), _mm256_set1_epi8(16));
  return _mm256_or_si256(Nibbles(qs), high);
}

// Per format: the weight codes as unsigned bytes and the bias subtracted
// from them; Q8_0 instead keeps signed codes (kSigned).
struct Q4_0Traits {
  using Block = BlockQ4_0;
  using Act = BlockQ8_0;
  static constexpr int kBias = 8;
  static constexpr bool kAffine = false;
  static constexpr bool kSigned = false;
  static __m256i Codes(const Block& x) { return Nibbles(x.qs); }
};

struct Q5_0Traits {
  using Block = BlockQ5_0;
  using Act = BlockQ8_0;
  static constexpr int kBias = 16;
  static constexpr bool kAffine = false;
  static constexpr bool kSigned = false;
  static __m256i Codes(const Block& x) { return FiveBit(x.qs, x.qh); }
};

struct Q8_0Traits {
  using Block = BlockQ8_0;
  using Act = BlockQ8_0;
  static constexpr int kBias = 0;
  static constexpr bool kAffine = false;
  static constexpr bool kSigned = true;
  static __m256i Codes(const Block& x) { return Load256(x.qs); }
};

struct Q4_1Traits {
  using Block = BlockQ4_1;
  using Act = BlockQ8_1;
  static constexpr int kBias = 0;
  static constexpr bool kAffine = true;
  static constexpr bool kSigned = false;
  static __m256i Codes(const Block& x) { return Nibbles(x.qs); }
};

struct Q5_1Traits {
  using Block = BlockQ5_1;
  using Act = BlockQ8_1;
  static constexpr int kBias = 0;
  static constexpr bool kAffine = true;
  static constexpr bool kSigned = false;
  static __m256i Codes(const Block& x) { return FiveBit(x.qs, x.qh); }
};

template <class Tr>
struct LegacyKernel {
  using Block = typename Tr::Block;
  using Act = typename Tr::Act;
  static constexpr int kGemvRows = 4;
  static constexpr int kGemmRows = 2;
  static constexpr int kGemmCols = 2;
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
    const __m256i ones = _mm256_set1_epi8(1);
    const int64_t nb = t.n / 32;
    for (int64_t b = 0; b < nb; ++b) {
      pf->Step();
      __m256i yq[C];
      __m256i correction[C];
      float dy[C];
      float sy[C];
      for (int c = 0; c < C; ++c) {
        yq[c] = Load256(y[c][b].qs);
        if constexpr (Tr::kBias != 0) {
          correction[c] = _mm256_mullo_epi32(DotLanes(ones, yq[c]), _mm256_set1_epi32(Tr::kBias));
        }
        dy[c] = Half(y[c][b].d);
        if constexpr (Tr::kAffine) sy[c] = Half(y[c][b].s);
      }
      for (int r = 0; r < R; ++r) {
        const __m256i q = Tr::Codes(x[r][b]);
        const float dx = Half(x[r][b].d);
        const __m256i q_abs = Tr::kSigned ? _mm256_sign_epi8(q, q) : q;
        for (int c = 0; c < C; ++c) {
          __m256i lanes;
          if constexpr (Tr::kSigned) {
            lanes = DotLanes(q_abs, _mm256_sign_epi8(yq[c], q));
          } else {
            lanes = DotLanes(q, yq[c]);
          }
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

float VecDotF32(int64_t n, const void* w, const void* a) {
  return DotOne<F32Kernel>(n, w, a, false);
}
float VecDotF32Batch(int64_t n, const void* w, const void* a) {
  return DotOne<F32Kernel>(n, w, a, true);
}
void DotTileF32(const DotTileArgs& args) { DriveTile<F32Kernel>(args); }

float VecDotF16(int64_t n, const void* w, const void* a) {
  return DotOne<HalfKernel<false>>(n, w, a, false);
}
float VecDotF16Batch(int64_t n, const void* w, const void* a) {
  return DotOne<HalfKernel<false>>(n, w, a, true);
}
void DotTileF16(const DotTileArgs& args) { DriveTile<HalfKernel<false>>(args); }

float VecDotBF16(int64_t n, const void* w, const void* a) {
  return DotOne<HalfKernel<true>>(n, w, a, false);
}
void DotTileBF16(const DotTileArgs& args) { DriveTile<HalfKernel<true>>(args); }

#define STRATA_AVX2_LEGACY(T)                                \
  float VecDot##T(int64_t n, const void* w, const void* a) { \
    return DotOne<LegacyKernel<T##Traits>>(n, w, a, false);  \
  }                                                          \
  void DotTile##T(const DotTileArgs& args) { DriveTile<LegacyKernel<T##Traits>>(args); }

STRATA_AVX2_LEGACY(Q4_0)
STRATA_AVX2_LEGACY(Q4_1)
STRATA_AVX2_LEGACY(Q5_0)
STRATA_AVX2_LEGACY(Q5_1)
STRATA_AVX2_LEGACY(Q8_0)

#undef STRATA_AVX2_LEGACY

}  // namespace strata::cpu::avx2
