// The kernel consistency suite, after llama.cpp's test-backend-ops: every
// optimised kernel of every ISA this CPU runs, for every weight type and a
// set of shapes (odd row counts, 1-token and odd batches, row lengths that
// are not multiples of 256 where the format allows), against the scalar
// reference kernels on fresh random inputs.
//
// NaN/Inf are checked first. The dot products must then equal the
// reference's bit for bit (EXPECT_EQ on the float bits): the reference sums
// in llama.cpp's order, and activations are re-quantized before every
// matmul, so one ulp would move logits. A normalised-MSE bound against a
// double-precision product of the dequantized rows guards the reference
// itself. ISAs the CPU lacks are skipped with a message.
#include <cmath>
#include <cstddef>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/dtype.h"
#include "core/fp16.h"
#include "core/quant_blocks.h"
#include "cpu/cpu_features.h"
#include "cpu/matmul.h"
#include "cpu/quant_kernels.h"
#include "cpu/thread_pool.h"
#include "gtest/gtest.h"

namespace strata::cpu {
namespace {

// Random weight rows: for the block formats, random bytes (every code and
// sub-block scale pattern occurs, Q8_0's -128 included) with each F16 scale
// replaced by a sane value; for the float formats, encoded normal values.
std::vector<uint8_t> RandomWeights(DType type, int64_t rows, int64_t k, std::mt19937* rng) {
  const int64_t row_bytes = RowBytes(type, k);
  std::vector<uint8_t> bytes(static_cast<size_t>(row_bytes * rows));
  if (!GetDTypeInfo(type).quantized) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> row(k);
    for (int64_t r = 0; r < rows; ++r) {
      for (float& v : row) v = normal(*rng);
      FindReferenceKernels(type)->from_float(row.data(), bytes.data() + r * row_bytes, k);
    }
    return bytes;
  }
  for (uint8_t& b : bytes) b = static_cast<uint8_t>((*rng)());
  std::uniform_real_distribution<float> scale(0.001f, 0.05f);
  auto set_half = [&](size_t offset) {
    const uint16_t h = Fp32ToFp16(scale(*rng));
    std::memcpy(&bytes[offset], &h, 2);
  };
  const size_t size = static_cast<size_t>(GetDTypeInfo(type).type_size);
  for (size_t base = 0; base < bytes.size(); base += size) {
    switch (type) {
      case DType::kQ4_0:
      case DType::kQ5_0:
      case DType::kQ8_0:
        set_half(base);
        break;
      case DType::kQ4_1:
      case DType::kQ5_1:
      case DType::kQ4_K:
      case DType::kQ5_K:
        set_half(base);
        set_half(base + 2);
        break;
      case DType::kQ2_K:
        set_half(base + offsetof(BlockQ2_K, d));
        set_half(base + offsetof(BlockQ2_K, dmin));
        break;
      case DType::kQ3_K:
        set_half(base + offsetof(BlockQ3_K, d));
        break;
      case DType::kQ6_K:
        set_half(base + offsetof(BlockQ6_K, d));
        break;
      default:
        ADD_FAILURE() << "no scale layout for " << DTypeName(type);
    }
  }
  return bytes;
}

// Activation rows as the forward pass makes them: floats with occasional
// outliers, quantized by the reference quantizer of the vec_dot_type.
std::vector<uint8_t> RandomActivations(DType act_type, int64_t cols, int64_t k, std::mt19937* rng) {
  const int64_t row_bytes = RowBytes(act_type, k);
  std::vector<uint8_t> bytes(static_cast<size_t>(row_bytes * cols));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> outlier(0, 63);
  std::vector<float> row(k);
  for (int64_t c = 0; c < cols; ++c) {
    for (float& v : row) v = normal(*rng) * (outlier(*rng) == 0 ? 20.0f : 1.0f);
    FindReferenceKernels(act_type)->from_float(row.data(), bytes.data() + c * row_bytes, k);
  }
  return bytes;
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

struct Shape {
  int64_t rows;
  int64_t k;
  int64_t cols;
};

using Param = std::tuple<Isa, DType>;

std::vector<Shape> ShapesFor(DType type) {
  const int64_t block = GetDTypeInfo(type).block_size;
  if (block == 256) {
    return {{1, 256, 1}, {5, 512, 1}, {33, 768, 1}, {16, 2048, 1},
            {3, 256, 2}, {7, 512, 3}, {9, 768, 5},  {4, 1024, 17}};
  }
  if (block == 32) {
    return {{1, 32, 1},  {6, 96, 1},  {37, 800, 1}, {16, 4096, 1},
            {5, 160, 2}, {8, 256, 3}, {13, 64, 7},  {4, 512, 17}};
  }
  return {{1, 1, 1},    {3, 17, 1},  {9, 100, 1},  {16, 1000, 1}, {4, 64, 2},
          {8, 4096, 1}, {5, 129, 3}, {12, 256, 5}, {4, 48, 17}};
}

class KernelConsistencyTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    const auto [isa, type] = GetParam();
    if (!GetCpuFeatures().Has(isa)) {
      GTEST_SKIP() << "this CPU cannot run " << IsaName(isa) << " kernels ("
                   << "selected: " << IsaName(SelectedIsa()) << ")";
    }
    ref_ = FindReferenceKernels(type);
    kernels_ = FindKernelsForIsa(type, isa);
    ASSERT_NE(ref_, nullptr);
    ASSERT_NE(kernels_, nullptr);
  }

