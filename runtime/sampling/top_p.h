// TopPSampler (nucleus sampling): keeps the smallest prefix of the candidates, in descending
// probability order, whose cumulative softmax probability is >= p, and at least `min_keep`
// entries, as llama.cpp's `top-p`. The comparison is inclusive: with probabilities
// {0.25, 0.25, 0.25, 0.25} and p = 0.5 exactly two tokens survive. p >= 1 disables it.
//
// Leaves the set sorted and `prob` holding the softmax over the set *before* truncation (not
// renormalised, as in llama.cpp; `dist` recomputes it). Sorting is lazy: the set is sorted in
// growing chunks only as far as the cumulative sum needs, so a 152k vocabulary is not fully
// sorted to keep a few dozen tokens. Stateless.
//
// Thread-safety: not thread-safe (see sampler.h); one per sequence.
#ifndef STRATA_RUNTIME_SAMPLING_TOP_P_H_
#define STRATA_RUNTIME_SAMPLING_TOP_P_H_

#include <cstddef>

#include "runtime/sampling/sampler.h"

namespace strata::sampling {

class TopPSampler : public Sampler {
 public:
  // `min_keep` of 0 behaves as 1, as in llama.cpp.
  explicit TopPSampler(float p, size_t min_keep = 1) : p_(p), min_keep_(min_keep) {}

  void Apply(Candidates& candidates) override;
  absl::string_view Name() const override { return "top-p"; }

  float p() const { return p_; }

 private:
  const float p_;
  const size_t min_keep_;
};

}  // namespace strata::sampling

#endif  // STRATA_RUNTIME_SAMPLING_TOP_P_H_
