#include "runtime/tokenizer/spm_tokenizer.h"

#include <optional>

#include "runtime/tokenizer/symbol_merger.h"

namespace strata {

void SpmEncode(const Vocab& vocab, absl::string_view text, std::vector<int32_t>* out) {
  if (text.empty()) return;
  std::vector<MergeSymbol> symbols = SplitIntoCharacters(text);
  // The pair forming the highest-scoring token first.
  MergeSymbols(symbols, [&](const MergeSymbol& l, const MergeSymbol& r) -> std::optional<double> {
    const int32_t id = vocab.Find(text.substr(l.begin, l.size + r.size));
    if (id < 0) return std::nullopt;
    return vocab.token(id).score;
  });

  // Every merged symbol is a token by construction; only single characters
  // missing from the vocabulary need the byte fallback.
  for (int i = 0; i != -1; i = symbols[i].next) {
    const MergeSymbol& symbol = symbols[i];
    const absl::string_view piece = text.substr(symbol.begin, symbol.size);
    const int32_t id = vocab.Find(piece);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    for (char byte : piece) {
      const int32_t byte_id = vocab.ByteToken(static_cast<uint8_t>(byte));
      if (byte_id >= 0) {
        out->push_back(byte_id);
      } else if (vocab.special().unk >= 0) {
        out->push_back(vocab.special().unk);
      }
    }
  }
}

}  // namespace strata
