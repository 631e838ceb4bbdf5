// The tiered RAM budget never changes what the model computes: with any
// budget between the minimum and the whole model, and any eviction policy,
// greedy generation gives the same tokens as with every weight resident. And
// the failure modes: a budget below the minimum is refused with the minimum
// named; EIO and truncation stop generation with DataLoss and leave nothing
// half-read resident; a deleted file keeps working (open descriptors).
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/inference_context.h"
#include "runtime/memory_plan.h"
#include "runtime/model/model.h"
#include "runtime/prefetch/expert_prefetcher.h"
#include "runtime/synthetic/synthetic_model.h"
#include "storage/testing/fault_injecting_block_reader.h"
#include "tests/support/fixtures.h"

namespace strata {
namespace {

using ::strata::testing::FaultInjectingBlockReader;
using ::strata::testing::ScratchDir;

constexpr int kTokens = 12;
constexpr uint64_t kBase = 1;  // Plans ignore this process's (test-dependent) RSS.

ContextOptions SmallContext() {
  ContextOptions c;
  c.n_ctx = 64;
  c.n_threads = 2;
  return c;
}

int32_t Argmax(absl::Span<const float> logits) {
  int32_t best = 0;
  for (int32_t i = 1; i < static_cast<int32_t>(logits.size()); ++i) {
    if (logits[i] > logits[best]) best = i;
  }
  return best;
}

// Greedy tokens after `prompt`; stops early (returning the error) on failure.
absl::StatusOr<std::vector<int32_t>> Greedy(const Model& model, const std::vector<int32_t>& prompt,
                                            int n) {
  auto ctx = InferenceContext::Create(model, SmallContext());
  if (!ctx.ok()) return ctx.status();
  absl::Status s = (*ctx)->Eval(prompt);
  if (!s.ok()) return s;
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) {
    const int32_t t = Argmax((*ctx)->logits());
    out.push_back(t);
    s = (*ctx)->Eval(absl::MakeConstSpan(&t, 1));
    if (!s.ok()) return s;
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Model>> OpenWithBudget(const std::string& path, uint64_t budget,
                                                      const std::string& policy,
                                                      WeightStoreOptions options = {}) {
  auto model = Model::Open(path);
  if (!model.ok()) return model.status();
  auto plan = PlanMemory(**model, SmallContext(), budget, kBase);
  if (!plan.ok()) return plan.status();
  const WeightStoreOptions sizes = WeightStoreOptionsFor(*plan);
  options.dense_cache_bytes = sizes.dense_cache_bytes;
  options.expert_cache_bytes = sizes.expert_cache_bytes;
  options.cache_policy = policy;
  absl::Status s = (*model)->AttachWeights(options);
  if (!s.ok()) return s;
  return model;
}

class TieredBudgetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SyntheticModelSpec spec;
    spec.arch = "qwen3moe";
    spec.n_embd = 256;
    spec.n_layer = 4;
    spec.n_head = 4;
    spec.n_head_kv = 2;
    spec.head_dim = 64;
    spec.n_expert = 16;
    spec.n_expert_used = 2;
    spec.n_ff_exp = 256;
    spec.n_vocab = 1000;
    spec.type = DType::kQ4_K;
    spec.seed = 5;
    path_ = new std::string(ScratchDir() + "/tiered.gguf");
    ASSERT_TRUE(WriteSyntheticModel(spec, *path_, 2).ok());
    auto model = Model::Load(*path_);
    ASSERT_TRUE(model.ok()) << model.status();
    prompt_ = new std::vector<int32_t>(
        (*model)->tokenizer().Encode("The library opened at nine in the morning.", true, false));
    auto tokens = Greedy(**model, *prompt_, kTokens);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    reference_ = new std::vector<int32_t>(*tokens);
    auto plan = PlanMemory(**model, SmallContext(), UINT64_MAX, kBase);
    ASSERT_TRUE(plan.ok());
    min_budget_ = plan->min_ram_budget_bytes;
    full_budget_ = plan->full_ram_budget_bytes;
  }
  static std::string* path_;
  static std::vector<int32_t>* prompt_;
  static std::vector<int32_t>* reference_;
  static uint64_t min_budget_;
  static uint64_t full_budget_;
};
std::string* TieredBudgetTest::path_;
std::vector<int32_t>* TieredBudgetTest::prompt_;
std::vector<int32_t>* TieredBudgetTest::reference_;
uint64_t TieredBudgetTest::min_budget_;
uint64_t TieredBudgetTest::full_budget_;

TEST_F(TieredBudgetTest, EveryBudgetAndPolicyGivesTheSameTokens) {
  ASSERT_LT(min_budget_, full_budget_);
  for (const char* policy : {"lru", "lfu", "lfu-aging", "s3fifo", "score"}) {
    for (double f : {0.0, 0.1, 0.35, 0.7, 1.0}) {
      const uint64_t budget = min_budget_ + static_cast<uint64_t>(f * (full_budget_ - min_budget_));
      auto model = OpenWithBudget(*path_, budget, policy);
      ASSERT_TRUE(model.ok()) << model.status();
      auto tokens = Greedy(**model, *prompt_, kTokens);
      ASSERT_TRUE(tokens.ok()) << tokens.status();
      EXPECT_EQ(*tokens, *reference_) << policy << " at budget " << budget;
      const offload::TierStats s = (*model)->store().stats();
      EXPECT_LE(s.peak_resident_bytes, s.cache_capacity_bytes) << policy << " " << budget;
      if (f == 0.0) {
        EXPECT_GT(s.of(offload::BlockClass::kExpert).evictions, 0u) << policy;
        EXPECT_GT(s.of(offload::BlockClass::kExpert).misses, 16u) << policy;
      }
      if (f == 1.0) {
        EXPECT_EQ(s.of(offload::BlockClass::kExpert).evictions, 0u) << policy;
      }
    }
  }
}

// Prefetching with any predictor only changes when blocks are read, never
// what is computed.
TEST_F(TieredBudgetTest, PrefetchNeverChangesTheTokens) {
  for (const char* predictor : {"gate", "temporal", "popularity", "combined"}) {
    for (double f : {0.0, 0.3}) {
      const uint64_t budget = min_budget_ + static_cast<uint64_t>(f * (full_budget_ - min_budget_));
      auto model = OpenWithBudget(*path_, budget, "lru");
      ASSERT_TRUE(model.ok()) << model.status();
      PrefetchOptions options;
      options.predictor = predictor;
      options.lookahead = f == 0.0 ? 1 : 2;
      auto prefetcher = ExpertPrefetcher::Create(**model, options);
      ASSERT_TRUE(prefetcher.ok()) << prefetcher.status();
      auto ctx = InferenceContext::Create(**model, SmallContext());
      ASSERT_TRUE(ctx.ok());
      (*ctx)->set_hooks(prefetcher->get());
      ASSERT_TRUE((*ctx)->Eval(*prompt_).ok());
      std::vector<int32_t> tokens;
      for (int i = 0; i < kTokens; ++i) {
        const int32_t t = Argmax((*ctx)->logits());
        tokens.push_back(t);
        ASSERT_TRUE((*ctx)->Eval(absl::MakeConstSpan(&t, 1)).ok());
      }
      EXPECT_EQ(tokens, *reference_) << predictor << " at " << budget;
      const offload::TierStats s = (*model)->store().stats();
      EXPECT_GT(s.prefetch.requested, 0u) << predictor;
      EXPECT_LE(s.peak_resident_bytes, s.cache_capacity_bytes);
      const moe::LayerPredictionStats p = (*prefetcher)->prediction_stats().total();
      EXPECT_GT(p.predictions, 0u) << predictor;
      if (std::string(predictor) == "gate" && f > 0.0) {
        // Residual streams change slowly: the next layer's router, fed this
        // layer's state, finds most of the next layer's experts. (At the
        // minimum budget the routers are rarely resident, and the gate
        // predictor stays silent rather than stall on reading them.)
        EXPECT_GT(p.recall(), 0.5) << "gate recall " << p.recall();
      }
    }
  }
}

TEST_F(TieredBudgetTest, BudgetBelowTheMinimumIsRefusedWithTheMinimum) {
  auto model = OpenWithBudget(*path_, min_budget_ - 1, "lru");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(model.status().message(), "at least")) << model.status();
  EXPECT_TRUE(absl::StrContains(model.status().message(), std::to_string(min_budget_)))
      << model.status();
}

