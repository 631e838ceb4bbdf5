// AMX tile kernels for the prefill GEMM (cpu/amx_gemm.h): one repacked
// weight panel times every token.
//
// The kernels are templates over a tile-operation policy: HwTiles issues the
// AMX instructions (ldtilecfg, tileloadd, tdpbssd, tdpbf16ps, tilestored);
// EmuTiles implements the same operations in scalar C++ on a per-thread tile
// register file, following the instruction descriptions (Intel SDM vol. 2,
// "TDPBSSD", "TDPBF16PS"). The INT8 kernel's AVX-512 part (scaling each
// block's int32 tile into float accumulators) is shared, so the emulated
// kernels test everything but the tile instructions themselves on CPUs
// without AMX (which includes the development machine: see BENCHMARKS.md).
//
// Compiled with -mamx-tile -mamx-int8 -mamx-bf16 and the AVX-512 flags
// (cpu/CMakeLists.txt). HwTiles code runs only when AMX is usable (CPUID,
// XCR0 and the arch_prctl permission: cpu_features.cc); the emulated kernels
// need AVX-512 only.
#include "cpu/x86/internal/amx_kernels.h"

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace strata::cpu::amx {
namespace {

// The 64-byte LDTILECFG operand, palette 1.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

inline void SetTile(TileConfig* cfg, int tile, int rows, int colsb) {
  cfg->rows[tile] = static_cast<uint8_t>(rows);
  cfg->colsb[tile] = static_cast<uint16_t>(colsb);
}

// GCC's tile intrinsics paste their tile-number arguments into the assembly
// text, so each tile number must be a literal: the member templates are
// declared here and specialised below for the tiles the kernels use.
struct HwTiles {
  static void Configure(const TileConfig& cfg) { _tile_loadconfig(&cfg); }
  static void Release() { _tile_release(); }
  template <int T>
  static void Load(const void* base, int64_t stride);
  template <int T>
  static void Store(void* base, int64_t stride);
  template <int T>
  static void Zero();
  template <int C, int A, int B>
  static void DpBssd();
  template <int C, int A, int B>
  static void DpBf16ps();
};

#define STRATA_HW_TILE(N)                                          \
  template <>                                                      \
  inline void HwTiles::Load<N>(const void* base, int64_t stride) { \
    _tile_loadd(N, base, stride);                                  \
  }                                                                \
  template <>                                                      \
  inline void HwTiles::Store<N>(void* base, int64_t stride) {      \
    _tile_stored(N, base, stride);                                 \
  }                                                                \
  template <>                                                      \
  inline void HwTiles::Zero<N>() {                                 \
    _tile_zero(N);                                                 \
  }
STRATA_HW_TILE(0)
STRATA_HW_TILE(1)
STRATA_HW_TILE(2)
STRATA_HW_TILE(3)
STRATA_HW_TILE(4)
STRATA_HW_TILE(5)
STRATA_HW_TILE(6)
STRATA_HW_TILE(7)
#undef STRATA_HW_TILE

#define STRATA_HW_DP(NAME, INSN, C, A, B) \
  template <>                             \
  inline void HwTiles::NAME<C, A, B>() {  \
    INSN(C, A, B);                        \
  }
STRATA_HW_DP(DpBssd, _tile_dpbssd, 2, 0, 1)
STRATA_HW_DP(DpBf16ps, _tile_dpbf16ps, 4, 0, 2)
STRATA_HW_DP(DpBf16ps, _tile_dpbf16ps, 5, 0, 3)
STRATA_HW_DP(DpBf16ps, _tile_dpbf16ps, 6, 1, 2)
STRATA_HW_DP(DpBf16ps, _tile_dpbf16ps, 7, 1, 3)
#undef STRATA_HW_DP

// Eight tiles of up to 16 rows × 64 bytes, per thread, as the hardware has.
struct EmuState {
  alignas(64) uint8_t data[8][16][64];
  TileConfig cfg;
};
thread_local EmuState emu;

inline float Bf16(uint16_t b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  // The instruction treats denormal inputs as zero (DAZ).
  return (u & 0x7f800000u) == 0 ? (u >> 31 ? -0.0f : 0.0f) : f;
}

struct EmuTiles {
  static void Configure(const TileConfig& cfg) {
    emu.cfg = cfg;
    std::memset(emu.data, 0, sizeof(emu.data));
  }
  static void Release() { emu.cfg = TileConfig(); }
  template <int T>
  static void Load(const void* base, int64_t stride) {
    for (int r = 0; r < emu.cfg.rows[T]; ++r) {
      std::memcpy(emu.data[T][r], static_cast<const uint8_t*>(base) + r * stride, emu.cfg.colsb[T]);
    }
  }
  template <int T>
  static void Store(void* base, int64_t stride) {
    for (int r = 0; r < emu.cfg.rows[T]; ++r) {
      std::memcpy(static_cast<uint8_t*>(base) + r * stride, emu.data[T][r], emu.cfg.colsb[T]);
    }
  }
  template <int T>
  static void Zero() {
    std::memset(emu.data[T], 0, sizeof(emu.data[T]));
  }
  // C[m][n] += sum over k of A[m][4k + j] · B[k][4n + j], j = 0..3 (int8 × int8,
  // int32 wrap-around accumulation).
  template <int C, int A, int B>
  static void DpBssd() {
    const int m_rows = emu.cfg.rows[C];
    const int n_cols = emu.cfg.colsb[C] / 4;
    const int k_quads = emu.cfg.colsb[A] / 4;
    for (int m = 0; m < m_rows; ++m) {
      for (int n = 0; n < n_cols; ++n) {
        int32_t c;
        std::memcpy(&c, &emu.data[C][m][4 * n], 4);
        uint32_t acc = static_cast<uint32_t>(c);
        for (int k = 0; k < k_quads; ++k) {
          for (int j = 0; j < 4; ++j) {
            const int32_t a = static_cast<int8_t>(emu.data[A][m][4 * k + j]);
            const int32_t b = static_cast<int8_t>(emu.data[B][k][4 * n + j]);
            acc += static_cast<uint32_t>(a * b);
          }
        }
        c = static_cast<int32_t>(acc);
        std::memcpy(&emu.data[C][m][4 * n], &c, 4);
      }
    }
  }
  // C[m][n] += A[m][2k] · B[k][2n], then += A[m][2k + 1] · B[k][2n + 1], for
  // each k in order, in float (BF16 products are exact in float).
  template <int C, int A, int B>
  static void DpBf16ps() {
    const int m_rows = emu.cfg.rows[C];
    const int n_cols = emu.cfg.colsb[C] / 4;
    const int k_pairs = emu.cfg.colsb[A] / 4;
    for (int m = 0; m < m_rows; ++m) {
      for (int n = 0; n < n_cols; ++n) {
        float c;
        std::memcpy(&c, &emu.data[C][m][4 * n], 4);
        for (int k = 0; k < k_pairs; ++k) {
          uint16_t a0, a1, b0, b1;
          std::memcpy(&a0, &emu.data[A][m][4 * k], 2);
          std::memcpy(&a1, &emu.data[A][m][4 * k + 2], 2);
          std::memcpy(&b0, &emu.data[B][k][4 * n], 2);
          std::memcpy(&b1, &emu.data[B][k][4 * n + 2], 2);
          const float p0 = Bf16(a0) * Bf16(b0);
          c += p0;
          const float p1 = Bf16(a1) * Bf16(b1);
          c += p1;
        }
        std::memcpy(&emu.data[C][m][4 * n], &c, 4);
      }
    }
  }
};

// Tiles: 0 = A (16 tokens × 32 codes), 1 = B (8 × 64: 16 rows × 32 codes),
// 2 = C (16 × 16 int32). Per block, C is stored and scaled into sixteen zmm
// accumulators (one per token, sixteen weight rows each).
template <class Tiles>
void Int8Panel_(const Int8Panel& w, const Int8Activations& a, int64_t m, float* y, int64_t y_stride,
                int n_cols) {
  TileConfig cfg;
  SetTile(&cfg, 0, 16, 32);
  SetTile(&cfg, 1, 8, 64);
  SetTile(&cfg, 2, 16, 64);
  Tiles::Configure(cfg);
  alignas(64) int32_t c[16][16];
  const int64_t nb = w.n_blocks;
  const __mmask16 cols = static_cast<__mmask16>((1u << n_cols) - 1);
  for (int64_t m0 = 0; m0 < m; m0 += 16) {
    __m512 acc[16];
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      Tiles::template Load<0>(a.codes + m0 * a.stride + 32 * b, a.stride);
      Tiles::template Load<1>(w.tiles + b * 512, 64);
      Tiles::template Zero<2>();
      Tiles::template DpBssd<2, 0, 1>();
      Tiles::template Store<2>(c, 64);
      const __m512 scale = _mm512_loadu_ps(w.scale + 16 * b);
      for (int i = 0; i < 16; ++i) {
        const float da = a.scale[(m0 + i) * nb + b];
        const __m512 dot = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_load_si512(c[i])), scale);
        acc[i] = _mm512_fmadd_ps(dot, _mm512_set1_ps(da), acc[i]);
      }
      if (w.min != nullptr) {
        const __m512 min = _mm512_loadu_ps(w.min + 16 * b);
        for (int i = 0; i < 16; ++i) {
          const float offset =
              a.scale[(m0 + i) * nb + b] * static_cast<float>(a.sums[(m0 + i) * nb + b]);
          acc[i] = _mm512_fnmadd_ps(min, _mm512_set1_ps(offset), acc[i]);
        }
      }
    }
    const int64_t rows = m - m0 < 16 ? m - m0 : 16;
    for (int64_t i = 0; i < rows; ++i) _mm512_mask_storeu_ps(y + (m0 + i) * y_stride, cols, acc[i]);
  }
  Tiles::Release();
}

