#include "runtime/sampling/top_p.h"

#include <algorithm>

namespace strata::sampling {
namespace {

// First chunk sorted when the set arrives unsorted; chunks then double. With typical
// distributions the nucleus fits in the first chunk.
constexpr size_t kFirstChunk = 64;

}  // namespace

void TopPSampler::Apply(Candidates& candidates) {
  std::vector<TokenData>& data = candidates.data;
  if (p_ >= 1.0f || data.empty()) return;
  Softmax(candidates);

  const size_t n = data.size();
  size_t sorted_end = candidates.sorted ? n : 0;
  size_t keep = n;
  double cumulative = 0.0;
  for (size_t i = 0; i < n; ++i) {
    if (i == sorted_end) {
      const size_t chunk = std::max(kFirstChunk, sorted_end);
      const size_t end = std::min(n, sorted_end + chunk);
      SortRangePrefix(data, sorted_end, end);
      sorted_end = end;
    }
    cumulative += data[i].prob;
    if (cumulative >= p_ && i + 1 >= min_keep_) {
      keep = i + 1;
      break;
    }
  }
  data.resize(keep);
  candidates.sorted = true;
}

}  // namespace strata::sampling
