#include "runtime/sampling/candidates.h"

#include <algorithm>
#include <cmath>

namespace strata::sampling {
namespace {

// Below this many entries to keep, a heap (std::partial_sort, O(n log k)) beats selection followed
// by a sort (O(n + k log k)): for the default top-k of 40 almost every element is rejected by a
// single comparison against the heap top.
constexpr size_t kHeapSelectMax = 256;

}  // namespace

void FillCandidates(absl::Span<const float> logits, Candidates& c) {
  c.data.resize(logits.size());
  TokenData* out = c.data.data();
  for (size_t i = 0; i < logits.size(); ++i) {
    out[i] = TokenData{static_cast<int32_t>(i), logits[i], 0.0f};
  }
  c.sorted = false;
  c.selected = -1;
}

void Softmax(Candidates& c) {
  if (c.data.empty()) return;
  float max_logit = c.data[0].logit;
  if (!c.sorted) {
    for (const TokenData& t : c.data) max_logit = std::max(max_logit, t.logit);
  }
  // Accumulate in double: with 152k terms a float sum loses several digits.
  double sum = 0.0;
  for (TokenData& t : c.data) {
    t.prob = std::exp(t.logit - max_logit);
    sum += t.prob;
  }
  const double inv = 1.0 / sum;
  for (TokenData& t : c.data) t.prob = static_cast<float>(t.prob * inv);
}

void SortRangePrefix(std::vector<TokenData>& data, size_t begin, size_t end) {
  const auto first = data.begin() + static_cast<ptrdiff_t>(begin);
  const auto middle = data.begin() + static_cast<ptrdiff_t>(end);
  if (end == data.size()) {
    std::sort(first, middle, LogitGreater);
  } else if (end - begin <= kHeapSelectMax) {
    std::partial_sort(first, middle, data.end(), LogitGreater);
  } else {
    std::nth_element(first, middle, data.end(), LogitGreater);
    std::sort(first, middle, LogitGreater);
  }
}

void KeepTopK(Candidates& c, size_t k) {
  if (k >= c.data.size()) {
    if (!c.sorted) std::sort(c.data.begin(), c.data.end(), LogitGreater);
  } else {
    if (!c.sorted) SortRangePrefix(c.data, 0, k);
    c.data.resize(k);
  }
  c.sorted = true;
}

}  // namespace strata::sampling
