#include "cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/fp16.h"
#include "cpu/activations.h"
#include "cpu/multiversion.h"
#include "cpu/quant_kernels.h"
#include "cpu/reference/internal/quant_math.h"

namespace strata::cpu {

namespace {

// ggml_vec_dot_f32's accumulator slots: four 16-lane vectors, so element j of
// a dot product of length n < n - n % 64 goes to slot j % 64 (see
// cpu/reference/quant_float.cc, VecDotF32).
constexpr int kLanes = 16;
constexpr int kSlots = 4 * kLanes;
// Split decode: positions per score task, value dimensions per sum task.
constexpr int64_t kPositionsPerTask = 512;
constexpr int kDimsPerTask = 32;

// p[j] = q . K[j] for j in [j0, j1); positions from n_kv on are masked. q
// is F32 for an F32 cache, F16 (rounded by the caller) for an F16 one.
template <typename T>
void Scores(const AttentionShape& shape, const void* q, const PagedKvOf<T>& kv, int64_t n_kv,
            int64_t j0, int64_t j1, float* p) {
  const QuantKernels& dot = *FindKernels(std::is_same_v<T, float> ? DType::kF32 : DType::kF16);
  const int64_t per_page = kv.tokens_per_page;
  const int64_t end = std::min(j1, n_kv);
  // Page by page, so no position needs a division.
  int64_t j = j0;
  for (int64_t page = j / per_page, r = j % per_page; j < end; ++page, r = 0) {
    const T* k = kv.k_pages[page] + kv.k_offset;
    for (; r < per_page && j < end; ++r, ++j) {
      p[j] = dot.vec_dot(shape.head_dim_k, k + r * shape.kv_stride_k, q);
    }
  }
  for (j = std::max(j0, n_kv); j < j1; ++j) p[j] = -std::numeric_limits<float>::infinity();
}

// Reduces acc [kSlots][w] into acc[0..w) in ggml's order: the four 16-lane
// vectors added as (0 + 2) + (1 + 3), then the lanes halved down.
STRATA_MULTIVERSION
void ReduceSlots(float* __restrict acc, int w) {
  for (int l = 0; l < kLanes; ++l) {
    float* __restrict a0 = acc + l * w;
    const float* __restrict a1 = acc + (kLanes + l) * w;
    const float* __restrict a2 = acc + (2 * kLanes + l) * w;
    const float* __restrict a3 = acc + (3 * kLanes + l) * w;
    for (int d = 0; d < w; ++d) a0[d] = (a0[d] + a2[d]) + (a1[d] + a3[d]);
  }
  for (int width = kLanes / 2; width > 0; width /= 2) {
    for (int l = 0; l < width; ++l) {
      float* __restrict lo = acc + l * w;
      const float* __restrict hi = acc + (l + width) * w;
      for (int d = 0; d < w; ++d) lo[d] += hi[d];
    }
  }
}

// out[d - d0] = VecDotF32(len, V[., d], p) for d in [d0, d1), every d at
// once: the masked positions are rows of zeros, as in llama.cpp's view, and
// take part in the same order. `scratch`: (kSlots + 1) * (d1 - d0) floats.
// Vector code over d; each element's arithmetic is the reference's, so every
// clone gives the same bits.
STRATA_MULTIVERSION
void WeightedValues(const AttentionShape& shape, const PagedKv& kv, int64_t n_kv, int64_t len,
                    const float* __restrict p, int d0, int d1, float* scratch, float* out) {
  const int w = d1 - d0;
  const int64_t per_page = kv.tokens_per_page;
  const int64_t n_main = len - len % kSlots;
  float* __restrict acc = scratch;  // [kSlots][w]
  const float* zeros = acc + static_cast<int64_t>(kSlots) * w;
  std::fill(acc, acc + static_cast<int64_t>(kSlots + 1) * w, 0.0f);
  const float* tail_rows[kSlots];
  auto add_row = [&](int64_t j, const float* __restrict row) {
    if (j >= n_main) {
      tail_rows[j - n_main] = row;
      return;
    }
    float* __restrict slot = acc + (j % kSlots) * w;
    const float pj = p[j];
    for (int d = 0; d < w; ++d) slot[d] = std::fma(row[d], pj, slot[d]);
  };
  int64_t j = 0;
  for (int64_t page = 0; j < n_kv; ++page) {
    const float* v = kv.v_pages[page] + kv.v_offset + d0;
    for (int64_t r = 0; r < per_page && j < n_kv; ++r, ++j) add_row(j, v + r * shape.kv_stride_v);
  }
  for (; j < len; ++j) add_row(j, zeros);

  ReduceSlots(acc, w);
  for (int d = 0; d < w; ++d) out[d] = acc[d];
  for (int64_t t = n_main; t < len; ++t) {
    const float* __restrict row = tail_rows[t - n_main];
    const float pt = p[t];
    for (int d = 0; d < w; ++d) {
      const float product = row[d] * pt;
      out[d] += product;
    }
  }
}

// WeightedValues over an F16 cache: out[d - d0] = VecDotF16(len, V[., d],
// p16) with p already rounded to F16 values (RoundToHalf), every d at once.
// The masked positions take part as zero rows, as in llama.cpp's view.
// `scratch`: kSlots * (d1 - d0) floats.
STRATA_MULTIVERSION
void WeightedValuesF16(const AttentionShape& shape, const PagedKvF16& kv, int64_t n_kv, int64_t len,
                       const float* __restrict p, int d0, int d1, float* scratch, float* out) {
  const int w = d1 - d0;
  const int64_t per_page = kv.tokens_per_page;
  const int64_t n_main = len - len % kSlots;
  float* __restrict acc = scratch;  // [kSlots][w]
  std::fill(acc, acc + static_cast<int64_t>(kSlots) * w, 0.0f);
  const uint16_t* tail_rows[kSlots];  // nullptr: a masked (zero) row.
  auto add_row = [&](int64_t j, const uint16_t* __restrict row) {
    if (j >= n_main) {
      tail_rows[j - n_main] = row;
      return;
    }
    float* __restrict slot = acc + (j % kSlots) * w;
    const float pj = p[j];
    if (row == nullptr) {
      for (int d = 0; d < w; ++d) slot[d] = std::fma(0.0f, pj, slot[d]);
      return;
    }
    for (int d = 0; d < w; ++d) slot[d] = std::fma(reference::HalfToFloat(row[d]), pj, slot[d]);
  };
  int64_t j = 0;
  for (int64_t page = 0; j < n_kv; ++page) {
    const uint16_t* v = kv.v_pages[page] + kv.v_offset + d0;
    for (int64_t r = 0; r < per_page && j < n_kv; ++r, ++j) add_row(j, v + r * shape.kv_stride_v);
  }
  for (; j < len; ++j) add_row(j, nullptr);

  ReduceSlots(acc, w);
  // ggml_vec_dot_f16 adds the tail's float products to the sum in double.
  for (int d = 0; d < w; ++d) {
    double sum = acc[d];
    for (int64_t t = n_main; t < len; ++t) {
      const uint16_t* row = tail_rows[t - n_main];
      const float product = (row ? reference::HalfToFloat(row[d]) : 0.0f) * p[t];
      sum += static_cast<double>(product);
    }
    out[d] = static_cast<float>(sum);
  }
}

// A query rounded to F16, as ggml converts it to an F16 cache's
// vec_dot_type: on the stack for every head size models use.
class HalfQuery {
 public:
  HalfQuery(const float* q, int n) : heap_(n > kStackDims ? n : 0) {
    uint16_t* h = data();
    for (int i = 0; i < n; ++i) h[i] = Fp32ToFp16(q[i]);
  }
  uint16_t* data() { return heap_.empty() ? stack_ : heap_.data(); }
  const uint16_t* data() const { return heap_.empty() ? stack_ : heap_.data(); }

