#include "runtime/inference_context.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/models/arch.h"

namespace strata {

absl::StatusOr<ContextOptions> ResolveContextOptions(const HParams& hp,
                                                     const ContextOptions& options) {
  ContextOptions opts = options;
  if (opts.n_ctx == 0) opts.n_ctx = hp.n_ctx_train;
  if (opts.n_ctx < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("context size must be positive, got ", opts.n_ctx));
  }
  if (opts.n_batch <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch size must be positive, got ", opts.n_batch));
  }
  if (opts.n_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("thread count must be positive, got ", opts.n_threads));
  }
  if (opts.n_threads == 0) opts.n_threads = cpu::DefaultThreadCount();
  opts.n_batch = std::min(opts.n_batch, opts.n_ctx);
  return opts;
}

absl::StatusOr<std::unique_ptr<InferenceContext>> InferenceContext::Create(
    const Model& model, const ContextOptions& options) {
  const HParams& hp = model.hparams();
  if (!model.has_store()) {
    return absl::FailedPreconditionError("the model's weights are not attached");
  }
  STRATA_ASSIGN_OR_RETURN(ContextOptions opts, ResolveContextOptions(hp, options));
  auto ctx = std::unique_ptr<InferenceContext>(new InferenceContext(model, opts));
  ctx->pool_ = std::make_unique<cpu::ThreadPool>(opts.n_threads);
  STRATA_ASSIGN_OR_RETURN(ctx->kv_, KvCache::Create(hp, opts.n_ctx, opts.kv));
  ctx->buffers_ = std::make_unique<ForwardBuffers>(hp, opts.n_batch, opts.n_ctx, opts.n_threads,
                                                   opts.all_logits);
  return ctx;
}

absl::Status InferenceContext::Eval(absl::Span<const int32_t> tokens) {
  const HParams& hp = model_.hparams();
  if (tokens.empty()) return absl::InvalidArgumentError("no tokens to evaluate");
  for (int32_t id : tokens) {
    if (id < 0 || id >= hp.n_vocab) {
      return absl::InvalidArgumentError(
          absl::StrCat("token id ", id, " is outside the vocabulary [0, ", hp.n_vocab, ")"));
    }
  }
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n_past() + n > n_ctx()) {
    return absl::OutOfRangeError(absl::StrCat("context full: ", n_past(), " cached + ", n,
                                              " new tokens exceed the context size ", n_ctx(),
                                              " (raise -c)"));
  }
  const LogitsMode mode = options_.all_logits ? LogitsMode::kAll : LogitsMode::kLast;
  if (options_.all_logits) all_logits_.resize(n * hp.n_vocab);
  ForwardPass pass(model_, kv_.get(), buffers_.get(), pool_.get(), hooks_);
  for (int64_t start = 0; start < n; start += options_.n_batch) {
    if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) {
      return absl::CancelledError("evaluation interrupted");
    }
    const int64_t len = std::min(options_.n_batch, n - start);
    // Plan/apply: placing the batch has no side effects until Apply, and a
    // failed pass rolls the placement back.
    STRATA_ASSIGN_OR_RETURN(KvPlan plan, kv_->Prepare(len));
    kv_->Apply(plan);
    pass.Begin(tokens.subspan(start, len), plan.pos0, mode);
    model_.arch().forward(pass);
    pass.End();
    if (!pass.status().ok()) {
      kv_->Rollback(plan);
      return pass.status();
    }
    if (options_.all_logits) {
      std::memcpy(all_logits_.data() + start * hp.n_vocab, buffers_->logits.data(),
                  len * hp.n_vocab * sizeof(float));
    }
  }
  last_eval_tokens_ = n;
  return absl::OkStatus();
}

absl::Span<const float> InferenceContext::logits() const {
  const int64_t n_vocab = model_.hparams().n_vocab;
  if (options_.all_logits) return logits_at(last_eval_tokens_ - 1);
  return absl::MakeConstSpan(buffers_->logits.data(), n_vocab);
}

absl::Span<const float> InferenceContext::logits_at(int64_t i) const {
  const int64_t n_vocab = model_.hparams().n_vocab;
  return absl::MakeConstSpan(all_logits_.data() + i * n_vocab, n_vocab);
}

}  // namespace strata
