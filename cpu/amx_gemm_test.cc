// The AMX prefill GEMM: its tile arithmetic through the scalar tile
// emulation (any AVX-512 CPU), and the hardware path against the emulation
// where AMX is usable.
//
// Expected values are computed in double from what the tile path multiplies
// (the dequantized weights and the int8-quantized or BF16-rounded
// activations), so the bound catches any layout or scaling mistake down to
// float rounding; a second, looser bound against the float activations is
// what prefill would see.
#include "cpu/amx_gemm.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/fp16.h"
#include "cpu/cpu_features.h"
#include "cpu/quant_kernels.h"
#include "cpu/thread_pool.h"
#include "gtest/gtest.h"

namespace strata::cpu {
namespace {

struct Problem {
  std::vector<uint8_t> w;
  std::vector<float> w_deq;  // [rows, k]
  std::vector<float> x;      // [tokens, k]
  TensorView view;
};

Problem MakeProblem(DType type, int64_t rows, int64_t k, int64_t tokens, uint32_t seed) {
  Problem p;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const QuantKernels& kernels = *FindReferenceKernels(type);
  const int64_t row_bytes = RowBytes(type, k);
  p.w.resize(row_bytes * rows);
  p.w_deq.resize(rows * k);
  std::vector<float> row(k);
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : row) v = normal(rng) * 0.05f;
    kernels.from_float(row.data(), p.w.data() + r * row_bytes, k);
    kernels.to_float(p.w.data() + r * row_bytes, p.w_deq.data() + r * k, k);
  }
  p.x.resize(tokens * k);
  for (float& v : p.x) v = normal(rng);
  p.view.type = type;
  p.view.ne = {k, rows, 1, 1};
  p.view.data = p.w.data();
  return p;
}

// The activations as the tile path sees them.
std::vector<double> TileActivations(AmxPath path, const std::vector<float>& x, int64_t k) {
  std::vector<double> out(x.size());
  if (path == AmxPath::kBf16) {
    for (size_t i = 0; i < x.size(); ++i) out[i] = Bf16ToFp32(Fp32ToBf16(x[i]));
    return out;
  }
  for (size_t b = 0; b < x.size() / 32; ++b) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[32 * b + j]));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const float d = amax / 127.0f;
    for (int j = 0; j < 32; ++j) {
      out[32 * b + j] = static_cast<double>(d) * std::nearbyint(x[32 * b + j] * id);
    }
  }
  return out;
}

double Nmse(const std::vector<float>& got, const std::vector<double>& want) {
  double err = 0.0, norm = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    err += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
  }
  return err / norm;
}

class AmxGemmTest : public ::testing::TestWithParam<DType> {};

TEST_P(AmxGemmTest, EmulatedTilesComputeTheProduct) {
  if (!GetCpuFeatures().Has(Isa::kAvx512)) GTEST_SKIP() << "the emulation needs AVX-512";
  const DType type = GetParam();
  AmxPath path;
  ASSERT_TRUE(AmxGemmSupports(type, &path));
  const int64_t block = GetDTypeInfo(type).block_size;
  const int64_t k = block == 256 ? 512 : (type == DType::kF32 || type == DType::kF16 ? 100 : 320);
  ThreadPool pool(2);
  for (auto [rows, tokens] : {std::pair<int64_t, int64_t>{37, 19}, {16, 1}, {64, 40}}) {
    SCOPED_TRACE(testing::Message() << DTypeName(type) << " rows " << rows << " tokens " << tokens);
    const Problem p = MakeProblem(type, rows, k, tokens, 11);
    const int64_t y_stride = rows + 5;
    std::vector<float> y(tokens * y_stride, -3.0f);
    AmxGemmScratch scratch;
    internal::AmxGemmEmulated(p.view, p.x.data(), tokens, y.data(), y_stride, &scratch, &pool);
    const std::vector<double> a = TileActivations(path, p.x, k);
    std::vector<float> got;
    std::vector<double> want_tile, want_float;
    for (int64_t t = 0; t < tokens; ++t) {
      for (int64_t r = 0; r < y_stride; ++r) {
        const float v = y[t * y_stride + r];
        if (r >= rows) {
          ASSERT_EQ(v, -3.0f) << "wrote outside the output";
          continue;
        }
        ASSERT_TRUE(std::isfinite(v));
        double tile = 0.0, exact = 0.0;
        for (int64_t i = 0; i < k; ++i) {
          double w = p.w_deq[r * k + i];
          if (path == AmxPath::kBf16) w = Bf16ToFp32(Fp32ToBf16(p.w_deq[r * k + i]));
          tile += w * a[t * k + i];
          exact += static_cast<double>(p.w_deq[r * k + i]) * p.x[t * k + i];
        }
        got.push_back(v);
        want_tile.push_back(tile);
        want_float.push_back(exact);
      }
    }
    // Only float rounding separates the tile result from its own inputs' product.
    EXPECT_LT(Nmse(got, want_tile), 1e-11);
    // Against the unquantized activations: what prefill loses to the tile path.
    EXPECT_LT(Nmse(got, want_float), path == AmxPath::kInt8 ? 1e-4 : 2e-5);
  }
}

TEST_P(AmxGemmTest, HardwareMatchesEmulation) {
  if (!AmxGemmAvailable()) {
    GTEST_SKIP() << "AMX not usable here: " << GetCpuFeatures().amx_note;
  }
  const DType type = GetParam();
  const int64_t k = GetDTypeInfo(type).block_size == 256 ? 512 : 320;
  const Problem p = MakeProblem(type, 48, k, 33, 5);
  ThreadPool pool(2);
  std::vector<float> hw(33 * 48), emu(33 * 48);
  AmxGemmScratch scratch;
  AmxGemm(p.view, p.x.data(), 33, hw.data(), 48, &scratch, &pool);
  internal::AmxGemmEmulated(p.view, p.x.data(), 33, emu.data(), 48, &scratch, &pool);
  AmxPath path;
  ASSERT_TRUE(AmxGemmSupports(type, &path));
  for (size_t i = 0; i < hw.size(); ++i) {
    if (path == AmxPath::kInt8) {
      // Integer tiles, then the same AVX-512 code: identical.
      ASSERT_EQ(hw[i], emu[i]) << i;
    } else {
      ASSERT_NEAR(hw[i], emu[i], 1e-4 * (1.0 + std::fabs(emu[i]))) << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, AmxGemmTest,
                         ::testing::Values(DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1,
                                           DType::kQ8_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K,
                                           DType::kF32, DType::kF16, DType::kBF16),
                         [](const ::testing::TestParamInfo<DType>& info) {
                           return std::string(DTypeName(info.param));
                         });

TEST(AmxGemmSupportTest, UnsupportedTypes) {
  EXPECT_FALSE(AmxGemmSupports(DType::kIQ2_XXS));
  EXPECT_EQ(AmxGemmAvailable(), GetCpuFeatures().Has(Isa::kAmx));
}

}  // namespace
}  // namespace strata::cpu
