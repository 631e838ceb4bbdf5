// The forward-pass kernels against straightforward double-precision
// re-derivations on random inputs.
#include <cmath>
#include <random>
#include <vector>

#include "cpu/activations.h"
#include "cpu/attention.h"
#include "cpu/norm.h"
#include "cpu/rope.h"
#include "gtest/gtest.h"

namespace strata::cpu {
namespace {

std::vector<float> RandomVector(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(RmsNormTest, MatchesDefinition) {
  for (int64_t n : {1, 7, 64, 4096}) {
    const auto x = RandomVector(n, 1);
    const auto w = RandomVector(n, 2);
    std::vector<float> out(n);
    RmsNorm(x.data(), w.data(), n, 1e-6f, out.data());
    double ss = 0;
    for (float v : x) ss += static_cast<double>(v) * v;
    const double scale = 1.0 / std::sqrt(ss / n + 1e-6);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_NEAR(out[i], x[i] * scale * w[i], 1e-5 * (1 + std::fabs(x[i] * scale * w[i])));
    }
  }
}

TEST(RmsNormTest, InPlaceAndWithoutWeight) {
  auto x = RandomVector(33, 3);
  std::vector<float> expected(33);
  RmsNorm(x.data(), nullptr, 33, 1e-5f, expected.data());
  RmsNorm(x.data(), nullptr, 33, 1e-5f, x.data());
  EXPECT_EQ(x, expected);
}

TEST(SoftmaxTest, MatchesDefinitionAndHandlesMasking) {
  auto x = RandomVector(100, 4, 5.0f);
  x[7] = -INFINITY;
  std::vector<double> ref(100);
  double max = -INFINITY;
  for (float v : x) max = std::max<double>(max, v * 0.5);
  double sum = 0;
  for (int i = 0; i < 100; ++i) sum += ref[i] = std::exp(x[i] * 0.5 - max);
  Softmax(x.data(), 100, 0.5f);
  for (int i = 0; i < 100; ++i) EXPECT_NEAR(x[i], ref[i] / sum, 1e-6);
  EXPECT_EQ(x[7], 0.0f);
}

TEST(SwiGluTest, MatchesDefinition) {
  const auto g = RandomVector(50, 5, 3.0f);
  const auto u = RandomVector(50, 6);
  std::vector<float> out(50);
  SwiGlu(g.data(), u.data(), 50, out.data());
  for (int i = 0; i < 50; ++i) {
    const double s = g[i] / (1.0 + std::exp(-static_cast<double>(g[i])));
    EXPECT_NEAR(out[i], s * u[i], 1e-5 * (1 + std::fabs(s * u[i])));
  }
}

// RoPE rotates each pair by pos * base^(-2i/n_rot): check both pairings,
// partial rotation (n_rot < head_dim) and per-pair frequency factors.
void CheckRope(RopeMode mode, int head_dim, int n_rot, bool factors) {
  const int n_heads = 3;
  const int64_t pos = 37;
  std::vector<float> ff(n_rot / 2);
  for (int i = 0; i < n_rot / 2; ++i) ff[i] = 1.0f + 0.5f * i;
  RopeParams p{n_rot, 10000.0f, 0.5f, mode, factors ? ff.data() : nullptr};
  auto x = RandomVector(n_heads * head_dim, 7);
  const auto orig = x;
  std::vector<float> c(n_rot / 2), s(n_rot / 2);
  RopeAngles(p, pos, c.data(), s.data());
  ApplyRope(p, c.data(), s.data(), x.data(), n_heads, head_dim);
  for (int h = 0; h < n_heads; ++h) {
    const float* in = orig.data() + h * head_dim;
    const float* out = x.data() + h * head_dim;
    for (int i = 0; i < n_rot / 2; ++i) {
      const double theta = pos * 0.5 * std::pow(10000.0, -2.0 * i / n_rot) / (factors ? ff[i] : 1);
      const int a = mode == RopeMode::kAdjacent ? 2 * i : i;
      const int b = mode == RopeMode::kAdjacent ? 2 * i + 1 : i + n_rot / 2;
      EXPECT_NEAR(out[a], in[a] * std::cos(theta) - in[b] * std::sin(theta), 1e-4);
      EXPECT_NEAR(out[b], in[a] * std::sin(theta) + in[b] * std::cos(theta), 1e-4);
    }
    for (int d = n_rot; d < head_dim; ++d) EXPECT_EQ(out[d], in[d]);
  }
}

TEST(RopeTest, AdjacentPairs) { CheckRope(RopeMode::kAdjacent, 16, 16, false); }
TEST(RopeTest, NeoxPairs) { CheckRope(RopeMode::kNeox, 32, 32, false); }
TEST(RopeTest, PartialRotationAndFactors) {
  CheckRope(RopeMode::kAdjacent, 64, 32, true);
  CheckRope(RopeMode::kNeox, 64, 32, true);
}

TEST(AttentionTest, MatchesDefinitionWithStridedCache) {
  const int hd = 16;
  const int64_t n_kv = 23;
  const int64_t stride = 3 * hd;  // Three KV heads interleaved; we attend over head 1.
  const auto q = RandomVector(hd, 8);
  const auto k = RandomVector(n_kv * stride, 9);
  const auto v = RandomVector(n_kv * stride, 10);
  AttentionShape shape{hd, hd, stride, stride, 0.25f};
  std::vector<float> scratch(2 * n_kv), out(hd);
  AttendOneHead(shape, q.data(), k.data() + hd, v.data() + hd, n_kv, scratch.data(), out.data());
  std::vector<double> p(n_kv);
  double max = -INFINITY, sum = 0;
  for (int64_t j = 0; j < n_kv; ++j) {
    double dot = 0;
    for (int d = 0; d < hd; ++d) dot += static_cast<double>(q[d]) * k[j * stride + hd + d];
    p[j] = dot * 0.25;
    max = std::max(max, p[j]);
  }
  for (double& x : p) sum += x = std::exp(x - max);
  for (int d = 0; d < hd; ++d) {
    double o = 0;
    for (int64_t j = 0; j < n_kv; ++j) o += p[j] / sum * v[j * stride + hd + d];
    EXPECT_NEAR(out[d], o, 1e-5);
  }
}

}  // namespace
}  // namespace strata::cpu
