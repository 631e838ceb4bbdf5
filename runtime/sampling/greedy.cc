#include "runtime/sampling/greedy.h"

#include <cstddef>

namespace strata::sampling {

void GreedySampler::Apply(Candidates& candidates) {
  const std::vector<TokenData>& data = candidates.data;
  if (data.empty()) {
    candidates.selected = -1;
    return;
  }
  // A linear scan even when `sorted`: the set is small by then, and the scan does not trust a
  // tie order that a caller-sorted set may not follow.
  size_t best = 0;
  for (size_t i = 1; i < data.size(); ++i) {
    if (LogitGreater(data[i], data[best])) best = i;
  }
  candidates.selected = static_cast<int64_t>(best);
}

}  // namespace strata::sampling