// Opens readers through FaultInjectingBlockReader and keeps pointers to them.
struct FaultyReaders {
  std::vector<FaultInjectingBlockReader*> readers;
  WeightStoreOptions Options() {
    WeightStoreOptions o;
    o.open_reader =
        [this](const std::string& path,
               const BlockReaderOptions& io) -> absl::StatusOr<std::unique_ptr<BlockReader>> {
      auto r = FaultInjectingBlockReader::Open(path, io);
      if (!r.ok()) return r.status();
      readers.push_back(r->get());
      return std::unique_ptr<BlockReader>(std::move(*r));
    };
    return o;
  }
};

TEST_F(TieredBudgetTest, EioStopsGenerationAndRecoversWithoutCorruption) {
  FaultyReaders faulty;
  auto model = OpenWithBudget(*path_, min_budget_, "lru", faulty.Options());
  ASSERT_TRUE(model.ok()) << model.status();
  // The demand and prefetch readers of the dense and the expert cache.
  ASSERT_EQ(faulty.readers.size(), 4u);
  auto ctx = InferenceContext::Create(**model, SmallContext());
  ASSERT_TRUE(ctx.ok());
  ASSERT_TRUE((*ctx)->Eval(*prompt_).ok());
  std::vector<int32_t> tokens;
  for (int i = 0; i < kTokens; ++i) {
    const int32_t t = Argmax((*ctx)->logits());
    tokens.push_back(t);
    if (i == 4) {
      for (auto* r : faulty.readers) r->InjectError(0, UINT64_MAX, EIO);
      const absl::Status s = (*ctx)->Eval(absl::MakeConstSpan(&t, 1));
      ASSERT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
      EXPECT_TRUE(absl::StrContains(s.message(), *path_)) << s;
      EXPECT_TRUE(absl::StrContains(s.message(), "offset")) << s;
      for (auto* r : faulty.readers) {
        r->ClearFaults();
        EXPECT_EQ(r->counters().in_flight(), 0);
      }
    }
    ASSERT_TRUE((*ctx)->Eval(absl::MakeConstSpan(&t, 1)).ok());
  }
  // The failed step left nothing half-read resident: the same tokens.
  EXPECT_EQ(tokens, *reference_);
}

