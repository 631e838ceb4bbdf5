// RMS normalisation: y = x / sqrt(mean(x^2) + eps) * w.
//
// The sum of squares accumulates in double, as ggml does, so that long rows
// (n_embd 4096+) agree with llama.cpp to the last few ulps. Pure functions.
#ifndef STRATA_CPU_NORM_H_
#define STRATA_CPU_NORM_H_

#include <cstdint>

namespace strata::cpu {

// out[i] = x[i] * scale * w[i]; w may be nullptr (no weight). out may alias x.
void RmsNorm(const float* x, const float* w, int64_t n, float eps, float* out);

}  // namespace strata::cpu

#endif  // STRATA_CPU_NORM_H_
