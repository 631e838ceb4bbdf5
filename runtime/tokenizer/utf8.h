// UTF-8 helpers with llama.cpp's exact leniency.
//
// Tokenizers must treat malformed input the way the reference does, or token
// ids diverge on it. These functions reproduce llama.cpp's decoder: a
// sequence's length comes from its lead byte alone, continuation bytes are
// checked but overlong forms and surrogates are accepted, and a byte that
// starts no valid sequence decodes to U+FFFD and consumes one byte.
//
// Stateless free functions; thread-safe.
#ifndef STRATA_RUNTIME_TOKENIZER_UTF8_H_
#define STRATA_RUNTIME_TOKENIZER_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace strata {

inline constexpr uint32_t kReplacementCharacter = 0xFFFD;

// Bytes of the UTF-8 sequence that `lead` starts (1 for continuation bytes
// and invalid leads), as llama.cpp's unicode_len_utf8.
inline size_t Utf8SequenceLength(char lead) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[static_cast<uint8_t>(lead) >> 4];
}

// Decodes one code point at `*offset` and advances it; on a malformed
// sequence returns U+FFFD and advances by one byte. Precondition:
// *offset < text.size().
uint32_t DecodeUtf8Lenient(absl::string_view text, size_t* offset);

// Decodes all of `text` with DecodeUtf8Lenient.
std::vector<uint32_t> DecodeUtf8(absl::string_view text);

// Appends the UTF-8 encoding of `cpt`; values above U+10FFFF become U+FFFD.
// Surrogates are encoded as three bytes, like llama.cpp does.
void AppendUtf8(uint32_t cpt, std::string* out);

}  // namespace strata

#endif  // STRATA_RUNTIME_TOKENIZER_UTF8_H_
