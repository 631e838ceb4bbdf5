// Byte-level BPE encoding (tokenizer.ggml.model = "gpt2").
//
// Text is split into words by the PreTokenizer, each word's bytes are mapped
// to GPT-2's printable characters, and within each word adjacent symbols are
// merged by `tokenizer.ggml.merges` rank (lowest rank first, leftmost on
// ties) until no adjacent pair has a rank. This follows llama.cpp's
// llm_tokenizer_bpe, including `ignore_merges` (Llama 3: a word that is
// itself a token is emitted whole) and its handling of malformed UTF-8
// (each byte that starts no valid sequence becomes U+FFFD).
//
// Owns its PreTokenizer and the merge table; borrows the Vocab, which must
// outlive it. Immutable after Create(); Encode() is const and thread-safe.
#ifndef STRATA_RUNTIME_TOKENIZER_BPE_TOKENIZER_H_
#define STRATA_RUNTIME_TOKENIZER_BPE_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/tokenizer/pre_tokenizer.h"
#include "runtime/tokenizer/vocab.h"
#include "storage/gguf_file.h"

namespace strata {

class BpeTokenizer {
 public:
  // Reads `tokenizer.ggml.merges` (NotFound when absent) and compiles the
  // vocabulary's pre-tokenizer.
  static absl::StatusOr<std::unique_ptr<BpeTokenizer>> Create(const Vocab& vocab,
                                                              const GgufFile& gguf);

  // Appends the ids of `text` (any bytes) to `out`.
  void Encode(absl::string_view text, std::vector<int32_t>* out) const;

  size_t merge_count() const { return ranks_.size(); }
  // Rank of merging `left` and `right` (byte-encoded texts), or -1.
  int32_t MergeRank(absl::string_view left, absl::string_view right) const;

 private:
  BpeTokenizer(const Vocab& vocab, std::unique_ptr<PreTokenizer> pre)
      : vocab_(vocab), pre_(std::move(pre)) {}

  void EncodeWord(absl::string_view word, std::vector<int32_t>* out) const;

  const Vocab& vocab_;
  std::unique_ptr<PreTokenizer> pre_;
  std::string merge_text_;  // Every merge's two halves, back to back.
  // Keys view merge_text_.
  absl::flat_hash_map<std::pair<absl::string_view, absl::string_view>, int32_t> ranks_;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_TOKENIZER_BPE_TOKENIZER_H_
