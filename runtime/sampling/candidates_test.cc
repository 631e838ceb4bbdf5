#include "runtime/sampling/candidates.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/sampling/sampling_test_util.h"

namespace strata::sampling {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatEq;
using ::testing::FloatNear;
using testing::FromLogits;
using testing::FromPairs;
using testing::Ids;

TEST(CandidatesTest, FillMakesIdOrderedUnsortedUnselectedSet) {
  Candidates c;
  c.sorted = true;
  c.selected = 3;
  const std::vector<float> logits = {0.5f, -1.0f, 2.0f};
  FillCandidates(logits, c);
  ASSERT_EQ(c.data.size(), 3u);
  EXPECT_THAT(Ids(c), ElementsAre(0, 1, 2));
  EXPECT_EQ(c.data[2].logit, 2.0f);
  EXPECT_FALSE(c.sorted);
  EXPECT_EQ(c.selected, -1);
  EXPECT_EQ(SelectedToken(c), -1);
}

TEST(CandidatesTest, RefillReusesTheBuffer) {
  Candidates c;
  std::vector<float> logits(1000, 0.0f);
  FillCandidates(logits, c);
  const TokenData* buffer = c.data.data();
  c.data.resize(10);  // As a filter would.
  FillCandidates(logits, c);
  EXPECT_EQ(c.data.data(), buffer);
  EXPECT_EQ(c.data.size(), 1000u);
}

TEST(CandidatesTest, SoftmaxOfEqualLogitsIsUniformAndExact) {
  Candidates c = FromLogits({3.0f, 3.0f, 3.0f, 3.0f});
  Softmax(c);
  for (const TokenData& t : c.data) EXPECT_EQ(t.prob, 0.25f);
}

TEST(CandidatesTest, SoftmaxMatchesHandComputedValues) {
  // exp(ln 3) : exp(0) = 3 : 1.
  Candidates c = FromLogits({0.0f, std::log(3.0f)});
  Softmax(c);
  EXPECT_THAT(c.data[0].prob, FloatNear(0.25f, 1e-6f));
  EXPECT_THAT(c.data[1].prob, FloatNear(0.75f, 1e-6f));
}

TEST(CandidatesTest, SoftmaxDoesNotOverflowAndGivesZeroToMinusInfinity) {
  Candidates c = FromLogits({1000.0f, 1000.0f, -INFINITY});
  Softmax(c);
  EXPECT_THAT(c.data[0].prob, FloatEq(0.5f));
  EXPECT_THAT(c.data[1].prob, FloatEq(0.5f));
  EXPECT_EQ(c.data[2].prob, 0.0f);
}

TEST(CandidatesTest, KeepTopKBreaksTiesTowardLowerId) {
  Candidates c = FromPairs({{9, 1.0f}, {4, 2.0f}, {7, 2.0f}, {2, 2.0f}, {1, 0.0f}});
  KeepTopK(c, 2);
  EXPECT_THAT(Ids(c), ElementsAre(2, 4));
  EXPECT_TRUE(c.sorted);
}

TEST(CandidatesTest, SelectedTokenIsTheIdAtTheSelectedIndex) {
  Candidates c = FromPairs({{10, 0.0f}, {20, 0.0f}});
  c.selected = 1;
  EXPECT_EQ(SelectedToken(c), 20);
  c.selected = 2;  // Stale index.
  EXPECT_EQ(SelectedToken(c), -1);
}

}  // namespace
}  // namespace strata::sampling
