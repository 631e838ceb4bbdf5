#include "cpu/matmul.h"

#include <algorithm>
#include <cstring>

#include "cpu/quant_kernels.h"

namespace strata::cpu {
namespace {

// Below this many multiply-adds, waking the workers costs more than it saves.
constexpr int64_t kMinParallelWork = 1 << 16;
constexpr int64_t kTokenTile = 16;

const QuantKernels& KernelsOrDie(DType type) {
  const QuantKernels* k = FindReferenceKernels(type);
  // Model loading rejects unsupported types; reaching here is a bug.
  if (k == nullptr) __builtin_trap();
  return *k;
}

}  // namespace

DType ActivationTypeFor(DType weight_type) { return KernelsOrDie(weight_type).vec_dot_type; }

void QuantizedActivations::Quantize(DType type, const float* x, int64_t n_tokens, int64_t k,
                                    ThreadPool* pool) {
  type_ = type;
  k_ = k;
  n_tokens_ = n_tokens;
  row_bytes_ = RowBytes(type, k);
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
  const QuantKernels& kernels = KernelsOrDie(w.type);
  const int64_t rows = w.rows();
  const int64_t k = w.ne[0];
  const int64_t n_tokens = x.n_tokens();
  const int64_t w_row_bytes = w.row_bytes();
  const int n_threads = pool != nullptr ? pool->n_threads() : 1;
  // llama.cpp multiplies a batch of two or more activation rows with
  // llamafile's sgemm when it has a kernel for the shape, one row with
  // vec_dot; for F32 weights the two add in different orders.
  float (*vec_dot)(int64_t, const void*, const void*) = kernels.vec_dot;
  if (kernels.vec_dot_batch != nullptr && n_tokens >= 2 && k % 16 == 0 && rows % 4 == 0) {
    vec_dot = kernels.vec_dot_batch;
  }

  // Row tiles: enough tasks to balance, each large enough to amortise scheduling.
  int64_t row_tile = rows / (8 * n_threads);
  row_tile = std::clamp<int64_t>(row_tile, 4, 64);
  const int64_t n_row_tiles = (rows + row_tile - 1) / row_tile;
  const int64_t n_token_tiles = (n_tokens + kTokenTile - 1) / kTokenTile;

  auto run_tile = [&](int64_t task, int) {
    const int64_t rt = task % n_row_tiles;
    const int64_t tt = task / n_row_tiles;
    const int64_t r0 = rt * row_tile;
    const int64_t r1 = std::min(rows, r0 + row_tile);
    const int64_t t0 = tt * kTokenTile;
    const int64_t t1 = std::min(n_tokens, t0 + kTokenTile);
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* w_row = w.data + r * w_row_bytes;
      for (int64_t t = t0; t < t1; ++t) {
        y[t * y_stride + r] = vec_dot(k, w_row, x.row(t));
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
