// Greedy merging of adjacent symbols, the core shared by the SentencePiece
// and byte-level BPE encoders.
//
// A text starts as one symbol per UTF-8 character. Repeatedly, the adjacent
// pair with the highest priority (the leftmost one on ties) is merged into one
// symbol, until no adjacent pair can merge. SentencePiece ranks a pair by the
// score of the token the two form; BPE by the rank of their merge rule. Stale
// queue entries (a side already merged away) are skipped lazily. Stateless.
#ifndef STRATA_RUNTIME_TOKENIZER_SYMBOL_MERGER_H_
#define STRATA_RUNTIME_TOKENIZER_SYMBOL_MERGER_H_

#include <optional>
#include <queue>
#include <vector>

#include "absl/strings/string_view.h"

namespace strata {

// A run of the text; merged symbols grow to the right and leave the absorbed
// neighbour with size 0. prev/next link the live symbols (-1 at the ends).
struct MergeSymbol {
  int prev;
  int next;
  size_t begin;
  size_t size;
};

// One symbol per UTF-8 character of `text` (a malformed lead byte counts as
// a one-byte character, as llama.cpp does).
std::vector<MergeSymbol> SplitIntoCharacters(absl::string_view text);

// Merges `symbols` (from SplitIntoCharacters(text)) in place.
// `priority(left, right)` returns the priority of merging two adjacent
// symbols, higher first, or nullopt when they cannot merge.
template <typename PriorityFn>
void MergeSymbols(std::vector<MergeSymbol>& symbols, PriorityFn priority) {
  struct Candidate {
    int left;
    int right;
    double priority;
    size_t size;  // Bytes of both symbols when queued; stale once that changes.
  };
  struct Order {
    bool operator()(const Candidate& a, const Candidate& b) const {
      return a.priority < b.priority || (a.priority == b.priority && a.left > b.left);
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, Order> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const std::optional<double> p = priority(symbols[left], symbols[right]);
    if (!p.has_value()) return;
    queue.push({left, right, *p, symbols[left].size + symbols[right].size});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add(i - 1, i);
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    MergeSymbol& left = symbols[c.left];
    MergeSymbol& right = symbols[c.right];
    if (left.size == 0 || right.size == 0 || left.size + right.size != c.size) continue;
    left.size += right.size;
    right.size = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = c.left;
    try_add(left.prev, c.left);
    try_add(c.left, left.next);
  }
}

}  // namespace strata

#endif  // STRATA_RUNTIME_TOKENIZER_SYMBOL_MERGER_H_
