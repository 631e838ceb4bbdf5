// AVX-512 dot products of the unquantized formats: F32, F16, BF16.
//
// Each reproduces its reference kernel (cpu/reference/quant_float.cc) bit
// for bit: the same 16-lane accumulators receive the same products in the
// same order, and are reduced in the same tree. What the vector code adds is
// R rows × C columns per pass, each with its own accumulators, so that the
// fused multiply-add latency of one dot product's single chain no longer
// limits a GEMV (four chains run at once), and loads are shared.
//
// Compiled with -mavx512f/bw/dq/vl (cpu/CMakeLists.txt) and called only when
// the CPU has them. Internal helpers have internal linkage (tile_driver.h).
#include <immintrin.h>

#include <cstdint>

#include "cpu/dot_tile.h"
#include "cpu/x86/internal/avx512_util.h"
#include "cpu/x86/internal/isa_kernels.h"
#include "cpu/x86/internal/tile_driver.h"

namespace strata::cpu::avx512 {
namespace {

using x86::DotOne;
using x86::DriveTile;
using x86::Half;
using x86::Prefetcher;
using x86::Reduce16;

// ---- F32 --------------------------------------------------------------------

// vec_dot: four 16-lane fused accumulators over steps of 64 elements,
// (0 + 2) + (1 + 3), the lane reduction, then the remaining elements one by
// one (multiply, then add). vec_dot_batch: one accumulator, n % 16 == 0.
struct F32Kernel {
  static constexpr int kGemvRows = 4;
  static constexpr int kGemmRows = 1;
  static constexpr int kGemmCols = 4;
  static int64_t StepsPerRow(int64_t n) { return n / 64; }

  template <int R, int C>
  static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a, Prefetcher* pf,
                  float* out) {
    const float* x[R];
    const float* y[C];
    for (int r = 0; r < R; ++r) x[r] = reinterpret_cast<const float*>(w + r * t.w_stride);
    for (int c = 0; c < C; ++c) y[c] = reinterpret_cast<const float*>(a + c * t.a_stride);
    const int64_t n = t.n;
    if (t.batch) {
      __m512 acc[R][C];
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
      }
      for (int64_t i = 0; i < n; i += 16) {
        __m512 yv[C];
        for (int c = 0; c < C; ++c) yv[c] = _mm512_loadu_ps(y[c] + i);
        for (int r = 0; r < R; ++r) {
          const __m512 xv = _mm512_loadu_ps(x[r] + i);
          for (int c = 0; c < C; ++c) acc[r][c] = _mm512_fmadd_ps(xv, yv[c], acc[r][c]);
        }
      }
      for (int r = 0; r < R; ++r) {
        for (int c = 0; c < C; ++c) out[r * C + c] = Reduce16(acc[r][c]);
      }
      return;
    }
    const int64_t n_main = n - n % 64;
    __m512 acc[R][C][4];
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) {
        for (int j = 0; j < 4; ++j) acc[r][c][j] = _mm512_setzero_ps();
      }
    }
    for (int64_t i = 0; i < n_main; i += 64) {
      pf->Step();
      for (int j = 0; j < 4; ++j) {
        __m512 yv[C];
        for (int c = 0; c < C; ++c) yv[c] = _mm512_loadu_ps(y[c] + i + 16 * j);
        for (int r = 0; r < R; ++r) {
          const __m512 xv = _mm512_loadu_ps(x[r] + i + 16 * j);
          for (int c = 0; c < C; ++c) acc[r][c][j] = _mm512_fmadd_ps(xv, yv[c], acc[r][c][j]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) {
        const __m512 s = _mm512_add_ps(_mm512_add_ps(acc[r][c][0], acc[r][c][2]),
                                       _mm512_add_ps(acc[r][c][1], acc[r][c][3]));
        float sum = Reduce16(s);
        for (int64_t i = n_main; i < n; ++i) {
          const float product = x[r][i] * y[c][i];
          sum += product;
        }
        out[r * C + c] = sum;
      }
    }
  }
};

// ---- F16 and BF16 -----------------------------------------------------------

// BF16: sixteen lanes, lane l summing elements 16i + l in order, then
// Reduce16; a product of two bfloat16s can leave float's range, so BF16
// multiplies and adds separately, as the reference does. F16 follows
// llama.cpp: ggml_vec_dot_f16 for one activation row, llamafile's tinyBLAS
// (F32 activations) for batches.
template <bool kBf16>
struct HalfKernel {
  static constexpr int kGemvRows = 4;
  static constexpr int kGemmRows = 2;
  static constexpr int kGemmCols = 4;
  static int64_t StepsPerRow(int64_t n) { return n / 16; }

