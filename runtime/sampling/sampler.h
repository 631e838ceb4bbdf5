// The sampler interface, modelled on llama.cpp's `llama_sampler_i`: a sampler transforms a
// `Candidates` set in place (filters it, rescales logits, or selects a token). `Apply` is the one
// required method. `Accept` tells a stateful sampler which token was finally emitted (penalties
// keep their window this way); `Reset` returns it to its freshly constructed state for a new
// sequence. A `SamplerChain` is itself a `Sampler`.
//
// Ownership: samplers are owned through std::unique_ptr, normally by a `SamplerChain`. They never
// retain the `Candidates` they are given.
//
// Thread-safety: samplers are not thread-safe. Use one sampler (chain) per sequence; distinct
// instances share nothing and may run concurrently.
#ifndef STRATA_RUNTIME_SAMPLING_SAMPLER_H_
#define STRATA_RUNTIME_SAMPLING_SAMPLER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "runtime/sampling/candidates.h"

namespace strata::sampling {

class Sampler {
 public:
  virtual ~Sampler() = default;

  // Transforms `candidates` in place. Filters never empty a non-empty set (they keep at least
  // one token); selecting samplers set `candidates.selected`.
  virtual void Apply(Candidates& candidates) = 0;

  // Records that `token` was emitted (also called for prompt tokens, as llama-cli does, so that
  // penalties see the prompt). Default: stateless, nothing to do.
  virtual void Accept(int32_t token) {}

  // Forgets all per-sequence state (history window, RNG position). Default: nothing to do.
  virtual void Reset() {}

  // Per-sequence state that Accept() cannot rebuild from the tokens (the RNG
  // position), as an opaque string for /save; empty when there is none.
  virtual std::string SaveState() const { return {}; }
  // Restores what SaveState() returned; InvalidArgument if it cannot be parsed.
  virtual absl::Status RestoreState(absl::string_view state) {
    return state.empty() ? absl::OkStatus()
                         : absl::InvalidArgumentError("this sampler keeps no state");
  }

  // Short name, as llama.cpp prints it ("top-k", "dist", ...). Points to static storage.
  virtual absl::string_view Name() const { return "sampler"; }
};

}  // namespace strata::sampling

#endif  // STRATA_RUNTIME_SAMPLING_SAMPLER_H_
