// The forward-pass kernels against straightforward double-precision
// re-derivations on random inputs.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/fp16.h"
#include "cpu/activations.h"
#include "cpu/attention.h"
#include "cpu/norm.h"
#include "cpu/quant_kernels.h"
#include "cpu/rope.h"
#include "cpu/thread_pool.h"
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
  std::vector<float> scratch(AttentionScratchFloats(n_kv, hd)), out(hd);
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

// The definition llama.cpp computes (cpu/attention.h), one column of V at a
// time with the scalar reference F32 dot: what the fast path must equal bit
// for bit.
std::vector<float> AttendByDefinition(const AttentionShape& shape, const float* q,
                                      const PagedKv& kv, int64_t n_kv) {
  const QuantKernels& f32 = *FindReferenceKernels(DType::kF32);
  const int64_t len = std::max(n_kv, shape.kv_len);
  auto row = [&](const float* const* pages, int64_t offset, int64_t stride, int64_t j) {
    return pages[j / kv.tokens_per_page] + offset + (j % kv.tokens_per_page) * stride;
  };
  std::vector<float> p(len, -INFINITY), column(len, 0.0f), out(shape.head_dim_v);
  for (int64_t j = 0; j < n_kv; ++j) {
    p[j] = f32.vec_dot(shape.head_dim_k, row(kv.k_pages, kv.k_offset, shape.kv_stride_k, j), q);
  }
  Softmax(p.data(), len, shape.scale);
  for (int d = 0; d < shape.head_dim_v; ++d) {
    for (int64_t j = 0; j < n_kv; ++j)
      column[j] = row(kv.v_pages, kv.v_offset, shape.kv_stride_v, j)[d];
    out[d] = f32.vec_dot(len, column.data(), p.data());
  }
  return out;
}

struct PagedCase {
  int head_dim_k;
  int head_dim_v;
  int64_t n_kv;
  int64_t kv_len;  // The masked view; 0: n_kv.
  int64_t tokens_per_page;
};

class PagedAttentionTest : public ::testing::TestWithParam<PagedCase> {};

