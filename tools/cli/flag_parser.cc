#include "tools/cli/flag_parser.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace strata::cli {
namespace {

absl::Status BadValue(absl::string_view flag, absl::string_view value, absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value '", value, "' for ", flag, ": expected ", want));
}

}  // namespace

absl::StatusOr<int64_t> ParseSize(absl::string_view text) {
  std::string s = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  if (!s.empty() && s.back() == 'B') s.pop_back();
  if (!s.empty() && s.back() == 'I') s.pop_back();  // "GiB" spelled out.
  double multiplier = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 'K':
        multiplier = 1024.0;
        break;
      case 'M':
        multiplier = 1024.0 * 1024;
        break;
      case 'G':
        multiplier = 1024.0 * 1024 * 1024;
        break;
      case 'T':
        multiplier = 1024.0 * 1024 * 1024 * 1024;
        break;
      default:
        break;
    }
    if (multiplier != 1) s.pop_back();
  }
  double value = 0;
  if (s.empty() || !absl::SimpleAtod(s, &value) || !std::isfinite(value) || value < 0 ||
      value * multiplier > 9.0e18) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a size"));
  }
  return static_cast<int64_t>(value * multiplier);
}

std::string FormatBytes(int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) return absl::StrFormat("%.2f GiB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return absl::StrFormat("%.2f MiB", b / (1024.0 * 1024));
  if (b >= 1024.0) return absl::StrFormat("%.2f KiB", b / 1024.0);
  return absl::StrCat(bytes, " B");
}

void FlagParser::String(std::vector<std::string> names, std::string value_name, std::string* out,
                        std::string help) {
  flags_.push_back({std::move(names), std::move(value_name), std::move(help),
                    [out](absl::string_view, absl::string_view v) {
                      *out = std::string(v);
                      return absl::OkStatus();
                    }});
}

void FlagParser::Int(std::vector<std::string> names, std::string value_name, int64_t* out,
                     std::string help) {
  flags_.push_back({std::move(names), std::move(value_name), std::move(help),
                    [out](absl::string_view flag, absl::string_view v) {
                      int64_t x;
                      if (!absl::SimpleAtoi(v, &x)) return BadValue(flag, v, "an integer");
                      *out = x;
                      return absl::OkStatus();
                    }});
}

void FlagParser::Float(std::vector<std::string> names, std::string value_name, float* out,
                       std::string help) {
  flags_.push_back({std::move(names), std::move(value_name), std::move(help),
                    [out](absl::string_view flag, absl::string_view v) {
                      float x;
                      if (!absl::SimpleAtof(v, &x) || !std::isfinite(x)) {
                        return BadValue(flag, v, "a number");
                      }
                      *out = x;
                      return absl::OkStatus();
                    }});
}

void FlagParser::Size(std::vector<std::string> names, std::string value_name, int64_t* out,
                      std::string help) {
  flags_.push_back({std::move(names), std::move(value_name), std::move(help),
                    [out](absl::string_view flag, absl::string_view v) {
                      auto x = ParseSize(v);
                      if (!x.ok()) return BadValue(flag, v, "a size such as 512M or 4G");
                      *out = *x;
                      return absl::OkStatus();
                    }});
}

void FlagParser::Bool(std::vector<std::string> names, bool* out, std::string help) {
  flags_.push_back(
      {std::move(names), "", std::move(help), [out](absl::string_view, absl::string_view) {
         *out = true;
         return absl::OkStatus();
       }});
}

FlagParser::Flag* FlagParser::Find(absl::string_view name) {
  for (Flag& f : flags_) {
    for (const std::string& n : f.names) {
      if (n == name) return &f;
    }
  }
  return nullptr;
}

bool FlagParser::WasSet(absl::string_view name) const {
  for (const Flag& f : flags_) {
    for (const std::string& n : f.names) {
      if (n == name) return f.was_set;
    }
  }
  return false;
}

absl::Status FlagParser::Parse(int argc, char** argv, int first,
                               std::vector<std::string>* positional) {
  for (int i = first; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      help_requested_ = true;
      continue;
    }
    const bool looks_like_flag =
        arg.size() > 1 && arg[0] == '-' &&
        !(arg.size() > 1 && (absl::ascii_isdigit(arg[1]) || arg[1] == '.'));
    if (!looks_like_flag) {
      if (positional == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected argument '", arg, "' (see strata ", command_, " --help)"));
      }
      positional->emplace_back(arg);
      continue;
    }
    absl::string_view name = arg;
    absl::string_view value;
    bool has_inline_value = false;
    if (const size_t eq = arg.find('='); eq != absl::string_view::npos && arg.rfind("--", 0) == 0) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_inline_value = true;
    }
    Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag '", name, "' (see strata ", command_, " --help)"));
    }
    if (flag->value_name.empty()) {
      if (has_inline_value) {
        return absl::InvalidArgumentError(absl::StrCat(name, " takes no value"));
      }
    } else if (!has_inline_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, " needs a value (", flag->value_name, ")"));
      }
      value = argv[++i];
    }
    absl::Status s = flag->set(name, value);
    if (!s.ok()) return s;
    flag->was_set = true;
  }
  return absl::OkStatus();
}

std::optional<int> FlagParser::ParseOrExit(int argc, char** argv, absl::string_view usage,
                                           std::vector<std::string>* positional) {
  if (absl::Status s = Parse(argc, argv, 2, positional); !s.ok()) {
    std::fprintf(stderr, "strata %s: error: %s\n", command_.c_str(),
                 std::string(s.message()).c_str());
    return 2;
  }
  if (help_requested_) {
    std::printf("usage: %s\n\n%s", std::string(usage).c_str(), Help().c_str());
    return 0;
  }
  return std::nullopt;
}

std::string FlagParser::Help() const {
  std::string out;
  for (const Flag& f : flags_) {
    std::string spelled = absl::StrJoin(f.names, ", ");
    if (!f.value_name.empty()) absl::StrAppend(&spelled, " ", f.value_name);
    absl::StrAppend(&out, absl::StrFormat("  %-32s %s\n", spelled, f.help));
  }
  return out;
}

}  // namespace strata::cli
