#include "runtime/sampling/sampler_chain.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

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

std::string SamplerChain::SaveState() const {
  std::string out;
  for (const std::unique_ptr<Sampler>& sampler : samplers_) {
    const std::string state = sampler->SaveState();
    absl::StrAppend(&out, state.size(), " ", state);
  }
  return out;
}

absl::Status SamplerChain::RestoreState(absl::string_view state) {
  // Parse everything first, so a mismatch changes nothing.
  std::vector<absl::string_view> parts;
  for (size_t i = 0; i < samplers_.size(); ++i) {
    const size_t space = state.find(' ');
    size_t length = 0;
    if (space == absl::string_view::npos || !absl::SimpleAtoi(state.substr(0, space), &length) ||
        length > state.size() - space - 1) {
      return absl::InvalidArgumentError("sampler state does not match this sampler chain");
    }
    parts.push_back(state.substr(space + 1, length));
    state.remove_prefix(space + 1 + length);
  }
  if (!state.empty()) {
    return absl::InvalidArgumentError("sampler state does not match this sampler chain");
  }
  for (size_t i = 0; i < samplers_.size(); ++i) {
    if (parts[i].empty() != samplers_[i]->SaveState().empty()) {
      return absl::InvalidArgumentError("sampler state does not match this sampler chain");
    }
  }
  for (size_t i = 0; i < samplers_.size(); ++i) {
    STRATA_RETURN_IF_ERROR(samplers_[i]->RestoreState(parts[i]));
  }
  return absl::OkStatus();
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
