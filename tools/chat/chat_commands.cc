#include "tools/chat/chat_commands.h"

#include <cmath>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace strata::chat {
namespace {

// Splits "word rest" at the first run of whitespace.
std::pair<absl::string_view, absl::string_view> FirstWord(absl::string_view s) {
  s = absl::StripLeadingAsciiWhitespace(s);
  size_t end = 0;
  while (end < s.size() && !absl::ascii_isspace(static_cast<unsigned char>(s[end]))) ++end;
  return {s.substr(0, end), absl::StripAsciiWhitespace(s.substr(end))};
}

absl::Status BadValue(absl::string_view key, absl::string_view value, absl::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat("/set ", key, ": '", value, "' is not ", want));
}

}  // namespace

bool IsChatCommand(absl::string_view line) {
  return absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "/");
}

absl::StatusOr<ChatCommand> ParseChatCommand(absl::string_view line) {
  auto [name, rest] = FirstWord(absl::StripLeadingAsciiWhitespace(line));
  ChatCommand c;
  if (name == "/help" || name == "/?") {
    c.kind = CommandKind::kHelp;
  } else if (name == "/reset" || name == "/clear") {
    c.kind = CommandKind::kReset;
  } else if (name == "/stats") {
    c.kind = CommandKind::kStats;
  } else if (name == "/quit" || name == "/exit") {
    c.kind = CommandKind::kQuit;
  } else if (name == "/save" || name == "/load") {
    c.kind = name == "/save" ? CommandKind::kSave : CommandKind::kLoad;
    if (rest.empty()) return absl::InvalidArgumentError(absl::StrCat("usage: ", name, " FILE"));
    c.arg = std::string(rest);
  } else if (name == "/system") {
    c.kind = CommandKind::kSystem;
    c.arg = std::string(rest);  // Empty: remove the system prompt.
  } else if (name == "/set") {
    c.kind = CommandKind::kSet;
    auto [key, value] = FirstWord(rest);
    if (key.empty() || value.empty()) {
      return absl::InvalidArgumentError("usage: /set temp|top-k|top-p|min-p|seed VALUE");
    }
    c.key = std::string(key);
    c.value = std::string(value);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown command '", name, "' (/help lists them)"));
  }
  return c;
}

absl::Status ApplySetting(absl::string_view key, absl::string_view value,
                          sampling::SamplingParams* p) {
  float f = 0;
  int64_t i = 0;
  if (key == "temp") {
    if (!absl::SimpleAtof(value, &f) || !std::isfinite(f)) return BadValue(key, value, "a number");
    p->temp = f;
  } else if (key == "top-k") {
    if (!absl::SimpleAtoi(value, &i) || i < 0 || i > INT32_MAX) {
      return BadValue(key, value, "a count >= 0");
    }
    p->top_k = static_cast<int32_t>(i);
  } else if (key == "top-p" || key == "min-p") {
    if (!absl::SimpleAtof(value, &f) || !(f >= 0 && f <= 1)) {
      return BadValue(key, value, "a number in [0, 1]");
    }
    (key == "top-p" ? p->top_p : p->min_p) = f;
  } else if (key == "seed") {
    if (!absl::SimpleAtoi(value, &i) || i < -1 || i > UINT32_MAX) {
      return BadValue(key, value, "a seed in [-1, 2^32)");
    }
    p->seed = i == -1 ? sampling::kRandomSeed : static_cast<uint32_t>(i);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("/set: unknown setting '", key, "' (temp, top-k, top-p, min-p, seed)"));
  }
  return absl::OkStatus();
}

std::string DescribeSampling(const sampling::SamplingParams& p) {
  return absl::StrFormat("temp %g, top-k %d, top-p %g, min-p %g, seed %s", p.temp, p.top_k, p.top_p,
                         p.min_p,
                         p.seed == sampling::kRandomSeed ? "random" : absl::StrCat(p.seed));
}

std::string ChatHelp() {
  return "commands:\n"
         "  /help                 this list\n"
         "  /reset                start a new conversation (keeps the system prompt)\n"
         "  /stats                tier hit rates, KV blocks per tier, predictor recall\n"
         "  /save FILE            save the conversation and its KV cache\n"
         "  /load FILE            restore a conversation saved with /save\n"
         "  /set KEY VALUE        temp, top-k, top-p, min-p or seed\n"
         "  /system [TEXT]        set (or, without TEXT, remove) the system prompt\n"
         "  /quit                 leave (as do Ctrl-D and Ctrl-C at an empty prompt)\n"
         "a line ending in \\ continues on the next line; Ctrl-C stops a reply.\n";
}

}  // namespace strata::chat
