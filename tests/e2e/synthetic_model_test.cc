// Models written by `make-model` (no outside data needed): every supported
// architecture and weight type loads, batching and threading never change the
// numbers, quantized models stay close to the F32 model with the same seed,
// and the writer is deterministic.
#include "runtime/synthetic/synthetic_model.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/inference_context.h"
#include "runtime/model/model.h"
#include "tests/support/fixtures.h"

namespace strata {
namespace {

using ::strata::testing::ScratchDir;

SyntheticModelSpec SmallSpec(const std::string& arch, bool moe, DType type) {
  SyntheticModelSpec s;
  s.arch = arch;
  s.n_embd = 256;
  s.n_layer = 2;
  s.n_head = 4;
  s.n_head_kv = 2;
  s.head_dim = 64;
  s.n_vocab = 600;
  s.type = type;
  s.seed = 11;
  if (moe) {
    s.n_expert = 8;
    s.n_expert_used = 2;
    s.n_ff_exp = 256;
  } else {
    s.n_ff = 512;
  }
  return s;
}

std::string Write(const SyntheticModelSpec& spec, const std::string& name, int threads = 2) {
  const std::string path = absl::StrCat(ScratchDir(), "/", name, ".gguf");
  auto stats = WriteSyntheticModel(spec, path, threads);
  EXPECT_TRUE(stats.ok()) << stats.status();
  return path;
}

std::vector<float> LastLogits(const Model& model, const std::vector<int32_t>& prompt, int64_t batch,
                              int threads) {
  ContextOptions options;
  options.n_ctx = 64;
  options.n_batch = batch;
  options.n_threads = threads;
  auto ctx = InferenceContext::Create(model, options);
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  EXPECT_TRUE((*ctx)->Eval(prompt).ok());
  const auto logits = (*ctx)->logits();
  return std::vector<float>(logits.begin(), logits.end());
}

struct ArchCase {
  const char* arch;
  bool moe;
};

void PrintTo(const ArchCase& c, std::ostream* os) { *os << c.arch << (c.moe ? "+moe" : ""); }

class ArchTest : public ::testing::TestWithParam<ArchCase> {};

TEST_P(ArchTest, LoadsAndBatchingOrThreadsNeverChangeTheLogits) {
  const ArchCase c = GetParam();
  const SyntheticModelSpec spec = SmallSpec(c.arch, c.moe, DType::kQ8_0);
  const std::string path = Write(spec, absl::StrCat("arch_", c.arch, c.moe ? "_moe" : ""));
  auto model = Model::Load(path);
  ASSERT_TRUE(model.ok()) << model.status();
  const HParams& hp = (*model)->hparams();
  EXPECT_EQ(hp.arch_name, c.arch);
  EXPECT_EQ(hp.n_embd, 256);
  EXPECT_EQ(hp.n_expert, c.moe ? 8 : 0);
  EXPECT_EQ(hp.head_dim_k, 64);
  EXPECT_EQ(present((*model)->weights().layers[0].bq), std::string(c.arch) == "qwen2");
  EXPECT_EQ(present((*model)->weights().layers[0].q_norm),
            std::string(c.arch) == "qwen3" || std::string(c.arch) == "qwen3moe");

  const std::vector<int32_t> prompt =
      (*model)->tokenizer().Encode("The river that ran below the town was wide.", true, false);
  ASSERT_GE(prompt.size(), 5u);
  const std::vector<float> whole = LastLogits(**model, prompt, 512, 2);
  for (float v : whole) ASSERT_TRUE(std::isfinite(v));
  // Prefill in batches of 3, one token at a time, and on one thread: bit-identical.
  EXPECT_EQ(LastLogits(**model, prompt, 3, 2), whole);
  EXPECT_EQ(LastLogits(**model, prompt, 1, 2), whole);
  EXPECT_EQ(LastLogits(**model, prompt, 512, 1), whole);
}

INSTANTIATE_TEST_SUITE_P(Archs, ArchTest,
                         ::testing::Values(ArchCase{"llama", false}, ArchCase{"llama", true},
                                           ArchCase{"qwen2", false}, ArchCase{"qwen3", false},
                                           ArchCase{"qwen3moe", true}),
                         [](const ::testing::TestParamInfo<ArchCase>& info) {
                           return absl::StrCat(info.param.arch, info.param.moe ? "_moe" : "");
                         });

struct TypeCase {
  DType type;
  double max_rel_rms;  // RMS(logits - f32 logits) / RMS(f32 logits)
};

void PrintTo(const TypeCase& c, std::ostream* os) { *os << DTypeName(c.type); }

class WeightTypeTest : public ::testing::TestWithParam<TypeCase> {};

// The same seed gives the same float weights before quantization, so a
// quantized model's logits must stay near the F32 model's: the end-to-end
// error of each weight format (and of the activation quantization it implies).
TEST_P(WeightTypeTest, StaysCloseToTheF32Model) {
  const TypeCase c = GetParam();
  static const std::string f32_path = Write(SmallSpec("qwen3moe", true, DType::kF32), "types_f32");
  const std::string path =
      Write(SmallSpec("qwen3moe", true, c.type), absl::StrCat("types_", DTypeName(c.type)));
  auto reference = Model::Load(f32_path);
  auto model = Model::Load(path);
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<int32_t> prompt = (*model)->tokenizer().Encode("Once upon a time", true, false);
  const std::vector<float> want = LastLogits(**reference, prompt, 512, 2);
  const std::vector<float> got = LastLogits(**model, prompt, 512, 2);
  double err = 0, norm = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got[i]));
    err += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
  }
  const double rel = std::sqrt(err / norm);
  RecordProperty("relative_rms_error", std::to_string(rel));
  EXPECT_LT(rel, c.max_rel_rms) << DTypeName(c.type);
}

