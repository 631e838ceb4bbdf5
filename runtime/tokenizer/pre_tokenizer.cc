#include "runtime/tokenizer/pre_tokenizer.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"

namespace strata {
namespace {

// The expressions are llama.cpp's (src/llama-vocab.cpp), which adapt each
// model's tokenizer.json: `(?i:...)` is spelled out as `[sS]` etc. because
// llama.cpp's std::regex fallback has no inline flags. PCRE2 runs them as
// written, with Unicode classes.

// GPT-2's expression, shared by many pre-tokenizers.
constexpr absl::string_view kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";

constexpr absl::string_view kContractions =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]))";

enum class RegexSet {
  kDefault,
  kGpt2,
  kLlama3,
  kQwen2,
  kQwen35,
  kDeepseekLlm,
  kDeepseekCoder,
  kDeepseekV3,
  kFalcon,
  kStarcoder,
  kBloom,
  kTekken,
  kGpt4o,
};

std::vector<std::string> Regexes(RegexSet set) {
  const std::string contractions(kContractions);
  switch (set) {
    case RegexSet::kDefault:
      return {R"([\p{P}\$\+<=>\^~\|]+)", std::string(kGpt2), R"(\p{N}+)", "[0-9][0-9][0-9]"};
    case RegexSet::kGpt2:
      return {std::string(kGpt2)};
    case RegexSet::kLlama3:
      return {contractions + R"(|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3})"
                             R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"};
    case RegexSet::kQwen2:
      return {contractions + R"(|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N})"
                             R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"};
    case RegexSet::kQwen35:
      return {contractions + R"(|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N})"
                             R"(| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"};
    case RegexSet::kDeepseekLlm:
      return {
          R"([\r\n])",
          R"(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF})"
          R"(\x{1C4}-\x{293}\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D})"
          R"(\x{37F}\x{386}\x{388}-\x{38A}\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5})"
          R"(\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5})"
          R"(\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B})"
          R"(\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D})"
          R"(\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D})"
          R"(\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4})"
          R"(\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC})"
          R"(\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115})"
          R"(\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134})"
          R"(\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184})"
          R"(\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3})"
          R"(\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787})"
          R"(\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17})"
          R"(\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3})"
          R"(\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF})"
          R"(\x{1E900}-\x{1E943}]+)",
          R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)",
          R"(\s+$)",
          R"([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)",
          R"(\p{N}+)",
      };
    case RegexSet::kDeepseekCoder:
      return {R"([\r\n])", R"(\s?\p{L}+)", R"(\s?\p{P}+)",
              R"([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)", R"(\p{N})"};
    case RegexSet::kDeepseekV3:
      // llama.cpp evaluates \p{S} with a table whose ASCII part omits '~', so
      // there '~' is neither punctuation nor symbol; the two '~' adjustments
      // below reproduce that (Unicode, and hence PCRE2, calls it a symbol).
      return {
          R"(\p{N}{1,3})",
          R"([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)",
          R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+)"
          R"(|(?:~|[^\r\n\p{L}\p{P}\p{S}])?[\p{L}\p{M}]+| ?(?:(?!~)[\p{P}\p{S}])+[\r\n]*)"
          R"(|\s*[\r\n]+|\s+(?!\S)|\s+)",
      };
    case RegexSet::kFalcon:
      return {R"([\p{P}\$\+<=>\^~\|`]+)", std::string(kGpt2), "[0-9][0-9][0-9]"};
    case RegexSet::kStarcoder:
      return {R"(\p{N})", std::string(kGpt2)};
    case RegexSet::kBloom:
      return {R"( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{964}\x{6D4}\x{60C})]+)"};
    case RegexSet::kTekken:
      return {
          R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+)"
          R"(|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*)"
          R"(|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
      };
    case RegexSet::kGpt4o:
      return {
          R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+)" + contractions +
              R"(?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*)" + contractions +
              R"(?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
      };
  }
  return {};
}

struct Entry {
  std::vector<absl::string_view> names;
  RegexSet set;
  bool clean_spaces;
  bool ignore_merges;
  bool add_bos;
};

