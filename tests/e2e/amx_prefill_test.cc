// What AMX prefill would change on the reference fixtures, and that it
// changes nothing unless asked for.
//
// The AMX tile GEMM (cpu/amx_gemm.h) is not bit-identical to llama.cpp's
// kernels, so MatMul uses it only with MatMulOptions::allow_amx. This test
// evaluates each fixture prompt three ways: with the default options (must
// stay bit-identical to llama.cpp on the quantized files, as in
// fixture_agreement_test), with AMX prefill for every batch of two or more
// tokens (through the tile emulation, so it runs on any AVX-512 CPU; the
// hardware path is checked against the emulation in cpu/amx_gemm_test.cc),
// and with the defaults again. Each row of the deviation goes to
// test_scratch/amx_prefill_deviation.md.
#include <cmath>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cpu/cpu_features.h"
#include "cpu/matmul.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/inference_context.h"
#include "runtime/model/model.h"
#include "tests/support/fixtures.h"

namespace strata {
namespace {

struct Case {
  std::string model;
  std::string prompt;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model << "/" << c.prompt; }

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (const char* family : {"llama-dense", "llama-moe", "qwen3moe"}) {
    for (const char* quant : {"f32", "Q8_0", "Q4_K_M"}) {
      for (const char* prompt : {"short", "long"}) {
        cases.push_back({absl::StrCat(family, "-", quant), prompt});
      }
    }
  }
  for (const char* quant : {"f16", "Q8_0", "Q4_K_M"}) {
    for (const char* prompt : {"short", "long"})
      cases.push_back({absl::StrCat("qwen3moe-kq-", quant), prompt});
  }
  return cases;
}

// Restores the default (exact) MatMul options however the test ends.
class ScopedMatMulOptions {
 public:
  explicit ScopedMatMulOptions(const cpu::MatMulOptions& options)
      : saved_(cpu::GetMatMulOptions()) {
    cpu::SetMatMulOptions(options);
  }
  ~ScopedMatMulOptions() { cpu::SetMatMulOptions(saved_); }

 private:
  cpu::MatMulOptions saved_;
};

std::vector<float> LastLogits(const Model& model, const std::vector<int32_t>& ids) {
  ContextOptions options;
  options.n_ctx = 512;
  options.n_threads = 2;
  auto ctx = InferenceContext::Create(model, options);
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  if (!ctx.ok()) return {};
  EXPECT_TRUE((*ctx)->Eval(ids).ok());
  const absl::Span<const float> logits = (*ctx)->logits();
  return std::vector<float>(logits.begin(), logits.end());
}

double MaxDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double{a[i]} - b[i]));
  return m;
}

size_t Argmax(const std::vector<float>& v) {
  size_t best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}

class AmxPrefillTest : public ::testing::TestWithParam<Case> {};

TEST_P(AmxPrefillTest, DeviationIsReportedAndDefaultStaysExact) {
  if (!cpu::GetCpuFeatures().Has(cpu::Isa::kAvx512)) {
    GTEST_SKIP() << "the AMX tile emulation needs AVX-512";
  }
  const Case& c = GetParam();
  const std::string dir = ::strata::testing::FixturesDir();
  const std::string ref_path = absl::StrCat(dir, "/ref/", c.model, "/f32kv_nofa/", c.prompt);
  const std::string model_path = absl::StrCat(dir, "/models/", c.model, ".gguf");
  STRATA_REQUIRE_PATH(ref_path + ".json");
  STRATA_REQUIRE_PATH(model_path);
  std::ifstream in(ref_path + ".json");
  const nlohmann::json ref = nlohmann::json::parse(in);
  const std::vector<int32_t> ids = ref["tokens_add_special"].get<std::vector<int32_t>>();
  auto model = Model::Load(model_path);
  ASSERT_TRUE(model.ok()) << model.status();
  std::vector<float> ref_logits((*model)->hparams().n_vocab);
  std::ifstream logits_in(ref_path + ".logits.f32", std::ios::binary);
  logits_in.read(reinterpret_cast<char*>(ref_logits.data()), ref_logits.size() * sizeof(float));
  ASSERT_EQ(logits_in.gcount(), static_cast<std::streamsize>(ref_logits.size() * sizeof(float)));

  const bool quantized = !absl::EndsWith(c.model, "-f32") && !absl::EndsWith(c.model, "-f16");
  const std::vector<float> exact = LastLogits(**model, ids);
  std::vector<float> amx;
  {
    cpu::MatMulOptions options;
    options.allow_amx = true;
    options.emulate_amx = true;
    options.amx_min_tokens = 2;  // Every prefill batch, to see the most it can change.
    ScopedMatMulOptions scoped(options);
    amx = LastLogits(**model, ids);
  }
  const std::vector<float> again = LastLogits(**model, ids);
  ASSERT_EQ(exact.size(), ref_logits.size());
  ASSERT_EQ(amx.size(), ref_logits.size());
  for (float v : amx) ASSERT_TRUE(std::isfinite(v));

  const double exact_diff = MaxDiff(exact, ref_logits);
  const double amx_diff = MaxDiff(amx, ref_logits);
  if (quantized) {
    EXPECT_EQ(exact_diff, 0.0) << "the default path must stay bit-identical to llama.cpp";
  }
  EXPECT_EQ(MaxDiff(again, exact), 0.0) << "the AMX option leaked into the default path";
  // A sanity bound: the tile path quantizes activations per 32-element block
  // (INT8) or rounds them to BF16; anything near a logit's scale is a bug.
  EXPECT_LT(amx_diff, 0.5) << c.model << "/" << c.prompt;

  const std::string path = ::strata::testing::SharedScratchDir() + "/amx_prefill_deviation.md";
  std::ofstream out(path, std::ios::app);
  out << absl::StrFormat("| %s | %s | %d | %.2e | %.2e | %s |\n", c.model, c.prompt, ids.size(),
                         exact_diff, amx_diff,
                         Argmax(amx) == Argmax(ref_logits) ? "same" : "DIFFERENT");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, AmxPrefillTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string name = info.param.model + "_" + info.param.prompt;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace strata