TEST_P(PagedAttentionTest, EqualsTheDefinitionBitForBit) {
  const PagedCase c = GetParam();
  const int n_head_kv = 2;
  const int64_t stride_k = n_head_kv * c.head_dim_k, stride_v = n_head_kv * c.head_dim_v;
  const int64_t n_pages = (c.n_kv + c.tokens_per_page - 1) / c.tokens_per_page;
  std::vector<std::vector<float>> k_store, v_store;
  std::vector<const float*> k_pages, v_pages;
  for (int64_t page = 0; page < n_pages; ++page) {
    k_store.push_back(RandomVector(c.tokens_per_page * stride_k, 100 + page));
    v_store.push_back(RandomVector(c.tokens_per_page * stride_v, 200 + page));
  }
  for (int64_t page = 0; page < n_pages; ++page) {
    k_pages.push_back(k_store[page].data());
    v_pages.push_back(v_store[page].data());
  }
  const auto q = RandomVector(c.head_dim_k, 7, 2.0f);
  AttentionShape shape{c.head_dim_k, c.head_dim_v, stride_k, stride_v, 0.125f, c.kv_len};
  PagedKv kv{k_pages.data(), v_pages.data(), c.head_dim_k, c.head_dim_v, c.tokens_per_page};
  const int64_t len = std::max(c.n_kv, c.kv_len);
  // Dirty scratch: the kernel must not depend on what it holds.
  std::vector<float> scratch(AttentionScratchFloats(len, c.head_dim_v), NAN);
  std::vector<float> out(c.head_dim_v);
  AttendOneHeadPaged(shape, q.data(), kv, c.n_kv, scratch.data(), out.data());
  const std::vector<float> want = AttendByDefinition(shape, q.data(), kv, c.n_kv);
  for (int d = 0; d < c.head_dim_v; ++d) {
    ASSERT_EQ(std::bit_cast<uint32_t>(out[d]), std::bit_cast<uint32_t>(want[d]))
        << "d " << d << ": " << out[d] << " vs " << want[d];
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PagedAttentionTest,
    ::testing::Values(PagedCase{128, 128, 1, 256, 32},     // first decode step, padded view
                      PagedCase{128, 128, 300, 512, 32},   // main part and masked rows
                      PagedCase{64, 64, 64, 0, 16},        // exactly one step, no tail
                      PagedCase{64, 64, 100, 0, 7},        // a tail of 36, odd pages
                      PagedCase{192, 128, 777, 1024, 64},  // K and V heads differ
                      PagedCase{80, 80, 5000, 0, 256},     // long, tail of 8
                      PagedCase{16, 16, 23, 30, 23}));     // view not a step multiple

// llama.cpp's non-flash attention over an F16 cache for one query token, one
// column of V at a time with the scalar reference F16 dot (VecDotF16): the
// scores dot K rows with q rounded to F16, the second product dots each V
// column with the probabilities rounded to F16.
std::vector<float> AttendByDefinitionF16(const AttentionShape& shape, const float* q,
                                         const PagedKvF16& kv, int64_t n_kv) {
  const QuantKernels& f16 = *FindReferenceKernels(DType::kF16);
  const int64_t len = std::max(n_kv, shape.kv_len);
  auto row = [&](const uint16_t* const* pages, int64_t offset, int64_t stride, int64_t j) {
    return pages[j / kv.tokens_per_page] + offset + (j % kv.tokens_per_page) * stride;
  };
  std::vector<uint16_t> q16(shape.head_dim_k), p16(len), column(len, 0);
  f16.from_float(q, q16.data(), shape.head_dim_k);
  std::vector<float> p(len, -INFINITY), out(shape.head_dim_v);
  for (int64_t j = 0; j < n_kv; ++j) {
    p[j] = f16.vec_dot(shape.head_dim_k, row(kv.k_pages, kv.k_offset, shape.kv_stride_k, j),
                       q16.data());
  }
  Softmax(p.data(), len, shape.scale);
  f16.from_float(p.data(), p16.data(), len);
  for (int d = 0; d < shape.head_dim_v; ++d) {
    for (int64_t j = 0; j < n_kv; ++j)
      column[j] = row(kv.v_pages, kv.v_offset, shape.kv_stride_v, j)[d];
    out[d] = f16.vec_dot(len, column.data(), p16.data());
  }
  return out;
}

std::vector<uint16_t> RandomHalves(int64_t n, uint32_t seed) {
  const std::vector<float> x = RandomVector(n, seed);
  std::vector<uint16_t> h(n);
  for (int64_t i = 0; i < n; ++i) h[i] = Fp32ToFp16(x[i]);
  return h;
}

class PagedAttentionF16Test : public ::testing::TestWithParam<PagedCase> {};

TEST_P(PagedAttentionF16Test, EqualsTheDefinitionBitForBit) {
  const PagedCase c = GetParam();
  const int n_head_kv = 2;
  const int64_t stride_k = n_head_kv * c.head_dim_k, stride_v = n_head_kv * c.head_dim_v;
  const int64_t n_pages = (c.n_kv + c.tokens_per_page - 1) / c.tokens_per_page;
  std::vector<std::vector<uint16_t>> k_store, v_store;
  std::vector<const uint16_t*> k_pages, v_pages;
  for (int64_t page = 0; page < n_pages; ++page) {
    k_store.push_back(RandomHalves(c.tokens_per_page * stride_k, 100 + page));
    v_store.push_back(RandomHalves(c.tokens_per_page * stride_v, 200 + page));
  }
  for (int64_t page = 0; page < n_pages; ++page) {
    k_pages.push_back(k_store[page].data());
    v_pages.push_back(v_store[page].data());
  }
  const auto q = RandomVector(c.head_dim_k, 7, 2.0f);
  AttentionShape shape{c.head_dim_k, c.head_dim_v, stride_k, stride_v, 0.125f, c.kv_len};
  PagedKvF16 kv{k_pages.data(), v_pages.data(), c.head_dim_k, c.head_dim_v, c.tokens_per_page};
  const int64_t len = std::max(c.n_kv, c.kv_len);
  std::vector<float> scratch(AttentionScratchFloats(len, c.head_dim_v), NAN);
  std::vector<float> out(c.head_dim_v);
  AttendOneHeadPaged(shape, q.data(), kv, c.n_kv, scratch.data(), out.data());
  const std::vector<float> want = AttendByDefinitionF16(shape, q.data(), kv, c.n_kv);
  for (int d = 0; d < c.head_dim_v; ++d) {
    ASSERT_EQ(std::bit_cast<uint32_t>(out[d]), std::bit_cast<uint32_t>(want[d]))
        << "d " << d << ": " << out[d] << " vs " << want[d];
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PagedAttentionF16Test,
    ::testing::Values(PagedCase{128, 128, 1, 256, 32},     // first decode step, padded view
                      PagedCase{128, 128, 300, 512, 32},   // main part and masked rows
                      PagedCase{64, 64, 64, 0, 16},        // exactly one step, no tail
                      PagedCase{64, 64, 100, 0, 7},        // a tail of 36, odd pages
                      PagedCase{192, 128, 777, 1024, 64},  // K and V heads differ
                      PagedCase{80, 80, 5000, 0, 256},     // long, tail of 8
                      PagedCase{16, 16, 23, 30, 23},       // view not a step multiple
                      PagedCase{72, 40, 131, 0, 5}));      // odd dims, tail of 3

struct SplitCase {
  int n_head;
  int group;  // Query heads per KV head.
  int head_dim;
  int64_t n_kv;
  int64_t kv_len;
};

class DecodeSplitTest : public ::testing::TestWithParam<SplitCase> {};

// Splitting one token's attention over positions and dimensions changes no
// bit of any head's output, with threads that really run concurrently.
TEST_P(DecodeSplitTest, EqualsOneHeadAtATime) {
  const SplitCase c = GetParam();
  const int n_head_kv = c.n_head / c.group;
  const int64_t stride = static_cast<int64_t>(n_head_kv) * c.head_dim;
  const int64_t per_page = 32;
  const int64_t n_pages = (c.n_kv + per_page - 1) / per_page;
  const auto k = RandomVector(n_pages * per_page * stride, 11);
  const auto v = RandomVector(n_pages * per_page * stride, 12);
  std::vector<const float*> k_pages, v_pages;
  for (int64_t page = 0; page < n_pages; ++page) {
    k_pages.push_back(k.data() + page * per_page * stride);
    v_pages.push_back(v.data() + page * per_page * stride);
  }
  const auto q = RandomVector(static_cast<int64_t>(c.n_head) * c.head_dim, 13, 2.0f);
  AttentionShape shape{c.head_dim, c.head_dim, stride, stride, 0.09f, c.kv_len};
  const PagedKv kv{k_pages.data(), v_pages.data(), 0, 0, per_page};
  const int64_t len = std::max(c.n_kv, c.kv_len);
  ThreadPool pool(2);
  std::vector<float> scratch(SplitDecodeScratchFloats(c.n_head, len, c.head_dim, 2), NAN);
  std::vector<float> got(static_cast<size_t>(c.n_head) * c.head_dim);
  AttendDecodeSplit(shape, q.data(), kv, c.n_head, c.group, c.n_kv, &pool, scratch.data(),
                    got.data());
  std::vector<float> one(AttentionScratchFloats(len, c.head_dim)), want(c.head_dim);
  for (int h = 0; h < c.n_head; ++h) {
    PagedKv head = kv;
    head.k_offset = head.v_offset = static_cast<int64_t>(h / c.group) * c.head_dim;
    AttendOneHeadPaged(shape, q.data() + h * c.head_dim, head, c.n_kv, one.data(), want.data());
    ASSERT_EQ(std::memcmp(got.data() + h * c.head_dim, want.data(), c.head_dim * sizeof(float)), 0)
        << "head " << h;
  }
}

// The same over an F16 cache.
TEST_P(DecodeSplitTest, F16EqualsOneHeadAtATime) {
  const SplitCase c = GetParam();
  const int n_head_kv = c.n_head / c.group;
  const int64_t stride = static_cast<int64_t>(n_head_kv) * c.head_dim;
  const int64_t per_page = 32;
  const int64_t n_pages = (c.n_kv + per_page - 1) / per_page;
  const auto k = RandomHalves(n_pages * per_page * stride, 11);
  const auto v = RandomHalves(n_pages * per_page * stride, 12);
  std::vector<const uint16_t*> k_pages, v_pages;
  for (int64_t page = 0; page < n_pages; ++page) {
    k_pages.push_back(k.data() + page * per_page * stride);
    v_pages.push_back(v.data() + page * per_page * stride);
  }
  const auto q = RandomVector(static_cast<int64_t>(c.n_head) * c.head_dim, 13, 2.0f);
  AttentionShape shape{c.head_dim, c.head_dim, stride, stride, 0.09f, c.kv_len};
  const PagedKvF16 kv{k_pages.data(), v_pages.data(), 0, 0, per_page};
  const int64_t len = std::max(c.n_kv, c.kv_len);
  ThreadPool pool(2);
  std::vector<float> scratch(SplitDecodeScratchFloats(c.n_head, len, c.head_dim, 2), NAN);
  std::vector<float> got(static_cast<size_t>(c.n_head) * c.head_dim);
  AttendDecodeSplit(shape, q.data(), kv, c.n_head, c.group, c.n_kv, &pool, scratch.data(),
                    got.data());
  for (int h = 0; h < c.n_head; ++h) {
    PagedKvF16 head = kv;
    head.k_offset = head.v_offset = static_cast<int64_t>(h / c.group) * c.head_dim;
    const std::vector<float> want =
        AttendByDefinitionF16(shape, q.data() + h * c.head_dim, head, c.n_kv);
    ASSERT_EQ(std::memcmp(got.data() + h * c.head_dim, want.data(), c.head_dim * sizeof(float)), 0)
        << "head " << h;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, DecodeSplitTest,
                         ::testing::Values(SplitCase{1, 1, 128, 5000, 5120},
                                           SplitCase{2, 2, 128, 4097, 4352},
                                           SplitCase{4, 2, 80, 3000, 0},
                                           SplitCase{3, 3, 64, 700, 768},
                                           SplitCase{8, 4, 16, 1, 256}));

}  // namespace
}  // namespace strata::cpu
