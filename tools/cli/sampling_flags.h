// The sampling flags `strata run` and `strata chat` share (llama.cpp's
// spellings and defaults), and their conversion to SamplingParams.
#ifndef STRATA_TOOLS_CLI_SAMPLING_FLAGS_H_
#define STRATA_TOOLS_CLI_SAMPLING_FLAGS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "runtime/sampling/sampling_params.h"
#include "tools/cli/flag_parser.h"

namespace strata::cli {

struct SamplingFlags {
  float temp = 0.8f;
  int64_t top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  int64_t repeat_last_n = 64;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  int64_t seed = -1;
};

// --temp, --top-k, --top-p, --min-p, --repeat-penalty, --repeat-last-n,
// --presence-penalty, --frequency-penalty, -s/--seed.
void RegisterSamplingFlags(FlagParser& parser, SamplingFlags* flags);

// InvalidArgument naming the flag for out-of-range values; --repeat-last-n -1
// becomes `n_ctx`.
absl::StatusOr<sampling::SamplingParams> ToSamplingParams(const SamplingFlags& flags,
                                                          int64_t n_ctx);

}  // namespace strata::cli

#endif  // STRATA_TOOLS_CLI_SAMPLING_FLAGS_H_
