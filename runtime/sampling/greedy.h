// GreedySampler: selects the entry with the highest logit; among equal logits the lowest token
// id wins, so the choice does not depend on how earlier samplers permuted the set. Stateless.
//
// Thread-safety: not thread-safe (see sampler.h); one per sequence.
#ifndef STRATA_RUNTIME_SAMPLING_GREEDY_H_
#define STRATA_RUNTIME_SAMPLING_GREEDY_H_

#include "runtime/sampling/sampler.h"

namespace strata::sampling {

class GreedySampler : public Sampler {
 public:
  // Sets `selected` to the argmax, or -1 when `candidates` is empty.
  void Apply(Candidates& candidates) override;
  absl::string_view Name() const override { return "greedy"; }
};

}  // namespace strata::sampling

#endif  // STRATA_RUNTIME_SAMPLING_GREEDY_H_
