#include "tools/cli/sampling_flags.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace strata::cli {

void RegisterSamplingFlags(FlagParser& p, SamplingFlags* f) {
  p.Float({"--temp"}, "T", &f->temp, "temperature, 0 = greedy (default 0.8)");
  p.Int({"--top-k"}, "K", &f->top_k, "top-k sampling, 0 = off (default 40)");
  p.Float({"--top-p"}, "P", &f->top_p, "top-p sampling, 1 = off (default 0.95)");
  p.Float({"--min-p"}, "P", &f->min_p, "min-p sampling, 0 = off (default 0.05)");
  p.Float({"--repeat-penalty"}, "X", &f->repeat_penalty, "repetition penalty, 1 = off (default 1)");
  p.Int({"--repeat-last-n"}, "N", &f->repeat_last_n,
        "penalty window, 0 = off, -1 = context (default 64)");
  p.Float({"--presence-penalty"}, "X", &f->presence_penalty, "presence penalty (default 0)");
  p.Float({"--frequency-penalty"}, "X", &f->frequency_penalty, "frequency penalty (default 0)");
  p.Int({"-s", "--seed"}, "N", &f->seed, "RNG seed, -1 = random (default -1)");
}

absl::StatusOr<sampling::SamplingParams> ToSamplingParams(const SamplingFlags& f, int64_t n_ctx) {
  sampling::SamplingParams s;
  s.temp = f.temp;
  if (f.top_k < 0 || f.top_k > INT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("--top-k must be >= 0, got ", f.top_k));
  }
  s.top_k = static_cast<int32_t>(f.top_k);
  s.top_p = f.top_p;
  s.min_p = f.min_p;
  s.repeat_penalty = f.repeat_penalty;
  if (f.repeat_last_n < -1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--repeat-last-n must be >= -1, got ", f.repeat_last_n));
  }
  s.repeat_last_n = static_cast<int32_t>(f.repeat_last_n == -1 ? n_ctx : f.repeat_last_n);
  s.presence_penalty = f.presence_penalty;
  s.frequency_penalty = f.frequency_penalty;
  if (f.seed < -1 || f.seed > UINT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("--seed must be in [-1, 2^32), got ", f.seed));
  }
  s.seed = f.seed == -1 ? sampling::kRandomSeed : static_cast<uint32_t>(f.seed);
  return s;
}

}  // namespace strata::cli