// Name → behaviour, following llama.cpp's llama_vocab::impl::load.
// Columns: names, expressions, clean_spaces, ignore_merges, add_bos.
// clang-format off
const std::vector<Entry>& Entries() {
  static const std::vector<Entry> entries = {
      {{"default"}, RegexSet::kDefault, true, false, false},
      {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2"},
       RegexSet::kLlama3, true, true, true},
      {{"dbrx", "smaug-bpe"}, RegexSet::kLlama3, true, false, false},
      {{"deepseek-llm"}, RegexSet::kDeepseekLlm, false, false, false},
      {{"deepseek-coder"}, RegexSet::kDeepseekCoder, false, false, false},
      {{"deepseek-v3", "hunyuan-dense", "joyai-llm"}, RegexSet::kDeepseekV3, false, false, false},
      {{"falcon"}, RegexSet::kFalcon, true, false, false},
      {{"gpt-2", "gpt2", "phi-2", "mpt", "olmo", "jais", "jina-es", "jina-de", "jina-v2-es",
        "jina-v2-de", "gigachat", "a.x-4.0", "mellum", "exaone4"},
       RegexSet::kGpt2, true, false, false},
      {{"trillion", "granite-docling"}, RegexSet::kGpt2, false, false, false},
      {{"starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2"},
       RegexSet::kStarcoder, true, false, false},
      {{"command-r", "smollm"}, RegexSet::kStarcoder, false, false, false},
      {{"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open"},
       RegexSet::kQwen2, false, false, false},
      {{"stablelm2", "megrez"}, RegexSet::kQwen2, true, false, false},
      {{"qwen35"}, RegexSet::kQwen35, false, false, false},
      {{"bloom", "gpt3-finnish"}, RegexSet::kBloom, true, false, false},
      {{"poro-chat"}, RegexSet::kBloom, false, false, false},
      {{"tekken"}, RegexSet::kTekken, false, true, true},
      {{"gpt-4o", "llama4", "kanana2"}, RegexSet::kGpt4o, false, false, false},
  };
  // clang-format on
  return entries;
}

}  // namespace

std::vector<std::string> KnownPreTokenizerNames() {
  std::vector<std::string> names;
  for (const Entry& entry : Entries()) {
    for (absl::string_view name : entry.names) names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<PreTokenizerSpec> FindPreTokenizerSpec(absl::string_view pre_name) {
  const absl::string_view lookup = pre_name.empty() ? "default" : pre_name;
  for (const Entry& entry : Entries()) {
    if (std::find(entry.names.begin(), entry.names.end(), lookup) == entry.names.end()) continue;
    PreTokenizerSpec spec;
    spec.name = std::string(lookup);
    spec.regexes = Regexes(entry.set);
    spec.clean_spaces = entry.clean_spaces;
    spec.ignore_merges = entry.ignore_merges;
    spec.add_bos = entry.add_bos;
    return spec;
  }
  return absl::UnimplementedError(absl::StrCat(
      "unknown BPE pre-tokenizer '", pre_name,
      "' (tokenizer.ggml.pre); known: ", absl::StrJoin(KnownPreTokenizerNames(), ", ")));
}

absl::StatusOr<std::unique_ptr<PreTokenizer>> PreTokenizer::Create(const PreTokenizerSpec& spec) {
  std::vector<PcreRegex> regexes;
  regexes.reserve(spec.regexes.size());
  for (const std::string& pattern : spec.regexes) {
    STRATA_ASSIGN_OR_RETURN(PcreRegex regex, PcreRegex::Compile(pattern));
    regexes.push_back(std::move(regex));
  }
  return std::unique_ptr<PreTokenizer>(new PreTokenizer(std::move(regexes)));
}

std::vector<size_t> PreTokenizer::Split(absl::string_view text) const {
  std::vector<size_t> ends;
  if (text.empty()) return ends;
  ends.push_back(text.size());
  std::vector<size_t> next;
  for (const PcreRegex& regex : regexes_) {
    next.clear();
    next.reserve(ends.size() * 2);
    size_t piece_begin = 0;
    for (size_t piece_end : ends) {
      const absl::string_view piece = text.substr(piece_begin, piece_end - piece_begin);
      size_t cursor = 0;  // Relative to `piece`.
      // Each piece is matched on its own, so lookarounds and `$` stop at
      // its edges, as in llama.cpp.
      regex.ForEachMatch(piece, [&](size_t begin, size_t end) {
        if (begin > cursor) next.push_back(piece_begin + begin);  // Unmatched stretch.
        next.push_back(piece_begin + end);
        cursor = end;
      });
      if (cursor < piece.size()) next.push_back(piece_end);
      piece_begin = piece_end;
    }
    ends.swap(next);
  }
  return ends;
}

std::vector<std::string> PreTokenizer::SplitToStrings(absl::string_view text) const {
  std::vector<std::string> pieces;
  size_t begin = 0;
  for (size_t end : Split(text)) {
    pieces.emplace_back(text.substr(begin, end - begin));
    begin = end;
  }
  return pieces;
}

}  // namespace strata
