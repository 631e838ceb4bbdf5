#include "cpu/matmul.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "cpu/amx_gemm.h"
#include "cpu/quant_kernels.h"

namespace strata::cpu {
namespace {

// Below this many multiply-adds, waking the workers costs more than it saves.
constexpr int64_t kMinParallelWork = 1 << 16;
constexpr int64_t kTokenTile = 16;
// Row tiles are multiples of a cache line of outputs (16 floats) and start
// on y's cache-line boundaries, so no two threads write the same line.
constexpr int64_t kRowsPerLine = 64 / sizeof(float);

MatMulOptions& Options() {
  static MatMulOptions options;
  return options;
}

// Whether this product goes to the AMX tile GEMM (see MatMulOptions).
bool UseAmx(const TensorView& w, const QuantizedActivations& x) {
  const MatMulOptions& o = Options();
  if (!o.allow_amx || x.n_tokens() < o.amx_min_tokens || x.source() == nullptr) return false;
  if (!AmxGemmSupports(w.type)) return false;
  return o.emulate_amx ? GetCpuFeatures().Has(Isa::kAvx512) : AmxGemmAvailable();
}

const QuantKernels& KernelsOrDie(DType type) {
  const QuantKernels* k = FindKernels(type);
  // Model loading rejects unsupported types; reaching here is a bug.
  if (k == nullptr) __builtin_trap();
  return *k;
}

}  // namespace

void SetMatMulOptions(const MatMulOptions& options) { Options() = options; }
const MatMulOptions& GetMatMulOptions() { return Options(); }

DType ActivationTypeFor(DType weight_type) { return KernelsOrDie(weight_type).vec_dot_type; }

void QuantizedActivations::Quantize(DType type, const float* x, int64_t n_tokens, int64_t k,
                                    ThreadPool* pool) {
  type_ = type;
  k_ = k;
  n_tokens_ = n_tokens;
  row_bytes_ = RowBytes(type, k);
  source_ = x;
  if (type == DType::kF32) {
    data_ = reinterpret_cast<const uint8_t*>(x);
    return;
  }
  if (storage_.size() < static_cast<size_t>(row_bytes_ * n_tokens)) {
    storage_.resize(row_bytes_ * n_tokens);
  }
  const QuantKernels& kernels = KernelsOrDie(type);
  uint8_t* out = storage_.data();
  const int64_t row_bytes = row_bytes_;
  auto quantize_row = [&](int64_t t, int) {
    kernels.from_float(x + t * k, out + t * row_bytes, k);
  };
  if (pool != nullptr && n_tokens > 1 && n_tokens * k >= kMinParallelWork) {
    pool->ParallelFor(n_tokens, quantize_row);
  } else {
    for (int64_t t = 0; t < n_tokens; ++t) quantize_row(t, 0);
  }
  data_ = storage_.data();
}

void MatMulQuantized(const TensorView& w, const QuantizedActivations& x, float* y, int64_t y_stride,
                     ThreadPool* pool) {
  if (UseAmx(w, x)) {
    thread_local AmxGemmScratch scratch;
    if (Options().emulate_amx) {
      internal::AmxGemmEmulated(w, x.source(), x.n_tokens(), y, y_stride, &scratch, pool);
    } else {
      AmxGemm(w, x.source(), x.n_tokens(), y, y_stride, &scratch, pool);
    }
    return;
  }
  const QuantKernels& kernels = KernelsOrDie(w.type);
  const int64_t rows = w.rows();
  const int64_t k = w.ne[0];
  const int64_t n_tokens = x.n_tokens();
  const int64_t w_row_bytes = w.row_bytes();
  const int n_threads = pool != nullptr ? pool->n_threads() : 1;
  // llama.cpp multiplies a batch of two or more activation rows with
  // llamafile's sgemm when it has a kernel for the shape, one row with
  // vec_dot; for F32 weights the two add in different orders.
  // For F16 weights llamafile reads the activations unrounded (F32): the
  // batch order then needs the float rows the activations were made from.
  const bool batch = kernels.vec_dot_batch != nullptr && n_tokens >= 2 && k % 16 == 0 &&
                     rows % 4 == 0 &&
                     (!kernels.batch_reads_f32 || x.type() == DType::kF32 || x.source() != nullptr);
  const bool batch_f32 = batch && kernels.batch_reads_f32;
  const uint8_t* a_rows = batch_f32 ? reinterpret_cast<const uint8_t*>(x.source()) : x.row(0);
  const int64_t a_stride = batch_f32 ? k * static_cast<int64_t>(sizeof(float)) : x.row_bytes();
  float (*vec_dot)(int64_t, const void*, const void*) =
      batch ? kernels.vec_dot_batch : kernels.vec_dot;

  // Row tiles: enough tasks to balance, each large enough to amortise
  // scheduling, in whole cache lines of y (aligned to y's first line).
  int64_t row_tile = rows / (8 * n_threads);
  row_tile = std::clamp<int64_t>(row_tile / kRowsPerLine * kRowsPerLine, kRowsPerLine, 64);
  const int64_t skew =
      static_cast<int64_t>(reinterpret_cast<uintptr_t>(y) / sizeof(float)) % kRowsPerLine;
  const int64_t n_row_tiles = (rows + skew + row_tile - 1) / row_tile;
  const int64_t n_token_tiles = (n_tokens + kTokenTile - 1) / kTokenTile;

  DotTileArgs base;
  base.n = k;
  base.w_stride = w_row_bytes;
  base.a_stride = a_stride;
  base.y_stride = y_stride;
  base.batch = batch;
  auto run_tile = [&](int64_t task, int) {
    const int64_t rt = task % n_row_tiles;
    const int64_t tt = task / n_row_tiles;
    const int64_t r0 = std::max<int64_t>(0, rt * row_tile - skew);
    const int64_t r1 = std::min(rows, (rt + 1) * row_tile - skew);
    const int64_t t0 = tt * kTokenTile;
    const int64_t t1 = std::min(n_tokens, t0 + kTokenTile);
    if (r0 >= r1) return;
    if (kernels.dot_tile != nullptr) {
      DotTileArgs args = base;
      args.w = w.data + r0 * w_row_bytes;
      args.rows = r1 - r0;
      args.a = a_rows + t0 * a_stride;
      args.cols = t1 - t0;
      args.y = y + t0 * y_stride + r0;
      kernels.dot_tile(args);
      return;
    }
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* w_row = w.data + r * w_row_bytes;
      for (int64_t t = t0; t < t1; ++t) {
        y[t * y_stride + r] = vec_dot(k, w_row, a_rows + t * a_stride);
      }
    }
  };
  const int64_t n_tasks = n_row_tiles * n_token_tiles;
  if (pool != nullptr && n_threads > 1 && rows * k * n_tokens >= kMinParallelWork) {
    pool->ParallelFor(n_tasks, run_tile);
  } else {
    for (int64_t task = 0; task < n_tasks; ++task) run_tile(task, 0);
  }
}

void MatMul(const TensorView& w, const float* x, int64_t n_tokens, float* y,
            QuantizedActivations* scratch, ThreadPool* pool) {
  scratch->Quantize(ActivationTypeFor(w.type), x, n_tokens, w.ne[0], pool);
  MatMulQuantized(w, *scratch, y, w.rows(), pool);
}

}  // namespace strata::cpu
