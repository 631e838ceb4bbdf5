// One conversation with a model: its messages, the tokens in the KV cache,
// and turns that evaluate only what is new.
//
// KV reuse: the cache holds the conversation as it was evaluated — every
// earlier prompt and every reply exactly as generated. A new turn renders the
// conversation with a sentinel in place of the last reply; the text after the
// sentinel (the reply's closing tokens, the new user message and the
// generation prompt) is all that is tokenized and evaluated, provided the
// text before it is what this session last evaluated (plus, for templates
// that put a space between the generation prompt and the reply, a reply that
// starts with that space). Otherwise — the first turn, after /system, after a
// failed turn, after /load of a conversation with a different rendering —
// the whole conversation is tokenized and only the tokens after the longest
// prefix shared with the cache are evaluated. A reply's last token may not
// have been evaluated yet (generation stopped at the length limit): it is
// kept pending and evaluated first in the next turn.
//
// Context full: without context shift a turn that does not fit is refused
// (OutOfRange) and a reply that fills the context stops. With context shift,
// the first `keep` tokens (StreamingLLM's attention sinks) are kept and the
// oldest half of the rest is dropped; the kept window is re-evaluated at its
// new positions (recomputation rather than re-rotating cached keys: exact
// for the kept tokens' new positions, at the cost of one prefill of the
// window per shift, which halving makes rare).
//
// Failure: a turn that fails (an I/O error, a full disk, a KV budget too
// small) or is interrupted before any reply is discarded: the cache is cut
// back to where the turn started (or, if the context shifted during the
// turn, the next turn re-renders the conversation) and the messages are
// unchanged. /save and /load (session_file.h) keep the conversation and its
// KV rows. Not thread-safe; borrows the InferenceContext.
#ifndef STRATA_TOOLS_CHAT_CHAT_SESSION_H_
#define STRATA_TOOLS_CHAT_CHAT_SESSION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "runtime/generator.h"
#include "runtime/inference_context.h"
#include "runtime/sampling/sampling_params.h"
#include "tools/chat/chat_template.h"

namespace strata::chat {

struct SessionOptions {
  ChatTemplate chat_template = ChatTemplate::kChatMl;
  std::string system_prompt;      // Empty: none.
  int64_t max_reply_tokens = -1;  // -1: until end of generation.
  bool ignore_eos = false;
  bool context_shift = false;
  int64_t keep = 4;  // Tokens kept at the start when shifting; -1: the system prompt.
  sampling::SamplingParams sampling;
};

struct TurnResult {
  std::string reply;
  StopReason stop = StopReason::kEndOfGeneration;
  bool discarded = false;     // Interrupted before replying: the turn left no trace.
  int64_t reused_tokens = 0;  // Positions already in the KV cache.
  int64_t prompt_tokens = 0;  // Evaluated for this turn's prompt.
  bool rerendered = false;    // The conversation was re-tokenized (not incremental).
  double prompt_seconds = 0;
  int64_t reply_tokens = 0;
  int64_t decoded_tokens = 0;  // Reply tokens evaluated.
  double decode_seconds = 0;
  int64_t shifted_tokens = 0;     // Dropped by context shifts.
  int64_t recomputed_tokens = 0;  // Re-evaluated after them.

  double prefill_tokens_per_second() const {
    return prompt_seconds > 0 ? prompt_tokens / prompt_seconds : 0.0;
  }
  double decode_tokens_per_second() const {
    return decode_seconds > 0 ? decoded_tokens / decode_seconds : 0.0;
  }
};

class ChatSession {
 public:
  static absl::StatusOr<std::unique_ptr<ChatSession>> Create(InferenceContext* context,
                                                             const SessionOptions& options);

  // Sends `user` and generates the reply, handing its text to `on_piece` as
  // it is generated. Errors leave the conversation as it was (see above).
  absl::StatusOr<TurnResult> Turn(absl::string_view user,
                                  absl::FunctionRef<void(absl::string_view)> on_piece);

  // Forgets the conversation (the system prompt stays) and empties the cache.
  void Reset();
  // Replaces the system prompt ("" removes it); the next turn re-renders.
  void SetSystemPrompt(absl::string_view text);
  absl::Status SetSampling(const sampling::SamplingParams& params);
  const sampling::SamplingParams& sampling() const { return options_.sampling; }

  // /save and /load (session_file.h). Load refuses corrupt or mismatched
  // files without touching the session; if restoring the KV rows then fails
  // the conversation is reset (and the error says so).
  absl::Status Save(const std::string& path);
  absl::Status Load(const std::string& path);

  // Stops generation (and prefill between batches) once `*flag` is true.
  void set_cancel_flag(const std::atomic<bool>* flag);

  const std::vector<ChatMessage>& messages() const { return messages_; }
  // Tokens in the cache followed by the pending one, if any.
  const std::vector<int32_t>& tokens() const { return tokens_; }
  ChatTemplate chat_template() const { return options_.chat_template; }
  InferenceContext& context() { return ctx_; }
  int64_t n_past() const { return ctx_.n_past(); }
  int64_t n_ctx() const { return ctx_.n_ctx(); }

 private:
  ChatSession(InferenceContext* context, const SessionOptions& options)
      : ctx_(*context), options_(options) {}

  absl::Status RebuildSampler();
  // The tokens to evaluate for `next` (the conversation with the new user
  // message): the incremental delta, or the re-rendered tail after the
  // longest common prefix (the cache is cut back to it).
  std::vector<int32_t> PlanPrompt(const std::vector<ChatMessage>& next, bool* rerendered);
  int64_t KeepTokens() const;
  // Drops at least `room` evaluated tokens after the kept ones (half of them
  // at least) and re-evaluates the rest at their new positions.
  absl::Status Shift(int64_t room, TurnResult* stats);
  // Puts the cache back as it was when the turn started.
  void Restore(int64_t n_past, const std::vector<int32_t>& tokens, bool shifted);

  InferenceContext& ctx_;
  SessionOptions options_;
  std::unique_ptr<sampling::SamplerChain> sampler_;
  const std::atomic<bool>* cancel_ = nullptr;

  std::vector<ChatMessage> messages_;
  std::vector<int32_t> tokens_;  // [0, n_past) in the cache, then at most one pending.
  std::string prompt_text_;      // The rendered conversation up to the last generation prompt.
  std::string reply_text_;       // The last reply, as generated.
  bool rerender_ = false;        // The next turn must re-render the conversation.
  bool shifted_in_turn_ = false;
};

}  // namespace strata::chat

#endif  // STRATA_TOOLS_CHAT_CHAT_SESSION_H_
