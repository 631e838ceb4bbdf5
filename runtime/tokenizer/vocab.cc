#include "runtime/tokenizer/vocab.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"

namespace strata {
namespace {

constexpr absl::string_view kModelKey = "tokenizer.ggml.model";
constexpr absl::string_view kPreKey = "tokenizer.ggml.pre";
constexpr absl::string_view kTokensKey = "tokenizer.ggml.tokens";
constexpr absl::string_view kScoresKey = "tokenizer.ggml.scores";
constexpr absl::string_view kTypesKey = "tokenizer.ggml.token_type";

uint32_t AttrsForType(TokenType type) {
  switch (type) {
    case TokenType::kNormal:
      return token_attr::kNormal;
    case TokenType::kUnknown:
      return token_attr::kUnknown;
    case TokenType::kControl:
      return token_attr::kControl;
    case TokenType::kUserDefined:
      return token_attr::kUserDefined;
    case TokenType::kUnused:
      return token_attr::kUnused;
    case TokenType::kByte:
      return token_attr::kByte;
    case TokenType::kUndefined:
      break;
  }
  return token_attr::kUndefined;
}

bool OneOf(absl::string_view text, std::initializer_list<absl::string_view> options) {
  return std::find(options.begin(), options.end(), text) != options.end();
}

// clang-format off
// DeepSeek's markers use fullwidth bars and U+2581 ("<｜end▁of▁sentence｜>").
constexpr absl::string_view kDeepseekEos =
    "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>";
constexpr absl::string_view kDeepseekFimBegin =
    "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>";
constexpr absl::string_view kDeepseekFimHole = "<\xef\xbd\x9c" "fim\xe2\x96\x81hole\xef\xbd\x9c>";
constexpr absl::string_view kDeepseekFimEnd =
    "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>";
// CodeLlama's FIM markers start with U+2581.
constexpr absl::string_view kSpmPre = "\xe2\x96\x81<PRE>";
constexpr absl::string_view kSpmSuf = "\xe2\x96\x81<SUF>";
constexpr absl::string_view kSpmMid = "\xe2\x96\x81<MID>";

// Texts by which llama.cpp recognises special tokens that the GGUF metadata
// does not name (src/llama-vocab.cpp, "auto-detect special tokens by text").
constexpr std::initializer_list<absl::string_view> kEotTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", kDeepseekEos, "<end_of_utterance>"};
constexpr std::initializer_list<absl::string_view> kEomTexts = {"<|eom_id|>"};
constexpr std::initializer_list<absl::string_view> kFimPreTexts = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", kDeepseekFimBegin,
    "<PRE>", kSpmPre, "<|code_prefix|>", "<|prefix|>"};
constexpr std::initializer_list<absl::string_view> kFimSufTexts = {
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", kDeepseekFimHole,
    "<SUF>", kSpmSuf, "<|code_suffix|>", "<|suffix|>"};
constexpr std::initializer_list<absl::string_view> kFimMidTexts = {
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", kDeepseekFimEnd,
    "<MID>", kSpmMid, "<|code_middle|>", "<|middle|>"};
constexpr std::initializer_list<absl::string_view> kFimPadTexts = {
    "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
constexpr std::initializer_list<absl::string_view> kFimRepTexts = {
    "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
constexpr std::initializer_list<absl::string_view> kFimSepTexts = {"<|file_sep|>"};
// Tokens that end generation whatever the metadata says.
constexpr std::initializer_list<absl::string_view> kEogTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    kDeepseekEos, "[e~["};
// clang-format on

}  // namespace

absl::StatusOr<std::unique_ptr<Vocab>> Vocab::FromGguf(const GgufFile& gguf) {
  std::unique_ptr<Vocab> vocab(new Vocab());
  if (gguf.Find(kModelKey) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(gguf.path(), ": no tokenizer in this file (", kModelKey, " is missing)"));
  }
  STRATA_ASSIGN_OR_RETURN(vocab->model_name_, gguf.GetString(kModelKey));
  STRATA_ASSIGN_OR_RETURN(const std::string pre, gguf.GetStringOr(kPreKey, ""));

