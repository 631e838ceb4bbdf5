#include "runtime/sampling/sampling_params.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::sampling {
namespace {

using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(SamplingParamsTest, DefaultsAreLlamaCpps) {
  const SamplingParams p;
  EXPECT_EQ(p.temp, 0.8f);
  EXPECT_EQ(p.top_k, 40);
  EXPECT_EQ(p.top_p, 0.95f);
  EXPECT_EQ(p.min_p, 0.05f);
  EXPECT_EQ(p.repeat_penalty, 1.0f);
  EXPECT_EQ(p.repeat_last_n, 64);
  EXPECT_EQ(p.presence_penalty, 0.0f);
  EXPECT_EQ(p.frequency_penalty, 0.0f);
  EXPECT_EQ(p.seed, 0xFFFFFFFFu);
}

std::string Describe(const SamplingParams& p) {
  absl::StatusOr<std::unique_ptr<SamplerChain>> chain = MakeSamplerChain(p, 100);
  if (!chain.ok()) return std::string(chain.status().message());
  return (*chain)->Describe();
}

TEST(MakeSamplerChainTest, DefaultOrder) {
  EXPECT_EQ(Describe(SamplingParams{}), "top-k -> top-p -> min-p -> temp -> dist");
}

TEST(MakeSamplerChainTest, PenaltiesComeFirst) {
  SamplingParams p;
  p.repeat_penalty = 1.1f;
  EXPECT_EQ(Describe(p), "penalties -> top-k -> top-p -> min-p -> temp -> dist");
  p = SamplingParams{};
  p.presence_penalty = 0.5f;
  EXPECT_EQ(Describe(p), "penalties -> top-k -> top-p -> min-p -> temp -> dist");
  p.repeat_last_n = 0;  // No window: penalties are off.
  EXPECT_EQ(Describe(p), "top-k -> top-p -> min-p -> temp -> dist");
}

TEST(MakeSamplerChainTest, NoOpSamplersAreLeftOut) {
  SamplingParams p;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.temp = 1.0f;
  EXPECT_EQ(Describe(p), "dist");
}

TEST(MakeSamplerChainTest, ZeroTemperatureIsGreedy) {
  SamplingParams p;
  p.temp = 0.0f;
  EXPECT_EQ(Describe(p), "greedy");
  p.repeat_penalty = 1.3f;
  EXPECT_EQ(Describe(p), "penalties -> greedy");
}

TEST(MakeSamplerChainTest, GreedyPicksTheArgmaxOfThePenalisedLogits) {
  SamplingParams p;
  p.temp = 0.0f;
  p.repeat_penalty = 2.0f;
  absl::StatusOr<std::unique_ptr<SamplerChain>> chain = MakeSamplerChain(p, 4);
  ASSERT_TRUE(chain.ok()) << chain.status();
  Candidates c;
  const std::vector<float> logits = {1.0f, 3.0f, 2.0f, 3.0f};
  EXPECT_EQ(*(*chain)->Sample(logits, c), 1);  // Tie 1 vs 3: lowest id. Accepts 1.
  EXPECT_EQ(*(*chain)->Sample(logits, c), 3);  // 1 is now 3 / 2 = 1.5.
  EXPECT_EQ(*(*chain)->Sample(logits, c), 2);  // 1 and 3 both penalised to 1.5.
}

TEST(MakeSamplerChainTest, SeededChainsAreReproducible) {
  SamplingParams p;
  p.seed = 1234;
  p.repeat_penalty = 1.1f;
  std::vector<float> logits(500);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(static_cast<float>(i)) * 3;
  std::vector<int32_t> runs[2];
  for (std::vector<int32_t>& tokens : runs) {
    absl::StatusOr<std::unique_ptr<SamplerChain>> chain = MakeSamplerChain(p, 500);
    ASSERT_TRUE(chain.ok());
    Candidates c;
    for (int i = 0; i < 100; ++i) tokens.push_back(*(*chain)->Sample(logits, c));
  }
  EXPECT_EQ(runs[0], runs[1]);
}

struct InvalidCase {
  std::string flag;
  void (*mutate)(SamplingParams&);
};

TEST(MakeSamplerChainTest, InvalidParamsAreInvalidArgumentNamingTheFlag) {
  const std::vector<InvalidCase> cases = {
      {"--temp", [](SamplingParams& p) { p.temp = -0.5f; }},
      {"--temp", [](SamplingParams& p) { p.temp = kNaN; }},
      {"--temp", [](SamplingParams& p) { p.temp = kInf; }},
      {"--top-k", [](SamplingParams& p) { p.top_k = -1; }},
      {"--top-p", [](SamplingParams& p) { p.top_p = 0.0f; }},
      {"--top-p", [](SamplingParams& p) { p.top_p = 1.5f; }},
      {"--top-p", [](SamplingParams& p) { p.top_p = kNaN; }},
      {"--min-p", [](SamplingParams& p) { p.min_p = -0.1f; }},
      {"--min-p", [](SamplingParams& p) { p.min_p = 1.5f; }},
      {"--min-p", [](SamplingParams& p) { p.min_p = kNaN; }},
      {"--min-keep", [](SamplingParams& p) { p.min_keep = -1; }},
      {"--repeat-penalty", [](SamplingParams& p) { p.repeat_penalty = 0.0f; }},
      {"--repeat-penalty", [](SamplingParams& p) { p.repeat_penalty = -1.0f; }},
      {"--repeat-penalty", [](SamplingParams& p) { p.repeat_penalty = kNaN; }},
      {"--repeat-last-n", [](SamplingParams& p) { p.repeat_last_n = -1; }},
      {"--presence-penalty", [](SamplingParams& p) { p.presence_penalty = kNaN; }},
      {"--frequency-penalty", [](SamplingParams& p) { p.frequency_penalty = kInf; }},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SamplingParams p;
    cases[i].mutate(p);
    absl::StatusOr<std::unique_ptr<SamplerChain>> chain = MakeSamplerChain(p, 100);
    ASSERT_FALSE(chain.ok()) << "case " << i << " (" << cases[i].flag << ")";
    EXPECT_EQ(chain.status().code(), absl::StatusCode::kInvalidArgument) << "case " << i;
    EXPECT_THAT(std::string(chain.status().message()), HasSubstr(cases[i].flag)) << "case " << i;
  }
}

TEST(MakeSamplerChainTest, NonPositiveVocabularyIsInvalidArgument) {
  absl::StatusOr<std::unique_ptr<SamplerChain>> chain = MakeSamplerChain(SamplingParams{}, 0);
  EXPECT_EQ(chain.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(chain.status().message()), HasSubstr("n_vocab"));
}

TEST(MakeSamplerChainTest, BoundaryValuesAreAccepted) {
  SamplingParams p;
  p.top_p = 1.0f;
  p.min_p = 1.0f;
  p.top_k = 0;
  p.repeat_last_n = 0;
  p.min_keep = 0;
  p.frequency_penalty = -0.5f;  // Negative penalties (encouragement) are allowed, as in llama.cpp.
  EXPECT_TRUE(MakeSamplerChain(p, 1).ok());
}

}  // namespace
}  // namespace strata::sampling