TEST_F(TieredBudgetTest, TruncatedFileIsDataLossDeletedFileKeepsWorking) {
  const std::string copy = ScratchDir() + "/tiered_copy.gguf";
  std::filesystem::copy_file(*path_, copy, std::filesystem::copy_options::overwrite_existing);
  {
    auto model = OpenWithBudget(copy, min_budget_, "lru");
    ASSERT_TRUE(model.ok()) << model.status();
    auto ctx = InferenceContext::Create(**model, SmallContext());
    ASSERT_TRUE((*ctx)->Eval(*prompt_).ok());
    ASSERT_EQ(::truncate(copy.c_str(), static_cast<off_t>(std::filesystem::file_size(copy) / 3)),
              0);
    absl::Status s;
    for (int i = 0; i < kTokens && s.ok(); ++i) {
      const int32_t t = Argmax((*ctx)->logits());
      s = (*ctx)->Eval(absl::MakeConstSpan(&t, 1));
    }
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  }
  std::filesystem::copy_file(*path_, copy, std::filesystem::copy_options::overwrite_existing);
  auto model = OpenWithBudget(copy, min_budget_, "lru");
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE(std::filesystem::remove(copy));
  auto tokens = Greedy(**model, *prompt_, kTokens);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(*tokens, *reference_);
}

// Every fixture model gives the all-in-RAM tokens at its minimum budget, a
// budget halfway to the whole model, and the whole model, with every policy.
TEST(TieredFixtureTest, FixturesAtAnyBudgetAndPolicy) {
  const std::string dir = ::strata::testing::FixturesDir();
  STRATA_REQUIRE_PATH(dir + "/models");
  int checked = 0;
  for (const char* family : {"llama-dense", "llama-moe", "qwen3moe", "qwen3moe-kq"}) {
    for (const char* quant : {"f32", "f16", "Q8_0", "Q4_K_M"}) {
      const std::string name = absl::StrCat(family, "-", quant);
      const std::string path = absl::StrCat(dir, "/models/", name, ".gguf");
      if (!std::filesystem::exists(path)) continue;
      auto full = Model::Load(path);
      ASSERT_TRUE(full.ok()) << full.status();
      const std::vector<int32_t> prompt =
          (*full)->tokenizer().Encode("The river that ran below the town was wide", true, false);
      auto want = Greedy(**full, prompt, kTokens);
      ASSERT_TRUE(want.ok()) << want.status();
      auto plan = PlanMemory(**full, SmallContext(), UINT64_MAX, kBase);
      ASSERT_TRUE(plan.ok());
      for (const char* policy : {"lru", "lfu", "lfu-aging", "s3fifo", "score"}) {
        for (double f : {0.0, 0.5, 1.0}) {
          const uint64_t budget =
              plan->min_ram_budget_bytes +
              static_cast<uint64_t>(f * (plan->full_ram_budget_bytes - plan->min_ram_budget_bytes));
          auto model = OpenWithBudget(path, budget, policy);
          ASSERT_TRUE(model.ok()) << model.status();
          auto got = Greedy(**model, prompt, kTokens);
          ASSERT_TRUE(got.ok()) << got.status();
          EXPECT_EQ(*got, *want) << name << " " << policy << " at " << budget;
          if (f == 0.0) {
            EXPECT_GT((*model)->store().stats().total().evictions, 0u) << name;
          }
        }
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 12);
}

}  // namespace
}  // namespace strata
