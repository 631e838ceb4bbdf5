// DistSampler: draws one token from the softmax of the candidates' logits with a seedable
// std::mt19937, by inverse CDF (one uniform draw, then a running sum), as llama.cpp's `dist`.
// It is the selecting sampler at the end of a non-greedy chain. Apply() also leaves `prob`
// holding the normalised softmax over the (already filtered) set.
//
// Seeding: a fixed seed gives a reproducible sequence of draws for the same inputs (with the same
// standard library). `kRandomSeed` (0xFFFFFFFF, llama.cpp's LLAMA_DEFAULT_SEED) asks for a fresh
// seed from std::random_device (or the clock if that is not a real entropy source) at
// construction and at every Reset(); `seed()` reports the seed in use so a run can be replayed.
// Reset() re-seeds, restarting the sequence of draws.
//
// Thread-safety: not thread-safe (see sampler.h); one per sequence.
#ifndef STRATA_RUNTIME_SAMPLING_DIST_H_
#define STRATA_RUNTIME_SAMPLING_DIST_H_

#include <cstdint>
#include <random>
#include <string>

#include "runtime/sampling/sampler.h"

namespace strata::sampling {

inline constexpr uint32_t kRandomSeed = 0xFFFFFFFFu;

class DistSampler : public Sampler {
 public:
  explicit DistSampler(uint32_t seed);

  // Sets `selected` to the drawn index (-1 when `candidates` is empty). Entries with zero
  // probability (logit -inf, or underflow) are never drawn.
  void Apply(Candidates& candidates) override;
  void Reset() override;
  // The seed in use and the generator's position (std::mt19937's text form).
  std::string SaveState() const override;
  absl::Status RestoreState(absl::string_view state) override;
  absl::string_view Name() const override { return "dist"; }

  // The seed actually in use (the resolved one when constructed with kRandomSeed).
  uint32_t seed() const { return seed_in_use_; }

 private:
  const uint32_t requested_seed_;
  uint32_t seed_in_use_;
  std::mt19937 rng_;
};

}  // namespace strata::sampling

#endif  // STRATA_RUNTIME_SAMPLING_DIST_H_
