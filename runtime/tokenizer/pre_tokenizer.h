// Pre-tokenization for byte-level BPE: splitting text into words before merges.
//
// `tokenizer.ggml.pre` names the pre-tokenizer. Each name maps to a list of
// regular expressions (the ones llama.cpp uses, which follow the models'
// tokenizer.json) plus a few vocabulary flags that llama.cpp ties to the same
// name. The expressions are applied in sequence: each one splits every piece
// produced so far into its matches and the unmatched stretches between them,
// so no byte is ever dropped.
//
// A PreTokenizer owns its compiled PcreRegex objects; it is immutable after
// Create() and Split() is const and thread-safe.
#ifndef STRATA_RUNTIME_TOKENIZER_PRE_TOKENIZER_H_
#define STRATA_RUNTIME_TOKENIZER_PRE_TOKENIZER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/tokenizer/pcre_regex.h"

namespace strata {

// What a `tokenizer.ggml.pre` name implies.
struct PreTokenizerSpec {
  std::string name;                  // As given in the file ("default" when absent).
  std::vector<std::string> regexes;  // Applied in order.
  bool clean_spaces = true;          // Detokenizer removes " ," " ." " 's" ...
  bool ignore_merges = false;        // A word that is itself a token is emitted whole.
  bool add_bos = false;              // Default for tokenizer.ggml.add_bos_token.
};

// The spec for `pre_name`; an empty name means "default", as in llama.cpp.
// Unimplemented, listing the known names, when the name is not supported.
absl::StatusOr<PreTokenizerSpec> FindPreTokenizerSpec(absl::string_view pre_name);

// Every supported name, sorted.
std::vector<std::string> KnownPreTokenizerNames();

class PreTokenizer {
 public:
  static absl::StatusOr<std::unique_ptr<PreTokenizer>> Create(const PreTokenizerSpec& spec);

  // Splits `text`, which must be valid UTF-8, and returns the end offset of
  // each piece in order; pieces are non-empty and cover `text` exactly.
  std::vector<size_t> Split(absl::string_view text) const;

  // Convenience for tests: the pieces themselves.
  std::vector<std::string> SplitToStrings(absl::string_view text) const;

 private:
  explicit PreTokenizer(std::vector<PcreRegex> regexes) : regexes_(std::move(regexes)) {}

  std::vector<PcreRegex> regexes_;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_TOKENIZER_PRE_TOKENIZER_H_
