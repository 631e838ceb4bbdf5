// The key/value cache of one sequence, in F32.
//
// Per layer, K is [n_ctx, n_head_kv * head_dim_k] and V is
// [n_ctx, n_head_kv * head_dim_v], rows indexed by position. Memory is
// reserved up front but left untouched (the kernel backs pages on first
// write), so a large context costs nothing until used. Not thread-safe: the
// forward pass writes rows for distinct positions from one thread per row.
#ifndef STRATA_RUNTIME_KV_CACHE_H_
#define STRATA_RUNTIME_KV_CACHE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/model/hparams.h"

namespace strata {

class KvCache {
 public:
  static absl::StatusOr<std::unique_ptr<KvCache>> Create(const HParams& hp, int64_t n_ctx);
  // Bytes Create reserves for `n_ctx` positions.
  static int64_t BytesFor(const HParams& hp, int64_t n_ctx);

  int64_t n_ctx() const { return n_ctx_; }
  // Positions [0, n_used) hold valid entries.
  int64_t n_used() const { return n_used_; }
  void set_n_used(int64_t n) { n_used_ = n; }

  float* k(int64_t layer, int64_t pos) {
    return layers_[layer].k.get() + pos * layers_[layer].k_dim;
  }
  float* v(int64_t layer, int64_t pos) {
    return layers_[layer].v.get() + pos * layers_[layer].v_dim;
  }
  int64_t k_stride(int64_t layer) const { return layers_[layer].k_dim; }
  int64_t v_stride(int64_t layer) const { return layers_[layer].v_dim; }
  int64_t bytes() const { return bytes_; }

 private:
  struct Layer {
    int64_t k_dim = 0;
    int64_t v_dim = 0;
    std::unique_ptr<float[]> k;
    std::unique_ptr<float[]> v;
  };
  int64_t n_ctx_ = 0;
  int64_t n_used_ = 0;
  int64_t bytes_ = 0;
  std::vector<Layer> layers_;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_KV_CACHE_H_
