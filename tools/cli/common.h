// Helpers shared by the subcommands: error reporting, reading prompt files,
// the default demo model, and the flags every command that loads a model takes.
#ifndef STRATA_TOOLS_CLI_COMMON_H_
#define STRATA_TOOLS_CLI_COMMON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata::cli {

// Prints "strata <command>: error: <message>" and returns the exit code for
// the status (2 for InvalidArgument from flag parsing, else 1).
int ReportError(const char* command, const absl::Status& status);

// The bytes of `path`, exactly.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);
absl::Status WriteFileBytes(const std::string& path, absl::string_view bytes);

// Where cached models live: $STRATA_CACHE_DIR, else $XDG_CACHE_HOME/strata,
// else ~/.cache/strata.
std::string CacheDir();

// The path of the built-in demo model, writing it first (make-model preset
// "small", Q4_K) if the cache does not have it yet. Progress goes to stderr.
absl::StatusOr<std::string> EnsureDefaultModel();

}  // namespace strata::cli

#endif  // STRATA_TOOLS_CLI_COMMON_H_
