#include "runtime/sampling/top_k.h"

#include <cstddef>

namespace strata::sampling {

void TopKSampler::Apply(Candidates& candidates) {
  if (k_ <= 0) return;
  const size_t k = static_cast<size_t>(k_);
  // Nothing to remove: skip the sort as well (llama.cpp sorts here, but nothing downstream
  // depends on it; samplers that need order sort for themselves).
  if (k >= candidates.data.size()) return;
  KeepTopK(candidates, k);
}

}  // namespace strata::sampling
