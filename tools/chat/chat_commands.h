// The REPL's slash commands: parsing "/name [args]" lines, applying
// "/set KEY VALUE" to the sampling settings, and the /help text.
//
// Pure functions, thread-safe.
#ifndef STRATA_TOOLS_CHAT_CHAT_COMMANDS_H_
#define STRATA_TOOLS_CHAT_CHAT_COMMANDS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/sampling/sampling_params.h"

namespace strata::chat {

enum class CommandKind { kHelp, kReset, kStats, kSave, kLoad, kSet, kSystem, kQuit };

struct ChatCommand {
  CommandKind kind = CommandKind::kHelp;
  std::string arg;    // /save, /load: the file; /system: the text.
  std::string key;    // /set: the setting.
  std::string value;  // /set: its value.
};

// True for lines that are commands (they start with '/').
bool IsChatCommand(absl::string_view line);
// InvalidArgument for unknown commands or missing arguments, with a hint.
absl::StatusOr<ChatCommand> ParseChatCommand(absl::string_view line);
// /set temp|top-k|top-p|min-p|seed VALUE; InvalidArgument for bad keys or
// values (the chain is validated again when rebuilt).
absl::Status ApplySetting(absl::string_view key, absl::string_view value,
                          sampling::SamplingParams* params);
// One line describing the current settings.
std::string DescribeSampling(const sampling::SamplingParams& params);
std::string ChatHelp();

}  // namespace strata::chat

#endif  // STRATA_TOOLS_CHAT_CHAT_COMMANDS_H_
