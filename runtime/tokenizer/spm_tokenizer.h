// SentencePiece-style BPE encoding (tokenizer.ggml.model = "llama").
//
// The text (spaces already escaped as U+2581 by the caller) is split into
// UTF-8 characters, then adjacent symbols are merged greedily: always the
// pair whose concatenation is the vocabulary token with the highest score,
// leftmost on ties, until no adjacent pair forms a token. Symbols that are
// not tokens fall back to one byte token ("<0xXX>") per byte. This is
// llama.cpp's llm_tokenizer_spm, bit for bit.
//
// Stateless apart from the borrowed Vocab; SpmEncode is thread-safe.
#ifndef STRATA_RUNTIME_TOKENIZER_SPM_TOKENIZER_H_
#define STRATA_RUNTIME_TOKENIZER_SPM_TOKENIZER_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "runtime/tokenizer/vocab.h"

namespace strata {

// Appends the ids of `text` to `out`. Bytes without a byte token are mapped
// to the unknown token if there is one, else dropped (llama.cpp throws).
void SpmEncode(const Vocab& vocab, absl::string_view text, std::vector<int32_t>* out);

}  // namespace strata

#endif  // STRATA_RUNTIME_TOKENIZER_SPM_TOKENIZER_H_
