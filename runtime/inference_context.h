// Evaluation state of one sequence: the paged KV cache, scratch buffers and
// the thread pool, driving a Model's forward pass over batches of tokens.
//
// Eval appends tokens after the ones already cached: a prompt is evaluated in
// batches of `n_batch` tokens (prefill), then generated tokens one at a time
// (decode). Each batch is placed in the KV cache plan/apply style
// (KvCache::Prepare → Apply → forward pass → Rollback on failure), so a batch
// that fails — a weight read, a KV spill or read-back error, a full disk —
// leaves the cache as it was before that batch. Logits of the last evaluated
// token — or of every token, when created with `all_logits` — are kept until
// the next Eval. Not thread-safe: one context per sequence; the Model may be
// shared.
#ifndef STRATA_RUNTIME_INFERENCE_CONTEXT_H_
#define STRATA_RUNTIME_INFERENCE_CONTEXT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "cpu/thread_pool.h"
#include "runtime/forward/forward_pass.h"
#include "runtime/kv_cache.h"
#include "runtime/model/model.h"

namespace strata {

struct ContextOptions {
  int64_t n_ctx = 4096;   // 0: the model's training context.
  int64_t n_batch = 512;  // Tokens per forward pass during prefill.
  int n_threads = 0;      // 0: every CPU this process may use.
  bool all_logits = false;
  KvCacheOptions kv;  // Block size, --kv-budget and the spill file.
};

// Fills in defaults (n_ctx 0: the model's training context; n_threads 0:
// every CPU; n_batch at most n_ctx) and validates. InvalidArgument on
// negative or zero sizes.
absl::StatusOr<ContextOptions> ResolveContextOptions(const HParams& hp,
                                                     const ContextOptions& options);

class InferenceContext {
 public:
  static absl::StatusOr<std::unique_ptr<InferenceContext>> Create(const Model& model,
                                                                  const ContextOptions& options);

  // Evaluates `tokens` at positions [n_past, n_past + size). InvalidArgument
  // for an empty batch or a token id outside the vocabulary; OutOfRange when
  // the context would overflow; Cancelled when `cancel` was set; any other
  // error from the forward pass (weight or KV I/O, the KV budget). After an
  // error the cache holds only the batches that completed.
  absl::Status Eval(absl::Span<const int32_t> tokens);

  // Logits of the last token of the last Eval: [n_vocab].
  absl::Span<const float> logits() const;
  // With all_logits: logits of token i of the last Eval.
  absl::Span<const float> logits_at(int64_t i) const;

  int64_t n_past() const { return kv_->n_used(); }
  int64_t n_ctx() const { return kv_->n_ctx(); }
  // Forgets cached positions >= n (n <= n_past), freeing their KV blocks.
  void Truncate(int64_t n) { kv_->Truncate(n); }
  KvCache& kv() { return *kv_; }
  KvCacheStats kv_stats() const { return kv_->stats(); }
  const Model& model() const { return model_; }
  int n_threads() const { return pool_->n_threads(); }

  // Hooks that watch every forward pass (the expert prefetcher, a profiler);
  // not owned, may be null.
  void set_hooks(ForwardHooks* hooks) { hooks_ = hooks; }

  // Set from another thread (e.g. a signal handler's flag) to stop Eval
  // between batches.
  void set_cancel_flag(const std::atomic<bool>* flag) { cancel_ = flag; }

 private:
  InferenceContext(const Model& model, const ContextOptions& options)
      : model_(model), options_(options) {}

  const Model& model_;
  ContextOptions options_;
  std::unique_ptr<cpu::ThreadPool> pool_;
  std::unique_ptr<KvCache> kv_;
  std::unique_ptr<ForwardBuffers> buffers_;
  std::vector<float> all_logits_;  // [n_tokens of last Eval, n_vocab] with all_logits.
  int64_t last_eval_tokens_ = 0;
  const std::atomic<bool>* cancel_ = nullptr;
  ForwardHooks* hooks_ = nullptr;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_INFERENCE_CONTEXT_H_
