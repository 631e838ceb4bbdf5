// TemperatureSampler: divides every logit by the temperature `t`, as llama.cpp's `temp` sampler.
// t > 1 flattens the distribution, t < 1 sharpens it, t == 1 is a no-op. t <= 0 is the greedy
// limit: every logit but the argmax (lowest id among ties) becomes -inf, so a following `dist`
// always draws the argmax. Order is preserved for t > 0. Stateless.
//
// Thread-safety: not thread-safe (see sampler.h); one per sequence.
#ifndef STRATA_RUNTIME_SAMPLING_TEMPERATURE_H_
#define STRATA_RUNTIME_SAMPLING_TEMPERATURE_H_

#include "runtime/sampling/sampler.h"

namespace strata::sampling {

class TemperatureSampler : public Sampler {
 public:
  explicit TemperatureSampler(float temperature) : temperature_(temperature) {}

  void Apply(Candidates& candidates) override;
  absl::string_view Name() const override { return "temp"; }

  float temperature() const { return temperature_; }

 private:
  const float temperature_;
};

}  // namespace strata::sampling

#endif  // STRATA_RUNTIME_SAMPLING_TEMPERATURE_H_
