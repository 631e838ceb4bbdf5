#include "cpu/attention.h"

#include "cpu/activations.h"

namespace strata::cpu {

void AttendOneHead(const AttentionShape& shape, const float* q, const float* k, const float* v,
                   int64_t n_kv, float* scores, float* out) {
  for (int64_t j = 0; j < n_kv; ++j) {
    const float* kj = k + j * shape.kv_stride_k;
    float dot = 0.0f;
    for (int d = 0; d < shape.head_dim_k; ++d) dot += q[d] * kj[d];
    scores[j] = dot;
  }
  Softmax(scores, n_kv, shape.scale);
  for (int d = 0; d < shape.head_dim_v; ++d) out[d] = 0.0f;
  for (int64_t j = 0; j < n_kv; ++j) {
    const float* vj = v + j * shape.kv_stride_v;
    const float p = scores[j];
    for (int d = 0; d < shape.head_dim_v; ++d) out[d] += p * vj[d];
  }
}

}  // namespace strata::cpu
