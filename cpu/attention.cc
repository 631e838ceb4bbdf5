#include "cpu/attention.h"

#include <algorithm>
#include <limits>

#include "cpu/activations.h"
#include "cpu/multiversion.h"
#include "cpu/quant_kernels.h"

namespace strata::cpu {

STRATA_MULTIVERSION
void AttendOneHead(const AttentionShape& shape, const float* q, const float* k, const float* v,
                   int64_t n_kv, float* scratch, float* out) {
  const QuantKernels& f32 = *FindReferenceKernels(DType::kF32);
  const int64_t len = std::max(n_kv, shape.kv_len);
  float* p = scratch;
  float* v_column = scratch + len;
  for (int64_t j = 0; j < n_kv; ++j) {
    p[j] = f32.vec_dot(shape.head_dim_k, k + j * shape.kv_stride_k, q);
  }
  for (int64_t j = n_kv; j < len; ++j) p[j] = -std::numeric_limits<float>::infinity();
  Softmax(p, len, shape.scale);
  // V is read a column at a time, as llama.cpp's transposed V cache holds it;
  // the masked positions contribute exact zeros.
  std::fill(v_column + n_kv, v_column + len, 0.0f);
  for (int d = 0; d < shape.head_dim_v; ++d) {
    for (int64_t j = 0; j < n_kv; ++j) v_column[j] = v[j * shape.kv_stride_v + d];
    out[d] = f32.vec_dot(len, v_column, p);
  }
}

}  // namespace strata::cpu
