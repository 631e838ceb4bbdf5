#include "runtime/kv_cache.h"

#include <new>

#include "absl/strings/str_cat.h"

namespace strata {

int64_t KvCache::BytesFor(const HParams& hp, int64_t n_ctx) {
  int64_t bytes = 0;
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    bytes += n_ctx * (hp.kv_dim_k(il) + hp.kv_dim_v(il)) * static_cast<int64_t>(sizeof(float));
  }
  return bytes;
}

absl::StatusOr<std::unique_ptr<KvCache>> KvCache::Create(const HParams& hp, int64_t n_ctx) {
  if (n_ctx <= 0) return absl::InvalidArgumentError(absl::StrCat("bad context size ", n_ctx));
  auto cache = std::make_unique<KvCache>();
  cache->n_ctx_ = n_ctx;
  cache->layers_.resize(hp.n_layer);
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    Layer& l = cache->layers_[il];
    l.k_dim = hp.kv_dim_k(il);
    l.v_dim = hp.kv_dim_v(il);
    // new float[] without () leaves the memory untouched until first write.
    l.k.reset(new (std::nothrow) float[n_ctx * l.k_dim]);
    l.v.reset(new (std::nothrow) float[n_ctx * l.v_dim]);
    if (l.k == nullptr || l.v == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot allocate the KV cache for ", n_ctx, " positions"));
    }
    cache->bytes_ += n_ctx * (l.k_dim + l.v_dim) * static_cast<int64_t>(sizeof(float));
  }
  return cache;
}

}  // namespace strata
