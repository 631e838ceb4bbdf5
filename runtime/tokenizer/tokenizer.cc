#include "runtime/tokenizer/tokenizer.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "core/status_macros.h"
#include "runtime/tokenizer/bpe_tokenizer.h"
#include "runtime/tokenizer/byte_unicode.h"
#include "runtime/tokenizer/spm_tokenizer.h"
#include "runtime/tokenizer/utf8.h"

namespace strata {
namespace {

constexpr absl::string_view kSpaceMarker = "\xe2\x96\x81";  // U+2581, SentencePiece's space.
constexpr uint32_t kRenderOnRequest = token_attr::kUnknown | token_attr::kControl;
constexpr uint32_t kRenderAsText = kRenderOnRequest | token_attr::kUserDefined;

// C-locale isspace, which llama.cpp uses for lstrip/rstrip.
bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte of a byte token "<0xXX>" (llama.cpp: strtol of characters 3..4).
char ByteOfByteToken(absl::string_view text) {
  int value = 0;
  for (size_t i = 3; i < 5 && i < text.size() && HexValue(text[i]) >= 0; ++i) {
    value = value * 16 + HexValue(text[i]);
  }
  return static_cast<char>(value);
}

// Undoes GPT-2's byte mapping; characters outside the mapping are kept
// visible the way llama.cpp's llama_decode_text marks them.
std::string DecodeByteLevel(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t offset = 0; offset < text.size();) {
    const uint32_t cpt = DecodeUtf8Lenient(text, &offset);
    if (std::optional<uint8_t> byte = CodepointToByte(cpt)) {
      out.push_back(static_cast<char>(*byte));
      continue;
    }
    std::string utf8;
    AppendUtf8(cpt, &utf8);
    absl::StrAppend(&out, "[UNK_BYTE_0x", absl::BytesToHexString(utf8), text, "]");
  }
  return out;
}

// llama.cpp's detokenizer clean-up for vocabularies with clean_spaces: drops
// the space before ? ! . , and before 's 'm 're 've, and the spaces around a
// lone apostrophe. Three passes, each seeing the previous one's output.
std::string CleanSpaces(std::string text) {
  if (text.size() < 2) return text;
  // Pass 1: " ?", " !", " .", " ,".
  std::string a(1, text[0]);
  for (size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (text[i - 1] == ' ' && (c == '?' || c == '!' || c == '.' || c == ',')) a.pop_back();
    a.push_back(c);
  }
  // Pass 2: " ' " → "'". A removed following space no longer counts as a
  // space for the next character (llama.cpp overwrites it with NUL).
  std::string b(1, a[0]);
  bool prev_removed = false;
  for (size_t i = 1; i < a.size(); ++i) {
    const char c = a[i];
    const bool prev_is_space = !prev_removed && a[i - 1] == ' ';
    prev_removed = false;
    if (c == '\'' && i + 1 < a.size() && prev_is_space && a[i + 1] == ' ') {
      b.pop_back();
      b.push_back(c);
      ++i;  // Skip the space after it.
      prev_removed = true;
      continue;
    }
    b.push_back(c);
  }
  // Pass 3: " 's", " 'm", " 're", " 've" lose their space (" 't", " 'd",
  // " 'll" keep it).
  std::string out(1, b[0]);
  for (size_t i = 1; i < b.size(); ++i) {
    const char c = b[i];
    if (b[i - 1] == ' ' && c == '\'' && i + 1 < b.size()) {
      const char c1 = b[i + 1];
      if (c1 == 's' || c1 == 'm') {
        out.pop_back();
      } else if (c1 != 't' && c1 != 'd' && i + 2 < b.size()) {
        const char c2 = b[i + 2];
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e')) out.pop_back();
      }
    }
    out.push_back(c);
  }
  return out;
}

std::string Quoted(const Vocab& vocab, int32_t id) {
  if (!vocab.InRange(id)) return "none";
  return absl::StrCat(id, " '", absl::CHexEscape(vocab.token(id).text), "'");
}

}  // namespace

