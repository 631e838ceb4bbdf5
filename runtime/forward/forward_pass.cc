#include "runtime/forward/forward_pass.h"

#include <algorithm>
#include <cstring>

#include "cpu/attention.h"
#include "cpu/norm.h"
#include "cpu/quant_kernels.h"

namespace strata {
namespace {

int64_t MaxOf(const std::vector<int64_t>& v) { return *std::max_element(v.begin(), v.end()); }

}  // namespace

// Calls fn(member, floats) for every float buffer: one place decides the
// sizes, both for allocating them and for planning the RAM budget.
template <typename Fn>
void ForwardBuffers::ForEachBuffer(const HParams& hp, int64_t n, int64_t n_ctx, int n_threads,
                                   bool all_logits, Fn fn) {
  const int64_t max_head = MaxOf(hp.n_head);
  const int64_t max_head_kv = MaxOf(hp.n_head_kv);
  const int64_t n_ff = std::max(MaxOf(hp.n_ff), hp.n_ff_exp);
  fn(&ForwardBuffers::x, n * hp.n_embd);
  fn(&ForwardBuffers::xb, n * hp.n_embd);
  fn(&ForwardBuffers::out, n * hp.n_embd);
  fn(&ForwardBuffers::q, n * max_head * hp.head_dim_k);
  fn(&ForwardBuffers::k, n * max_head_kv * hp.head_dim_k);
  fn(&ForwardBuffers::v, n * max_head_kv * hp.head_dim_v);
  fn(&ForwardBuffers::attn, n * max_head * hp.head_dim_v);
  fn(&ForwardBuffers::rope_cos, n * hp.n_rot / 2);
  fn(&ForwardBuffers::rope_sin, n * hp.n_rot / 2);
  // Per-thread attention scratch, or the split decode's (cpu/attention.h).
  fn(&ForwardBuffers::scores,
     std::max(n_threads * cpu::AttentionScratchFloats(n_ctx, hp.head_dim_v),
              cpu::SplitDecodeScratchFloats(max_head, n_ctx, hp.head_dim_v, n_threads)));
  fn(&ForwardBuffers::ffn_gate, n * n_ff);
  fn(&ForwardBuffers::ffn_up, n * n_ff);
  if (hp.is_moe()) {
    fn(&ForwardBuffers::router, n * hp.n_expert);
    fn(&ForwardBuffers::expert_in, n * hp.n_embd);
    fn(&ForwardBuffers::expert_out, n * hp.n_expert_used * hp.n_embd);
  }
  fn(&ForwardBuffers::logits, (all_logits ? n : 1) * hp.n_vocab);
}

ForwardBuffers::ForwardBuffers(const HParams& hp, int64_t max_tokens_in, int64_t n_ctx,
                               int n_threads, bool all_logits)
    : max_tokens(max_tokens_in) {
  ForEachBuffer(hp, max_tokens, n_ctx, n_threads, all_logits,
                [this](std::vector<float> ForwardBuffers::*member, int64_t floats) {
                  (this->*member).resize(floats);
                });
  if (hp.is_moe()) routes.resize(max_tokens);
}

int64_t ForwardBuffers::BytesFor(const HParams& hp, int64_t max_tokens, int64_t n_ctx,
                                 int n_threads, bool all_logits) {
  int64_t floats = 0;
  ForEachBuffer(hp, max_tokens, n_ctx, n_threads, all_logits,
                [&floats](std::vector<float> ForwardBuffers::*, int64_t n) { floats += n; });
  // Quantized activations: at most one byte and a bit per float of the widest
  // matmul input, which expert_out bounds from above.
  const int64_t activations =
      max_tokens * std::max(hp.n_embd, std::max(MaxOf(hp.n_ff), hp.n_ff_exp)) * 2;
  return floats * static_cast<int64_t>(sizeof(float)) + activations;
}

void ForwardPass::Begin(absl::Span<const int32_t> tokens, int64_t pos0, LogitsMode mode) {
  pinned_layer_ = PinnedLayer();
  pinned_layer_index_ = -1;
  current_layer_ = -1;
  status_ = absl::OkStatus();
  tokens_ = tokens;
  pos0_ = pos0;
  row_pos0_ = pos0;
  n_tokens_ = static_cast<int64_t>(tokens.size());
  logits_mode_ = mode;
  if (hooks_ != nullptr) hooks_->OnBatchBegin(pos0_, n_tokens_);
}

const LayerWeights& ForwardPass::layer(int64_t il) {
  static const LayerWeights kNone;
  if (il == pinned_layer_index_) return pinned_layer_.weights;
  if (hooks_ != nullptr && current_layer_ >= 0 && current_layer_ != il) {
    hooks_->OnLayerEnd(current_layer_);
  }
  if (hooks_ != nullptr && current_layer_ != il) hooks_->OnLayerBegin(il);
  current_layer_ = il;
  pinned_layer_ = PinnedLayer();  // Unpin the previous layer first.
  pinned_layer_index_ = -1;
  if (!status_.ok()) return kNone;
  absl::StatusOr<PinnedLayer> pinned = model_.store().PinLayer(il);
  if (!pinned.ok()) {
    Fail(pinned.status());
    return kNone;
  }
  pinned_layer_ = *std::move(pinned);
  pinned_layer_index_ = il;
  return pinned_layer_.weights;
}

void ForwardPass::Embed() {
  if (!status_.ok()) return;
  Fail(model_.store().EmbedTokens(tokens_, buf_.x.data()));
}

void ForwardPass::Norm(const TensorView& w) {
  if (!status_.ok()) return;
  for (int64_t t = 0; t < n_tokens_; ++t) {
    cpu::RmsNorm(buf_.x.data() + t * hp_.n_embd, w.f32(), hp_.n_embd, hp_.rms_eps,
                 buf_.xb.data() + t * hp_.n_embd);
  }
}

void ForwardPass::AddToResidual() {
  if (!status_.ok()) return;
  const int64_t n = n_tokens_ * hp_.n_embd;
  float* x = buf_.x.data();
  const float* out = buf_.out.data();
  for (int64_t i = 0; i < n; ++i) x[i] += out[i];
}

void ForwardPass::KeepOutputRows() {
  if (logits_mode_ != LogitsMode::kLast || n_tokens_ <= 1) return;
  std::memmove(buf_.x.data(), buf_.x.data() + (n_tokens_ - 1) * hp_.n_embd,
               hp_.n_embd * sizeof(float));
  row_pos0_ = pos0_ + n_tokens_ - 1;
  n_tokens_ = 1;
}

void ForwardPass::Logits() {
  pinned_layer_ = PinnedLayer();
  pinned_layer_index_ = -1;
  if (hooks_ != nullptr && current_layer_ >= 0) hooks_->OnLayerEnd(current_layer_);
  current_layer_ = -1;
  if (!status_.ok()) return;
  absl::StatusOr<PinnedOutput> output = model_.store().PinOutput();
  if (!output.ok()) {
    Fail(output.status());
    return;
  }
  // Only the rows whose logits are wanted go through the final norm and the
  // (large) output matrix.
  const int64_t first = logits_mode_ == LogitsMode::kAll ? 0 : n_tokens_ - 1;
  const int64_t rows = n_tokens_ - first;
  for (int64_t t = 0; t < rows; ++t) {
    cpu::RmsNorm(buf_.x.data() + (first + t) * hp_.n_embd, output->output_norm.f32(), hp_.n_embd,
                 hp_.rms_eps, buf_.xb.data() + t * hp_.n_embd);
  }
  cpu::MatMul(output->output, buf_.xb.data(), rows, buf_.logits.data(), &buf_.act, pool_);
}

}  // namespace strata
