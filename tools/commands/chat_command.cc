// `strata chat`: an interactive chat REPL on the paged, tiered KV cache.
//
// Reads lines with libedit (history in the cache folder), formats the
// conversation with the model's chat template, streams replies to stdout,
// and evaluates only each turn's new tokens (tools/chat/chat_session.h).
// Per-turn speeds go to stderr. Ctrl-C stops a reply (or, at an empty
// prompt, quits); Ctrl-D quits.
#include <signal.h>

#include <atomic>
#include <clocale>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "offload/process_memory.h"
#include "runtime/inference_context.h"
#include "tools/chat/chat_commands.h"
#include "tools/chat/chat_session.h"
#include "tools/chat/chat_template.h"
#include "tools/chat/line_editor.h"
#include "tools/cli/common.h"
#include "tools/cli/flag_parser.h"
#include "tools/cli/model_loader.h"
#include "tools/cli/sampling_flags.h"
#include "tools/cli/stats_report.h"

namespace strata::cli {
namespace {

std::atomic<bool> g_interrupted{false};

void OnSigint(int) { g_interrupted.store(true); }

struct ChatFlags {
  std::string model;
  int64_t n_predict = -1;
  int64_t threads = 0;
  int64_t ctx_size = 4096;
  int64_t batch_size = 512;
  SamplingFlags sampling;
  bool ignore_eos = false;
  std::string chat_template;
  std::string system;
  bool context_shift = false;
  int64_t keep = 4;
  TieringFlags tiering;
};

void Register(FlagParser& p, ChatFlags& f) {
  p.String({"-m", "--model"}, "FILE", &f.model, "GGUF model (default: the built-in demo model)");
  p.Int({"-n", "--n-predict"}, "N", &f.n_predict,
        "longest reply in tokens, -1 = until end of turn (default -1)");
  p.Int({"-t", "--threads"}, "N", &f.threads, "threads (default: all CPUs)");
  p.Int({"-c", "--ctx-size"}, "N", &f.ctx_size, "context size, 0 = the model's (default 4096)");
  p.Int({"-b", "--batch-size"}, "N", &f.batch_size, "prompt tokens per forward pass (default 512)");
  RegisterSamplingFlags(p, &f.sampling);
  p.Bool({"--ignore-eos"}, &f.ignore_eos, "keep generating past end-of-turn tokens");
  p.String({"--chat-template"}, "NAME", &f.chat_template,
           "conversation format (default: detected from the model): " +
               std::string(absl::StrJoin(chat::ChatTemplateNames(), ", ")));
  p.String({"--system"}, "TEXT", &f.system, "system prompt");
  p.Bool({"--context-shift"}, &f.context_shift,
         "when the context fills, keep the first --keep tokens and the recent half");
  p.Int({"--keep"}, "N", &f.keep,
        "tokens kept at the start on a context shift, -1 = the system prompt (default 4)");
  RegisterTieringFlags(p, &f.tiering);
}

// Installs OnSigint without SA_RESTART, so that Ctrl-C interrupts a blocked
// read as well as setting the flag; restores the old action when destroyed.
class SigintScope {
 public:
  SigintScope() {
    struct sigaction action;
    std::memset(&action, 0, sizeof(action));
    action.sa_handler = OnSigint;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_);
  }
  ~SigintScope() { ::sigaction(SIGINT, &old_, nullptr); }

