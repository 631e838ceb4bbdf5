#include "runtime/sampling/greedy.h"

#include <cmath>

#include "gtest/gtest.h"
#include "runtime/sampling/sampling_test_util.h"

namespace strata::sampling {
namespace {

using testing::FromLogits;
using testing::FromPairs;

TEST(GreedySamplerTest, SelectsTheHighestLogit) {
  Candidates c = FromLogits({0.1f, 2.0f, -1.0f, 1.9f});
  GreedySampler().Apply(c);
  EXPECT_EQ(c.selected, 1);
  EXPECT_EQ(SelectedToken(c), 1);
  EXPECT_EQ(c.data.size(), 4u);  // Selects; does not filter.
}

TEST(GreedySamplerTest, TieGoesToTheLowestId) {
  Candidates c = FromLogits({1.0f, 3.0f, 3.0f, 0.0f});
  GreedySampler().Apply(c);
  EXPECT_EQ(SelectedToken(c), 1);
}

TEST(GreedySamplerTest, TieGoesToTheLowestIdEvenWhenItComesLater) {
  // Ids in a permuted order, as after a sampler reordered the set.
  Candidates c = FromPairs({{5, 3.0f}, {7, 1.0f}, {2, 3.0f}, {9, 3.0f}});
  c.sorted = true;  // A claim of order must not change the tie rule.
  GreedySampler().Apply(c);
  EXPECT_EQ(c.selected, 2);
  EXPECT_EQ(SelectedToken(c), 2);
}

TEST(GreedySamplerTest, IgnoresMinusInfinity) {
  Candidates c = FromLogits({-INFINITY, -5.0f, -INFINITY});
  GreedySampler().Apply(c);
  EXPECT_EQ(SelectedToken(c), 1);
}

TEST(GreedySamplerTest, EmptySetSelectsNothing) {
  Candidates c;
  c.selected = 0;
  GreedySampler().Apply(c);
  EXPECT_EQ(c.selected, -1);
}

}  // namespace
}  // namespace strata::sampling