  const QuantKernels* ref_ = nullptr;
  const QuantKernels* kernels_ = nullptr;
};

TEST_P(KernelConsistencyTest, VecDotAndTilesMatchReferenceBitForBit) {
  const auto [isa, type] = GetParam();
  std::mt19937 rng(1234 + static_cast<int>(type) * 7 + static_cast<int>(isa));
  for (const Shape& s : ShapesFor(type)) {
    SCOPED_TRACE(testing::Message() << DTypeName(type) << " " << IsaName(isa) << " rows " << s.rows
                                    << " k " << s.k << " cols " << s.cols);
    const std::vector<uint8_t> w = RandomWeights(type, s.rows, s.k, &rng);
    const std::vector<uint8_t> a_native = RandomActivations(ref_->vec_dot_type, s.cols, s.k, &rng);
    const int64_t w_stride = RowBytes(type, s.k);
    const int64_t a_native_stride = RowBytes(ref_->vec_dot_type, s.k);
    const bool has_batch = ref_->vec_dot_batch != nullptr && s.k % 16 == 0;
    // F16's batch order reads F32 activations (see QuantKernels::batch_reads_f32).
    const std::vector<uint8_t> a_f32 = RandomActivations(DType::kF32, s.cols, s.k, &rng);
    for (bool batch : {false, true}) {
      if (batch && !has_batch) continue;
      const bool f32_acts = batch && ref_->batch_reads_f32;
      const std::vector<uint8_t>& a = f32_acts ? a_f32 : a_native;
      const int64_t a_stride = f32_acts ? RowBytes(DType::kF32, s.k) : a_native_stride;
      auto ref_dot = batch ? ref_->vec_dot_batch : ref_->vec_dot;
      auto dot = batch ? kernels_->vec_dot_batch : kernels_->vec_dot;
      std::vector<float> expected(s.rows * s.cols);
      for (int64_t r = 0; r < s.rows; ++r) {
        for (int64_t c = 0; c < s.cols; ++c) {
          expected[c * s.rows + r] = ref_dot(s.k, w.data() + r * w_stride, a.data() + c * a_stride);
        }
      }
      // NaN/Inf first: a non-finite value would make the comparisons below vacuous.
      for (float v : expected) ASSERT_TRUE(std::isfinite(v)) << "reference produced " << v;
      for (int64_t r = 0; r < s.rows; ++r) {
        for (int64_t c = 0; c < s.cols; ++c) {
          const float got = dot(s.k, w.data() + r * w_stride, a.data() + c * a_stride);
          ASSERT_TRUE(std::isfinite(got));
          ASSERT_EQ(Bits(got), Bits(expected[c * s.rows + r]))
              << "vec_dot" << (batch ? "_batch" : "") << " row " << r << " col " << c << ": " << got
              << " vs reference " << expected[c * s.rows + r];
        }
      }
      if (kernels_->dot_tile == nullptr) continue;
      // The tile writes through a strided output; the gaps must stay untouched.
      const int64_t y_stride = s.rows + 3;
      std::vector<float> y(y_stride * s.cols, -7.0f);
      DotTileArgs args;
      args.n = s.k;
      args.w = w.data();
      args.w_stride = w_stride;
      args.rows = s.rows;
      args.a = a.data();
      args.a_stride = a_stride;
      args.cols = s.cols;
      args.y = y.data();
      args.y_stride = y_stride;
      args.batch = batch;
      kernels_->dot_tile(args);
      for (int64_t c = 0; c < s.cols; ++c) {
        for (int64_t r = 0; r < y_stride; ++r) {
          const float got = y[c * y_stride + r];
          if (r >= s.rows) {
            ASSERT_EQ(got, -7.0f) << "dot_tile wrote outside its tile";
            continue;
          }
          ASSERT_TRUE(std::isfinite(got));
          ASSERT_EQ(Bits(got), Bits(expected[c * s.rows + r]))
              << "dot_tile" << (batch ? " (batch)" : "") << " row " << r << " col " << c << ": "
              << got << " vs reference " << expected[c * s.rows + r];
        }
      }
    }
  }
}

