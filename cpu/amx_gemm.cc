// The AMX prefill GEMM driver: activation preparation, per-panel weight
// repacking into tile layout, and the split over the thread pool. The tile
// code itself is in cpu/x86/amx_kernels.cc.
#include "cpu/amx_gemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "core/quant_blocks.h"
#include "cpu/cpu_features.h"
#include "cpu/multiversion.h"
#include "cpu/quant_kernels.h"
#include "cpu/reference/internal/quant_math.h"
#include "cpu/x86/internal/amx_kernels.h"

namespace strata::cpu {
namespace {

using reference::RoundHalfEven;
using reference::UnpackScaleMinK4;

constexpr int kBlock = 32;

// ---- Activations ------------------------------------------------------------

// One token's row quantized per 32-element block: scale = amax / 127 (kept in
// float), codes = round-half-even(x · 127 / amax), as the exact path's Q8_0
// quantizer does but without rounding the scale to F16.
STRATA_MULTIVERSION
void QuantizeActivationRow(const float* x, int64_t k, int8_t* codes, float* scales, int32_t* sums) {
  for (int64_t b = 0; b < k / kBlock; ++b) {
    const float* xb = x + b * kBlock;
    float amax = 0.0f;
    for (int j = 0; j < kBlock; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int32_t sum = 0;
    for (int j = 0; j < kBlock; ++j) {
      const int8_t q = static_cast<int8_t>(RoundHalfEven(xb[j] * id));
      codes[b * kBlock + j] = q;
      sum += q;
    }
    scales[b] = amax / 127.0f;
    sums[b] = sum;
  }
}

STRATA_MULTIVERSION
void RoundRowToBf16(const float* x, int64_t k, uint16_t* out) {
  for (int64_t i = 0; i < k; ++i) out[i] = Fp32ToBf16(x[i]);
}

// ---- INT8 weight panels -------------------------------------------------------

// One weight row as int8 codes with a float scale (and min) per 32-element
// block: w = scale · code − min.
void DecodeRowInt8(DType type, const uint8_t* row, int64_t k, int8_t* codes, float* scale,
                   float* min) {
  const int64_t nb = k / kBlock;
  auto nibbles = [](const uint8_t* qs, int8_t* q, int bias) {
    for (int j = 0; j < 16; ++j) {
      q[j] = static_cast<int8_t>((qs[j] & 0x0F) - bias);
      q[j + 16] = static_cast<int8_t>((qs[j] >> 4) - bias);
    }
  };
  auto fifth_bits = [](const uint8_t* qh_bytes, int8_t* q) {
    uint32_t qh;
    std::memcpy(&qh, qh_bytes, 4);
    for (int j = 0; j < 32; ++j) q[j] = static_cast<int8_t>(q[j] + (((qh >> j) & 1) << 4));
  };
  switch (type) {
    case DType::kQ8_0:
      for (int64_t b = 0; b < nb; ++b) {
        const auto& x = reinterpret_cast<const BlockQ8_0*>(row)[b];
        std::memcpy(codes + b * kBlock, x.qs, kBlock);
        scale[b] = Fp16ToFp32(x.d);
        min[b] = 0.0f;
      }
      return;
    case DType::kQ4_0:
    case DType::kQ4_1:
      for (int64_t b = 0; b < nb; ++b) {
        const bool offset = type == DType::kQ4_1;
        const uint8_t* block = row + b * (offset ? sizeof(BlockQ4_1) : sizeof(BlockQ4_0));
        uint16_t d, m = 0;
        std::memcpy(&d, block, 2);
        if (offset) std::memcpy(&m, block + 2, 2);
        nibbles(block + (offset ? 4 : 2), codes + b * kBlock, offset ? 0 : 8);
        scale[b] = Fp16ToFp32(d);
        min[b] = offset ? -Fp16ToFp32(m) : 0.0f;
      }
      return;
    case DType::kQ5_0:
    case DType::kQ5_1:
      for (int64_t b = 0; b < nb; ++b) {
        const bool offset = type == DType::kQ5_1;
        const uint8_t* block = row + b * (offset ? sizeof(BlockQ5_1) : sizeof(BlockQ5_0));
        uint16_t d, m = 0;
        std::memcpy(&d, block, 2);
        if (offset) std::memcpy(&m, block + 2, 2);
        const uint8_t* qh = block + (offset ? 4 : 2);
        int8_t* q = codes + b * kBlock;
        nibbles(qh + 4, q, 0);
        fifth_bits(qh, q);
        if (!offset) {
          for (int j = 0; j < kBlock; ++j) q[j] = static_cast<int8_t>(q[j] - 16);
        }
        scale[b] = Fp16ToFp32(d);
        min[b] = offset ? -Fp16ToFp32(m) : 0.0f;
      }
      return;
    case DType::kQ4_K:
    case DType::kQ5_K:
      for (int64_t i = 0; i < k / kQK_K; ++i) {
        const bool five = type == DType::kQ5_K;
        const uint8_t* block = row + i * (five ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
        uint16_t d16, dmin16;
        std::memcpy(&d16, block, 2);
        std::memcpy(&dmin16, block + 2, 2);
        const uint8_t* packed = block + 4;
        const uint8_t* qh = five ? block + 4 + kKScaleBytes : nullptr;
        const uint8_t* qs = block + 4 + kKScaleBytes + (five ? kQK_K / 8 : 0);
        const float d = Fp16ToFp32(d16);
        const float dmin = Fp16ToFp32(dmin16);
        for (int j = 0; j < 8; ++j) {
          int sc, m;
          UnpackScaleMinK4(packed, j, &sc, &m);
          int8_t* q = codes + (8 * i + j) * kBlock;
          const uint8_t* src = qs + 32 * (j / 2);
          for (int l = 0; l < 32; ++l) {
            int v = (j % 2 == 0) ? (src[l] & 0x0F) : (src[l] >> 4);
            if (five) v |= ((qh[l] >> j) & 1) << 4;
            q[l] = static_cast<int8_t>(v);
          }
          scale[8 * i + j] = d * static_cast<float>(sc);
          min[8 * i + j] = dmin * static_cast<float>(m);
        }
      }
      return;
    default:
      __builtin_trap();  // AmxGemmSupports() said kBf16 for every other type.
  }
}

// Rows [r0, r0 + n) of w as an INT8 panel (missing rows are zero).
void RepackInt8Panel(const TensorView& w, int64_t r0, int n, std::vector<uint8_t>* buffer,
                     amx::Int8Panel* panel) {
  const int64_t k = w.ne[0];
  const int64_t nb = k / kBlock;
  const size_t tiles_bytes = static_cast<size_t>(nb) * 512;
  const size_t floats = static_cast<size_t>(nb) * 16;
  buffer->assign(tiles_bytes + 2 * floats * sizeof(float) + k + 2 * nb * sizeof(float) + 64, 0);
  int8_t* tiles = reinterpret_cast<int8_t*>(buffer->data());
  float* scale = reinterpret_cast<float*>(buffer->data() + tiles_bytes);
  float* min = scale + floats;
  int8_t* row_codes = reinterpret_cast<int8_t*>(min + floats);
  float* row_scale = reinterpret_cast<float*>(row_codes + k);
  float* row_min = row_scale + nb;
  bool any_min = false;
  for (int r = 0; r < n; ++r) {
    DecodeRowInt8(w.type, w.row(r0 + r), k, row_codes, row_scale, row_min);
    for (int64_t b = 0; b < nb; ++b) {
      int8_t* tile = tiles + b * 512;
      for (int kk = 0; kk < 8; ++kk) {
        std::memcpy(tile + kk * 64 + 4 * r, row_codes + b * kBlock + 4 * kk, 4);
      }
      scale[b * 16 + r] = row_scale[b];
      min[b * 16 + r] = row_min[b];
      any_min = any_min || row_min[b] != 0.0f;
    }
  }
  panel->tiles = tiles;
  panel->scale = scale;
  panel->min = any_min ? min : nullptr;
  panel->n_blocks = nb;
}

// ---- BF16 weight panels -----------------------------------------------------

// Rows [r0, r0 + n) of w dequantized and rounded to BF16, in tile layout with
// k padded to a multiple of 32 (zeros).
void RepackBf16Panel(const TensorView& w, int64_t r0, int n, int64_t k_steps,
                     std::vector<uint16_t>* tiles, std::vector<float>* row) {
  const int64_t k = w.ne[0];
  const QuantKernels& kernels = *FindReferenceKernels(w.type);
  tiles->assign(static_cast<size_t>(k_steps) * 1024, 0);
  row->resize(static_cast<size_t>(k_steps) * 32);
  for (int r = 0; r < n; ++r) {
    std::fill(row->begin() + k, row->end(), 0.0f);
    kernels.to_float(w.row(r0 + r), row->data(), k);
    const int half = r / 16;
    const int n_in_tile = r % 16;
    for (int64_t s = 0; s < k_steps; ++s) {
      uint16_t* tile = tiles->data() + s * 1024 + half * 512;
      for (int kk = 0; kk < 16; ++kk) {
        tile[kk * 32 + 2 * n_in_tile] = Fp32ToBf16((*row)[32 * s + 2 * kk]);
        tile[kk * 32 + 2 * n_in_tile + 1] = Fp32ToBf16((*row)[32 * s + 2 * kk + 1]);
      }
    }
  }
}

// ---- Driver -------------------------------------------------------------------

template <bool kEmulated>
void Gemm(const TensorView& w, const float* x, int64_t n_tokens, float* y, int64_t y_stride,
          AmxGemmScratch* scratch, ThreadPool* pool) {
  AmxPath path;
  if (!AmxGemmSupports(w.type, &path)) __builtin_trap();  // Callers check first.
  const int64_t k = w.ne[0];
  const int64_t rows = w.rows();
  auto parallel = [&](int64_t n, const auto& fn) {
    if (pool != nullptr && n > 1) {
      pool->ParallelFor(n, [&](int64_t i, int) { fn(i); });
    } else {
      for (int64_t i = 0; i < n; ++i) fn(i);
    }
  };

  if (path == AmxPath::kInt8) {
    const int64_t nb = k / kBlock;
    const int64_t m_pad = (n_tokens + 15) / 16 * 16;
    scratch->codes.assign(static_cast<size_t>(m_pad * k), 0);
    scratch->scales.assign(static_cast<size_t>(m_pad * nb), 0.0f);
    scratch->sums.assign(static_cast<size_t>(m_pad * nb), 0);
    parallel(n_tokens, [&](int64_t t) {
      QuantizeActivationRow(x + t * k, k, scratch->codes.data() + t * k,
                            scratch->scales.data() + t * nb, scratch->sums.data() + t * nb);
    });
    amx::Int8Activations acts;
    acts.codes = scratch->codes.data();
    acts.stride = k;
    acts.scale = scratch->scales.data();
    acts.sums = scratch->sums.data();
    const int64_t n_panels = (rows + amx::kInt8PanelRows - 1) / amx::kInt8PanelRows;
    parallel(n_panels, [&](int64_t p) {
      thread_local std::vector<uint8_t> buffer;
      const int64_t r0 = p * amx::kInt8PanelRows;
      const int n = static_cast<int>(std::min<int64_t>(amx::kInt8PanelRows, rows - r0));
      amx::Int8Panel panel;
      RepackInt8Panel(w, r0, n, &buffer, &panel);
      if constexpr (kEmulated) {
        amx::Int8PanelGemmEmulated(panel, acts, n_tokens, y + r0, y_stride, n);
      } else {
        amx::Int8PanelGemm(panel, acts, n_tokens, y + r0, y_stride, n);
      }
    });
    return;
  }

  const int64_t k_steps = (k + 31) / 32;
  const int64_t k_pad = k_steps * 32;
  const int64_t m_pad =
      (n_tokens + amx::kBf16TokenStep - 1) / amx::kBf16TokenStep * amx::kBf16TokenStep;
  scratch->bf16.assign(static_cast<size_t>(m_pad * k_pad), 0);
  parallel(n_tokens,
           [&](int64_t t) { RoundRowToBf16(x + t * k, k, scratch->bf16.data() + t * k_pad); });
  const int64_t n_panels = (rows + amx::kBf16PanelRows - 1) / amx::kBf16PanelRows;
  parallel(n_panels, [&](int64_t p) {
    thread_local std::vector<uint16_t> tiles;
    thread_local std::vector<float> row;
    const int64_t r0 = p * amx::kBf16PanelRows;
    const int n = static_cast<int>(std::min<int64_t>(amx::kBf16PanelRows, rows - r0));
    RepackBf16Panel(w, r0, n, k_steps, &tiles, &row);
    if constexpr (kEmulated) {
      amx::Bf16PanelGemmEmulated(tiles.data(), k_steps, scratch->bf16.data(), k_pad, n_tokens,
                                 y + r0, y_stride, n);
    } else {
      amx::Bf16PanelGemm(tiles.data(), k_steps, scratch->bf16.data(), k_pad, n_tokens, y + r0,
                         y_stride, n);
    }
  });
}

}  // namespace

bool AmxGemmAvailable() { return GetCpuFeatures().Has(Isa::kAmx); }

bool AmxGemmSupports(DType type, AmxPath* path) {
  AmxPath p;
  switch (type) {
    case DType::kQ4_0:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ8_0:
    case DType::kQ4_K:
    case DType::kQ5_K:
      p = AmxPath::kInt8;
      break;
    case DType::kF32:
    case DType::kF16:
    case DType::kBF16:
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ6_K:
      p = AmxPath::kBf16;
      break;
    default:
      return false;
  }
  if (path != nullptr) *path = p;
  return true;
}

void AmxGemm(const TensorView& w, const float* x, int64_t n_tokens, float* y, int64_t y_stride,
             AmxGemmScratch* scratch, ThreadPool* pool) {
  if (!AmxGemmAvailable()) __builtin_trap();  // A tile instruction would fault.
  Gemm<false>(w, x, n_tokens, y, y_stride, scratch, pool);
}

namespace internal {

void AmxGemmEmulated(const TensorView& w, const float* x, int64_t n_tokens, float* y,
                     int64_t y_stride, AmxGemmScratch* scratch, ThreadPool* pool) {
  if (!GetCpuFeatures().Has(Isa::kAvx512)) __builtin_trap();
  Gemm<true>(w, x, n_tokens, y, y_stride, scratch, pool);
}

}  // namespace internal

}  // namespace strata::cpu
