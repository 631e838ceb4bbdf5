#include "runtime/sampling/sampler_chain.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace strata::sampling {

void SamplerChain::Add(std::unique_ptr<Sampler> sampler) {
  if (sampler != nullptr) samplers_.push_back(std::move(sampler));
}

void SamplerChain::Apply(Candidates& candidates) {
  for (const std::unique_ptr<Sampler>& sampler : samplers_) sampler->Apply(candidates);
}

void SamplerChain::Accept(int32_t token) {
  for (const std::unique_ptr<Sampler>& sampler : samplers_) sampler->Accept(token);
}

void SamplerChain::Reset() {
  for (const std::unique_ptr<Sampler>& sampler : samplers_) sampler->Reset();
}

absl::StatusOr<int32_t> SamplerChain::Sample(absl::Span<const float> logits,
                                             Candidates& candidates) {
  if (logits.empty()) return absl::InvalidArgumentError("Sample: logits are empty");
  FillCandidates(logits, candidates);
  Apply(candidates);
  const int32_t token = SelectedToken(candidates);
  if (token < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("Sample: no sampler selected a token; the chain (", Describe(),
                     ") must end with greedy or dist"));
  }
  Accept(token);
  return token;
}

std::string SamplerChain::Describe() const {
  std::string out;
  for (const std::unique_ptr<Sampler>& sampler : samplers_) {
    if (!out.empty()) out += " -> ";
    absl::StrAppend(&out, sampler->Name());
  }
  return out;
}

}  // namespace strata::sampling