// The reference itself against double precision: NMSE of the dot products
// of dequantized rows (what activation quantization cannot explain is a bug).
TEST_P(KernelConsistencyTest, ReferenceMatchesDequantizedProduct) {
  const auto [isa, type] = GetParam();
  if (isa != Isa::kScalar) GTEST_SKIP() << "checked once, for the reference";
  std::mt19937 rng(99 + static_cast<int>(type));
  const Shape s{8, GetDTypeInfo(type).block_size == 256 ? 1024 : 512, 2};
  const std::vector<uint8_t> w = RandomWeights(type, s.rows, s.k, &rng);
  const std::vector<uint8_t> a = RandomActivations(ref_->vec_dot_type, s.cols, s.k, &rng);
  const QuantKernels* act = FindReferenceKernels(ref_->vec_dot_type);
  std::vector<float> wd(s.k), ad(s.k);
  double err = 0.0, norm = 0.0;
  for (int64_t r = 0; r < s.rows; ++r) {
    ref_->to_float(w.data() + r * RowBytes(type, s.k), wd.data(), s.k);
    for (int64_t c = 0; c < s.cols; ++c) {
      act->to_float(a.data() + c * RowBytes(ref_->vec_dot_type, s.k), ad.data(), s.k);
      double exact = 0.0;
      for (int64_t i = 0; i < s.k; ++i) exact += static_cast<double>(wd[i]) * ad[i];
      const double got = ref_->vec_dot(s.k, w.data() + r * RowBytes(type, s.k),
                                       a.data() + c * RowBytes(ref_->vec_dot_type, s.k));
      err += (got - exact) * (got - exact);
      norm += exact * exact;
    }
  }
  EXPECT_LT(err / norm, 1e-9) << DTypeName(type);
}