Tokenizer::~Tokenizer() = default;

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const GgufFile& gguf) {
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer());
  STRATA_ASSIGN_OR_RETURN(tokenizer->vocab_, Vocab::FromGguf(gguf));
  if (tokenizer->vocab_->kind() == VocabKind::kBpe) {
    STRATA_ASSIGN_OR_RETURN(tokenizer->bpe_, BpeTokenizer::Create(*tokenizer->vocab_, gguf));
  }
  tokenizer->pieces_.resize(tokenizer->vocab_->size());
  for (int32_t id = 0; id < tokenizer->vocab_->size(); ++id) {
    tokenizer->pieces_[id] = tokenizer->RenderPiece(id);
  }
  return tokenizer;
}

std::string Tokenizer::RenderPiece(int32_t id) const {
  const TokenData& token = vocab_->token(id);
  if (token.attrs & kRenderAsText) return token.text;
  if (token.attrs & token_attr::kNormal) {
    if (vocab_->kind() == VocabKind::kSpm) {
      return absl::StrReplaceAll(token.text, {{kSpaceMarker, " "}});
    }
    return DecodeByteLevel(token.text);
  }
  if (token.attrs & token_attr::kByte) return std::string(1, ByteOfByteToken(token.text));
  return "";  // Unused and undefined tokens render as nothing.
}

std::vector<Tokenizer::Fragment> Tokenizer::Partition(absl::string_view text,
                                                      bool parse_special) const {
  std::vector<Fragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({-1, 0, text.size()});
  std::vector<Fragment> next;
  // One special token at a time, longest first, each cutting every raw
  // fragment at all of its occurrences: llama.cpp's tokenizer_st_partition.
  for (int32_t id : vocab_->special_tokens()) {
    const TokenData& token = vocab_->token(id);
    if (!parse_special && (token.attrs & kRenderOnRequest)) continue;
    const absl::string_view needle = token.text;
    if (text.find(needle) == absl::string_view::npos) continue;
    next.clear();
    for (const Fragment& fragment : fragments) {
      if (fragment.token >= 0) {
        next.push_back(fragment);
        continue;
      }
      size_t begin = fragment.begin;
      size_t size = fragment.size;
      while (size > 0) {
        const size_t found = text.substr(begin, size).find(needle);
        if (found == absl::string_view::npos) {
          next.push_back({-1, begin, size});
          break;
        }
        size_t left = found;
        if (token.attrs & token_attr::kLstrip) {
          while (left > 0 && IsAsciiSpace(text[begin + left - 1])) --left;
        }
        if (left > 0) next.push_back({-1, begin, left});
        next.push_back({id, begin + found, needle.size()});
        const size_t end = begin + size;
        begin += found + needle.size();
        if (token.attrs & token_attr::kRstrip) {
          while (begin < end && IsAsciiSpace(text[begin])) ++begin;
        }
        size = end - begin;
      }
    }
    fragments.swap(next);
  }
  return fragments;
}

std::vector<int32_t> Tokenizer::Encode(absl::string_view text, bool add_special,
                                       bool parse_special) const {
  std::vector<int32_t> ids;
  const Vocab& vocab = *vocab_;
  if (add_special && vocab.add_bos()) ids.push_back(vocab.special().bos);
  const std::vector<Fragment> fragments = Partition(text, parse_special);
  if (vocab.kind() == VocabKind::kSpm) {
    // SentencePiece prefixes a space at the start and after every special
    // token, then encodes spaces as U+2581.
    bool after_special = true;
    std::string escaped;
    for (const Fragment& fragment : fragments) {
      if (fragment.token >= 0) {
        ids.push_back(fragment.token);
        after_special = true;
        continue;
      }
      escaped.clear();
      if (vocab.add_space_prefix() && after_special) absl::StrAppend(&escaped, kSpaceMarker);
      for (char c : text.substr(fragment.begin, fragment.size)) {
        if (c == ' ') {
          absl::StrAppend(&escaped, kSpaceMarker);
        } else {
          escaped.push_back(c);
        }
      }
      SpmEncode(vocab, escaped, &ids);
      after_special = false;
    }
  } else {
    for (const Fragment& fragment : fragments) {
      if (fragment.token >= 0) {
        ids.push_back(fragment.token);
      } else {
        bpe_->Encode(text.substr(fragment.begin, fragment.size), &ids);
      }
    }
  }
  if (add_special && vocab.add_eos()) ids.push_back(vocab.special().eos);
  return ids;
}

