// One batch of tokens on its way through a model: the residual stream, the
// scratch buffers, and the building blocks architectures are written with.
//
// An architecture's forward function (runtime/models/<arch>.cc) calls the
// blocks in order: Embed, then per layer Norm → SelfAttention → AddToResidual
// (→ KeepOutputRows in the last layer) → Norm → FeedForward or
// MixtureOfExperts → AddToResidual, then Logits. Each block reads `xb` (the
// normed input) and writes `out`, the way llama2.c's run.c reads. Buffers are
// sized once for the largest batch (ForwardBuffers) and reused. Not
// thread-safe; the blocks parallelise internally on the pool.
#ifndef STRATA_RUNTIME_FORWARD_FORWARD_PASS_H_
#define STRATA_RUNTIME_FORWARD_FORWARD_PASS_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "cpu/matmul.h"
#include "cpu/thread_pool.h"
#include "moe/router.h"
#include "runtime/forward/forward_hooks.h"
#include "runtime/kv_cache.h"
#include "runtime/model/model.h"

namespace strata {

// Scratch for one batch of up to `max_tokens` tokens.
struct ForwardBuffers {
  ForwardBuffers(const HParams& hp, int64_t max_tokens, int64_t n_ctx, int n_threads,
                 bool all_logits);
  // The bytes the constructor allocates with these arguments (for planning).
  static int64_t BytesFor(const HParams& hp, int64_t max_tokens, int64_t n_ctx, int n_threads,
                          bool all_logits);

  int64_t max_tokens;
  std::vector<float> x;                 // [max_tokens, n_embd] residual stream
  std::vector<float> xb;                // [max_tokens, n_embd] normed input of a block
  std::vector<float> out;               // [max_tokens, n_embd] output of a block
  std::vector<float> q;                 // [max_tokens, n_head * head_dim_k]
  std::vector<float> k;                 // [max_tokens, n_head_kv * head_dim_k]
  std::vector<float> v;                 // [max_tokens, n_head_kv * head_dim_v]
  std::vector<float> attn;              // [max_tokens, n_head * head_dim_v]
  std::vector<float> rope_cos;          // [max_tokens, n_rot / 2]
  std::vector<float> rope_sin;          // [max_tokens, n_rot / 2]
  std::vector<float> scores;            // [n_threads, AttentionScratchFloats] attention scratch
  std::vector<float> ffn_gate;          // [max_tokens, max(n_ff, n_ff_exp)]
  std::vector<float> ffn_up;            // [max_tokens, max(n_ff, n_ff_exp)]
  std::vector<float> router;            // [max_tokens, n_expert]
  std::vector<float> expert_in;         // [max_tokens, n_embd] rows routed to one expert
  std::vector<float> expert_out;        // [max_tokens, n_expert_used, n_embd] per (token, slot)
  std::vector<moe::TokenRoute> routes;  // [max_tokens]
  std::vector<float> logits;            // [max_tokens or 1, n_vocab]
  cpu::QuantizedActivations act;

 private:
  template <typename Fn>
  static void ForEachBuffer(const HParams& hp, int64_t max_tokens, int64_t n_ctx, int n_threads,
                            bool all_logits, Fn fn);
};

struct AttentionOptions {
  bool qk_norm = false;  // Per-head RMSNorm of q and k before RoPE (qwen3).
};

enum class LogitsMode { kLast, kAll };

class ForwardPass {
 public:
  // `hooks` (may be null) sees layer boundaries and routing decisions.
  ForwardPass(const Model& model, KvCache* kv, ForwardBuffers* buffers, cpu::ThreadPool* pool,
              ForwardHooks* hooks = nullptr)
      : model_(model), hp_(model.hparams()), kv_(*kv), buf_(*buffers), pool_(pool), hooks_(hooks) {}

  // Sets up the batch: tokens at positions [pos0, pos0 + n).
  void Begin(absl::Span<const int32_t> tokens, int64_t pos0, LogitsMode mode);
  // Reports the end of the batch to the hooks.
  void End() {
    if (hooks_ != nullptr) hooks_->OnBatchEnd();
  }

  const HParams& hparams() const { return hp_; }
  // Layer il's dense weights, resolved: pins the layer's block (releasing the
  // previous layer's) the first time it is asked for.
  const LayerWeights& layer(int64_t il);

  // The first error of this batch (a failed weight read): once set, every
  // block below does nothing, and the context reports it after the pass.
  const absl::Status& status() const { return status_; }

  // x = token_embd[tokens].
  void Embed();
  // xb = RMSNorm(x) * w.
  void Norm(const TensorView& w);
  // out = Wo · Attention(RoPE(Wq xb), RoPE(Wk xb), Wv xb) over the cache.
  void SelfAttention(int64_t il, const AttentionOptions& options);
  // out = W_down · (SiLU(W_gate xb) * (W_up xb)).
  void FeedForward(int64_t il);
  // out = Σ_k weight_k · Expert_k(xb) over the routed top-k experts. Experts
  // are pinned n_expert_used at a time (one batched read for the missing
  // ones) after the layer's dense block is released, so the smallest RAM
  // budget is max(dense block, k experts), not their sum.
  void MixtureOfExperts(int64_t il);
  // x += out.
  void AddToResidual();
  // Drops the tokens whose logits are not wanted (with LogitsMode::kLast, all
  // but the last), as llama.cpp does after the last layer's attention
  // (inp_out_ids): the last feed-forward block then runs on those rows only,
  // which also decides which kernels llama.cpp's matmuls use for F32 weights.
  void KeepOutputRows();
  // logits = W_out · RMSNorm(x) for the last token (or all, per LogitsMode).
  void Logits();

  int64_t n_tokens() const { return n_tokens_; }

 private:
  const Model& model_;
  const HParams& hp_;
  KvCache& kv_;
  ForwardBuffers& buf_;
  cpu::ThreadPool* pool_;
  ForwardHooks* hooks_;

  void Fail(absl::Status status) {
    if (status_.ok()) status_ = std::move(status);
  }

  PinnedLayer pinned_layer_;
  int64_t pinned_layer_index_ = -1;  // Layer whose dense block is pinned, or -1.
  int64_t current_layer_ = -1;       // Layer being computed (for the hooks).
  absl::Status status_;

  absl::Span<const int32_t> tokens_;
  int64_t pos0_ = 0;      // Position of the batch's first token.
  int64_t row_pos0_ = 0;  // Position of row 0 of the buffers (after KeepOutputRows).
  int64_t n_tokens_ = 0;
  LogitsMode logits_mode_ = LogitsMode::kLast;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_FORWARD_FORWARD_PASS_H_
