#include "cpu/rope.h"

#include <cmath>

#include "cpu/multiversion.h"

namespace strata::cpu {

void RopeAngles(const RopeParams& p, int64_t pos, float* cos_out, float* sin_out) {
  const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_rot));
  float theta = static_cast<float>(pos);
  for (int i = 0; i < p.n_rot / 2; ++i) {
    const float factor = p.freq_factors != nullptr ? p.freq_factors[i] : 1.0f;
    const float angle = p.freq_scale * (theta / factor);
    cos_out[i] = std::cos(angle);
    sin_out[i] = std::sin(angle);
    theta *= theta_scale;
  }
}

namespace {

// (a, b) rotated by the angle with cosine c and sine s. llama.cpp writes
// a*c - b*s and a*s + b*c, which its compiler contracts into one fused
// multiply-add each, around the left product; we do the same explicitly so
// the result is bit-identical.
inline void Rotate(float c, float s, float* a, float* b) {
  const float x0 = *a;
  const float x1 = *b;
  *a = std::fma(x0, c, -(x1 * s));
  *b = std::fma(x0, s, x1 * c);
}

}  // namespace

STRATA_MULTIVERSION
void ApplyRope(const RopeParams& p, const float* cos_t, const float* sin_t, float* x, int n_heads,
               int head_dim) {
  const int half = p.n_rot / 2;
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_dim;
    if (p.mode == RopeMode::kAdjacent) {
      for (int i = 0; i < half; ++i) Rotate(cos_t[i], sin_t[i], &v[2 * i], &v[2 * i + 1]);
    } else {
      for (int i = 0; i < half; ++i) Rotate(cos_t[i], sin_t[i], &v[i], &v[i + half]);
    }
  }
}

}  // namespace strata::cpu
