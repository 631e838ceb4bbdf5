// Activation quantizers (Q8_0, Q8_1, Q8_K): they must reproduce ggml's x86
// CPU path code for code, since llama.cpp's logits are computed from them.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/dtype.h"
#include "core/fp16.h"
#include "core/quant_blocks.h"
#include "cpu/quant_kernels.h"
#include "cpu/reference/testing/quant_test_util.h"
#include "gtest/gtest.h"

namespace strata::cpu {
namespace {

using quant_test::NormalRow;

template <typename Block>
std::vector<Block> QuantizeBlocks(DType type, const std::vector<float>& x) {
  std::vector<Block> blocks(x.size() / static_cast<size_t>(GetDTypeInfo(type).block_size));
  FindReferenceKernels(type)->from_float(x.data(), blocks.data(), static_cast<int64_t>(x.size()));
  return blocks;
}

// A Q8_0 block whose amax is 127 has d = 1 and multiplier 127 / 127 = 1, so
// codes are x rounded half to even.
std::vector<float> TieBlock() {
  std::vector<float> x(32, 0.0f);
  const float values[] = {127.0f, 2.5f, 3.5f, -2.5f, -3.5f, 0.5f, 1.5f, -0.5f, 126.5f, -125.5f};
  for (size_t i = 0; i < std::size(values); ++i) x[i] = values[i];
  return x;
}

const int8_t kTieCodes[] = {127, 2, 4, -2, -4, 0, 2, 0, 126, -126};

TEST(ActivationQuantTest, Q8_0RoundsHalfToEven) {
  const auto b = QuantizeBlocks<BlockQ8_0>(DType::kQ8_0, TieBlock());
  EXPECT_EQ(Fp16ToFp32(b[0].d), 1.0f);
  for (size_t i = 0; i < std::size(kTieCodes); ++i) EXPECT_EQ(b[0].qs[i], kTieCodes[i]) << i;
  for (int i = std::size(kTieCodes); i < 32; ++i) EXPECT_EQ(b[0].qs[i], 0);
}

TEST(ActivationQuantTest, Q8_1RoundsHalfToEvenAndStoresDTimesSum) {
  const auto b = QuantizeBlocks<BlockQ8_1>(DType::kQ8_1, TieBlock());
  EXPECT_EQ(Fp16ToFp32(b[0].d), 1.0f);
  int sum = 0;
  for (size_t i = 0; i < std::size(kTieCodes); ++i) {
    EXPECT_EQ(b[0].qs[i], kTieCodes[i]) << i;
    sum += kTieCodes[i];
  }
  EXPECT_EQ(Fp16ToFp32(b[0].s), static_cast<float>(sum));
}

// An independent statement of ggml's AVX2 quantize_row_q8_0 / q8_1, using
// std::nearbyint (round-half-even in the default rounding mode).
void ExpectMatchesGgmlQ8(const std::vector<float>& x) {
  const auto b0 = QuantizeBlocks<BlockQ8_0>(DType::kQ8_0, x);
  const auto b1 = QuantizeBlocks<BlockQ8_1>(DType::kQ8_1, x);
  for (size_t blk = 0; blk < b0.size(); ++blk) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[32 * blk + j]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    ASSERT_EQ(b0[blk].d, Fp32ToFp16(d));
    ASSERT_EQ(b1[blk].d, Fp32ToFp16(d));
    int sum = 0;
    for (int j = 0; j < 32; ++j) {
      const int q = static_cast<int>(std::nearbyint(x[32 * blk + j] * id));
      ASSERT_EQ(b0[blk].qs[j], q) << blk << " " << j;
      ASSERT_EQ(b1[blk].qs[j], q) << blk << " " << j;
      sum += q;
    }
    ASSERT_EQ(b1[blk].s, Fp32ToFp16(d * static_cast<float>(sum)));
  }
}

TEST(ActivationQuantTest, Q8_0AndQ8_1MatchGgmlOnRandomData) {
  ExpectMatchesGgmlQ8(NormalRow(32 * 64, 21));
  ExpectMatchesGgmlQ8(NormalRow(32 * 64, 22, 1e-3f, 5e-3f));
}

TEST(ActivationQuantTest, Q8ZeroBlocks) {
  const std::vector<float> zeros(256, 0.0f);
  for (const BlockQ8_0& b : QuantizeBlocks<BlockQ8_0>(DType::kQ8_0, zeros)) {
    EXPECT_EQ(b.d, 0);
    for (int8_t q : b.qs) EXPECT_EQ(q, 0);
  }
  for (const BlockQ8_1& b : QuantizeBlocks<BlockQ8_1>(DType::kQ8_1, zeros)) {
    EXPECT_EQ(b.d, 0);
    EXPECT_EQ(b.s, 0);
  }
  const auto k = QuantizeBlocks<BlockQ8_K>(DType::kQ8_K, zeros);
  EXPECT_EQ(k[0].d, 0.0f);
  for (int8_t q : k[0].qs) EXPECT_EQ(q, 0);
  for (int16_t s : k[0].bsums) EXPECT_EQ(s, 0);
}

TEST(ActivationQuantTest, Q8_KMapsLargestMagnitudeToMinus127) {
  // The largest |x| is positive here: it becomes -127 and d is negative.
  std::vector<float> x = NormalRow(256, 3, 0.5f);
  x[10] = 4.0f;
  auto b = QuantizeBlocks<BlockQ8_K>(DType::kQ8_K, x);
  EXPECT_EQ(b[0].qs[10], -127);
  EXPECT_EQ(b[0].d, 1.0f / (-127.0f / 4.0f));
  EXPECT_LT(b[0].d, 0.0f);
  // Negative largest element: it becomes -127 as well, and d is positive.
  x[10] = -4.0f;
  b = QuantizeBlocks<BlockQ8_K>(DType::kQ8_K, x);
  EXPECT_EQ(b[0].qs[10], -127);
  EXPECT_GT(b[0].d, 0.0f);
}

TEST(ActivationQuantTest, Q8_KFirstOfEqualMagnitudesWins) {
  std::vector<float> x(256, 0.0f);
  x[5] = -2.0f;
  x[9] = 2.0f;  // Same magnitude, later: does not set the sign.
  const auto b = QuantizeBlocks<BlockQ8_K>(DType::kQ8_K, x);
  EXPECT_EQ(b[0].qs[5], -127);
  EXPECT_EQ(b[0].qs[9], 127);
  EXPECT_GT(b[0].d, 0.0f);
}

TEST(ActivationQuantTest, Q8_KRoundsHalfToEven) {
  // max = -127 gives iscale = 1: codes are x rounded half to even.
  std::vector<float> x(256, 0.0f);
  const float values[] = {-127.0f, 2.5f, 3.5f, -2.5f, -3.5f, 0.5f, 1.5f, 126.5f};
  const int8_t codes[] = {-127, 2, 4, -2, -4, 0, 2, 126};
  for (size_t i = 0; i < std::size(values); ++i) x[i] = values[i];
  const auto b = QuantizeBlocks<BlockQ8_K>(DType::kQ8_K, x);
  EXPECT_EQ(b[0].d, 1.0f);
  for (size_t i = 0; i < std::size(codes); ++i) EXPECT_EQ(b[0].qs[i], codes[i]) << i;
}

TEST(ActivationQuantTest, Q8_KBsumsAreSumsOfCodes) {
  const std::vector<float> x = NormalRow(256 * 5, 17, 2.0f, 0.7f);
  const auto blocks = QuantizeBlocks<BlockQ8_K>(DType::kQ8_K, x);
  for (size_t i = 0; i < blocks.size(); ++i) {
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += blocks[i].qs[16 * j + l];
      EXPECT_EQ(blocks[i].bsums[j], sum) << i << " " << j;
    }
  }
}

TEST(ActivationQuantTest, Q8_KMatchesGgmlOnRandomData) {
  const std::vector<float> x = NormalRow(256 * 8, 23);
  const auto blocks = QuantizeBlocks<BlockQ8_K>(DType::kQ8_K, x);
  for (size_t i = 0; i < blocks.size(); ++i) {
    const float* xb = x.data() + 256 * i;
    float amax = 0.0f;
    float max = 0.0f;
    for (int l = 0; l < 256; ++l) {
      if (std::fabs(xb[l]) > amax) {
        amax = std::fabs(xb[l]);
        max = xb[l];
      }
    }
    const float iscale = -127.0f / max;
    EXPECT_EQ(blocks[i].d, 1.0f / iscale);
    for (int l = 0; l < 256; ++l) {
      const int q = std::min(127, static_cast<int>(std::nearbyint(iscale * xb[l])));
      ASSERT_EQ(blocks[i].qs[l], q) << i << " " << l;
    }
  }
}

}  // namespace
}  // namespace strata::cpu
