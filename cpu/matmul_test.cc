// MatMul (activation quantization + tiled, threaded vec_dot) against a
// double-precision product of the dequantized weights with the float
// activations, for every weight type with a quantizer.
#include "cpu/matmul.h"

#include <cmath>
#include <random>
#include <vector>

#include "cpu/quant_kernels.h"
#include "gtest/gtest.h"

namespace strata::cpu {
namespace {

struct Case {
  DType type;
  double tolerance;  // Normalised MSE bound, from activation quantization.
};

class MatMulTest : public ::testing::TestWithParam<Case> {};

TEST_P(MatMulTest, MatchesDequantizedProduct) {
  const Case c = GetParam();
  const QuantKernels* kernels = FindReferenceKernels(c.type);
  ASSERT_NE(kernels, nullptr);
  ASSERT_NE(kernels->from_float, nullptr);
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  ThreadPool pool(3);
  for (auto [rows, k, n_tokens] : {std::tuple<int64_t, int64_t, int64_t>{1, 256, 1},
                                   {37, 512, 1},
                                   {70, 256, 19},
                                   {130, 768, 33}}) {
    std::vector<float> wf(rows * k), x(n_tokens * k);
    for (float& v : wf) v = normal(rng);
    for (float& v : x) v = normal(rng);
    std::vector<uint8_t> wq(rows * RowBytes(c.type, k));
    for (int64_t r = 0; r < rows; ++r) {
      kernels->from_float(wf.data() + r * k, wq.data() + r * RowBytes(c.type, k), k);
    }
    std::vector<float> wd(rows * k);
    for (int64_t r = 0; r < rows; ++r) {
      kernels->to_float(wq.data() + r * RowBytes(c.type, k), wd.data() + r * k, k);
    }
    TensorView w;
    w.type = c.type;
    w.ne = {k, rows, 1, 1};
    w.data = wq.data();
    std::vector<float> y(n_tokens * rows);
    QuantizedActivations scratch;
    MatMul(w, x.data(), n_tokens, y.data(), &scratch, &pool);
    double err = 0, norm = 0;
    for (int64_t t = 0; t < n_tokens; ++t) {
      for (int64_t r = 0; r < rows; ++r) {
        double ref = 0;
        for (int64_t i = 0; i < k; ++i) ref += static_cast<double>(wd[r * k + i]) * x[t * k + i];
        const double got = y[t * rows + r];
        ASSERT_TRUE(std::isfinite(got));
        err += (got - ref) * (got - ref);
        norm += ref * ref;
      }
    }
    EXPECT_LT(err / norm, c.tolerance)
        << DTypeName(c.type) << " " << rows << "x" << k << " x " << n_tokens;
  }
}

INSTANTIATE_TEST_SUITE_P(Types, MatMulTest,
                         ::testing::Values(Case{DType::kF32, 1e-10}, Case{DType::kF16, 1e-6},
                                           Case{DType::kBF16, 1e-4}, Case{DType::kQ8_0, 1e-4},
                                           Case{DType::kQ4_0, 1e-4}, Case{DType::kQ4_1, 1e-4},
                                           Case{DType::kQ5_0, 1e-4}, Case{DType::kQ5_1, 1e-4},
                                           Case{DType::kQ4_K, 1e-4}, Case{DType::kQ5_K, 1e-4},
                                           Case{DType::kQ6_K, 1e-4}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(DTypeName(info.param.type));
                         });

}  // namespace
}  // namespace strata::cpu