 private:
  static constexpr int kStackDims = 512;
  uint16_t stack_[kStackDims];
  std::vector<uint16_t> heap_;
};

// p[j] = p[j] rounded to F16 (ggml converts the probabilities to the F16
// cache's vec_dot_type before the second product).
void RoundToHalf(float* p, int64_t n) {
  for (int64_t j = 0; j < n; ++j) p[j] = Fp16ToFp32(Fp32ToFp16(p[j]));
}

void WeightedValuesOf(const AttentionShape& shape, const PagedKv& kv, int64_t n_kv, int64_t len,
                      const float* p, int d0, int d1, float* scratch, float* out) {
  WeightedValues(shape, kv, n_kv, len, p, d0, d1, scratch, out);
}

void WeightedValuesOf(const AttentionShape& shape, const PagedKvF16& kv, int64_t n_kv, int64_t len,
                      const float* p, int d0, int d1, float* scratch, float* out) {
  WeightedValuesF16(shape, kv, n_kv, len, p, d0, d1, scratch, out);
}

template <typename T>
void DecodeSplit(const AttentionShape& shape, const float* q, const PagedKvOf<T>& kv, int n_head,
                 int group, int64_t n_kv, ThreadPool* pool, float* scratch, float* out) {
  constexpr bool kF16 = std::is_same_v<T, uint16_t>;
  const int64_t len = std::max(n_kv, shape.kv_len);
  const int hd_v = shape.head_dim_v;
  auto head_kv = [&](int h) {
    PagedKvOf<T> head = kv;
    head.k_offset += static_cast<int64_t>(h / group) * shape.head_dim_k;
    head.v_offset += static_cast<int64_t>(h / group) * hd_v;
    return head;
  };
  float* scores = scratch;  // [n_head][len]
  float* sums = scratch + n_head * len;
  const int64_t position_tasks = (len + kPositionsPerTask - 1) / kPositionsPerTask;
  pool->ParallelFor(n_head * position_tasks, [&](int64_t task, int) {
    const int h = static_cast<int>(task / position_tasks);
    const int64_t j0 = task % position_tasks * kPositionsPerTask;
    const float* q_h = q + static_cast<int64_t>(h) * shape.head_dim_k;
    const int64_t j1 = std::min(len, j0 + kPositionsPerTask);
    if constexpr (kF16) {
      // Rounding a head's q per task costs head_dim conversions against
      // 512 dot products, and needs no shared buffer.
      const HalfQuery q16(q_h, shape.head_dim_k);
      Scores(shape, q16.data(), head_kv(h), n_kv, j0, j1, scores + h * len);
    } else {
      Scores(shape, q_h, head_kv(h), n_kv, j0, j1, scores + h * len);
    }
  });
  // The softmax's sums run in order over a whole row: one head per task.
  pool->ParallelFor(n_head, [&](int64_t h, int) {
    Softmax(scores + h * len, len, shape.scale);
    if constexpr (kF16) RoundToHalf(scores + h * len, len);
  });
  const int dim_tasks = (hd_v + kDimsPerTask - 1) / kDimsPerTask;
  const int64_t per_thread = static_cast<int64_t>(kSlots + 1) * std::min(hd_v, kDimsPerTask);
  pool->ParallelFor(static_cast<int64_t>(n_head) * dim_tasks, [&](int64_t task, int thread) {
    const int h = static_cast<int>(task / dim_tasks);
    const int d0 = static_cast<int>(task % dim_tasks) * kDimsPerTask;
    const int d1 = std::min(hd_v, d0 + kDimsPerTask);
    WeightedValuesOf(shape, head_kv(h), n_kv, len, scores + h * len, d0, d1,
                     sums + thread * per_thread, out + static_cast<int64_t>(h) * hd_v + d0);
  });
}

}  // namespace

int64_t AttentionScratchFloats(int64_t max_kv_len, int head_dim_v) {
  return max_kv_len + static_cast<int64_t>(kSlots + 1) * head_dim_v;
}

void AttendOneHeadPaged(const AttentionShape& shape, const float* q, const PagedKv& kv,
                        int64_t n_kv, float* scratch, float* out) {
  const int64_t len = std::max(n_kv, shape.kv_len);
  Scores(shape, q, kv, n_kv, 0, len, scratch);
  Softmax(scratch, len, shape.scale);
  WeightedValues(shape, kv, n_kv, len, scratch, 0, shape.head_dim_v, scratch + len, out);
}

void AttendOneHeadPaged(const AttentionShape& shape, const float* q, const PagedKvF16& kv,
                        int64_t n_kv, float* scratch, float* out) {
  const int64_t len = std::max(n_kv, shape.kv_len);
  const HalfQuery q16(q, shape.head_dim_k);
  Scores(shape, q16.data(), kv, n_kv, 0, len, scratch);
  Softmax(scratch, len, shape.scale);
  RoundToHalf(scratch, len);
  WeightedValuesF16(shape, kv, n_kv, len, scratch, 0, shape.head_dim_v, scratch + len, out);
}

int64_t SplitDecodeScratchFloats(int n_head, int64_t max_kv_len, int head_dim_v, int n_threads) {
  return n_head * max_kv_len +
         static_cast<int64_t>(n_threads) * (kSlots + 1) * std::min(head_dim_v, kDimsPerTask);
}

void AttendDecodeSplit(const AttentionShape& shape, const float* q, const PagedKv& kv, int n_head,
                       int group, int64_t n_kv, ThreadPool* pool, float* scratch, float* out) {
  DecodeSplit(shape, q, kv, n_head, group, n_kv, pool, scratch, out);
}

void AttendDecodeSplit(const AttentionShape& shape, const float* q, const PagedKvF16& kv,
                       int n_head, int group, int64_t n_kv, ThreadPool* pool, float* scratch,
                       float* out) {
  DecodeSplit(shape, q, kv, n_head, group, n_kv, pool, scratch, out);
}

void AttendOneHead(const AttentionShape& shape, const float* q, const float* k, const float* v,
                   int64_t n_kv, float* scratch, float* out) {
  // One page holding every position.
  PagedKv kv;
  kv.k_pages = &k;
  kv.v_pages = &v;
  kv.tokens_per_page = std::max<int64_t>(n_kv, 1);
  AttendOneHeadPaged(shape, q, kv, n_kv, scratch, out);
}

}  // namespace strata::cpu