// Tiles: 0, 1 = A (two 16-token row groups × 32 bf16), 2, 3 = B (rows 0..15
// and 16..31 of the panel), 4..7 = C (token group × row group, f32).
template <class Tiles>
void Bf16Panel_(const uint16_t* w_tiles, int64_t k_steps, const uint16_t* a, int64_t a_stride,
                int64_t m, float* y, int64_t y_stride, int n_cols) {
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) SetTile(&cfg, t, 16, 64);
  Tiles::Configure(cfg);
  alignas(64) float c[32][32];
  const int64_t a_bytes = a_stride * 2;
  for (int64_t m0 = 0; m0 < m; m0 += kBf16TokenStep) {
    Tiles::template Zero<4>();
    Tiles::template Zero<5>();
    Tiles::template Zero<6>();
    Tiles::template Zero<7>();
    for (int64_t s = 0; s < k_steps; ++s) {
      Tiles::template Load<0>(a + m0 * a_stride + 32 * s, a_bytes);
      Tiles::template Load<1>(a + (m0 + 16) * a_stride + 32 * s, a_bytes);
      Tiles::template Load<2>(w_tiles + s * 1024, 64);
      Tiles::template Load<3>(w_tiles + s * 1024 + 512, 64);
      Tiles::template DpBf16ps<4, 0, 2>();
      Tiles::template DpBf16ps<5, 0, 3>();
      Tiles::template DpBf16ps<6, 1, 2>();
      Tiles::template DpBf16ps<7, 1, 3>();
    }
    Tiles::template Store<4>(&c[0][0], 128);
    Tiles::template Store<5>(&c[0][16], 128);
    Tiles::template Store<6>(&c[16][0], 128);
    Tiles::template Store<7>(&c[16][16], 128);
    const int64_t rows = m - m0 < kBf16TokenStep ? m - m0 : kBf16TokenStep;
    for (int64_t i = 0; i < rows; ++i) {
      std::memcpy(y + (m0 + i) * y_stride, c[i], sizeof(float) * n_cols);
    }
  }
  Tiles::Release();
}

}  // namespace

void Int8PanelGemm(const Int8Panel& w, const Int8Activations& a, int64_t m, float* y,
                   int64_t y_stride, int n_cols) {
  Int8Panel_<HwTiles>(w, a, m, y, y_stride, n_cols);
}
void Int8PanelGemmEmulated(const Int8Panel& w, const Int8Activations& a, int64_t m, float* y,
                           int64_t y_stride, int n_cols) {
  Int8Panel_<EmuTiles>(w, a, m, y, y_stride, n_cols);
}

void Bf16PanelGemm(const uint16_t* w_tiles, int64_t k_steps, const uint16_t* a, int64_t a_stride,
                   int64_t m, float* y, int64_t y_stride, int n_cols) {
  Bf16Panel_<HwTiles>(w_tiles, k_steps, a, a_stride, m, y, y_stride, n_cols);
}
void Bf16PanelGemmEmulated(const uint16_t* w_tiles, int64_t k_steps, const uint16_t* a,
                           int64_t a_stride, int64_t m, float* y, int64_t y_stride, int n_cols) {
  Bf16Panel_<EmuTiles>(w_tiles, k_steps, a, a_stride, m, y, y_stride, n_cols);
}

}  // namespace strata::cpu::amx