std::string Tokenizer::TokenToPiece(int32_t id, bool render_special) const {
  if (!vocab_->InRange(id)) return "";
  if (!render_special && (vocab_->token(id).attrs & kRenderOnRequest)) return "";
  return pieces_[id];
}

std::string Tokenizer::Decode(absl::Span<const int32_t> ids, bool render_special) const {
  std::string text;
  // SentencePiece's prefix space comes back as the first piece's leading
  // space; llama.cpp drops (only) that one.
  bool strip_space = vocab_->add_space_prefix();
  for (int32_t id : ids) {
    absl::string_view piece;
    if (vocab_->InRange(id) && (render_special || !(vocab_->token(id).attrs & kRenderOnRequest))) {
      piece = pieces_[id];
    }
    if (strip_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    strip_space = false;
    text.append(piece.data(), piece.size());
  }
  if (vocab_->clean_spaces()) return CleanSpaces(std::move(text));
  return text;
}

absl::string_view Tokenizer::TokenText(int32_t id) const {
  return vocab_->InRange(id) ? absl::string_view(vocab_->token(id).text) : absl::string_view();
}

TokenType Tokenizer::GetTokenType(int32_t id) const {
  return vocab_->InRange(id) ? vocab_->token(id).type : TokenType::kUndefined;
}

bool Tokenizer::IsSpecial(int32_t id) const {
  return vocab_->InRange(id) && (vocab_->token(id).attrs & kRenderAsText) != 0;
}

std::string Tokenizer::Summary() const {
  const Vocab& vocab = *vocab_;
  int control = 0;
  int user_defined = 0;
  int unknown = 0;
  int bytes = 0;
  for (int32_t id = 0; id < vocab.size(); ++id) {
    const uint32_t attrs = vocab.token(id).attrs;
    control += (attrs & token_attr::kControl) != 0;
    user_defined += (attrs & token_attr::kUserDefined) != 0;
    unknown += (attrs & token_attr::kUnknown) != 0;
    bytes += (attrs & token_attr::kByte) != 0;
  }
  std::string out;
  if (vocab.kind() == VocabKind::kSpm) {
    absl::StrAppend(&out, "tokenizer: ", vocab.model_name(), " (SentencePiece BPE)\n");
  } else {
    absl::StrAppend(&out, "tokenizer: ", vocab.model_name(), " (byte-level BPE), pre-tokenizer '",
                    vocab.pre_spec().name, "'\n");
  }
  absl::StrAppend(&out, "vocabulary: ", vocab.size(), " tokens");
  if (bpe_ != nullptr) absl::StrAppend(&out, ", ", bpe_->merge_count(), " merges");
  absl::StrAppend(&out, "; ", control, " control, ", user_defined, " user-defined, ", unknown,
                  " unknown, ", bytes, " byte tokens\n");
  const SpecialTokenIds& s = vocab.special();
  absl::StrAppend(&out, "bos: ", Quoted(vocab, s.bos), ", eos: ", Quoted(vocab, s.eos),
                  ", eot: ", Quoted(vocab, s.eot), ", eom: ", Quoted(vocab, s.eom), "\n");
  absl::StrAppend(&out, "unk: ", Quoted(vocab, s.unk), ", pad: ", Quoted(vocab, s.pad), "\n");
  absl::StrAppend(&out, "add_bos: ", vocab.add_bos() ? "true" : "false",
                  ", add_eos: ", vocab.add_eos() ? "true" : "false",
                  ", add_space_prefix: ", vocab.add_space_prefix() ? "true" : "false", "\n");
  std::vector<std::string> eog;
  for (int32_t id : vocab.eog_ids()) eog.push_back(Quoted(vocab, id));
  absl::StrAppend(&out, "end of generation: ", eog.empty() ? "none" : absl::StrJoin(eog, ", "),
                  "\n");
  return out;
}

}  // namespace strata
