// A compiled PCRE2 regular expression in Unicode mode (RAII).
//
// Patterns are compiled with PCRE2_UTF | PCRE2_UCP, so \p{L}, \p{N}, \s and
// \w follow Unicode properties, and PCRE2_DOLLAR_ENDONLY, so `$` means the end
// of the subject as in ECMAScript (the dialect llama.cpp's std::regex uses).
// JIT compilation is used when available, with a fallback to the interpreter.
//
// PcreRegex owns the compiled code and frees it on destruction; it is movable,
// not copyable. After construction it is immutable, and ForEachMatch() may be
// called from many threads at once: each call allocates its own match data.
#ifndef STRATA_RUNTIME_TOKENIZER_PCRE_REGEX_H_
#define STRATA_RUNTIME_TOKENIZER_PCRE_REGEX_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct pcre2_real_code_8;

namespace strata {

class PcreRegex {
 public:
  // Compiles `pattern` (UTF-8). InvalidArgument with PCRE2's message and the
  // error offset when it does not compile.
  static absl::StatusOr<PcreRegex> Compile(absl::string_view pattern);

  PcreRegex(PcreRegex&&) = default;
  PcreRegex& operator=(PcreRegex&&) = default;

  // Calls `on_match(begin, end)` with the byte range of every successive
  // non-overlapping match in `subject`, leftmost first. `subject` must be
  // valid UTF-8 (it is not re-checked, for speed). An empty match advances
  // by one character. Returns false if matching stopped early because PCRE2
  // reported an error (resource limits); the matches reported so far stand.
  bool ForEachMatch(absl::string_view subject,
                    absl::FunctionRef<void(size_t begin, size_t end)> on_match) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct CodeDeleter {
    void operator()(pcre2_real_code_8* code) const;
  };

  PcreRegex(std::string pattern, pcre2_real_code_8* code, bool jit)
      : pattern_(std::move(pattern)), code_(code), jit_(jit) {}

  std::string pattern_;
  std::unique_ptr<pcre2_real_code_8, CodeDeleter> code_;
  bool jit_ = false;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_TOKENIZER_PCRE_REGEX_H_
