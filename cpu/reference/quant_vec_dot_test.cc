// vec_dot against double-precision dots of the dequantized rows.
//
// With the activations already quantized, vec_dot computes exactly the dot of
// the dequantized weight row with the dequantized activation row, up to float
// rounding in a different order: the tolerance is relative to sum |w_i a_i|.
// Against the original float activations the difference is what activation
// quantization costs, bounded by Cauchy-Schwarz: |w . (a_q - a)| <= |w| |a_q - a|.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/fp16.h"
#include "core/quant_blocks.h"
#include "cpu/quant_kernels.h"
#include "cpu/reference/testing/quant_test_util.h"
#include "gtest/gtest.h"

namespace strata::cpu {
namespace {

using quant_test::Dequantize;
using quant_test::DotDouble;
using quant_test::Kernels;
using quant_test::Norm2;
using quant_test::NormalRow;
using quant_test::Quantize;

const DType kWeightTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ4_1,
                              DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kQ2_K, DType::kQ3_K,
                              DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

std::string TypeName(const ::testing::TestParamInfo<DType>& info) {
  return std::string(DTypeName(info.param));
}

double AbsDot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += std::fabs(static_cast<double>(a[i]) * b[i]);
  return s;
}

// Random bytes with every F16 scale field replaced by a sane value, so that
// all bit patterns of codes and sub-block scales occur (Q6_K scale -128,
// Q3_K's full signed range, Q4_K mins up to 63 ...).
std::vector<uint8_t> RandomBlocks(DType type, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> bytes(static_cast<size_t>(RowBytes(type, n)));
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  const int64_t size = GetDTypeInfo(type).type_size;
  std::uniform_real_distribution<float> scale(0.001f, 0.05f);
  auto set_half = [&](size_t offset, float v) {
    const uint16_t h = Fp32ToFp16(v);
    std::memcpy(&bytes[offset], &h, 2);
  };
  for (size_t blk = 0; blk * size < bytes.size(); ++blk) {
    const size_t base = blk * size;
    switch (type) {
      case DType::kQ4_0:
      case DType::kQ5_0:
      case DType::kQ8_0:
        set_half(base, scale(rng));
        break;
      case DType::kQ4_1:
      case DType::kQ5_1:
      case DType::kQ4_K:
      case DType::kQ5_K:
        set_half(base, scale(rng));
        set_half(base + 2, scale(rng));
        break;
      case DType::kQ2_K:
        set_half(base + offsetof(BlockQ2_K, d), scale(rng));
        set_half(base + offsetof(BlockQ2_K, dmin), scale(rng));
        break;
      case DType::kQ3_K:
        set_half(base + offsetof(BlockQ3_K, d), scale(rng));
        break;
      case DType::kQ6_K:
        set_half(base + offsetof(BlockQ6_K, d), scale(rng) * 0.1f);
        break;
      case DType::kF16:
        set_half(base, scale(rng) * (rng() % 2 ? 1 : -1) * 20.0f);
        break;
      case DType::kBF16: {
        const uint16_t h = Fp32ToBf16((scale(rng) - 0.025f) * 20.0f);
        std::memcpy(&bytes[base], &h, 2);
        break;
      }
      case DType::kF32: {
        const float f = (scale(rng) - 0.025f) * 20.0f;
        std::memcpy(&bytes[base], &f, 4);
        break;
      }
      default:
        ADD_FAILURE() << "no random blocks for " << DTypeName(type);
    }
  }
  return bytes;
}

// Q8_1 stores s = F16(d * sum(q)), which m_w * s uses in place of the exact
// m_w * F16(d) * sum(q) that the dequantized rows give; the F16 rounding of s
// (relative 2^-11) is part of the format, not a kernel error. Returns the
// difference, to add to the dequantized dot (0 for other weight types).
double Q8_1SumRounding(DType type, const std::vector<uint8_t>& w, const std::vector<uint8_t>& a,
                       int64_t n) {
  if (type != DType::kQ4_1 && type != DType::kQ5_1) return 0.0;
  const BlockQ8_1* ab = reinterpret_cast<const BlockQ8_1*>(a.data());
  const int64_t w_size = GetDTypeInfo(type).type_size;
  double correction = 0.0;
  for (int64_t b = 0; b < n / 32; ++b) {
    uint16_t m16;  // Q4_1 and Q5_1 both start with d, m.
    std::memcpy(&m16, &w[b * w_size + 2], 2);
    int sum = 0;
    for (int8_t q : ab[b].qs) sum += q;
    const double exact_s = static_cast<double>(Fp16ToFp32(ab[b].d)) * sum;
    correction += Fp16ToFp32(m16) * (Fp16ToFp32(ab[b].s) - exact_s);
  }
  return correction;
}

class VecDotTest : public ::testing::TestWithParam<DType> {
 protected:
  DType type() const { return GetParam(); }
  DType act_type() const { return Kernels(type()).vec_dot_type; }
  int64_t block() const {
    // Plain types have block size 1: use odd lengths that are not multiples
    // of the 16 float lanes either.
    const int64_t b = GetDTypeInfo(type()).block_size;
    return b == 1 ? 37 : b;
  }