  static __m512 Load(const uint16_t* p) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    if constexpr (kBf16) {
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    } else {
      return _mm512_cvtph_ps(h);
    }
  }
  static __m512 LoadMasked(const uint16_t* p, __mmask16 k) {
    const __m256i h = _mm256_maskz_loadu_epi16(k, p);
    if constexpr (kBf16) {
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    } else {
      return _mm512_cvtph_ps(h);
    }
  }
  static __m512 Accumulate(__m512 acc, __m512 x, __m512 y) {
    if constexpr (kBf16) {
      return _mm512_add_ps(acc, _mm512_mul_ps(x, y));
    } else {
      return _mm512_fmadd_ps(x, y, acc);
    }
  }
  static __m512 AccumulateMasked(__m512 acc, __m512 x, __m512 y, __mmask16 k) {
    if constexpr (kBf16) {
      return _mm512_mask_add_ps(acc, k, acc, _mm512_mul_ps(x, y));
    } else {
      return _mm512_mask3_fmadd_ps(x, y, acc, k);
    }
  }

  // F16 with one activation row (vec_dot, ggml_vec_dot_f16's order): four
  // fused 16-lane accumulators over steps of 64, (0 + 2) + (1 + 3), Reduce16,
  // the remaining products added in double.
  template <int R, int C>
  static void RunSingle(const DotTileArgs& t, const uint16_t* const* x, const uint16_t* const* y,
                        Prefetcher* pf, float* out) {
    const int64_t n = t.n;
    const int64_t n_main = n - n % 64;
    __m512 acc[R][C][4];
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) {
        for (int j = 0; j < 4; ++j) acc[r][c][j] = _mm512_setzero_ps();
      }
    }
    for (int64_t i = 0; i < n_main; i += 64) {
      for (int j = 0; j < 4; ++j) {
        pf->Step();  // StepsPerRow counts steps of 16 elements.
        __m512 yv[C];
        for (int c = 0; c < C; ++c) yv[c] = Load(y[c] + i + 16 * j);
        for (int r = 0; r < R; ++r) {
          const __m512 xv = Load(x[r] + i + 16 * j);
          for (int c = 0; c < C; ++c) acc[r][c][j] = _mm512_fmadd_ps(xv, yv[c], acc[r][c][j]);
        }
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) {
        const __m512 s = _mm512_add_ps(_mm512_add_ps(acc[r][c][0], acc[r][c][2]),
                                       _mm512_add_ps(acc[r][c][1], acc[r][c][3]));
        double sum = Reduce16(s);
        for (int64_t i = n_main; i < n; ++i) {
          const float product = Half(x[r][i]) * Half(y[c][i]);
          sum += static_cast<double>(product);
        }
        out[r * C + c] = static_cast<float>(sum);
      }
    }
  }

  // F16 with two or more activation rows (vec_dot_batch, llamafile's
  // tinyBLAS): F32 activation rows, one fused 16-lane accumulator, n % 16 == 0.
  template <int R, int C>
  static void RunBatch(const DotTileArgs& t, const uint16_t* const* x, const float* a,
                       Prefetcher* pf, float* out) {
    const float* y[C];
    for (int c = 0; c < C; ++c) {
      y[c] = reinterpret_cast<const float*>(reinterpret_cast<const uint8_t*>(a) + c * t.a_stride);
    }
    __m512 acc[R][C];
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
    }
    for (int64_t i = 0; i < t.n; i += 16) {
      pf->Step();
      __m512 yv[C];
      for (int c = 0; c < C; ++c) yv[c] = _mm512_loadu_ps(y[c] + i);
      for (int r = 0; r < R; ++r) {
        const __m512 xv = Load(x[r] + i);
        for (int c = 0; c < C; ++c) acc[r][c] = _mm512_fmadd_ps(xv, yv[c], acc[r][c]);
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) out[r * C + c] = Reduce16(acc[r][c]);
    }
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
        if constexpr (R * C <= 4) {
          RunSingle<R, C>(t, x, y, pf, out);
        } else {
          // Sixteen accumulators per dot product would not fit: one at a time.
          for (int r = 0; r < R; ++r) {
            for (int c = 0; c < C; ++c) RunSingle<1, 1>(t, &x[r], &y[c], pf, &out[r * C + c]);
          }
        }
        return;
      }
    }
    if constexpr (!kBf16) {
      RunBatch<R, C>(t, x, reinterpret_cast<const float*>(a), pf, out);
      return;
    }
    const int64_t n = t.n;
    const int64_t n_main = n - n % 16;
    __m512 acc[R][C];
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
    }
    for (int64_t i = 0; i < n_main; i += 16) {
      pf->Step();
      __m512 yv[C];
      for (int c = 0; c < C; ++c) yv[c] = Load(y[c] + i);
      for (int r = 0; r < R; ++r) {
        const __m512 xv = Load(x[r] + i);
        for (int c = 0; c < C; ++c) acc[r][c] = Accumulate(acc[r][c], xv, yv[c]);
      }
    }
    if (n_main < n) {
      // The tail goes to lanes 0 .. n % 16 - 1; the other lanes keep their
      // values (even the sign of a zero).
      const __mmask16 k = static_cast<__mmask16>((1u << (n - n_main)) - 1);
      __m512 yv[C];
      for (int c = 0; c < C; ++c) yv[c] = LoadMasked(y[c] + n_main, k);
      for (int r = 0; r < R; ++r) {
        const __m512 xv = LoadMasked(x[r] + n_main, k);
        for (int c = 0; c < C; ++c) acc[r][c] = AccumulateMasked(acc[r][c], xv, yv[c], k);
      }
    }
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) out[r * C + c] = Reduce16(acc[r][c]);
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

}  // namespace strata::cpu::avx512
