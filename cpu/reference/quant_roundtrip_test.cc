// Weight quantizers: quantize -> dequantize error on random and special data.
//
// Tolerances are normalised MSE (sum (x' - x)^2 / sum x^2) on N(0, 1) rows,
// set at roughly 1.4x what the quantizers measure, so that a regression in
// the scale search shows up.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dtype.h"
#include "core/fp16.h"
#include "cpu/quant_kernels.h"
#include "cpu/reference/testing/quant_test_util.h"
#include "gtest/gtest.h"

namespace strata::cpu {
namespace {

using quant_test::AllFinite;
using quant_test::Nmse;
using quant_test::NormalRow;
using quant_test::Quantize;
using quant_test::RoundTrip;

struct Case {
  DType type;
  double max_nmse;  // On N(0, 1) data.
};

// Measured NMSE on 64 Ki N(0, 1) values (printed by GaussianNmseWithinBound)
// in the comments; the bounds leave ~1.4x headroom.
const Case kCases[] = {
    {DType::kF32, 0.0},      // 0
    {DType::kF16, 6e-8},     // 4.3e-8
    {DType::kBF16, 4e-6},    // 2.8e-6
    {DType::kQ8_0, 4e-5},    // 2.9e-5
    {DType::kQ8_1, 4e-5},    // 2.9e-5
    {DType::kQ8_K, 7e-5},    // 4.9e-5 (one scale per 256)
    {DType::kQ4_0, 9e-3},    // 6.6e-3
    {DType::kQ4_1, 7e-3},    // 4.9e-3
    {DType::kQ5_0, 2.3e-3},  // 1.6e-3
    {DType::kQ5_1, 1.6e-3},  // 1.1e-3
    {DType::kQ2_K, 1.0e-1},  // 7.2e-2
    {DType::kQ3_K, 3.0e-2},  // 2.1e-2
    {DType::kQ4_K, 7.0e-3},  // 5.1e-3
    {DType::kQ5_K, 1.8e-3},  // 1.3e-3
    {DType::kQ6_K, 4.2e-4},  // 3.0e-4
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  return std::string(DTypeName(info.param.type));
}

class RoundTripTest : public ::testing::TestWithParam<Case> {
 protected:
  DType type() const { return GetParam().type; }
  int64_t block() const { return GetDTypeInfo(type()).block_size; }
  // A row of `blocks` blocks (at least 256 elements) for the special cases.
  int64_t SpecialLength() const { return std::max<int64_t>(256, block()); }
};

TEST_P(RoundTripTest, GaussianNmseWithinBound) {
  const std::vector<float> x = NormalRow(65536, 1234);
  const std::vector<float> y = RoundTrip(type(), x);
  ASSERT_TRUE(AllFinite(y));
  const double nmse = Nmse(y, x);
  std::printf("[ nmse     ] %-5s N(0,1): %.3e (bound %.1e)\n",
              std::string(DTypeName(type())).c_str(), nmse, GetParam().max_nmse);
  EXPECT_LE(nmse, GetParam().max_nmse);
}

TEST_P(RoundTripTest, ScaledDataKeepsRelativeError) {
  // Tiny and large magnitudes must not lose precision to F16 scale limits.
  for (float scale : {1e-3f, 30.0f}) {
    const std::vector<float> x = NormalRow(4096, 99, scale);
    const double nmse = Nmse(RoundTrip(type(), x), x);
    EXPECT_LE(nmse, 1.5 * GetParam().max_nmse + 1e-7) << "scale " << scale;
  }
}

TEST_P(RoundTripTest, WritesEveryByteDeterministically) {
  const std::vector<float> x = NormalRow(512, 7);
  const std::vector<float> zeros(512, 0.0f);
  for (const std::vector<float>* row : {&x, &zeros}) {
    EXPECT_EQ(Quantize(type(), *row, 0x00), Quantize(type(), *row, 0xFF));
  }
}

TEST_P(RoundTripTest, ZerosGiveZeros) {
  const std::vector<float> x(static_cast<size_t>(SpecialLength()), 0.0f);
  for (float v : RoundTrip(type(), x)) ASSERT_EQ(v, 0.0f);
}

TEST_P(RoundTripTest, ConstantBlocksStayConstant) {
  for (float c : {1.0f, -0.75f, 3.3f}) {
    const std::vector<float> x(static_cast<size_t>(SpecialLength()), c);
    const std::vector<float> y = RoundTrip(type(), x);
    ASSERT_TRUE(AllFinite(y));
    // One F16-rounded scale times integer codes: F16 precision, 2^-11.
    for (float v : y) ASSERT_NEAR(v, c, 1e-3 * std::fabs(c)) << "constant " << c;
  }
}

TEST_P(RoundTripTest, NegativeOnlyData) {
  std::vector<float> x = NormalRow(4096, 5);
  for (float& v : x) v = -std::fabs(v) - 0.1f;
  const std::vector<float> y = RoundTrip(type(), x);
  ASSERT_TRUE(AllFinite(y));
  // Offsets make one-signed data easier for the affine formats; the
  // symmetric ones lose nothing either, as the range is the same.
  EXPECT_LE(Nmse(y, x), GetParam().max_nmse);
}

TEST_P(RoundTripTest, OneHugeOutlierPerBlock) {
  const int64_t n = SpecialLength();
  std::vector<float> x = NormalRow(n, 11);
  for (int64_t i = 3; i < n; i += block() == 1 ? 256 : block()) x[i] = 1000.0f;
  const std::vector<float> y = RoundTrip(type(), x);
  ASSERT_TRUE(AllFinite(y));
  // The outlier dominates its block's scale; it must itself be kept well and
  // the block's other values may only lose what the coarser scale costs.
  for (int64_t i = 3; i < n; i += block() == 1 ? 256 : block()) {
    EXPECT_NEAR(y[i], 1000.0f, 1000.0f * 0.05) << i;
  }
  // The rest may be crushed to (nearly) zero by the coarse scale, but must
  // not do worse than that: e.g. a K-quant sub-block whose scale code rounds
  // to 0 must decode to about its mean, not to a stale min.
  double outlier_energy = 0.0;
  double total_energy = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    total_energy += static_cast<double>(x[i]) * x[i];
    if (x[i] == 1000.0f) outlier_energy += 1e6;
  }
  EXPECT_LE(Nmse(y, x), 1.1 * (total_energy - outlier_energy) / total_energy);
}

INSTANTIATE_TEST_SUITE_P(AllQuantizers, RoundTripTest, ::testing::ValuesIn(kCases), CaseName);

TEST(RoundTripTest, F16AndBF16RoundToNearestEven) {
  // 1 + 2^-11 is halfway between two halves: ties to 1.0 (even mantissa);
  // 1 + 3 * 2^-11 ties up to 1 + 2^-9.
  const std::vector<float> x = {1.0f + 0x1p-11f, 1.0f + 3 * 0x1p-11f};
  EXPECT_EQ(RoundTrip(DType::kF16, x), (std::vector<float>{1.0f, 1.0f + 0x1p-9f}));
  const std::vector<float> b = {1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f};
  EXPECT_EQ(RoundTrip(DType::kBF16, b), (std::vector<float>{1.0f, 1.0f + 0x1p-6f}));
}

}  // namespace
}  // namespace strata::cpu
