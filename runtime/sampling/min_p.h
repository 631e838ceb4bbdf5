// MinPSampler: keeps the entries whose probability is at least p times the largest probability,
// and at least `min_keep` entries, as llama.cpp's `min-p`. The test is done on logits
// (logit >= max_logit + log p), which is the same condition without computing a softmax; the
// boundary is inclusive. p <= 0 disables it.
//
// An unsorted set is filtered in place preserving order (no sort needed); a sorted set is
// truncated. Stateless.
//
// Thread-safety: not thread-safe (see sampler.h); one per sequence.
#ifndef STRATA_RUNTIME_SAMPLING_MIN_P_H_
#define STRATA_RUNTIME_SAMPLING_MIN_P_H_

#include <cstddef>

#include "runtime/sampling/sampler.h"

namespace strata::sampling {

class MinPSampler : public Sampler {
 public:
  // `min_keep` of 0 behaves as 1, as in llama.cpp.
  explicit MinPSampler(float p, size_t min_keep = 1) : p_(p), min_keep_(min_keep) {}

  void Apply(Candidates& candidates) override;
  absl::string_view Name() const override { return "min-p"; }

  float p() const { return p_; }

 private:
  const float p_;
  const size_t min_keep_;
};

}  // namespace strata::sampling

#endif  // STRATA_RUNTIME_SAMPLING_MIN_P_H_
