// A tokenizer vocabulary read from GGUF metadata (`tokenizer.ggml.*`).
//
// Holds every token's text, score, type and llama.cpp-style attribute bits,
// the text → id index, the special token ids and the flags that steer
// encoding (add BOS/EOS, space prefix, ...). Loading also reproduces
// llama.cpp's fix-ups so ids agree with it: built-in special ids per model,
// end-of-turn / fill-in-the-middle tokens detected by their text and forced
// to control type, the end-of-generation set, the order in which special
// tokens are matched in raw text, and Phi-3's right-strip attribute.
//
// Immutable after FromGguf(); safe to share between threads. Not copyable:
// the index points into the token strings.
#ifndef STRATA_RUNTIME_TOKENIZER_VOCAB_H_
#define STRATA_RUNTIME_TOKENIZER_VOCAB_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/tokenizer/pre_tokenizer.h"
#include "storage/gguf_file.h"

namespace strata {

// `tokenizer.ggml.token_type` values.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// Attribute bits, with llama.cpp's meaning (llama_token_attr). A token's bits
// start from its type and may gain kControl, kUserDefined, kRstrip, ...
namespace token_attr {
inline constexpr uint32_t kUndefined = 0;
inline constexpr uint32_t kUnknown = 1u << 0;
inline constexpr uint32_t kUnused = 1u << 1;
inline constexpr uint32_t kNormal = 1u << 2;
inline constexpr uint32_t kControl = 1u << 3;
inline constexpr uint32_t kUserDefined = 1u << 4;
inline constexpr uint32_t kByte = 1u << 5;
inline constexpr uint32_t kLstrip = 1u << 7;  // Swallow whitespace before it.
inline constexpr uint32_t kRstrip = 1u << 8;  // Swallow whitespace after it.
}  // namespace token_attr

enum class VocabKind {
  kSpm,  // tokenizer.ggml.model "llama": SentencePiece BPE over scores.
  kBpe,  // tokenizer.ggml.model "gpt2": byte-level BPE over merge ranks.
};

struct TokenData {
  std::string text;
  float score = 0.0f;
  TokenType type = TokenType::kNormal;
  uint32_t attrs = token_attr::kNormal;
};

// Special token ids; -1 when the vocabulary has none.
struct SpecialTokenIds {
  int32_t bos = -1;
  int32_t eos = -1;
  int32_t eot = -1;
  int32_t eom = -1;
  int32_t unk = -1;
  int32_t sep = -1;
  int32_t pad = -1;
  int32_t mask = -1;
  int32_t fim_pre = -1;
  int32_t fim_suf = -1;
  int32_t fim_mid = -1;
  int32_t fim_pad = -1;
  int32_t fim_rep = -1;
  int32_t fim_sep = -1;
};

class Vocab {
 public:
  // NotFound when the file has no tokenizer or no token list; Unimplemented
  // for tokenizer models and pre-tokenizers we do not support; DataLoss or
  // InvalidArgument for inconsistent metadata (wrong array types or lengths,
  // duplicate tokens, add_bos without a BOS id).
  static absl::StatusOr<std::unique_ptr<Vocab>> FromGguf(const GgufFile& gguf);

  Vocab(const Vocab&) = delete;
  Vocab& operator=(const Vocab&) = delete;

  VocabKind kind() const { return kind_; }
  const std::string& model_name() const { return model_name_; }
  // The BPE pre-tokenizer (name "default" and empty regexes for SPM).
  const PreTokenizerSpec& pre_spec() const { return pre_spec_; }

  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  bool InRange(int32_t id) const { return id >= 0 && id < size(); }
  // Precondition: InRange(id).
  const TokenData& token(int32_t id) const { return tokens_[id]; }
  // The id whose text is exactly `text`, or -1.
  int32_t Find(absl::string_view text) const {
    auto it = index_.find(text);
    return it == index_.end() ? -1 : it->second;
  }
  // The token that stands for raw byte `byte` (SPM: "<0xXX>", else the
  // one-byte string; BPE: the one-byte string), or -1.
  int32_t ByteToken(uint8_t byte) const { return byte_tokens_[byte]; }

  const SpecialTokenIds& special() const { return special_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  bool clean_spaces() const { return clean_spaces_; }
  bool ignore_merges() const { return ignore_merges_; }

  // Tokens matched in raw text before tokenization (control, user-defined
  // and unknown ones), longest text first.
  const std::vector<int32_t>& special_tokens() const { return special_tokens_; }
  // End-of-generation tokens, ascending.
  const std::vector<int32_t>& eog_ids() const { return eog_ids_; }
  bool IsEog(int32_t id) const { return eog_set_.contains(id); }

 private:
  Vocab() = default;

  absl::Status LoadTokens(const GgufFile& gguf);
  absl::Status LoadSpecialIds(const GgufFile& gguf);
  void DetectSpecialTokensByText();
  void BuildSpecialTokenOrder(const GgufFile& gguf);

  VocabKind kind_ = VocabKind::kSpm;
  std::string model_name_;
  PreTokenizerSpec pre_spec_;

  std::vector<TokenData> tokens_;
  absl::flat_hash_map<absl::string_view, int32_t> index_;  // Views into tokens_[i].text.
  std::array<int32_t, 256> byte_tokens_{};

  SpecialTokenIds special_;
  bool add_bos_ = false;
  bool add_eos_ = false;
  bool add_space_prefix_ = false;
  bool clean_spaces_ = false;
  bool ignore_merges_ = false;

  std::vector<int32_t> special_tokens_;
  std::vector<int32_t> eog_ids_;
  absl::flat_hash_set<int32_t> eog_set_;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_TOKENIZER_VOCAB_H_
