// The loop nest shared by the ISA kernels' dot_tile entry points: splits a
// DotTileArgs tile into register tiles of R weight rows × C activation rows
// and stores each result where DotTileArgs says.
//
// Included only by the ISA translation units of cpu/x86/. Everything is in
// an anonymous namespace on purpose: each translation unit gets its own copy
// compiled for its ISA, so no out-of-line copy built with AVX-512 can be
// shared with (and linked into) code that runs on an AVX2-only CPU. For the
// same reason nothing here uses the standard library.
//
// A kernel K provides
//   static constexpr int kGemvRows;               // R when there is one column
//   static constexpr int kGemmRows, kGemmCols;    // R × C otherwise (C <= 4)
//   static int64_t StepsPerRow(int64_t n);        // Run's block-loop trip count
//   template <int R, int C>
//   static void Run(const DotTileArgs& t, const uint8_t* w, const uint8_t* a,
//                   Prefetcher* pf, float* out);   // out[r * C + c]
// where w and a point at the tile's first weight and activation rows, and
// Run calls pf->Step() once per block of its row loop.
//
// Why the prefetcher: a register tile of R > 1 rows reads R interleaved
// streams, one per row, that restart every R rows. On the machines we
// measured (a Zen 5 VM) the hardware prefetchers follow such streams so
// badly that four interleaved rows read at under half the bandwidth of one
// sequential stream (cpu/bench/kernels_bench.cc, BM_InterleavedRows). So
// while a tile runs, the driver prefetches the rows of the next tiles in
// address order, one sequential stream, and the R rows then come from cache.
#ifndef STRATA_CPU_X86_INTERNAL_TILE_DRIVER_H_
#define STRATA_CPU_X86_INTERNAL_TILE_DRIVER_H_

#include <xmmintrin.h>

#include <cstdint>

#include "cpu/dot_tile.h"

namespace strata::cpu::x86 {
namespace {  // NOLINT(build/namespaces): per-ISA copies, see above.

// Issues prefetches for the bytes [next, end), a few cache lines per Step,
// spread so the whole range is requested over one register tile's blocks.
class Prefetcher {
 public:
  Prefetcher() = default;
  Prefetcher(const uint8_t* next, const uint8_t* end, int64_t steps)
      : next_(reinterpret_cast<const char*>(next)), end_(reinterpret_cast<const char*>(end)) {
    const int64_t lines = (end - next + 63) / 64;
    per_step_ = steps > 0 ? (lines + steps - 1) / steps : lines;
  }
  void Step() {
    for (int64_t i = 0; i < per_step_ && next_ < end_; ++i, next_ += 64) {
      _mm_prefetch(next_, _MM_HINT_T0);
    }
  }

 private:
  const char* next_ = nullptr;
  const char* end_ = nullptr;
  int64_t per_step_ = 0;
};

template <class K, int R, int C>
inline void RunAndStore(const DotTileArgs& t, int64_t r0, int64_t c0, Prefetcher* pf) {
  float out[R * C];
  K::template Run<R, C>(t, t.w + r0 * t.w_stride, t.a + c0 * t.a_stride, pf, out);
  for (int c = 0; c < C; ++c) {
    float* y = t.y + (c0 + c) * t.y_stride + r0;
    for (int r = 0; r < R; ++r) y[r] = out[r * C + c];
  }
}

template <class K, int R>
inline void AllColumns(const DotTileArgs& t, int64_t r0) {
  constexpr int C = K::kGemmCols;
  static_assert(C >= 1 && C <= 4);
  int64_t c0 = 0;
  Prefetcher none;
  for (; c0 + C <= t.cols; c0 += C) RunAndStore<K, R, C>(t, r0, c0, &none);
  const int64_t rest = t.cols - c0;
  if (rest == 1) {
    RunAndStore<K, R, 1>(t, r0, c0, &none);
  } else if constexpr (C > 2) {
    if (rest == 2) {
      RunAndStore<K, R, 2>(t, r0, c0, &none);
    } else if constexpr (C > 3) {
      if (rest == 3) RunAndStore<K, R, 3>(t, r0, c0, &none);
    }
  }
}

template <class K>
inline void DriveTile(const DotTileArgs& t) {
  int64_t r0 = 0;
  if (t.cols == 1) {
    constexpr int R = K::kGemvRows;
    // While tile g runs, prefetch up to the end of tile g + 2 (the first tile
    // requests tiles 1 and 2), within this call's rows.
    const uint8_t* rows_end = t.w + t.rows * t.w_stride;
    const uint8_t* requested = t.w + R * t.w_stride;
    for (; r0 + R <= t.rows; r0 += R) {
      Prefetcher pf;
      if constexpr (R > 1) {
        const uint8_t* until = t.w + (r0 + 3 * R) * t.w_stride;
        if (until > rows_end) until = rows_end;
        if (requested < until) {
          pf = Prefetcher(requested, until, K::StepsPerRow(t.n));
          requested = until;
        }
      }
      RunAndStore<K, R, 1>(t, r0, 0, &pf);
    }
    Prefetcher none;
    for (; r0 < t.rows; ++r0) RunAndStore<K, 1, 1>(t, r0, 0, &none);
    return;
  }
  for (; r0 + K::kGemmRows <= t.rows; r0 += K::kGemmRows) AllColumns<K, K::kGemmRows>(t, r0);
  for (; r0 < t.rows; ++r0) AllColumns<K, 1>(t, r0);
}

// One dot product through the same kernel.
template <class K>
inline float DotOne(int64_t n, const void* w, const void* a, bool batch) {
  DotTileArgs t;
  t.n = n;
  t.rows = 1;
  t.cols = 1;
  t.batch = batch;
  float out[1];
  Prefetcher none;
  K::template Run<1, 1>(t, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), &none,
                        out);
  return out[0];
}

}  // namespace
}  // namespace strata::cpu::x86

#endif  // STRATA_CPU_X86_INTERNAL_TILE_DRIVER_H_
