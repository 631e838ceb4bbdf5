// A small command-line parser for the `strata` subcommands.
//
// Flags take llama.cpp's spellings: short and long names (`-n`, `--n-predict`),
// values as the next argument or after `=` (`--temp=0.5`). Every parse error
// is one clear InvalidArgument naming the flag and the bad value. Sizes
// accept K/M/G suffixes (powers of 1024). Not thread-safe; used once per run.
#ifndef STRATA_TOOLS_CLI_FLAG_PARSER_H_
#define STRATA_TOOLS_CLI_FLAG_PARSER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata::cli {

class FlagParser {
 public:
  explicit FlagParser(std::string command) : command_(std::move(command)) {}

  // `names` holds every spelling, e.g. {"-n", "--n-predict"}; `value_name`
  // is shown in --help ("N", "FILE").
  void String(std::vector<std::string> names, std::string value_name, std::string* out,
              std::string help);
  void Int(std::vector<std::string> names, std::string value_name, int64_t* out, std::string help);
  void Float(std::vector<std::string> names, std::string value_name, float* out, std::string help);
  // Bytes with an optional K/M/G suffix.
  void Size(std::vector<std::string> names, std::string value_name, int64_t* out, std::string help);
  // A switch without a value.
  void Bool(std::vector<std::string> names, bool* out, std::string help);

  // Parses argv[first..argc). Positional arguments go to `positional`
  // (an error if nullptr). `--help`/`-h` sets help_requested().
  absl::Status Parse(int argc, char** argv, int first, std::vector<std::string>* positional);
  bool help_requested() const { return help_requested_; }

  // Parse() for a subcommand's main: on a parse error prints it and returns 2;
  // on --help prints `usage` and the flags and returns 0; otherwise nullopt
  // (go on).
  std::optional<int> ParseOrExit(int argc, char** argv, absl::string_view usage,
                                 std::vector<std::string>* positional = nullptr);
  std::string Help() const;

  // True when the flag was given on the command line (any spelling).
  bool WasSet(absl::string_view name) const;

 private:
  struct Flag {
    std::vector<std::string> names;
    std::string value_name;  // Empty for switches.
    std::string help;
    std::function<absl::Status(absl::string_view flag, absl::string_view value)> set;
    bool was_set = false;
  };
  Flag* Find(absl::string_view name);

  std::string command_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
};

// "4G", "512M", "1048576", "1.5G" → bytes.
absl::StatusOr<int64_t> ParseSize(absl::string_view text);
// Human-readable size: "1.23 GiB".
std::string FormatBytes(int64_t bytes);

}  // namespace strata::cli

#endif  // STRATA_TOOLS_CLI_FLAG_PARSER_H_