  SpecialTokenIds& ids = vocab->special_;
  if (vocab->model_name_ == "llama") {
    vocab->kind_ = VocabKind::kSpm;
    ids.bos = 1;
    ids.eos = 2;
    ids.unk = 0;
    vocab->add_bos_ = true;
    vocab->add_space_prefix_ = true;
    vocab->clean_spaces_ = false;
    vocab->pre_spec_.name = pre.empty() ? "default" : pre;  // SPM has no pre-tokenizer.
    vocab->pre_spec_.clean_spaces = false;
  } else if (vocab->model_name_ == "gpt2") {
    vocab->kind_ = VocabKind::kBpe;
    ids.bos = 11;  // llama.cpp's built-in defaults for BPE vocabularies.
    ids.eos = 11;
    STRATA_ASSIGN_OR_RETURN(vocab->pre_spec_, FindPreTokenizerSpec(pre));
    vocab->add_bos_ = vocab->pre_spec_.add_bos;
    vocab->add_space_prefix_ = false;
    vocab->clean_spaces_ = vocab->pre_spec_.clean_spaces;
    vocab->ignore_merges_ = vocab->pre_spec_.ignore_merges;
  } else if (vocab->model_name_ == "none" || vocab->model_name_ == "no_vocab") {
    return absl::NotFoundError(absl::StrCat(gguf.path(), ": the model has no vocabulary (",
                                            kModelKey, " = '", vocab->model_name_, "')"));
  } else {
    return absl::UnimplementedError(absl::StrCat(
        gguf.path(), ": tokenizer model '", vocab->model_name_, "' (", kModelKey,
        ") is not supported; supported: llama (SentencePiece BPE), gpt2 (byte-level BPE)"));
  }
  STRATA_ASSIGN_OR_RETURN(
      vocab->add_space_prefix_,
      gguf.GetBoolOr("tokenizer.ggml.add_space_prefix", vocab->add_space_prefix_));

  STRATA_RETURN_IF_ERROR(vocab->LoadTokens(gguf));
  STRATA_RETURN_IF_ERROR(vocab->LoadSpecialIds(gguf));
  vocab->DetectSpecialTokensByText();
  vocab->BuildSpecialTokenOrder(gguf);

  for (int b = 0; b < 256; ++b) {
    const std::string raw(1, static_cast<char>(b));
    int32_t id = -1;
    if (vocab->kind_ == VocabKind::kSpm) id = vocab->Find(absl::StrFormat("<0x%02X>", b));
    if (id < 0) id = vocab->Find(raw);
    vocab->byte_tokens_[b] = id;
  }
  return vocab;
}

absl::Status Vocab::LoadTokens(const GgufFile& gguf) {
  if (gguf.Find(kTokensKey) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(gguf.path(), ": tokenizer vocabulary missing (", kTokensKey, ")"));
  }
  STRATA_ASSIGN_OR_RETURN(const GgufArray* texts, gguf.GetArray(kTokensKey));
  if (texts->element_type != GgufType::kString) {
    return absl::InvalidArgumentError(
        absl::StrCat(gguf.path(), ": ", kTokensKey, " must be an array of strings"));
  }
  const size_t n = texts->elements.size();
  if (n == 0 || n > static_cast<size_t>(INT32_MAX)) {
    return absl::DataLossError(
        absl::StrCat(gguf.path(), ": ", kTokensKey, " has an invalid length ", n));
  }

  const GgufArray* scores = nullptr;
  if (gguf.Find(kScoresKey) != nullptr) {
    STRATA_ASSIGN_OR_RETURN(scores, gguf.GetArray(kScoresKey));
    if (scores->elements.size() < n) {
      return absl::DataLossError(absl::StrCat(gguf.path(), ": ", kScoresKey, " has ",
                                              scores->elements.size(), " entries for ", n,
                                              " tokens"));
    }
  }
  const GgufArray* types = nullptr;
  if (gguf.Find(kTypesKey) != nullptr) {
    STRATA_ASSIGN_OR_RETURN(types, gguf.GetArray(kTypesKey));
    if (types->elements.size() < n) {
      return absl::DataLossError(absl::StrCat(gguf.path(), ": ", kTypesKey, " has ",
                                              types->elements.size(), " entries for ", n,
                                              " tokens"));
    }
  }

  tokens_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    TokenData& token = tokens_[i];
    STRATA_ASSIGN_OR_RETURN(absl::string_view text, texts->elements[i].AsString());
    // llama.cpp renames empty tokens so the text → id index stays a bijection.
    token.text = text.empty() ? absl::StrCat("[EMPTY_", i, "]") : std::string(text);
    if (scores != nullptr) {
      auto score = scores->elements[i].AsFloat();
      if (!score.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(gguf.path(), ": ", kScoresKey, "[", i, "]: ", score.status().message()));
      }
      token.score = static_cast<float>(*score);
    }
    if (types != nullptr) {
      auto type = types->elements[i].AsInt();
      if (!type.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(gguf.path(), ": ", kTypesKey, "[", i, "]: ", type.status().message()));
      }
      token.type =
          (*type >= 0 && *type <= 6) ? static_cast<TokenType>(*type) : TokenType::kUndefined;
      token.attrs = AttrsForType(token.type);
    }
  }
  // Indexed only once tokens_ has its final size: the keys view its strings.
  index_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto [it, inserted] = index_.try_emplace(tokens_[i].text, static_cast<int32_t>(i));
    if (!inserted) {
      return absl::DataLossError(absl::StrCat(gguf.path(), ": duplicate token '",
                                              absl::CHexEscape(tokens_[i].text), "' has ids ",
                                              it->second, " and ", i));
    }
  }
  return absl::OkStatus();
}

