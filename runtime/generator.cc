#include "runtime/generator.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace strata {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

absl::string_view StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kEndOfGeneration:
      return "eos";
    case StopReason::kTokenLimit:
      return "limit";
    case StopReason::kContextFull:
      return "context_full";
    case StopReason::kCancelled:
      return "cancelled";
    case StopReason::kCallback:
      return "stopped";
  }
  return "?";
}

double GenerationResult::prompt_tokens_per_second() const {
  return prompt_seconds > 0 ? n_prompt / prompt_seconds : 0.0;
}

double GenerationResult::decode_tokens_per_second() const {
  return decode_seconds > 0 ? n_decoded / decode_seconds : 0.0;
}

absl::StatusOr<GenerationResult> Generator::Generate(absl::Span<const int32_t> prompt,
                                                     const GenerationOptions& options,
                                                     absl::FunctionRef<bool(int32_t)> on_token) {
  GenerationResult result;
  if (prompt.empty()) return absl::InvalidArgumentError("the prompt is empty");
  if (context_.n_past() + static_cast<int64_t>(prompt.size()) > context_.n_ctx()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the prompt has ", prompt.size(), " tokens but the context holds ",
                     context_.n_ctx() - context_.n_past(), " more (raise -c)"));
  }
  const Tokenizer& tokenizer = context_.model().tokenizer();
  for (int32_t id : prompt) sampler_.Accept(id);

  result.n_prompt = static_cast<int64_t>(prompt.size());
  auto start = std::chrono::steady_clock::now();
  absl::Status status = context_.Eval(prompt);
  result.prompt_seconds = SecondsSince(start);
  if (absl::IsCancelled(status)) {
    result.stop_reason = StopReason::kCancelled;
    return result;
  }
  STRATA_RETURN_IF_ERROR(status);
  if (options.on_prompt_logits) options.on_prompt_logits(context_.logits());

  start = std::chrono::steady_clock::now();
  for (;;) {
    if (options.n_predict >= 0 &&
        static_cast<int64_t>(result.generated.size()) >= options.n_predict) {
      result.stop_reason = StopReason::kTokenLimit;
      break;
    }
    if (cancelled()) {
      result.stop_reason = StopReason::kCancelled;
      break;
    }
    STRATA_ASSIGN_OR_RETURN(int32_t token, sampler_.Sample(context_.logits(), candidates_));
    const bool end = tokenizer.IsEndOfGeneration(token) && !options.ignore_eos;
    if (end) {
      result.stop_reason = StopReason::kEndOfGeneration;
      break;
    }
    result.generated.push_back(token);
    if (!on_token(token)) {
      result.stop_reason = StopReason::kCallback;
      break;
    }
    if (options.n_predict >= 0 &&
        static_cast<int64_t>(result.generated.size()) >= options.n_predict) {
      result.stop_reason = StopReason::kTokenLimit;
      break;
    }
    if (context_.n_past() >= context_.n_ctx()) {
      const absl::Status room = options.on_context_full
                                    ? options.on_context_full()
                                    : absl::FailedPreconditionError("context full");
      if (!absl::IsFailedPrecondition(room)) STRATA_RETURN_IF_ERROR(room);
      if (!room.ok() || context_.n_past() >= context_.n_ctx()) {
        result.stop_reason = StopReason::kContextFull;
        break;
      }
    }
    status = context_.Eval(absl::MakeConstSpan(&token, 1));
    if (absl::IsCancelled(status)) {
      result.stop_reason = StopReason::kCancelled;
      break;
    }
    STRATA_RETURN_IF_ERROR(status);
    ++result.n_decoded;
  }
  result.decode_seconds = SecondsSince(start);
  return result;
}

}  // namespace strata
