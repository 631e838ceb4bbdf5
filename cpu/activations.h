// Element-wise activations and softmax.
//
// Softmax accumulates the sum of exponentials in double, as ggml does, so
// router probabilities and attention weights match llama.cpp closely.
// Pure functions.
#ifndef STRATA_CPU_ACTIVATIONS_H_
#define STRATA_CPU_ACTIVATIONS_H_

#include <cmath>
#include <cstdint>

namespace strata::cpu {

inline float Silu(float x) { return x / (1.0f + std::exp(-x)); }

// out[i] = silu(gate[i]) * up[i]. out may alias gate or up.
void SwiGlu(const float* gate, const float* up, int64_t n, float* out);

// In place: x = softmax(x * scale). Entries equal to -inf get probability 0.
void Softmax(float* x, int64_t n, float scale = 1.0f);

}  // namespace strata::cpu

#endif  // STRATA_CPU_ACTIVATIONS_H_
