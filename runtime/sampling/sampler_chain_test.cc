#include "runtime/sampling/sampler_chain.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/sampling/dist.h"
#include "runtime/sampling/greedy.h"
#include "runtime/sampling/min_p.h"
#include "runtime/sampling/penalties.h"
#include "runtime/sampling/sampling_test_util.h"
#include "runtime/sampling/temperature.h"
#include "runtime/sampling/top_k.h"

namespace strata::sampling {
namespace {

using ::testing::ElementsAre;
using testing::FromLogits;

// Logs every call as "<name>.<method>[:token]".
class RecordingSampler : public Sampler {
 public:
  RecordingSampler(std::string name, std::vector<std::string>* log)
      : name_(std::move(name)), log_(log) {}
  void Apply(Candidates&) override { log_->push_back(name_ + ".apply"); }
  void Accept(int32_t token) override {
    log_->push_back(name_ + ".accept:" + std::to_string(token));
  }
  void Reset() override { log_->push_back(name_ + ".reset"); }
  absl::string_view Name() const override { return name_; }

 private:
  std::string name_;
  std::vector<std::string>* log_;
};

TEST(SamplerChainTest, RunsSamplersInOrderAndForwardsAcceptAndReset) {
  std::vector<std::string> log;
  SamplerChain chain;
  chain.Add(std::make_unique<RecordingSampler>("a", &log));
  chain.Add(std::make_unique<RecordingSampler>("b", &log));
  chain.Add(nullptr);  // Ignored.
  EXPECT_EQ(chain.size(), 2u);
  Candidates c = FromLogits({0.0f});
  chain.Apply(c);
  chain.Accept(7);
  chain.Reset();
  EXPECT_THAT(log,
              ElementsAre("a.apply", "b.apply", "a.accept:7", "b.accept:7", "a.reset", "b.reset"));
  EXPECT_EQ(chain.Describe(), "a -> b");
  EXPECT_EQ(chain.Name(), "chain");
}

TEST(SamplerChainTest, SampleSelectsAndAcceptsTheToken) {
  std::vector<std::string> log;
  SamplerChain chain;
  chain.Add(std::make_unique<RecordingSampler>("rec", &log));
  chain.Add(std::make_unique<GreedySampler>());
  Candidates c;
  const std::vector<float> logits = {0.0f, 2.0f, 1.0f};
  absl::StatusOr<int32_t> token = chain.Sample(logits, c);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, 1);
  EXPECT_THAT(log, ElementsAre("rec.apply", "rec.accept:1"));
}

TEST(SamplerChainTest, SampleWithoutASelectorIsFailedPrecondition) {
  SamplerChain chain;
  chain.Add(std::make_unique<TopKSampler>(2));
  Candidates c;
  const std::vector<float> logits = {0.0f, 2.0f, 1.0f};
  absl::StatusOr<int32_t> token = chain.Sample(logits, c);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(token.status().message()), ::testing::HasSubstr("top-k"));
}

TEST(SamplerChainTest, SampleOnEmptyLogitsIsInvalidArgument) {
  SamplerChain chain;
  chain.Add(std::make_unique<GreedySampler>());
  Candidates c;
  EXPECT_EQ(chain.Sample({}, c).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SamplerChainTest, ChainsNest) {
  auto inner = std::make_unique<SamplerChain>();
  inner->Add(std::make_unique<TopKSampler>(2));
  SamplerChain outer;
  outer.Add(std::move(inner));
  outer.Add(std::make_unique<GreedySampler>());
  EXPECT_EQ(outer.Describe(), "chain -> greedy");
  Candidates c;
  const std::vector<float> logits = {0.0f, 2.0f, 3.0f};
  EXPECT_EQ(*outer.Sample(logits, c), 2);
  EXPECT_EQ(c.data.size(), 2u);
}

// Penalties must come before top-k: token 0 leads until it is penalised.
TEST(SamplerChainTest, OrderMattersPenaltiesBeforeTopK) {
  const std::vector<float> logits = {3.0f, 2.9f, 0.0f};
  auto make = [](bool penalties_first) {
    auto chain = std::make_unique<SamplerChain>();
    auto penalties = std::make_unique<PenaltiesSampler>(3, 64, 2.0f, 0.0f, 0.0f);
    penalties->Accept(0);
    if (penalties_first) chain->Add(std::move(penalties));
    chain->Add(std::make_unique<TopKSampler>(1));
    if (!penalties_first) chain->Add(std::move(penalties));
    chain->Add(std::make_unique<GreedySampler>());
    return chain;
  };
  Candidates c;
  EXPECT_EQ(*make(true)->Sample(logits, c), 1);   // 3 / 2 = 1.5 < 2.9
  EXPECT_EQ(*make(false)->Sample(logits, c), 0);  // Top-k already removed token 1.
}

// Min-p must see the untempered logits: at T = 2 token 1 (relative prob 0.04 < 0.05) would
// otherwise rise to relative prob 0.2 and survive.
TEST(SamplerChainTest, OrderMattersMinPBeforeTemperature) {
  const std::vector<float> logits = {0.0f, std::log(0.04f)};
  SamplerChain chain;
  chain.Add(std::make_unique<MinPSampler>(0.05f));
  chain.Add(std::make_unique<TemperatureSampler>(2.0f));
  chain.Add(std::make_unique<DistSampler>(9));
  Candidates c;
  for (int i = 0; i < 200; ++i) ASSERT_EQ(*chain.Sample(logits, c), 0);
}

TEST(SamplerChainTest, CandidatesBufferIsReusedAcrossTokens) {
  SamplerChain chain;
  chain.Add(std::make_unique<TopKSampler>(4));
  chain.Add(std::make_unique<DistSampler>(1));
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(i % 17);
  Candidates c;
  ASSERT_TRUE(chain.Sample(logits, c).ok());
  const TokenData* buffer = c.data.data();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(chain.Sample(logits, c).ok());
  EXPECT_EQ(c.data.data(), buffer);
}

}  // namespace
// The RNG position survives SaveState/RestoreState (chat /save and /load):
// a chain restored into another chain of the same samplers draws the same
// tokens from then on; a chain of other samplers refuses it unchanged.
TEST(SamplerChainTest, StateRoundTripResumesTheDraws) {
  const std::vector<float> logits = {0.1f, 0.5f, 0.2f, 0.9f, 0.3f, 0.4f, 0.0f, 0.7f};
  auto make = [](uint32_t seed) {
    auto chain = std::make_unique<SamplerChain>();
    chain->Add(std::make_unique<TemperatureSampler>(1.0f));
    chain->Add(std::make_unique<DistSampler>(seed));
    return chain;
  };
  Candidates c;
  auto a = make(7);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a->Sample(logits, c).ok());
  const std::string state = a->SaveState();
  auto b = make(99);
  ASSERT_TRUE(b->RestoreState(state).ok());
  std::vector<int32_t> from_a, from_b;
  for (int i = 0; i < 20; ++i) {
    from_a.push_back(*a->Sample(logits, c));
    from_b.push_back(*b->Sample(logits, c));
  }
  EXPECT_EQ(from_a, from_b);

  SamplerChain greedy;
  greedy.Add(std::make_unique<GreedySampler>());
  EXPECT_EQ(greedy.RestoreState(state).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b->RestoreState("garbage").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b->RestoreState("0 2 x y").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace strata::sampling
