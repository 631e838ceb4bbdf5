// PenaltiesSampler: llama.cpp's repetition / frequency / presence penalties over a window of the
// last `last_n` accepted tokens. For every candidate whose token occurs `count` > 0 times in the
// window:
//   logit = logit > 0 ? logit / repeat : logit * repeat      (so repeat > 1 always lowers it)
//   logit -= count * frequency + presence
// Tokens that have left the window are no longer penalised. The sampler is inactive (Apply is a
// no-op) when last_n == 0 or repeat == 1, frequency == 0 and presence == 0.
//
// State: a ring buffer of the window and a per-token count table sized to the vocabulary (both
// allocated once, in the constructor). Accept() pushes a token (evicting the oldest when full);
// Reset() empties the window. Apply() touches only the window's distinct tokens when the set is
// still the full vocabulary in id order, and falls back to a scan of the set otherwise. Tokens
// outside [0, n_vocab) occupy a window slot but are never counted. Marks the set unsorted
// whenever it changes a logit.
//
// Thread-safety: not thread-safe (see sampler.h); one per sequence.
#ifndef STRATA_RUNTIME_SAMPLING_PENALTIES_H_
#define STRATA_RUNTIME_SAMPLING_PENALTIES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/sampling/sampler.h"

namespace strata::sampling {

class PenaltiesSampler : public Sampler {
 public:
  // Negative `n_vocab` or `last_n` are treated as 0. `repeat` must be > 0 (MakeSamplerChain
  // validates it); 1 means no repetition penalty.
  PenaltiesSampler(int32_t n_vocab, int32_t last_n, float repeat, float frequency, float presence);

  void Apply(Candidates& candidates) override;
  void Accept(int32_t token) override;
  void Reset() override;
  absl::string_view Name() const override { return "penalties"; }

  // False when the parameters make Apply a no-op.
  bool active() const { return active_; }
  // Occurrences of `token` in the current window (0 for out-of-range tokens).
  int32_t CountInWindow(int32_t token) const;

 private:
  bool InVocab(int32_t token) const {
    return token >= 0 && static_cast<size_t>(token) < counts_.size();
  }
  float Penalize(float logit, int32_t count) const;

  const float repeat_;
  const float frequency_;
  const float presence_;
  const bool active_;

  std::vector<int32_t> window_;    // [last_n] ring buffer of accepted tokens
  size_t window_next_ = 0;         // slot the next Accept() writes
  size_t window_size_ = 0;         // filled slots, <= window_.size()
  std::vector<int32_t> counts_;    // [n_vocab] occurrences in the window
  std::vector<int32_t> distinct_;  // in-vocab tokens with counts_ > 0, unordered
};

}  // namespace strata::sampling

#endif  // STRATA_RUNTIME_SAMPLING_PENALTIES_H_
