#include "runtime/tokenizer/symbol_merger.h"

#include <algorithm>

#include "runtime/tokenizer/utf8.h"

namespace strata {

std::vector<MergeSymbol> SplitIntoCharacters(absl::string_view text) {
  std::vector<MergeSymbol> symbols;
  symbols.reserve(text.size());
  for (size_t offset = 0; offset < text.size();) {
    const size_t len = std::min(Utf8SequenceLength(text[offset]), text.size() - offset);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, offset + len == text.size() ? -1 : index + 1, offset, len});
    offset += len;
  }
  return symbols;
}

}  // namespace strata
