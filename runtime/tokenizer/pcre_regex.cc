#include "runtime/tokenizer/pcre_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/tokenizer/utf8.h"

namespace strata {
namespace {

struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

std::string ErrorMessage(int code) {
  PCRE2_UCHAR buffer[256];
  const int n = pcre2_get_error_message(code, buffer, sizeof(buffer));
  if (n < 0) return absl::StrCat("PCRE2 error ", code);
  return std::string(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
}

}  // namespace

void PcreRegex::CodeDeleter::operator()(pcre2_real_code_8* code) const { pcre2_code_free(code); }

absl::StatusOr<PcreRegex> PcreRegex::Compile(absl::string_view pattern) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &error_code,
                                   &error_offset, /*ccontext=*/nullptr);
  if (code == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("regex does not compile at offset ",
                                                   error_offset, ": ", ErrorMessage(error_code),
                                                   " (pattern: ", pattern, ")"));
  }
  // JIT is an optimisation only: without it (unsupported CPU, SELinux
  // execmem policies) the interpreter gives the same matches.
  const bool jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return PcreRegex(std::string(pattern), code, jit);
}

bool PcreRegex::ForEachMatch(absl::string_view subject,
                             absl::FunctionRef<void(size_t, size_t)> on_match) const {
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(
      pcre2_match_data_create_from_pattern(code_.get(), /*gcontext=*/nullptr));
  if (data == nullptr) return false;
  const auto* bytes = reinterpret_cast<PCRE2_SPTR>(subject.data());
  size_t start = 0;
  while (start < subject.size()) {
    // The caller guarantees valid UTF-8; without NO_UTF_CHECK PCRE2 would
    // re-validate the whole subject on every call, making this quadratic.
    int rc = pcre2_match(code_.get(), bytes, subject.size(), start, PCRE2_NO_UTF_CHECK, data.get(),
                         /*mcontext=*/nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && jit_) {
      rc = pcre2_match(code_.get(), bytes, subject.size(), start, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT,
                       data.get(), /*mcontext=*/nullptr);
    }
    if (rc == PCRE2_ERROR_NOMATCH) return true;
    if (rc < 0) return false;
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data.get());
    const size_t begin = ovector[0];
    const size_t end = ovector[1];
    if (end <= begin) {
      // Empty match: report nothing and step over one character.
      start = begin + Utf8SequenceLength(subject[begin < subject.size() ? begin : 0]);
      continue;
    }
    on_match(begin, end);
    start = end;
  }
  return true;
}

}  // namespace strata