absl::Status Vocab::LoadSpecialIds(const GgufFile& gguf) {
  const std::pair<absl::string_view, int32_t*> keys[] = {
      {"tokenizer.ggml.bos_token_id", &special_.bos},
      {"tokenizer.ggml.eos_token_id", &special_.eos},
      {"tokenizer.ggml.eot_token_id", &special_.eot},
      {"tokenizer.ggml.eom_token_id", &special_.eom},
      {"tokenizer.ggml.unknown_token_id", &special_.unk},
      {"tokenizer.ggml.seperator_token_id", &special_.sep},  // Sic: GGUF's spelling.
      {"tokenizer.ggml.padding_token_id", &special_.pad},
      {"tokenizer.ggml.mask_token_id", &special_.mask},
      {"tokenizer.ggml.fim_pre_token_id", &special_.fim_pre},
      {"tokenizer.ggml.fim_suf_token_id", &special_.fim_suf},
      {"tokenizer.ggml.fim_mid_token_id", &special_.fim_mid},
      {"tokenizer.ggml.fim_pad_token_id", &special_.fim_pad},
      {"tokenizer.ggml.fim_rep_token_id", &special_.fim_rep},
      {"tokenizer.ggml.fim_sep_token_id", &special_.fim_sep},
      // Deprecated spellings of the FIM ids.
      {"tokenizer.ggml.prefix_token_id", &special_.fim_pre},
      {"tokenizer.ggml.suffix_token_id", &special_.fim_suf},
      {"tokenizer.ggml.middle_token_id", &special_.fim_mid},
  };
  for (const auto& [key, id] : keys) {
    if (!InRange(*id)) *id = -1;  // A built-in default the vocabulary is too small for.
    const GgufValue* value = gguf.Find(key);
    if (value == nullptr) continue;
    auto stored = value->AsInt();
    if (!stored.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(gguf.path(), ": ", key, ": ", stored.status().message()));
    }
    // Like llama.cpp, an out-of-range id keeps the default instead of failing.
    if (*stored >= 0 && *stored < size()) *id = static_cast<int32_t>(*stored);
  }

  STRATA_ASSIGN_OR_RETURN(add_bos_, gguf.GetBoolOr("tokenizer.ggml.add_bos_token", add_bos_));
  STRATA_ASSIGN_OR_RETURN(add_eos_, gguf.GetBoolOr("tokenizer.ggml.add_eos_token", add_eos_));
  if (add_bos_ && special_.bos < 0) {
    return absl::DataLossError(absl::StrCat(
        gguf.path(), ": tokenizer.ggml.add_bos_token is true but there is no BOS token"));
  }
  if (add_eos_ && special_.eos < 0) {
    return absl::DataLossError(absl::StrCat(
        gguf.path(), ": tokenizer.ggml.add_eos_token is true but there is no EOS token"));
  }
  return absl::OkStatus();
}