 private:
  struct sigaction old_;
};

absl::StatusOr<chat::ChatTemplate> ChooseTemplate(const ChatFlags& flags, const Model& model) {
  if (!flags.chat_template.empty()) return chat::ChatTemplateFromName(flags.chat_template);
  absl::StatusOr<std::string> source = model.gguf().GetStringOr("tokenizer.chat_template", "");
  if (!source.ok()) return source.status();
  return chat::DetectChatTemplate(*source);
}

void PrintTurnLine(const chat::TurnResult& r, int turn) {
  std::string line = absl::StrFormat(
      "[turn %d: %d new prompt tokens (%d reused%s) at %.1f tokens/s | reply %d tokens at %.1f "
      "tokens/s",
      turn, r.prompt_tokens, r.reused_tokens, r.rerendered ? ", re-rendered" : "",
      r.prefill_tokens_per_second(), r.reply_tokens, r.decode_tokens_per_second());
  if (r.shifted_tokens > 0) {
    absl::StrAppendFormat(&line, " | context shifted: %d dropped, %d recomputed", r.shifted_tokens,
                          r.recomputed_tokens);
  }
  absl::StrAppend(&line, "]");
  switch (r.stop) {
    case StopReason::kContextFull:
      absl::StrAppend(&line,
                      "\n[context full: the reply was cut; /reset, or restart with "
                      "--context-shift or a larger -c]");
      break;
    case StopReason::kTokenLimit:
      absl::StrAppend(&line, "\n[reply cut at -n tokens]");
      break;
    case StopReason::kCancelled:
      absl::StrAppend(&line, " (interrupted)");
      break;
    default:
      break;
  }
  std::fprintf(stderr, "%s\n", line.c_str());
}

void PrintStats(chat::ChatSession& session, const LoadedModel& loaded) {
  InferenceContext& ctx = session.context();
  const Model& model = *loaded.model;
  const StatsSnapshot stats{loaded.plan,
                            model.store().stats(),
                            std::string(model.store().io_mode()),
                            offload::ReadProcessMemory(),
                            std::nullopt,
                            0,
                            ctx.kv_stats(),
                            loaded.prefetcher.get()};
  std::printf("context:   %lld of %lld tokens, %zu messages, template %s\n",
              static_cast<long long>(ctx.n_past()), static_cast<long long>(ctx.n_ctx()),
              session.messages().size(),
              std::string(chat::ChatTemplateName(session.chat_template())).c_str());
  std::printf("%s", FormatStats(stats).c_str());
  if (loaded.prefetcher == nullptr) {
    std::printf("predictor: off (--predictor gate|temporal|popularity|combined prefetches experts)\n");
  }
  std::printf("sampling:  %s\n", chat::DescribeSampling(session.sampling()).c_str());
}

// Runs one slash command; false when the REPL should end.
bool RunCommand(const chat::ChatCommand& c, chat::ChatSession& session, const LoadedModel& loaded) {
  switch (c.kind) {
    case chat::CommandKind::kHelp:
      std::printf("%s", chat::ChatHelp().c_str());
      break;
    case chat::CommandKind::kReset:
      session.Reset();
      std::printf("[conversation reset]\n");
      break;
    case chat::CommandKind::kStats:
      PrintStats(session, loaded);
      break;
    case chat::CommandKind::kQuit:
      return false;
    case chat::CommandKind::kSave:
      if (absl::Status s = session.Save(c.arg); !s.ok()) {
        ReportError("chat", s);
      } else {
        std::printf("[saved %zu messages, %lld cached tokens to %s]\n", session.messages().size(),
                    static_cast<long long>(session.n_past()), c.arg.c_str());
      }
      break;
    case chat::CommandKind::kLoad:
      if (absl::Status s = session.Load(c.arg); !s.ok()) {
        ReportError("chat", s);
      } else {
        std::printf("[loaded %zu messages, %lld cached tokens from %s]\n",
                    session.messages().size(), static_cast<long long>(session.n_past()),
                    c.arg.c_str());
      }
      break;
    case chat::CommandKind::kSet: {
      sampling::SamplingParams params = session.sampling();
      absl::Status s = chat::ApplySetting(c.key, c.value, &params);
      if (s.ok()) s = session.SetSampling(params);
      if (!s.ok()) {
        ReportError("chat", s);
      } else {
        std::printf("[%s]\n", chat::DescribeSampling(session.sampling()).c_str());
      }
      break;
    }
    case chat::CommandKind::kSystem:
      session.SetSystemPrompt(c.arg);
      std::printf(c.arg.empty() ? "[system prompt removed]\n"
                                : "[system prompt set; the next turn re-evaluates the "
                                  "conversation]\n");
      break;
  }
  std::fflush(stdout);
  return true;
}

int Chat(int argc, char** argv) {
  ChatFlags flags;
  FlagParser parser("chat");
  Register(parser, flags);
  if (auto exit_code = parser.ParseOrExit(argc, argv, "strata chat [-m MODEL] [flags]")) {
    return *exit_code;
  }
  if (flags.n_predict == 0 || flags.n_predict < -1) {
    ReportError("chat", absl::InvalidArgumentError(absl::StrCat(
                            "-n must be a positive token count or -1, got ", flags.n_predict)));
    return 2;
  }
  if (flags.threads < 0 || flags.threads > 1024 || flags.ctx_size < 0 || flags.batch_size <= 0 ||
      flags.keep < -1) {
    ReportError("chat", absl::InvalidArgumentError("-t, -c, -b or --keep is out of range"));
    return 2;
  }
  if (flags.model.empty()) {
    auto path = EnsureDefaultModel();
    if (!path.ok()) return ReportError("chat", path.status());
    flags.model = *path;
  }
  std::setlocale(LC_CTYPE, "");  // libedit decodes UTF-8 input by the locale.

  ContextOptions ctx_options;
  ctx_options.n_ctx = flags.ctx_size;
  ctx_options.n_batch = flags.batch_size;
  ctx_options.n_threads = static_cast<int>(flags.threads);
  if (absl::Status s = ApplyKvFlags(flags.tiering, &ctx_options); !s.ok()) {
    ReportError("chat", s);
    return 2;
  }
  auto loaded = LoadModel(flags.model, ctx_options, flags.tiering);
  if (!loaded.ok()) return ReportError("chat", loaded.status());
  auto chat_template = ChooseTemplate(flags, *loaded->model);
  if (!chat_template.ok()) return ReportError("chat", chat_template.status());
  auto context = InferenceContext::Create(*loaded->model, ctx_options);
  if (!context.ok()) return ReportError("chat", context.status());
  (*context)->set_hooks(loaded->prefetcher.get());
  chat::SessionOptions options;
  options.chat_template = *chat_template;
  options.system_prompt = flags.system;
  options.max_reply_tokens = flags.n_predict;
  options.ignore_eos = flags.ignore_eos;
  options.context_shift = flags.context_shift;
  options.keep = flags.keep;
  auto sampling = ToSamplingParams(flags.sampling, (*context)->n_ctx());
  if (!sampling.ok()) return ReportError("chat", sampling.status());
  options.sampling = *sampling;
  auto session = chat::ChatSession::Create(context->get(), options);
  if (!session.ok()) return ReportError("chat", session.status());
  chat::ChatSession& chat = **session;
  chat.set_cancel_flag(&g_interrupted);

  const std::string cache_dir = CacheDir();
  std::error_code ec;
  std::filesystem::create_directories(cache_dir, ec);
  auto editor = chat::LineEditor::Create(stdin, stdout, ec ? "" : cache_dir + "/chat_history");
  const HParams& hp = loaded->model->hparams();
  std::fprintf(stderr,
               "strata chat: %s (%s, %lld layers), template %s, context %lld tokens, KV %s\n"
               "/help lists the commands; Ctrl-C stops a reply; Ctrl-D quits.\n",
               flags.model.c_str(), hp.arch_name.c_str(), static_cast<long long>(hp.n_layer),
               std::string(chat::ChatTemplateName(*chat_template)).c_str(),
               static_cast<long long>((*context)->n_ctx()),
               (*context)->kv_stats().spill.empty()
                   ? "in RAM"
                   : absl::StrCat("spilling to ", (*context)->kv_stats().spill).c_str());

  SigintScope sigint;
  int turn = 0;
  for (;;) {
    g_interrupted.store(false);
    std::string input;
    std::string line;
    bool had_text = false;
    auto result = editor->ReadLine("> ", &line, &had_text);
    // A trailing backslash continues the message on the next line.
    while (result == chat::LineEditor::Result::kLine && absl::EndsWith(line, "\\")) {
      line.pop_back();
      absl::StrAppend(&input, line, "\n");
      result = editor->ReadLine("... ", &line, &had_text);
      had_text = had_text || !input.empty();
    }
    if (result == chat::LineEditor::Result::kEof) {
      std::printf("\n");
      break;
    }
    if (result == chat::LineEditor::Result::kInterrupted) {
      if (!had_text) {
        std::printf("\n");
        break;
      }
      std::printf("^C\n");
      continue;
    }
    absl::StrAppend(&input, line);
    if (absl::StripAsciiWhitespace(input).empty()) continue;
    editor->AddHistory(input);
    if (chat::IsChatCommand(input)) {
      absl::StatusOr<chat::ChatCommand> command = chat::ParseChatCommand(input);
      if (!command.ok()) {
        ReportError("chat", command.status());
        continue;
      }
      if (!RunCommand(*command, chat, *loaded)) break;
      continue;
    }
    absl::StatusOr<chat::TurnResult> reply = chat.Turn(input, [](absl::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
    });
    std::printf("\n");
    std::fflush(stdout);
    if (!reply.ok()) {
      ReportError("chat", absl::Status(reply.status().code(),
                                       absl::StrCat(reply.status().message(),
                                                    " (the message was not added; the "
                                                    "conversation is as before it)")));
      continue;
    }
    if (reply->discarded) {
      std::fprintf(stderr, "[interrupted before the reply; the message was dropped]\n");
      continue;
    }
    PrintTurnLine(*reply, ++turn);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

int ChatCommand(int argc, char** argv) { return Chat(argc, argv); }

}  // namespace strata::cli
