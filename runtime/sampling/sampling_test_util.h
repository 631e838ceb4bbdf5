// Helpers shared by the sampler unit tests: build candidate sets from literal logits and read
// back ids/logits. Test-only; not part of strata_sampling.
#ifndef STRATA_RUNTIME_SAMPLING_SAMPLING_TEST_UTIL_H_
#define STRATA_RUNTIME_SAMPLING_SAMPLING_TEST_UTIL_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "runtime/sampling/candidates.h"

namespace strata::sampling::testing {

// Full-vocabulary candidates in id order, as FillCandidates makes them.
inline Candidates FromLogits(const std::vector<float>& logits) {
  Candidates c;
  FillCandidates(logits, c);
  return c;
}

// Candidates with explicit ids (to test behaviour on permuted / filtered sets).
inline Candidates FromPairs(const std::vector<std::pair<int32_t, float>>& id_logit) {
  Candidates c;
  for (const auto& [id, logit] : id_logit) c.data.push_back(TokenData{id, logit, 0.0f});
  return c;
}

inline std::vector<int32_t> Ids(const Candidates& c) {
  std::vector<int32_t> ids;
  for (const TokenData& t : c.data) ids.push_back(t.id);
  return ids;
}

inline std::vector<float> Logits(const Candidates& c) {
  std::vector<float> logits;
  for (const TokenData& t : c.data) logits.push_back(t.logit);
  return logits;
}

}  // namespace strata::sampling::testing

#endif  // STRATA_RUNTIME_SAMPLING_SAMPLING_TEST_UTIL_H_
