// The candidate set that samplers transform: one (token id, logit, prob) entry per token still in
// the running, plus whether the entries are in descending-logit order and which one was chosen.
// It is the counterpart of llama.cpp's `llama_token_data_array`.
//
// Ownership: the caller owns a `Candidates` and reuses it for every token of a sequence, so that
// after the first token no sampler allocates (`FillCandidates` and truncation keep the vector's
// capacity). Samplers only mutate it in place; they never keep a pointer to it.
//
// `prob` is only meaningful right after a sampler that computes the softmax (top-p, dist); other
// samplers change logits and leave `prob` stale. Logits must not be NaN (-inf is fine: it means
// "impossible").
//
// Thread-safety: none; a `Candidates` belongs to one sequence at a time.
#ifndef STRATA_RUNTIME_SAMPLING_CANDIDATES_H_
#define STRATA_RUNTIME_SAMPLING_CANDIDATES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace strata::sampling {

struct TokenData {
  int32_t id;
  float logit;
  float prob;
};

struct Candidates {
  std::vector<TokenData> data;
  // True when `data` is in non-increasing logit order. Samplers that reorder set it; samplers
  // that change logits non-monotonically (penalties) clear it.
  bool sorted = false;
  // Index into `data` (not a token id) chosen by a selecting sampler (greedy, dist); -1 if none.
  int64_t selected = -1;
};

// The sort order every sampler uses: higher logit first, and among equal logits the lower id
// first, so that results never depend on the input permutation or the std::sort algorithm.
inline bool LogitGreater(const TokenData& a, const TokenData& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// Resets `c` to the full vocabulary, in id order: data[i] = {i, logits[i], 0}, unsorted, nothing
// selected. Allocates only when `logits` is larger than any vocabulary seen before.
void FillCandidates(absl::Span<const float> logits, Candidates& c);

// Sets `prob` of every entry to the softmax of the logits (max-subtracted, so large logits do not
// overflow). Does not reorder. No-op on an empty set.
void Softmax(Candidates& c);

// Keeps only the `k` entries that come first in `LogitGreater` order, sorted, and marks the set
// sorted. No-op when `k >= c.data.size()` and the set is already sorted; sorts everything when
// `k >= size` and it is not. Uses a heap for small k and selection + sort otherwise, never a full
// sort of the whole vocabulary to keep a few tokens.
void KeepTopK(Candidates& c, size_t k);

// Reorders data[begin, n) so that data[begin, end) holds the `end - begin` greatest entries of
// that range in sorted order (data[end, n) is left in unspecified order). Requires
// begin <= end <= n. Building block for samplers that sort lazily (top-p).
void SortRangePrefix(std::vector<TokenData>& data, size_t begin, size_t end);

// The id of the selected token, or -1 if no sampler selected one (or the index is stale).
inline int32_t SelectedToken(const Candidates& c) {
  if (c.selected < 0 || static_cast<size_t>(c.selected) >= c.data.size()) return -1;
  return c.data[static_cast<size_t>(c.selected)].id;
}

}  // namespace strata::sampling

#endif  // STRATA_RUNTIME_SAMPLING_CANDIDATES_H_
