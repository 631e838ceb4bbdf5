// Self-attention block of the Llama-family decoders.
#include <algorithm>
#include <cmath>

#include "cpu/attention.h"
#include "cpu/norm.h"
#include "cpu/rope.h"
#include "runtime/forward/forward_pass.h"

namespace strata {
namespace {

// y[t, :] = W x_t (+ b) for x [n_tokens, k]. `act` may already hold x in
// W's activation format (`x_quantized`), e.g. for K and V after Q.
void Project(const TensorView& w, const TensorView& bias, const float* x, bool x_quantized,
             int64_t n_tokens, float* y, cpu::QuantizedActivations* act, cpu::ThreadPool* pool) {
  const DType act_type = cpu::ActivationTypeFor(w.type);
  if (!x_quantized || act->type() != act_type) act->Quantize(act_type, x, n_tokens, w.ne[0], pool);
  const int64_t rows = w.rows();
  cpu::MatMulQuantized(w, *act, y, rows, pool);
  if (present(bias)) {
    const float* b = bias.f32();
    for (int64_t t = 0; t < n_tokens; ++t) {
      for (int64_t r = 0; r < rows; ++r) y[t * rows + r] += b[r];
    }
  }
}

}  // namespace

void ForwardPass::SelfAttention(int64_t il, const AttentionOptions& options) {
  const LayerWeights& w = layer(il);
  if (!status_.ok()) return;
  const int64_t n = n_tokens_;
  const int n_head = static_cast<int>(hp_.n_head[il]);
  const int n_head_kv = static_cast<int>(hp_.n_head_kv[il]);
  const int hd_k = static_cast<int>(hp_.head_dim_k);
  const int hd_v = static_cast<int>(hp_.head_dim_v);
  const int64_t q_dim = hp_.q_dim(il);
  const int64_t k_dim = hp_.kv_dim_k(il);
  const int64_t v_dim = hp_.kv_dim_v(il);
  const int64_t o_dim = static_cast<int64_t>(n_head) * hd_v;

  // Q, K and V project the same input: it is quantized once.
  const float* xb = buf_.xb.data();
  Project(w.wq, w.bq, xb, false, n, buf_.q.data(), &buf_.act, pool_);
  Project(w.wk, w.bk, xb, true, n, buf_.k.data(), &buf_.act, pool_);
  Project(w.wv, w.bv, xb, true, n, buf_.v.data(), &buf_.act, pool_);

  cpu::RopeParams rope;
  rope.n_rot = static_cast<int>(hp_.n_rot);
  rope.freq_base = hp_.rope_freq_base;
  rope.freq_scale = hp_.rope_freq_scale;
  rope.mode = hp_.rope_mode;
  rope.freq_factors = present(pinned_layer_.rope_freqs) ? pinned_layer_.rope_freqs.f32() : nullptr;
  const int64_t half = hp_.n_rot / 2;
  for (int64_t t = 0; t < n; ++t) {
    float* q = buf_.q.data() + t * q_dim;
    float* k = buf_.k.data() + t * k_dim;
    if (options.qk_norm) {
      for (int h = 0; h < n_head; ++h) {
        cpu::RmsNorm(q + h * hd_k, w.q_norm.f32(), hd_k, hp_.rms_eps, q + h * hd_k);
      }
      for (int h = 0; h < n_head_kv; ++h) {
        cpu::RmsNorm(k + h * hd_k, w.k_norm.f32(), hd_k, hp_.rms_eps, k + h * hd_k);
      }
    }
    float* cos_t = buf_.rope_cos.data() + t * half;
    float* sin_t = buf_.rope_sin.data() + t * half;
    cpu::RopeAngles(rope, pos0_ + t, cos_t, sin_t);
    cpu::ApplyRope(rope, cos_t, sin_t, q, n_head, hd_k);
    cpu::ApplyRope(rope, cos_t, sin_t, k, n_head_kv, hd_k);
  }

  // The layer's KV blocks for positions [0, pos0 + n), read back from the
  // spill file where they were evicted; those the batch writes become dirty.
  absl::StatusOr<KvLayerView> kv = kv_.PinLayer(il, 0, pos0_ + n, pos0_);
  if (!kv.ok()) {
    Fail(kv.status());
    return;
  }
  // Rounded to nearest-even in an F16 cache.
  for (int64_t t = 0; t < n; ++t) {
    kv->StoreRow(pos0_ + t, buf_.k.data() + t * k_dim, buf_.v.data() + t * v_dim);
  }

  // Causal attention: token t sees positions [0, pos0 + t].
  cpu::AttentionShape shape;
  shape.head_dim_k = hd_k;
  shape.head_dim_v = hd_v;
  shape.kv_stride_k = kv->k_stride();
  shape.kv_stride_v = kv->v_stride();
  shape.scale = 1.0f / std::sqrt(static_cast<float>(hd_k));
  const int group = n_head / n_head_kv;
  const int64_t n_ctx = kv_.n_ctx();
  // llama.cpp attends over its cache padded to a multiple of 256 cells (at
  // least 256, at most the cache size) so that graphs can be reused; the
  // padding is masked, but it sets the summation order (see cpu/attention.h).
  constexpr int64_t kKvPad = 256;
  // A decoded token's heads are split further (over positions and value
  // dimensions) when they are too few to keep every thread busy and the
  // cache is long enough for the work to outweigh three parallel regions.
  constexpr int64_t kSplitMinPositions = 1024;
  shape.kv_len = std::min(n_ctx, std::max(kKvPad, (pos0_ + n + kKvPad - 1) / kKvPad * kKvPad));
  // The same for an F32 (PagedKv) and an F16 (PagedKvF16) cache.
  auto run = [&](const auto& pages) {
    if (n == 1 && pos0_ + 1 >= kSplitMinPositions && n_head < 4 * pool_->n_threads()) {
      cpu::AttendDecodeSplit(shape, buf_.q.data(), pages, n_head, group, pos0_ + 1, pool_,
                             buf_.scores.data(), buf_.attn.data());
      return;
    }
    const int64_t scratch_floats = cpu::AttentionScratchFloats(n_ctx, hd_v);
    auto attend = [&](int64_t task, int thread) {
      const int64_t t = task / n_head;
      const int h = static_cast<int>(task % n_head);
      auto head = pages;
      head.k_offset = static_cast<int64_t>(h / group) * hd_k;
      head.v_offset = static_cast<int64_t>(h / group) * hd_v;
      cpu::AttendOneHeadPaged(shape, buf_.q.data() + t * q_dim + h * hd_k, head, pos0_ + t + 1,
                              buf_.scores.data() + thread * scratch_floats,
                              buf_.attn.data() + t * o_dim + h * hd_v);
    };
    pool_->ParallelFor(n * n_head, attend);
  };
  if (kv->type() == KvType::kF16) {
    cpu::PagedKvF16 pages;
    pages.k_pages = kv->k_pages_f16();
    pages.v_pages = kv->v_pages_f16();
    pages.tokens_per_page = kv->block_tokens();
    run(pages);
  } else {
    cpu::PagedKv pages;
    pages.k_pages = kv->k_pages();
    pages.v_pages = kv->v_pages();
    pages.tokens_per_page = kv->block_tokens();
    run(pages);
  }

  Project(w.wo, w.bo, buf_.attn.data(), false, n, buf_.out.data(), &buf_.act, pool_);
}

}  // namespace strata
