// Entry points of the AMX tile kernels (cpu/x86/amx_kernels.cc), for
// cpu/amx_gemm.cc only. Declarations and plain structs only (see
// isa_kernels.h for why). Each kernel multiplies one repacked weight panel
// by all tokens; the *Emulated versions run the same code with every tile
// instruction replaced by a scalar emulation (they need AVX-512, not AMX).
// Callers must check the CPU first. Thread-safe: tile state is per thread.
#ifndef STRATA_CPU_X86_INTERNAL_AMX_KERNELS_H_
#define STRATA_CPU_X86_INTERNAL_AMX_KERNELS_H_

#include <cstdint>

namespace strata::cpu::amx {

// Rows per INT8 weight panel (one 16 × 16 int32 tile of outputs).
constexpr int kInt8PanelRows = 16;
// Rows per BF16 weight panel (two 16-row B tiles) and tokens per step.
constexpr int kBf16PanelRows = 32;
constexpr int kBf16TokenStep = 32;

// A weight panel in INT8 tile layout: for each 32-element block b, the B
// tile [8][64] with byte 4n + j of row kk holding row n's code 4kk + j
// (int8), then the rows' float scales and mins: w = scale · code − min.
struct Int8Panel {
  const int8_t* tiles = nullptr;  // [n_blocks][8][64]
  const float* scale = nullptr;   // [n_blocks][16]
  const float* min = nullptr;     // [n_blocks][16], or nullptr (symmetric types)
  int64_t n_blocks = 0;
};

// Activations quantized per 32-element block: x ≈ scale · code.
struct Int8Activations {
  const int8_t* codes = nullptr;  // [m_pad][stride], m_pad a multiple of 16
  int64_t stride = 0;             // bytes per token row
  const float* scale = nullptr;   // [m_pad][n_blocks]
  const int32_t* sums = nullptr;  // [m_pad][n_blocks] sum of each block's codes
};

// y[t * y_stride + n] for t < m, n < n_cols (<= 16).
void Int8PanelGemm(const Int8Panel& w, const Int8Activations& a, int64_t m, float* y,
                   int64_t y_stride, int n_cols);
void Int8PanelGemmEmulated(const Int8Panel& w, const Int8Activations& a, int64_t m, float* y,
                           int64_t y_stride, int n_cols);

// A BF16 weight panel: for each step of 32 elements, two B tiles [16][64]
// (rows 0..15, then 16..31), with bf16 pair (2kk, 2kk + 1) of row n at
// bytes 4n .. 4n + 3 of tile row kk. Activations: [m_pad][stride] BF16,
// m_pad a multiple of 32, stride (in elements) a multiple of 32.
void Bf16PanelGemm(const uint16_t* w_tiles, int64_t k_steps, const uint16_t* a, int64_t a_stride,
                   int64_t m, float* y, int64_t y_stride, int n_cols);
void Bf16PanelGemmEmulated(const uint16_t* w_tiles, int64_t k_steps, const uint16_t* a,
                           int64_t a_stride, int64_t m, float* y, int64_t y_stride, int n_cols);

}  // namespace strata::cpu::amx

#endif  // STRATA_CPU_X86_INTERNAL_AMX_KERNELS_H_
