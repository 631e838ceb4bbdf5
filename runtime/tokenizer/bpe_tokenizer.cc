#include "runtime/tokenizer/bpe_tokenizer.h"

#include <algorithm>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/tokenizer/byte_unicode.h"
#include "runtime/tokenizer/symbol_merger.h"
#include "runtime/tokenizer/utf8.h"

namespace strata {
namespace {

constexpr absl::string_view kMergesKey = "tokenizer.ggml.merges";

// Re-encodes `text` the way llama.cpp's lenient decoder sees it. `canonical`
// is what gets tokenized; `subject` is the same with surrogate code points
// (which PCRE2 rejects) replaced by U+FFFD, which has the same length, so
// byte offsets agree between the two.
void Canonicalize(absl::string_view text, std::string* canonical, std::string* subject) {
  canonical->clear();
  canonical->reserve(text.size());
  bool has_surrogate = false;
  for (size_t offset = 0; offset < text.size();) {
    const uint32_t cpt = DecodeUtf8Lenient(text, &offset);
    has_surrogate |= (cpt >= 0xD800 && cpt <= 0xDFFF);
    AppendUtf8(cpt, canonical);
  }
  subject->clear();
  if (!has_surrogate) return;
  subject->reserve(canonical->size());
  for (size_t offset = 0; offset < canonical->size();) {
    const size_t begin = offset;
    const uint32_t cpt = DecodeUtf8Lenient(*canonical, &offset);
    if (cpt >= 0xD800 && cpt <= 0xDFFF) {
      AppendUtf8(kReplacementCharacter, subject);
    } else {
      subject->append(*canonical, begin, offset - begin);
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<BpeTokenizer>> BpeTokenizer::Create(const Vocab& vocab,
                                                                   const GgufFile& gguf) {
  if (gguf.Find(kMergesKey) == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        gguf.path(), ": byte-level BPE vocabulary without merges (", kMergesKey, " is missing)"));
  }
  STRATA_ASSIGN_OR_RETURN(const GgufArray* merges, gguf.GetArray(kMergesKey));
  if (merges->element_type != GgufType::kString) {
    return absl::InvalidArgumentError(
        absl::StrCat(gguf.path(), ": ", kMergesKey, " must be an array of strings"));
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<PreTokenizer> pre,
                          PreTokenizer::Create(vocab.pre_spec()));
  std::unique_ptr<BpeTokenizer> bpe(new BpeTokenizer(vocab, std::move(pre)));

  // A merge is "left right", split at the first space after the first byte.
  // Halves are stored first and indexed afterwards, once merge_text_ no
  // longer reallocates.
  struct Halves {
    size_t begin;
    size_t left_size;
    size_t right_size;
  };
  std::vector<Halves> halves;
  halves.reserve(merges->elements.size());
  size_t total = 0;
  for (const GgufValue& value : merges->elements) {
    STRATA_ASSIGN_OR_RETURN(absl::string_view merge, value.AsString());
    total += merge.size();
  }
  bpe->merge_text_.reserve(total);
  for (const GgufValue& value : merges->elements) {
    const absl::string_view merge = *value.AsString();
    const size_t space = merge.size() > 1 ? merge.find(' ', 1) : absl::string_view::npos;
    if (space == absl::string_view::npos) {
      halves.push_back({0, 0, 0});  // Never matches; keeps ranks aligned with positions.
      continue;
    }
    halves.push_back({bpe->merge_text_.size(), space, merge.size() - space - 1});
    absl::StrAppend(&bpe->merge_text_, merge.substr(0, space));
    absl::StrAppend(&bpe->merge_text_, merge.substr(space + 1));
  }
  const absl::string_view text = bpe->merge_text_;
  bpe->ranks_.reserve(halves.size());
  for (size_t rank = 0; rank < halves.size(); ++rank) {
    const Halves& h = halves[rank];
    if (h.left_size == 0 || h.right_size == 0) continue;
    // The first occurrence of a pair keeps its rank, as in llama.cpp.
    bpe->ranks_.try_emplace(std::make_pair(text.substr(h.begin, h.left_size),
                                           text.substr(h.begin + h.left_size, h.right_size)),
                            static_cast<int32_t>(rank));
  }
  return bpe;
}

int32_t BpeTokenizer::MergeRank(absl::string_view left, absl::string_view right) const {
  auto it = ranks_.find(std::make_pair(left, right));
  return it == ranks_.end() ? -1 : it->second;
}

void BpeTokenizer::Encode(absl::string_view text, std::vector<int32_t>* out) const {
  std::string canonical;
  std::string subject;
  Canonicalize(text, &canonical, &subject);
  const absl::string_view split_on = subject.empty() ? canonical : subject;
  std::string word;
  size_t begin = 0;
  for (size_t end : pre_->Split(split_on)) {
    word.clear();
    AppendByteEncoded(absl::string_view(canonical).substr(begin, end - begin), &word);
    EncodeWord(word, out);
    begin = end;
  }
}

void BpeTokenizer::EncodeWord(absl::string_view word, std::vector<int32_t>* out) const {
  if (vocab_.ignore_merges()) {
    const int32_t id = vocab_.Find(word);
    if (id >= 0) {
      out->push_back(id);
      return;
    }
  }
  std::vector<MergeSymbol> symbols = SplitIntoCharacters(word);
  if (symbols.empty()) return;
  // The lowest-ranked merge rule first.
  MergeSymbols(symbols, [&](const MergeSymbol& l, const MergeSymbol& r) -> std::optional<double> {
    const int32_t rank = MergeRank(word.substr(l.begin, l.size), word.substr(r.begin, r.size));
    if (rank < 0) return std::nullopt;
    return -static_cast<double>(rank);
  });

  for (int i = 0; i != -1; i = symbols[i].next) {
    const absl::string_view piece = word.substr(symbols[i].begin, symbols[i].size);
    const int32_t id = vocab_.Find(piece);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    // No token for the merged text: llama.cpp looks up each raw byte of it
    // as a one-byte token and drops the bytes that have none.
    for (char byte : piece) {
      const int32_t byte_id = vocab_.ByteToken(static_cast<uint8_t>(byte));
      if (byte_id >= 0) out->push_back(byte_id);
    }
  }
}

}  // namespace strata
