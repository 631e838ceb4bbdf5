#include "cpu/activations.h"

#include <limits>

#include "core/fp16.h"
#include "cpu/multiversion.h"

namespace strata::cpu {
namespace {

constexpr int kChunk = 16;  // Floats per AVX-512 register.

// ggml_v_expf, AVX-512 version: n = round(x / ln 2), b = x - n ln 2 in two
// fused steps, exp(b) by a fused polynomial, times 2^n; |n| > 192 saturates.
__attribute__((always_inline)) inline float VectorExpf(float x) {
  const float r = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, r);
  const float n = z - r;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const float u = b * b;
  const float j = std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                                    std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                           u, std::fma(0x1.ffffecp-1f, b, 1.0f));
  if (std::fabs(n) > 192.0f) return n <= 0.0f ? 0.0f : std::numeric_limits<float>::infinity();
  // j * 2^n; a multiply by the power of two when it is a normal float (the
  // same correctly rounded result as ldexp, and it vectorises).
  const int ni = static_cast<int>(n);
  if (ni >= -126 && ni <= 127) return j * BitsToFloat(static_cast<uint32_t>(ni + 127) << 23);
  return std::ldexp(j, ni);
}

// _mm512_reduce_add_ps: halves added pairwise down to one element.
__attribute__((always_inline)) inline float ReduceChunk(float* v) {
  for (int width = kChunk / 2; width > 0; width /= 2) {
    for (int l = 0; l < width; ++l) v[l] += v[l + width];
  }
  return v[0];
}

}  // namespace

STRATA_MULTIVERSION
void SwiGlu(const float* gate, const float* up, int64_t n, float* out) {
  const int64_t n_chunked = n - n % kChunk;
  for (int64_t i = 0; i < n_chunked; ++i) {
    const float x = gate[i];
    out[i] = (x / (1.0f + VectorExpf(0.0f - x))) * up[i];  // ggml_v_silu(x) * up.
  }
  for (int64_t i = n_chunked; i < n; ++i) out[i] = Silu(gate[i]) * up[i];
}

STRATA_MULTIVERSION
void Softmax(float* x, int64_t n, float scale) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    x[i] *= scale;
    max = x[i] > max ? x[i] : max;
  }
  double sum = 0.0;
  int64_t i = 0;
  for (; i + kChunk <= n; i += kChunk) {
    float chunk[kChunk];
    for (int l = 0; l < kChunk; ++l) chunk[l] = x[i + l] = VectorExpf(x[i + l] - max);
    sum += ReduceChunk(chunk);
  }
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace strata::cpu
