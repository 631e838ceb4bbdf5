// SamplerChain: an ordered list of samplers that is itself a Sampler. Apply() runs every
// sampler in order; Accept() and Reset() are forwarded to all of them. A chain meant for
// generation ends with a selecting sampler (GreedySampler or DistSampler); Sample() is the
// per-token entry point that fills the caller's candidates from the logits, applies the chain,
// and accepts the chosen token, like llama.cpp's llama_sampler_sample().
//
// Ownership: the chain owns its samplers. The caller owns the `Candidates` passed to Sample() and
// should reuse one per sequence so nothing is allocated per token.
//
// Thread-safety: not thread-safe; one chain per sequence (see sampler.h).
#ifndef STRATA_RUNTIME_SAMPLING_SAMPLER_CHAIN_H_
#define STRATA_RUNTIME_SAMPLING_SAMPLER_CHAIN_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/sampling/candidates.h"
#include "runtime/sampling/sampler.h"

namespace strata::sampling {

class SamplerChain : public Sampler {
 public:
  SamplerChain() = default;
  SamplerChain(const SamplerChain&) = delete;
  SamplerChain& operator=(const SamplerChain&) = delete;

  // Appends `sampler` (ignored if null).
  void Add(std::unique_ptr<Sampler> sampler);

  void Apply(Candidates& candidates) override;
  void Accept(int32_t token) override;
  void Reset() override;
  // Every sampler's state, in order, each as its length, a space and the bytes.
  std::string SaveState() const override;
  // InvalidArgument (and nothing changed) unless `state` came from a chain of
  // the same samplers.
  absl::Status RestoreState(absl::string_view state) override;
  absl::string_view Name() const override { return "chain"; }

  // One generation step: FillCandidates(logits), Apply, Accept(chosen token). Returns the token
  // id. FailedPrecondition if no sampler in the chain selected a token (the chain does not end
  // with greedy or dist); InvalidArgument if `logits` is empty.
  absl::StatusOr<int32_t> Sample(absl::Span<const float> logits, Candidates& candidates);

  size_t size() const { return samplers_.size(); }
  const Sampler& at(size_t i) const { return *samplers_[i]; }
  // The samplers' names joined by " -> ", e.g. "top-k -> top-p -> min-p -> temp -> dist", as
  // llama-cli prints its sampler chain.
  std::string Describe() const;

 private:
  std::vector<std::unique_ptr<Sampler>> samplers_;
};

}  // namespace strata::sampling

#endif  // STRATA_RUNTIME_SAMPLING_SAMPLER_CHAIN_H_
