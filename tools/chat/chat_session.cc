#include "tools/chat/chat_session.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "tools/chat/session_file.h"

namespace strata::chat {
namespace {

// Stands in for the last reply when rendering the next turn; no user or
// model text contains it.
constexpr absl::string_view kSentinel =
    "\x1f\x1e"
    "strata-reply"
    "\x1e\x1f";

size_t CommonPrefix(absl::Span<const int32_t> a, absl::Span<const int32_t> b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChatSession>> ChatSession::Create(InferenceContext* context,
                                                                 const SessionOptions& options) {
  if (options.keep < -1) {
    return absl::InvalidArgumentError(absl::StrCat("--keep must be >= -1, got ", options.keep));
  }
  auto session = std::unique_ptr<ChatSession>(new ChatSession(context, options));
  STRATA_RETURN_IF_ERROR(session->RebuildSampler());
  session->Reset();
  return session;
}

absl::Status ChatSession::RebuildSampler() {
  STRATA_ASSIGN_OR_RETURN(
      sampler_, sampling::MakeSamplerChain(
                    options_.sampling, static_cast<int32_t>(ctx_.model().tokenizer().n_vocab())));
  // Penalties see the conversation so far, as they would have without /set.
  for (int32_t t : tokens_) sampler_->Accept(t);
  return absl::OkStatus();
}

absl::Status ChatSession::SetSampling(const sampling::SamplingParams& params) {
  const sampling::SamplingParams old = options_.sampling;
  options_.sampling = params;
  absl::Status s = RebuildSampler();
  if (!s.ok()) {
    options_.sampling = old;
    (void)RebuildSampler();
  }
  return s;
}

void ChatSession::set_cancel_flag(const std::atomic<bool>* flag) {
  cancel_ = flag;
  ctx_.set_cancel_flag(flag);
}

void ChatSession::Reset() {
  ctx_.Truncate(0);
  tokens_.clear();
  messages_.clear();
  if (!options_.system_prompt.empty()) messages_.push_back({"system", options_.system_prompt});
  prompt_text_.clear();
  reply_text_.clear();
  rerender_ = false;
  sampler_->Reset();
}

void ChatSession::SetSystemPrompt(absl::string_view text) {
  options_.system_prompt = std::string(text);
  const bool has = !messages_.empty() && messages_.front().role == "system";
  if (text.empty()) {
    if (has) messages_.erase(messages_.begin());
  } else if (has) {
    messages_.front().content = std::string(text);
  } else {
    messages_.insert(messages_.begin(), {"system", std::string(text)});
  }
  rerender_ = true;
}

int64_t ChatSession::KeepTokens() const {
  if (options_.keep >= 0) return options_.keep;
  if (options_.system_prompt.empty()) return 0;
  // The system prompt as the first turn renders it (BOS included).
  const std::vector<ChatMessage> system = {{"system", options_.system_prompt}};
  return static_cast<int64_t>(
      ctx_.model()
          .tokenizer()
          .Encode(FormatChat(options_.chat_template, system, false), true, true)
          .size());
}

std::vector<int32_t> ChatSession::PlanPrompt(const std::vector<ChatMessage>& next,
                                             bool* rerendered) {
  const Tokenizer& tokenizer = ctx_.model().tokenizer();
  *rerendered = false;
  if (!rerender_ && !tokens_.empty() && messages_.size() + 1 == next.size() &&
      messages_.back().role == "assistant") {
    std::vector<ChatMessage> probe = next;
    probe[probe.size() - 2].content = std::string(kSentinel);
    const std::string text = FormatChat(options_.chat_template, probe, true);
    const size_t at = absl::string_view(text).find(kSentinel);
    if (at != std::string::npos) {
      const absl::string_view before = absl::string_view(text).substr(0, at);
      // Some templates put a space between the generation prompt and the
      // reply; the model generated it (or the rendering differs: re-render).
      if (absl::StartsWith(before, prompt_text_) &&
          absl::StartsWith(reply_text_, before.substr(prompt_text_.size()))) {
        return tokenizer.Encode(absl::string_view(text).substr(at + kSentinel.size()),
                                /*add_special=*/false, /*parse_special=*/true);
      }
    }
  }
  // Re-render everything; keep the longest prefix the cache already holds
  // (at least one token is evaluated, for the logits).
  *rerendered = !tokens_.empty();
  std::vector<int32_t> all = tokenizer.Encode(FormatChat(options_.chat_template, next, true),
                                              /*add_special=*/true, /*parse_special=*/true);
  const int64_t cached = ctx_.n_past();
  size_t common = CommonPrefix(absl::MakeConstSpan(tokens_.data(), cached), all);
  if (common == all.size() && common > 0) --common;
  ctx_.Truncate(static_cast<int64_t>(common));
  tokens_.assign(all.begin(), all.begin() + common);
  return std::vector<int32_t>(all.begin() + common, all.end());
}

absl::Status ChatSession::Shift(int64_t room, TurnResult* stats) {
  const int64_t n_past = ctx_.n_past();
  const int64_t keep = std::min(KeepTokens(), n_past);
  const int64_t discard = std::max((n_past - keep) / 2, room);
  if (discard > n_past - keep) {
    return absl::OutOfRangeError(absl::StrCat("the message does not fit in the context of ",
                                              ctx_.n_ctx(),
                                              " tokens even after "
                                              "dropping everything but the first ",
                                              keep, " (raise -c)"));
  }
  const std::vector<int32_t> window(tokens_.begin() + keep + discard, tokens_.begin() + n_past);
  const std::vector<int32_t> tail(tokens_.begin() + n_past, tokens_.end());
  shifted_in_turn_ = true;
  ctx_.Truncate(keep);
  tokens_.resize(keep);
  // The window is re-evaluated at its new positions in one go: a Ctrl-C
  // here would leave the conversation without its recent past.
  ctx_.set_cancel_flag(nullptr);
  absl::Status s = window.empty() ? absl::OkStatus() : ctx_.Eval(window);
  ctx_.set_cancel_flag(cancel_);
  tokens_.insert(tokens_.end(), window.begin(), window.begin() + (ctx_.n_past() - keep));
  if (!s.ok()) return s;
  tokens_.insert(tokens_.end(), tail.begin(), tail.end());
  stats->shifted_tokens += discard;
  stats->recomputed_tokens += static_cast<int64_t>(window.size());
  return absl::OkStatus();
}

void ChatSession::Restore(int64_t n_past, const std::vector<int32_t>& tokens, bool shifted) {
  if (!shifted) {
    ctx_.Truncate(n_past);
    if (ctx_.n_past() == n_past) {
      tokens_ = tokens;  // Exactly as before, the pending token included.
      return;
    }
  }
  // Positions from before the turn were dropped (a re-render cut the cache
  // back) or re-evaluated (a context shift): keep what the cache holds and
  // let the next turn re-render against it.
  tokens_.resize(std::min<size_t>(tokens_.size(), ctx_.n_past()));
  rerender_ = true;
}

absl::StatusOr<TurnResult> ChatSession::Turn(absl::string_view user,
                                             absl::FunctionRef<void(absl::string_view)> on_piece) {
  TurnResult r;
  const int64_t start_past = ctx_.n_past();
  const std::vector<int32_t> start_tokens = tokens_;
  shifted_in_turn_ = false;
  std::vector<ChatMessage> next = messages_;
  next.push_back({"user", std::string(user)});

  const std::vector<int32_t> delta = PlanPrompt(next, &r.rerendered);
  r.reused_tokens = ctx_.n_past();
  tokens_.insert(tokens_.end(), delta.begin(), delta.end());
  // Room for the prompt and the first reply token.
  const int64_t overflow = static_cast<int64_t>(tokens_.size()) + 1 - ctx_.n_ctx();
  if (overflow > 0) {
    absl::Status room = absl::OutOfRangeError(absl::StrCat(
        "context full: ", tokens_.size(), " tokens with this message, the context holds ",
        ctx_.n_ctx(), " (/reset to start over, or run with --context-shift or a larger -c)"));
    if (options_.context_shift) room = Shift(overflow, &r);
    if (!room.ok()) {
      Restore(start_past, start_tokens, shifted_in_turn_);
      return room;
    }
  }
  const std::vector<int32_t> prompt(tokens_.begin() + ctx_.n_past(), tokens_.end());
  r.prompt_tokens = static_cast<int64_t>(prompt.size());

  Generator generator(&ctx_, sampler_.get());
  generator.set_cancel_flag(cancel_);
  GenerationOptions options;
  options.n_predict = options_.max_reply_tokens;
  options.ignore_eos = options_.ignore_eos;
  options.on_context_full = [&]() -> absl::Status {
    if (!options_.context_shift) return absl::FailedPreconditionError("context full");
    return Shift(1, &r);
  };
  const Tokenizer& tokenizer = ctx_.model().tokenizer();
  std::string reply;
  absl::StatusOr<GenerationResult> result = generator.Generate(prompt, options, [&](int32_t token) {
    tokens_.push_back(token);  // Pending until the generator evaluates it.
    const std::string piece = tokenizer.TokenToPiece(token, /*render_special=*/false);
    reply += piece;
    on_piece(piece);
    return true;
  });
  if (!result.ok()) {
    Restore(start_past, start_tokens, shifted_in_turn_);
    return result.status();
  }
  r.stop = result->stop_reason;
  r.prompt_seconds = result->prompt_seconds;
  r.reply_tokens = static_cast<int64_t>(result->generated.size());
  r.decoded_tokens = result->n_decoded;
  r.decode_seconds = result->decode_seconds;
  if (r.stop == StopReason::kCancelled && result->generated.empty()) {
    // Interrupted before replying: as if the message had not been sent.
    Restore(start_past, start_tokens, shifted_in_turn_);
    r.discarded = true;
    return r;
  }
  r.reply = reply;
  prompt_text_ = FormatChat(options_.chat_template, next, true);
  reply_text_ = reply;
  messages_ = std::move(next);
  messages_.push_back({"assistant", reply});
  rerender_ = false;
  return r;
}

absl::Status ChatSession::Save(const std::string& path) {
  SessionSnapshot s;
  s.template_name = std::string(ChatTemplateName(options_.chat_template));
  s.messages = messages_;
  s.prompt_text = prompt_text_;
  s.reply_text = reply_text_;
  s.rerender = rerender_;
  s.sampler_state = sampler_->SaveState();
  s.tokens = tokens_;
  s.n_past = ctx_.n_past();
  return WriteSessionFile(path, s, ctx_);
}

absl::Status ChatSession::Load(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(SessionFileReader reader, SessionFileReader::Open(path, ctx_));
  const SessionSnapshot& s = reader.snapshot();
  absl::StatusOr<ChatTemplate> t = ChatTemplateFromName(s.template_name);
  if (!t.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": unknown chat template '", s.template_name, "'"));
  }
  if (absl::Status imported = reader.ImportKv(ctx_); !imported.ok()) {
    Reset();
    return absl::Status(imported.code(),
                        absl::StrCat(imported.message(), " (the conversation was reset)"));
  }
  options_.chat_template = *t;
  messages_ = s.messages;
  options_.system_prompt =
      !messages_.empty() && messages_.front().role == "system" ? messages_.front().content : "";
  prompt_text_ = s.prompt_text;
  reply_text_ = s.reply_text;
  rerender_ = s.rerender;
  tokens_ = s.tokens;
  sampler_->Reset();
  for (int32_t token : tokens_) sampler_->Accept(token);
  // The RNG resumes where it was saved, so seeded replies continue as they
  // would have; a chain changed by /set since (or a version 1 file) starts
  // afresh instead.
  if (!s.sampler_state.empty()) (void)sampler_->RestoreState(s.sampler_state);
  return absl::OkStatus();
}

}  // namespace strata::chat
