#include "runtime/sampling/temperature.h"

#include <cstddef>
#include <limits>

namespace strata::sampling {

void TemperatureSampler::Apply(Candidates& candidates) {
  std::vector<TokenData>& data = candidates.data;
  if (data.empty()) return;
  if (temperature_ <= 0.0f) {
    size_t best = 0;
    for (size_t i = 1; i < data.size(); ++i) {
      if (LogitGreater(data[i], data[best])) best = i;
    }
    for (size_t i = 0; i < data.size(); ++i) {
      if (i != best) data[i].logit = -std::numeric_limits<float>::infinity();
    }
    // The survivor need not be at index 0 (ties), so make no ordering claim.
    candidates.sorted = false;
    return;
  }
  if (temperature_ == 1.0f) return;
  // Multiplying by the reciprocal would differ from llama.cpp in the last bit; divide.
  for (TokenData& t : data) t.logit /= temperature_;
}

}  // namespace strata::sampling