  void CheckDot(const std::vector<uint8_t>& w_bytes, int64_t n, uint32_t seed) {
    const std::vector<float> w = Dequantize(type(), w_bytes, n);
    const std::vector<float> a = NormalRow(n, seed, 1.5f, 0.2f);
    const std::vector<uint8_t> a_bytes = Quantize(act_type(), a);
    const std::vector<float> a_q = Dequantize(act_type(), a_bytes, n);

    const float got = Kernels(type()).vec_dot(n, w_bytes.data(), a_bytes.data());
    ASSERT_TRUE(std::isfinite(got));
    const double exact = DotDouble(w, a_q) + Q8_1SumRounding(type(), w_bytes, a_bytes, n);
    EXPECT_NEAR(got, exact, 1e-5 * AbsDot(w, a_q) + 1e-30) << "n = " << n;

    // Against float activations: only the activation quantization error.
    std::vector<float> a_err(a.size());
    for (size_t i = 0; i < a.size(); ++i) a_err[i] = a_q[i] - a[i];
    const double bound = Norm2(w) * Norm2(a_err) * 1.001 + 1e-5 * AbsDot(w, a);
    EXPECT_LE(std::fabs(got - exact + DotDouble(w, a_q) - DotDouble(w, a)), bound) << "n = " << n;
  }
};

TEST_P(VecDotTest, QuantizedWeightsOddBlockCounts) {
  for (int64_t blocks : {1, 3, 7, 13}) {
    const int64_t n = blocks * block();
    const std::vector<float> w = NormalRow(n, 100 + static_cast<uint32_t>(blocks), 0.05f);
    CheckDot(Quantize(type(), w), n, 200 + static_cast<uint32_t>(blocks));
  }
}

TEST_P(VecDotTest, RandomBitPatterns) {
  for (int64_t blocks : {1, 3, 7}) {
    const int64_t n = blocks * block();
    for (uint32_t seed = 0; seed < 4; ++seed) {
      CheckDot(RandomBlocks(type(), n, seed * 31 + static_cast<uint32_t>(blocks)), n, seed + 7);
    }
  }
}

TEST_P(VecDotTest, ZeroActivationsGiveZero) {
  const int64_t n = 3 * block();
  const std::vector<uint8_t> w = Quantize(type(), NormalRow(n, 1));
  const std::vector<uint8_t> a = Quantize(act_type(), std::vector<float>(n, 0.0f));
  EXPECT_EQ(Kernels(type()).vec_dot(n, w.data(), a.data()), 0.0f);
}

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, VecDotTest, ::testing::ValuesIn(kWeightTypes), TypeName);

// The integer decomposition must not overflow int32 at the extremes: full
// scales and codes against activations of +-127 everywhere.
TEST(VecDotExtremesTest, LargestCodesAndScales) {
  const int64_t n = 4 * kQK_K;
  std::vector<float> a(n);
  for (int64_t i = 0; i < n; ++i) a[i] = (i % 3 == 0) ? -1.0f : 1.0f;
  for (DType type : {DType::kQ2_K, DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    std::vector<uint8_t> w(static_cast<size_t>(RowBytes(type, n)), 0xFF);
    // Keep the F16 scale fields finite: 0xFFFF is NaN.
    const int64_t size = GetDTypeInfo(type).type_size;
    const size_t d_offset = type == DType::kQ2_K   ? offsetof(BlockQ2_K, d)
                            : type == DType::kQ3_K ? offsetof(BlockQ3_K, d)
                            : type == DType::kQ6_K ? offsetof(BlockQ6_K, d)
                                                   : 0;
    const bool has_dmin = type != DType::kQ3_K && type != DType::kQ6_K;
    for (int64_t blk = 0; blk < n / kQK_K; ++blk) {
      const uint16_t one = Fp32ToFp16(1.0f);
      std::memcpy(&w[blk * size + d_offset], &one, 2);
      if (has_dmin) std::memcpy(&w[blk * size + d_offset + 2], &one, 2);
    }
    const std::vector<float> wf = Dequantize(type, w, n);
    const std::vector<uint8_t> a_bytes = Quantize(DType::kQ8_K, a);
    const std::vector<float> a_q = Dequantize(DType::kQ8_K, a_bytes, n);
    const float got = Kernels(type).vec_dot(n, w.data(), a_bytes.data());
    EXPECT_NEAR(got, DotDouble(wf, a_q), 1e-5 * AbsDot(wf, a_q)) << DTypeName(type);
  }
}

}  // namespace
}  // namespace strata::cpu