INSTANTIATE_TEST_SUITE_P(
    Types, WeightTypeTest,
    // Bounds: ~1.5-2x the errors measured when this test was written (f16 5.9e-4, bf16
    // 5.9e-3, q8_0 1.9e-2, q6_K 6.9e-2, q5_K 0.13, q5_0/q5_1 0.13, q4_0 0.26, q4_K/q4_1 0.31,
    // q3_K 0.36, q2_K 0.58); a wrong block layout gives ~1.4 (unrelated logits). MoE routing
    // flips make the larger errors lumpy.
    ::testing::Values(TypeCase{DType::kF16, 2e-3}, TypeCase{DType::kBF16, 1.5e-2},
                      TypeCase{DType::kQ8_0, 4e-2}, TypeCase{DType::kQ6_K, 0.12},
                      TypeCase{DType::kQ5_K, 0.2}, TypeCase{DType::kQ5_0, 0.2},
                      TypeCase{DType::kQ5_1, 0.2}, TypeCase{DType::kQ4_K, 0.5},
                      TypeCase{DType::kQ4_0, 0.45}, TypeCase{DType::kQ4_1, 0.5},
                      TypeCase{DType::kQ3_K, 0.6}, TypeCase{DType::kQ2_K, 0.9}),
    [](const ::testing::TestParamInfo<TypeCase>& info) {
      return std::string(DTypeName(info.param.type));
    });

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(SyntheticModelTest, WriterIsDeterministicAcrossThreadCounts) {
  const SyntheticModelSpec spec = SmallSpec("qwen3moe", true, DType::kQ4_K);
  const std::string a = Write(spec, "det_1thread", 1);
  const std::string b = Write(spec, "det_2threads", 2);
  EXPECT_EQ(ReadAll(a), ReadAll(b));
  SyntheticModelSpec other = spec;
  other.seed = 12;
  EXPECT_NE(ReadAll(Write(other, "det_seed12")), ReadAll(a));
}

TEST(SyntheticModelTest, PresetsAreValidAndShapedLikeTheRealModels) {
  for (const std::string& name : PresetNames()) {
    auto spec = PresetSpec(name);
    ASSERT_TRUE(spec.ok()) << name;
    EXPECT_TRUE(ValidateSpec(*spec).ok()) << name;
  }
  const SyntheticModelSpec q = *PresetSpec("qwen3-30b-a3b");
  EXPECT_EQ(q.n_embd, 2048);
  EXPECT_EQ(q.n_expert, 128);
  EXPECT_EQ(q.n_expert_used, 8);
  EXPECT_EQ(q.n_ff_exp, 768);
  EXPECT_EQ(q.n_vocab, 151936);
  const SyntheticModelSpec m = *PresetSpec("mixtral-8x7b");
  EXPECT_EQ(m.arch, "llama");
  EXPECT_EQ(m.n_ff_exp, 14336);
  EXPECT_FALSE(PresetSpec("nope").ok());
}

TEST(SyntheticModelTest, RejectsInconsistentSpecs) {
  SyntheticModelSpec s = SmallSpec("qwen3moe", true, DType::kQ8_0);
  s.n_expert_used = 9;
  EXPECT_FALSE(ValidateSpec(s).ok());
  s = SmallSpec("qwen2", true, DType::kQ8_0);
  EXPECT_FALSE(ValidateSpec(s).ok());
  s = SmallSpec("qwen3", false, DType::kQ8_K);
  EXPECT_FALSE(ValidateSpec(s).ok());
  s = SmallSpec("gptj", false, DType::kQ8_0);
  EXPECT_FALSE(ValidateSpec(s).ok());
}

}  // namespace
}  // namespace strata
