#include "runtime/sampling/sampling_params.h"

#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/sampling/greedy.h"
#include "runtime/sampling/min_p.h"
#include "runtime/sampling/penalties.h"
#include "runtime/sampling/temperature.h"
#include "runtime/sampling/top_k.h"
#include "runtime/sampling/top_p.h"

namespace strata::sampling {
namespace {

absl::Status Invalid(absl::string_view flag, absl::string_view requirement, double value) {
  return absl::InvalidArgumentError(
      absl::StrCat("sampling: ", flag, " must be ", requirement, ", got ", value));
}

// Comparisons below are written so that NaN fails them (NaN compares false with everything).
absl::Status Validate(const SamplingParams& p, int32_t n_vocab) {
  if (n_vocab <= 0) return Invalid("n_vocab", "> 0", n_vocab);
  if (!(std::isfinite(p.temp) && p.temp >= 0.0f)) {
    return Invalid("--temp", "a finite number >= 0 (0 means greedy)", p.temp);
  }
  if (p.top_k < 0) return Invalid("--top-k", ">= 0 (0 disables it)", p.top_k);
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) {
    return Invalid("--top-p", "in (0, 1] (1 disables it)", p.top_p);
  }
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) {
    return Invalid("--min-p", "in [0, 1] (0 disables it)", p.min_p);
  }
  if (p.min_keep < 0) return Invalid("--min-keep", ">= 0", p.min_keep);
  if (!(std::isfinite(p.repeat_penalty) && p.repeat_penalty > 0.0f)) {
    return Invalid("--repeat-penalty", "a finite number > 0 (1 disables it)", p.repeat_penalty);
  }
  if (p.repeat_last_n < 0) {
    return Invalid("--repeat-last-n",
                   ">= 0 (0 disables penalties; resolve -1 to the context size before this call)",
                   p.repeat_last_n);
  }
  if (!std::isfinite(p.presence_penalty)) {
    return Invalid("--presence-penalty", "finite", p.presence_penalty);
  }
  if (!std::isfinite(p.frequency_penalty)) {
    return Invalid("--frequency-penalty", "finite", p.frequency_penalty);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SamplerChain>> MakeSamplerChain(const SamplingParams& params,
                                                               int32_t n_vocab) {
  STRATA_RETURN_IF_ERROR(Validate(params, n_vocab));
  auto chain = std::make_unique<SamplerChain>();

  auto penalties =
      std::make_unique<PenaltiesSampler>(n_vocab, params.repeat_last_n, params.repeat_penalty,
                                         params.frequency_penalty, params.presence_penalty);
  if (penalties->active()) chain->Add(std::move(penalties));

  if (params.temp <= 0.0f) {
    chain->Add(std::make_unique<GreedySampler>());
    return chain;
  }
  const size_t min_keep = static_cast<size_t>(params.min_keep);
  if (params.top_k > 0) chain->Add(std::make_unique<TopKSampler>(params.top_k));
  if (params.top_p < 1.0f) chain->Add(std::make_unique<TopPSampler>(params.top_p, min_keep));
  if (params.min_p > 0.0f) chain->Add(std::make_unique<MinPSampler>(params.min_p, min_keep));
  if (params.temp != 1.0f) chain->Add(std::make_unique<TemperatureSampler>(params.temp));
  chain->Add(std::make_unique<DistSampler>(params.seed));
  return chain;
}

}  // namespace strata::sampling
