#include "cpu/attention.h"

#include <algorithm>
#include <limits>

#include "cpu/activations.h"
#include "cpu/multiversion.h"
#include "cpu/quant_kernels.h"

namespace strata::cpu {

STRATA_MULTIVERSION
void AttendOneHeadPaged(const AttentionShape& shape, const float* q, const PagedKv& kv,
                        int64_t n_kv, float* scratch, float* out) {
  const QuantKernels& f32 = *FindReferenceKernels(DType::kF32);
  const int64_t len = std::max(n_kv, shape.kv_len);
  const int64_t per_page = kv.tokens_per_page;
  float* p = scratch;
  float* v_column = scratch + len;
  // Page by page, so no position needs a division.
  for (int64_t page = 0, j = 0; j < n_kv; ++page) {
    const float* k = kv.k_pages[page] + kv.k_offset;
    for (int64_t r = 0; r < per_page && j < n_kv; ++r, ++j) {
      p[j] = f32.vec_dot(shape.head_dim_k, k + r * shape.kv_stride_k, q);
    }
  }
  for (int64_t j = n_kv; j < len; ++j) p[j] = -std::numeric_limits<float>::infinity();
  Softmax(p, len, shape.scale);
  // V is read a column at a time, as llama.cpp's transposed V cache holds it;
  // the masked positions contribute exact zeros.
  std::fill(v_column + n_kv, v_column + len, 0.0f);
  for (int d = 0; d < shape.head_dim_v; ++d) {
    for (int64_t page = 0, j = 0; j < n_kv; ++page) {
      const float* v = kv.v_pages[page] + kv.v_offset + d;
      for (int64_t r = 0; r < per_page && j < n_kv; ++r, ++j) {
        v_column[j] = v[r * shape.kv_stride_v];
      }
    }
    out[d] = f32.vec_dot(len, v_column, p);
  }
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
