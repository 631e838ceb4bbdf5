// Element-wise activations and softmax.
//
// These follow llama.cpp's CPU backend (AVX-512 build) operation for
// operation, so that their results are bit-identical to llama.cpp's:
// exponentials of 16-element chunks use ggml's vectorised expf (a polynomial
// within 1.5 ulp of expf, but not equal to it), the rest libm's expf, and
// softmax accumulates its sum in double, one 16-element chunk at a time.
// Bit-identity matters because activations are re-quantized before every
// matmul: a one-ulp difference can change a Q8_0 code and, a few layers on,
// the logits by ~1e-2. Pure functions.
#ifndef STRATA_CPU_ACTIVATIONS_H_
#define STRATA_CPU_ACTIVATIONS_H_

#include <cmath>
#include <cstdint>

namespace strata::cpu {

inline float Silu(float x) { return x / (1.0f + std::exp(-x)); }

// out[i] = silu(gate[i]) * up[i] over one row of n elements (ggml_vec_swiglu_f32:
// 16-element chunks from the start of the row use the vectorised expf). out may
// alias gate or up.
void SwiGlu(const float* gate, const float* up, int64_t n, float* out);

// In place: x = softmax(x * scale). Entries equal to -inf get probability 0.
void Softmax(float* x, int64_t n, float scale = 1.0f);

}  // namespace strata::cpu

#endif  // STRATA_CPU_ACTIVATIONS_H_
