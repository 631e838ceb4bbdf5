// GPT-2's reversible byte <-> printable-character mapping.
//
// Byte-level BPE vocabularies (GPT-2, Llama 3, Qwen, DeepSeek, ...) are built
// over 256 printable code points, one per byte: printable Latin-1 bytes map to
// themselves and the other 68 bytes to U+0100 onwards in byte order. Encoding
// replaces every byte of a pre-token with its character; decoding reverses it.
//
// The table is computed once, on first use, and is immutable; thread-safe.
#ifndef STRATA_RUNTIME_TOKENIZER_BYTE_UNICODE_H_
#define STRATA_RUNTIME_TOKENIZER_BYTE_UNICODE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace strata {

// The code point that represents `byte`.
uint32_t ByteToCodepoint(uint8_t byte);
// The UTF-8 encoding of ByteToCodepoint(byte) (one or two bytes).
absl::string_view ByteToUtf8(uint8_t byte);
// The byte that `cpt` represents, if any.
std::optional<uint8_t> CodepointToByte(uint32_t cpt);

// Appends the mapped characters of every byte of `bytes`.
void AppendByteEncoded(absl::string_view bytes, std::string* out);

}  // namespace strata

#endif  // STRATA_RUNTIME_TOKENIZER_BYTE_UNICODE_H_
