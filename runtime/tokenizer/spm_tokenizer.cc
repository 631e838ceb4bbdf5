#include "runtime/tokenizer/spm_tokenizer.h"

#include <algorithm>
#include <queue>

#include "runtime/tokenizer/utf8.h"

namespace strata {
namespace {

// A run of the text; merged symbols grow to the right and leave the absorbed
// neighbour with size 0.
struct Symbol {
  int prev;
  int next;
  size_t begin;
  size_t size;
};

struct Bigram {
  int left;
  int right;
  float score;
  size_t size;  // Bytes of both symbols when queued; stale once that changes.
};

// Highest score first; among equal scores the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void SpmEncode(const Vocab& vocab, absl::string_view text, std::vector<int32_t>* out) {
  if (text.empty()) return;
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t offset = 0; offset < text.size();) {
    const size_t len = std::min(Utf8SequenceLength(text[offset]), text.size() - offset);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, offset + len == text.size() ? -1 : index + 1, offset, len});
    offset += len;
  }

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const size_t size = symbols[left].size + symbols[right].size;
    const int32_t id = vocab.Find(text.substr(symbols[left].begin, size));
    if (id < 0) return;
    queue.push({left, right, vocab.token(id).score, size});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[bigram.left];
    Symbol& right = symbols[bigram.right];
    if (left.size == 0 || right.size == 0 || left.size + right.size != bigram.size) continue;
    left.size += right.size;
    right.size = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = bigram.left;
    try_add(left.prev, bigram.left);
    try_add(bigram.left, left.next);
  }

  // Every merged symbol is a token by construction; only single characters
  // missing from the vocabulary need the byte fallback.
  for (int i = 0; i != -1; i = symbols[i].next) {
    const Symbol& symbol = symbols[i];
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
