// TopKSampler: keeps the k entries with the highest logits (ties broken toward the lower id),
// sorted, as llama.cpp's `top-k`. k <= 0 disables it; k >= the set size leaves the set unchanged.
// Selection uses a bounded heap or nth_element, never a full sort of the vocabulary. Stateless.
//
// Thread-safety: not thread-safe (see sampler.h); one per sequence.
#ifndef STRATA_RUNTIME_SAMPLING_TOP_K_H_
#define STRATA_RUNTIME_SAMPLING_TOP_K_H_

#include <cstdint>

#include "runtime/sampling/sampler.h"

namespace strata::sampling {

class TopKSampler : public Sampler {
 public:
  explicit TopKSampler(int32_t k) : k_(k) {}

  void Apply(Candidates& candidates) override;
  absl::string_view Name() const override { return "top-k"; }

  int32_t k() const { return k_; }

 private:
  const int32_t k_;
};

}  // namespace strata::sampling

#endif  // STRATA_RUNTIME_SAMPLING_TOP_K_H_
