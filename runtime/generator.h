// The generation loop: evaluate a prompt, then sample and evaluate one token
// at a time until an end-of-generation token, the token limit, the context
// limit, a cancel request, or the caller's callback says stop.
//
// Prompt tokens are also fed to the sampler's history (penalties see them),
// as llama-cli does. With `ignore_eos`, end-of-generation tokens are emitted
// like any other and generation continues. Not thread-safe; borrows the
// context and the sampler chain.
#ifndef STRATA_RUNTIME_GENERATOR_H_
#define STRATA_RUNTIME_GENERATOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/inference_context.h"
#include "runtime/sampling/sampler_chain.h"

namespace strata {

struct GenerationOptions {
  int64_t n_predict = -1;  // Tokens to generate; -1: until EOS or the context is full.
  bool ignore_eos = false;
  // Called once with the logits of the last prompt position.
  std::function<void(absl::Span<const float>)> on_prompt_logits;
  // Called when the context is full and a generated token still has to be
  // evaluated: returns OK after making room (e.g. shifting the context), or
  // an error to stop (FailedPrecondition: stop with kContextFull; anything
  // else is returned). Unset: stop with kContextFull.
  std::function<absl::Status()> on_context_full;
};

enum class StopReason { kEndOfGeneration, kTokenLimit, kContextFull, kCancelled, kCallback };

absl::string_view StopReasonName(StopReason reason);

struct GenerationResult {
  std::vector<int32_t> generated;
  StopReason stop_reason = StopReason::kTokenLimit;
  int64_t n_prompt = 0;
  double prompt_seconds = 0;
  int64_t n_decoded = 0;      // Tokens evaluated after the prompt.
  double decode_seconds = 0;  // Sampling + evaluation of generated tokens.

  double prompt_tokens_per_second() const;
  double decode_tokens_per_second() const;
};

class Generator {
 public:
  Generator(InferenceContext* context, sampling::SamplerChain* sampler)
      : context_(*context), sampler_(*sampler) {}

  // Stops between tokens once `*flag` is true (e.g. set by a SIGINT handler).
  void set_cancel_flag(const std::atomic<bool>* flag) { cancel_ = flag; }

  // Evaluates `prompt` after whatever the context already holds, then
  // generates. `on_token` sees each generated token as soon as it is sampled;
  // returning false stops generation. The prompt must fit in the context.
  absl::StatusOr<GenerationResult> Generate(absl::Span<const int32_t> prompt,
                                            const GenerationOptions& options,
                                            absl::FunctionRef<bool(int32_t)> on_token);

 private:
  bool cancelled() const { return cancel_ != nullptr && cancel_->load(); }

  InferenceContext& context_;
  sampling::SamplerChain& sampler_;
  sampling::Candidates candidates_;
  const std::atomic<bool>* cancel_ = nullptr;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_GENERATOR_H_
