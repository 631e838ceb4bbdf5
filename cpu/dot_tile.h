// The argument block of a tiled dot-product kernel (QuantKernels::dot_tile).
//
// A call computes, for every weight row r < rows and activation row
// (token) t < cols,
//
//   y[t * y_stride + r] = dot(w + r * w_stride, a + t * a_stride)
//
// with the kernel's vec_dot (or vec_dot_batch when `batch`), bit for bit. The
// pointers are borrowed for the call; the struct is plain data. Kept free of
// inline functions so that the ISA-specific translation units (cpu/x86/) can
// include it without emitting shared code built for a wider ISA.
#ifndef STRATA_CPU_DOT_TILE_H_
#define STRATA_CPU_DOT_TILE_H_

#include <cstdint>

namespace strata::cpu {

struct DotTileArgs {
  int64_t n = 0;               // Elements per row, a multiple of the block size.
  const uint8_t* w = nullptr;  // [rows] weight rows, w_stride bytes apart.
  int64_t w_stride = 0;
  int64_t rows = 0;
  const uint8_t* a = nullptr;  // [cols] activation rows in vec_dot_type.
  int64_t a_stride = 0;
  int64_t cols = 0;
  float* y = nullptr;  // y[t * y_stride + r].
  int64_t y_stride = 0;
  bool batch = false;  // vec_dot_batch's order (llamafile sgemm).
};

}  // namespace strata::cpu

#endif  // STRATA_CPU_DOT_TILE_H_
