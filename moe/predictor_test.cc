#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "moe/expert_predictor.h"
#include "moe/prediction_stats.h"
#include "moe/temporal_predictor.h"
#include "tests/support/fixtures.h"

namespace strata::moe {
namespace {

PredictorConfig Config(int64_t n_layer = 2, int64_t n_expert = 4) {
  PredictorConfig c;
  c.n_layer = n_layer;
  c.n_expert = n_expert;
  c.n_expert_used = 2;
  c.n_embd = 4;
  return c;
}

std::vector<int32_t> Top(const std::vector<ScoredExpert>& ranked, size_t n) {
  std::vector<int32_t> out;
  for (size_t i = 0; i < n && i < ranked.size(); ++i) out.push_back(ranked[i].expert);
  return out;
}

TEST(TemporalPredictorTest, RecentUseRanksFirstAndFades) {
  TemporalPredictor p(Config());
  std::vector<ScoredExpert> ranked;
  p.Predict(1, nullptr, &ranked);
  EXPECT_TRUE(ranked.empty());  // Nothing observed: no guess.
  p.Observe(1, {3, 0});
  p.Observe(1, {2, 0});
  p.Predict(1, nullptr, &ranked);
  // 0: 0.5 + 1 = 1.5; 2: 1; 3: 0.5.
  EXPECT_EQ(Top(ranked, 3), (std::vector<int32_t>{0, 2, 3}));
  EXPECT_FLOAT_EQ(ranked[0].score, 1.5f);
  p.Observe(0, {1});  // Other layers are independent.
  p.Predict(1, nullptr, &ranked);
  EXPECT_EQ(ranked.size(), 3u);
}

TEST(PopularityPredictorTest, RanksByFrequencyFromProfileAndObservation) {
  PopularityProfile profile(2, 4);
  profile.Add(0, {1, 1, 1, 2});
  PredictorConfig c = Config();
  c.popularity = &profile;
  auto p = MakeExpertPredictor("popularity", c);
  ASSERT_TRUE(p.ok());
  std::vector<ScoredExpert> ranked;
  (*p)->Predict(0, nullptr, &ranked);
  EXPECT_EQ(Top(ranked, 2), (std::vector<int32_t>{1, 2}));
  EXPECT_FLOAT_EQ(ranked[0].score, 0.75f);
  for (int i = 0; i < 5; ++i) (*p)->Observe(0, {3});
  (*p)->Predict(0, nullptr, &ranked);
  EXPECT_EQ(ranked[0].expert, 3);
}

TEST(PopularityProfileTest, SavesAndLoadsAndRejectsGarbage) {
  PopularityProfile profile(3, 5);
  profile.Add(2, {4, 4, 0});
  const std::string path = ::strata::testing::ScratchDir() + "/popularity.csv";
  ASSERT_TRUE(profile.Save(path).ok());
  auto loaded = PopularityProfile::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->count(2, 4), 2u);
  EXPECT_EQ(loaded->count(2, 0), 1u);
  EXPECT_EQ(loaded->layer_total(1), 0u);
  std::FILE* f = std::fopen(path.c_str(), "a");
  std::fputs("7,1,3\n", f);  // Layer out of range.
  std::fclose(f);
  auto bad = PopularityProfile::Load(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), ":5:")) << bad.status();
  EXPECT_FALSE(PopularityProfile::Load("/nonexistent/p.csv").ok());
}

// A router that maps residual coordinate i to expert i (identity matrix).
class IdentityRouters : public RouterSource {
 public:
  IdentityRouters() : norm_(4, 1.0f), gate_(16, 0.0f) {
    for (int i = 0; i < 4; ++i) gate_[i * 4 + i] = 1.0f;
  }
  absl::StatusOr<Router> GetRouter(int64_t layer) override {
    Router r;
    r.norm.type = DType::kF32;
    r.norm.ne = {4, 1, 1, 1};
    r.norm.data = reinterpret_cast<const uint8_t*>(norm_.data());
    r.gate_inp.type = DType::kF32;
    r.gate_inp.ne = {4, 4, 1, 1};
    r.gate_inp.data = reinterpret_cast<const uint8_t*>(gate_.data());
    return r;
  }

 private:
  std::vector<float> norm_, gate_;
};

TEST(GatePredictorTest, AppliesTheFutureRouterToTheResidual) {
  IdentityRouters routers;
  PredictorConfig c = Config();
  c.routers = &routers;
  auto p = MakeExpertPredictor("gate", c);
  ASSERT_TRUE(p.ok());
  const float residual[4] = {0.1f, 3.0f, -1.0f, 2.0f};
  std::vector<ScoredExpert> ranked;
  (*p)->Predict(1, residual, &ranked);
  EXPECT_EQ(Top(ranked, 4), (std::vector<int32_t>{1, 3, 0, 2}));
  float total = 0;
  for (const ScoredExpert& s : ranked) total += s.score;
  EXPECT_NEAR(total, 1.0f, 1e-5);  // Probabilities.
  (*p)->Predict(1, nullptr, &ranked);
  EXPECT_TRUE(ranked.empty());
}

TEST(CombinedPredictorTest, MixesGateWithHistoryAndFallsBackWithoutResidual) {
  IdentityRouters routers;
  PredictorConfig c = Config();
  c.routers = &routers;
  auto p = MakeExpertPredictor("combined", c);
  ASSERT_TRUE(p.ok());
  for (int i = 0; i < 3; ++i) (*p)->Observe(1, {2, 0});
  std::vector<ScoredExpert> ranked;
  (*p)->Predict(1, nullptr, &ranked);  // History only.
  EXPECT_EQ(Top(ranked, 2), (std::vector<int32_t>{0, 2}));
  const float residual[4] = {0.0f, 8.0f, 0.0f, 0.0f};  // The gate is sure of expert 1.
  (*p)->Predict(1, residual, &ranked);
  EXPECT_EQ(ranked[0].expert, 1);
}

TEST(PredictorFactoryTest, NamesAndErrors) {
  for (const std::string& name : PredictorNames()) {
    if (name == "off") continue;
    EXPECT_TRUE(MakeExpertPredictor(name, Config()).ok()) << name;
  }
  auto bad = MakeExpertPredictor("oracle", Config());
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "--predictor"));
}

TEST(PredictionStatsTest, RecallAndPrecision) {
  PredictionStats stats(2);
  stats.Record(1, {1, 2, 3}, {2, 5});  // 1 of 2 routed predicted; 1 of 3 predictions right.
  stats.Record(1, {5}, {5, 6});
  const LayerPredictionStats& l = stats.layers()[1];
  EXPECT_DOUBLE_EQ(l.recall(), 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(l.precision(), 2.0 / 4.0);
  EXPECT_EQ(stats.total().predictions, 2u);
  EXPECT_EQ(stats.layers()[0].predictions, 0u);
}

}  // namespace
}  // namespace strata::moe