void Vocab::DetectSpecialTokensByText() {
  // llama.cpp walks a hash map here, so which of several candidates becomes
  // e.g. the EOT token is unspecified there; we take the lowest id.
  auto detect = [&](int32_t* slot, std::initializer_list<absl::string_view> texts) {
    for (int32_t id = 0; *slot < 0 && id < size(); ++id) {
      if (!OneOf(tokens_[id].text, texts)) continue;
      *slot = id;
      tokens_[id].attrs |= token_attr::kControl;
    }
  };
  detect(&special_.eot, kEotTexts);
  detect(&special_.eom, kEomTexts);
  detect(&special_.fim_pre, kFimPreTexts);
  detect(&special_.fim_suf, kFimSufTexts);
  detect(&special_.fim_mid, kFimMidTexts);
  detect(&special_.fim_pad, kFimPadTexts);
  detect(&special_.fim_rep, kFimRepTexts);
  detect(&special_.fim_sep, kFimSepTexts);

  for (int32_t id : {special_.fim_pad, special_.fim_rep, special_.fim_sep}) {
    if (id >= 0) eog_set_.insert(id);
  }
  for (int32_t id = 0; id < size(); ++id) {
    TokenData& token = tokens_[id];
    if (OneOf(token.text, kEogTexts)) {
      eog_set_.insert(id);
      token.attrs |= token_attr::kControl;
    }
    // gpt-oss: these structure the output and are always rendered.
    if (OneOf(token.text, {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"})) {
      token.attrs = token_attr::kUserDefined;
    }
  }
  for (int32_t id : {special_.eos, special_.eot, special_.eom}) {
    if (id >= 0) eog_set_.insert(id);
  }

  // o200k_harmony and solar-open: "<|end|>" ends a message, not generation.
  auto eog_has = [&](absl::string_view text) {
    const int32_t id = Find(text);
    return id >= 0 && eog_set_.contains(id);
  };
  const int32_t end_id = Find("<|end|>");
  if (eog_has("<|end|>") && ((eog_has("<|return|>") && eog_has("<|call|>")) ||
                             (eog_has("<|calls|>") && eog_has("<|flush|>")))) {
    eog_set_.erase(end_id);
    tokens_[end_id].attrs = token_attr::kUserDefined;
  }
  // Gemma 4 and PaddleOCR: "</s>" is ordinary text there.
  const int32_t s_id = Find("</s>");
  if (eog_has("</s>") && eog_has("<|tool_response>")) {
    eog_set_.erase(s_id);
    tokens_[s_id].attrs = token_attr::kNormal;
  }

  eog_ids_.assign(eog_set_.begin(), eog_set_.end());
  std::sort(eog_ids_.begin(), eog_ids_.end());
}

void Vocab::BuildSpecialTokenOrder(const GgufFile& gguf) {
  constexpr uint32_t kMatchable =
      token_attr::kControl | token_attr::kUserDefined | token_attr::kUnknown;
  for (int32_t id = 0; id < size(); ++id) {
    if (tokens_[id].attrs & kMatchable) special_tokens_.push_back(id);
  }
  // Longest first, so a token is never split by a shorter one inside it.
  // (llama.cpp's sort is unstable; ties keep id order here.)
  std::stable_sort(special_tokens_.begin(), special_tokens_.end(), [&](int32_t a, int32_t b) {
    return tokens_[a].text.size() > tokens_[b].text.size();
  });

  // Per-model attributes llama.cpp sets by name (the GGUF does not carry them).
  auto set_attr = [&](absl::string_view text, uint32_t attr, bool on) {
    const int32_t id = Find(text);
    if (id < 0) return;
    if (on) {
      tokens_[id].attrs |= attr;
    } else {
      tokens_[id].attrs &= ~attr;
    }
  };
  const std::string name = absl::AsciiStrToLower(gguf.GetStringOr("general.name", "").value_or(""));
  if (OneOf(pre_spec_.name, {"jina-v2-de", "jina-v2-es", "jina-v2-code"})) {
    set_attr("<mask>", token_attr::kLstrip, true);
  } else if (absl::StrContains(name, "phi-3") || absl::StrContains(name, "phi3")) {
    for (int32_t id : special_tokens_) tokens_[id].attrs |= token_attr::kRstrip;
    set_attr("</s>", token_attr::kRstrip, true);
    for (absl::string_view text : {"<unk>", "<s>", "<|endoftext|>"}) {
      set_attr(text, token_attr::kRstrip, false);
    }
  }
}

}  // namespace strata
