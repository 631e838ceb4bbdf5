#include "runtime/sampling/min_p.h"

#include <algorithm>
#include <cmath>

namespace strata::sampling {

void MinPSampler::Apply(Candidates& candidates) {
  std::vector<TokenData>& data = candidates.data;
  if (p_ <= 0.0f || data.empty()) return;
  const size_t min_keep = std::min(std::max<size_t>(min_keep_, 1), data.size());

  if (candidates.sorted) {
    const float min_logit = data[0].logit + std::log(p_);
    size_t keep = 1;  // The maximum always passes.
    while (keep < data.size() && (keep < min_keep || data[keep].logit >= min_logit)) ++keep;
    data.resize(keep);
    return;
  }

  float max_logit = data[0].logit;
  for (const TokenData& t : data) max_logit = std::max(max_logit, t.logit);
  const float min_logit = max_logit + std::log(p_);
  const size_t passing = static_cast<size_t>(std::count_if(
      data.begin(), data.end(), [min_logit](const TokenData& t) { return t.logit >= min_logit; }));
  if (passing >= min_keep) {
    const auto end = std::remove_if(
        data.begin(), data.end(), [min_logit](const TokenData& t) { return t.logit < min_logit; });
    data.erase(end, data.end());  // Shrinks size only; capacity is kept for the next token.
    return;
  }
  // Fewer than min_keep pass: the survivors are exactly the min_keep best.
  KeepTopK(candidates, min_keep);
}

}  // namespace strata::sampling