// MatMul through the selected table on a thread pool (row tiles aligned to
// cache lines, token tiles) equals the reference vec_dot everywhere.
TEST_P(KernelConsistencyTest, ThreadedMatMulMatchesReference) {
  const auto [isa, type] = GetParam();
  if (isa != SelectedIsa() && !(isa == Isa::kAvx512 && SelectedIsa() == Isa::kAmx)) {
    GTEST_SKIP() << "MatMul uses the selected ISA (" << IsaName(SelectedIsa()) << ")";
  }
  std::mt19937 rng(7 + static_cast<int>(type));
  const int64_t k = GetDTypeInfo(type).block_size == 256 ? 512 : 320;
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (auto [rows, n_tokens] :
         {std::pair<int64_t, int64_t>{1, 1}, {131, 1}, {200, 33}, {64, 2}}) {
      SCOPED_TRACE(testing::Message() << DTypeName(type) << " threads " << threads << " rows "
                                      << rows << " tokens " << n_tokens);
      const std::vector<uint8_t> w = RandomWeights(type, rows, k, &rng);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      std::vector<float> x(n_tokens * k);
      for (float& v : x) v = normal(rng);
      TensorView view;
      view.type = type;
      view.ne = {k, rows, 1, 1};
      view.data = w.data();
      // An output pointer off any cache-line boundary.
      std::vector<float> y_storage(rows * n_tokens + 5);
      float* y = y_storage.data() + 3;
      QuantizedActivations act;
      MatMul(view, x.data(), n_tokens, y, &act, &pool);
      const bool batch =
          ref_->vec_dot_batch != nullptr && n_tokens >= 2 && k % 16 == 0 && rows % 4 == 0;
      auto ref_dot = batch ? ref_->vec_dot_batch : ref_->vec_dot;
      for (int64_t t = 0; t < n_tokens; ++t) {
        const uint8_t* a_row = batch && ref_->batch_reads_f32
                                   ? reinterpret_cast<const uint8_t*>(x.data() + t * k)
                                   : act.row(t);
        for (int64_t r = 0; r < rows; ++r) {
          const float expected = ref_dot(k, w.data() + r * view.row_bytes(), a_row);
          ASSERT_EQ(Bits(y[t * rows + r]), Bits(expected)) << "row " << r << " token " << t;
        }
      }
    }
  }
}

const DType kTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ4_1,
                        DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kQ2_K, DType::kQ3_K,
                        DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

INSTANTIATE_TEST_SUITE_P(AllIsas, KernelConsistencyTest,
                         ::testing::Combine(::testing::Values(Isa::kScalar, Isa::kAvx2,
                                                              Isa::kAvx512, Isa::kAmx),
                                            ::testing::ValuesIn(kTypes)),
                         [](const ::testing::TestParamInfo<Param>& info) {
                           return std::string(IsaName(std::get<0>(info.param))) + "_" +
                                  std::string(DTypeName(std::get<1>(info.param)));
                         });

// The AVX2 Q8_0 kernel (llama.cpp's sign trick) relies on activation codes
// never being -128; every Strata activation quantizer guarantees it.
TEST(ActivationQuantizerTest, NeverProducesMinus128) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (DType act : {DType::kQ8_0, DType::kQ8_1, DType::kQ8_K}) {
    const QuantKernels* k = FindReferenceKernels(act);
    const int64_t n = 1024;
    std::vector<float> x(n);
    for (int trial = 0; trial < 200; ++trial) {
      for (float& v : x) v = normal(rng) * std::exp(normal(rng) * 3.0f);
      // Adversarial: blocks whose extremes are negative and exactly tied.
      if (trial % 2 == 0) {
        for (int64_t i = 0; i < n; i += 32) x[i] = -std::fabs(x[i]) - 100.0f;
      }
      std::vector<uint8_t> q(RowBytes(act, n));
      k->from_float(x.data(), q.data(), n);
      std::vector<float> back(n);
      k->to_float(q.data(), back.data(), n);
      const int64_t block = GetDTypeInfo(act).block_size;
      const int64_t type_size = GetDTypeInfo(act).type_size;
      const int64_t qs_offset = act == DType::kQ8_0 ? 2 : act == DType::kQ8_1 ? 4 : 4;
      for (int64_t b = 0; b < n / block; ++b) {
        const int8_t* qs = reinterpret_cast<const int8_t*>(q.data() + b * type_size + qs_offset);
        for (int64_t i = 0; i < block; ++i) ASSERT_NE(qs[i], -128) << DTypeName(act);
      }
    }
  }
}

}  // namespace
}  // namespace strata::cpu
