// Text <-> token ids for GGUF models, matching llama.cpp id for id.
//
// Built from a GGUF file's `tokenizer.ggml.*` metadata. Two vocabulary kinds
// are supported: "llama" (SentencePiece BPE over scores, with byte fallback)
// and "gpt2" (byte-level BPE over merge ranks, with the pre-tokenizer that
// `tokenizer.ggml.pre` names). Encoding first cuts the text at special
// tokens: user-defined ones always, control ones only when `parse_special`
// is set (longest token first, as llama.cpp does); the stretches in between
// go to the SPM or BPE encoder. Decoding reverses the byte mapping, renders
// control tokens only on request and, like llama.cpp, drops the space that
// SentencePiece's prefix added and applies the vocabulary's space clean-up.
//
// Invalid UTF-8 never fails: SPM passes the raw bytes to byte fallback, BPE
// reads each byte that starts no valid sequence as U+FFFD (both as llama.cpp).
// Ids outside the vocabulary decode to nothing.
//
// A Tokenizer owns everything it uses (it does not keep the GgufFile). It is
// immutable after FromGguf(); every method is const and thread-safe.
#ifndef STRATA_RUNTIME_TOKENIZER_TOKENIZER_H_
#define STRATA_RUNTIME_TOKENIZER_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "runtime/tokenizer/vocab.h"
#include "storage/gguf_file.h"

namespace strata {

class BpeTokenizer;

class Tokenizer {
 public:
  // NotFound when the file has no tokenizer; Unimplemented for unsupported
  // tokenizer models or pre-tokenizers (the message lists the known ones);
  // DataLoss / InvalidArgument for inconsistent tokenizer metadata.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromGguf(const GgufFile& gguf);

  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // `add_special`: add BOS/EOS as the vocabulary asks (add_bos()/add_eos()).
  // `parse_special`: also recognise control tokens written in the text.
  std::vector<int32_t> Encode(absl::string_view text, bool add_special, bool parse_special) const;

  // The bytes token `id` stands for; control and unknown tokens give their
  // text only with `render_special`, else "". Empty for out-of-range ids.
  std::string TokenToPiece(int32_t id, bool render_special) const;
  // The text of `ids`, as llama_detokenize with remove_special = false: the
  // pieces concatenated, minus one leading space of the first piece when the
  // vocabulary adds a space prefix (so a leading BOS, even unrendered, keeps
  // the space on the next piece), then the vocabulary's space clean-up.
  std::string Decode(absl::Span<const int32_t> ids, bool render_special) const;

  int32_t n_vocab() const { return vocab_->size(); }
  int32_t bos() const { return vocab_->special().bos; }  // -1 when absent.
  int32_t eos() const { return vocab_->special().eos; }
  int32_t eot() const { return vocab_->special().eot; }
  int32_t eom() const { return vocab_->special().eom; }
  int32_t unk() const { return vocab_->special().unk; }
  int32_t pad() const { return vocab_->special().pad; }
  bool add_bos() const { return vocab_->add_bos(); }
  bool add_eos() const { return vocab_->add_eos(); }
  bool add_space_prefix() const { return vocab_->add_space_prefix(); }
  bool IsEndOfGeneration(int32_t id) const { return vocab_->IsEog(id); }
  // Ascending.
  const std::vector<int32_t>& end_of_generation_ids() const { return vocab_->eog_ids(); }

  absl::string_view model_name() const { return vocab_->model_name(); }
  absl::string_view pre_name() const { return vocab_->pre_spec().name; }

  // The token's text as stored in the vocabulary ("" when out of range).
  absl::string_view TokenText(int32_t id) const;
  TokenType GetTokenType(int32_t id) const;  // kUndefined when out of range.
  // Control, unknown or user-defined (after llama.cpp's fix-ups).
  bool IsSpecial(int32_t id) const;
  // The text's id, or -1 (exact match on the vocabulary text).
  int32_t FindToken(absl::string_view text) const { return vocab_->Find(text); }

  // Multi-line description for `strata inspect`.
  std::string Summary() const;

  const Vocab& vocab() const { return *vocab_; }

 private:
  Tokenizer() = default;

  // A stretch of the input: raw text, or a special token found in it.
  struct Fragment {
    int32_t token;  // -1 for raw text.
    size_t begin;
    size_t size;
  };
  std::vector<Fragment> Partition(absl::string_view text, bool parse_special) const;
  std::string RenderPiece(int32_t id) const;

  std::unique_ptr<Vocab> vocab_;
  std::unique_ptr<BpeTokenizer> bpe_;  // Null for SPM.
  std::vector<std::string> pieces_;    // TokenToPiece(id, true) for every id.
};

}  // namespace strata

#endif  // STRATA_RUNTIME_TOKENIZER_TOKENIZER_H_
