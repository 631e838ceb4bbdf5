// SamplingParams: the sampling settings a user gives llama-cli (`--temp`, `--top-k`, ...), with
// llama.cpp's defaults, and MakeSamplerChain(), which validates them and builds the chain in
// llama.cpp's default order:
//
//   penalties -> top-k -> top-p -> min-p -> temp -> dist        (temp > 0)
//   penalties -> greedy                                         (temp <= 0)
//
// With temp <= 0 the filters are left out: none of them can remove the argmax, so greedy over
// the penalised logits gives the same token. Samplers whose settings make them a no-op
// (top_k == 0, top_p == 1, min_p == 0, temp == 1, penalties with repeat_last_n == 0 or all
// penalties neutral) are left out of the chain too.
//
// Plain data; thread-safe to read. The chain it builds is not thread-safe (one per sequence).
#ifndef STRATA_RUNTIME_SAMPLING_SAMPLING_PARAMS_H_
#define STRATA_RUNTIME_SAMPLING_SAMPLING_PARAMS_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "runtime/sampling/dist.h"
#include "runtime/sampling/sampler_chain.h"

namespace strata::sampling {

struct SamplingParams {
  float temp = 0.8f;               // --temp; <= 0 selects greedy decoding
  int32_t top_k = 40;              // --top-k; 0 disables
  float top_p = 0.95f;             // --top-p; in (0, 1], 1 disables
  float min_p = 0.05f;             // --min-p; in [0, 1], 0 disables
  int32_t min_keep = 0;            // --min-keep; top-p/min-p keep at least this many (0 acts as 1)
  float repeat_penalty = 1.0f;     // --repeat-penalty; > 0, 1 disables
  int32_t repeat_last_n = 64;      // --repeat-last-n; window for all three penalties, 0 disables
  float presence_penalty = 0.0f;   // --presence-penalty; 0 disables
  float frequency_penalty = 0.0f;  // --frequency-penalty; 0 disables
  uint32_t seed = kRandomSeed;     // --seed; kRandomSeed (0xFFFFFFFF) draws a random seed
};

// Validates `params` (InvalidArgument naming the offending flag) and `n_vocab` (> 0), then builds
// the chain described above. llama-cli's `--repeat-last-n -1` ("context size") must be resolved
// to a number by the caller, who knows the context size; -1 is rejected here.
absl::StatusOr<std::unique_ptr<SamplerChain>> MakeSamplerChain(const SamplingParams& params,
                                                               int32_t n_vocab);

}  // namespace strata::sampling

#endif  // STRATA_RUNTIME_SAMPLING_SAMPLING_PARAMS_H_
