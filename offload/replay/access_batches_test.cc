#include "offload/replay/access_batches.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::offload {
namespace {

using ::testing::ElementsAre;

RoutingTrace Parse(const std::string& text) {
  auto trace = ParseRoutingTrace(text, "t.csv");
  EXPECT_TRUE(trace.ok()) << trace.status();
  return *std::move(trace);
}

TEST(AccessBatchesTest, KeysPackLayerAndExpert) {
  constexpr BlockKey key = ExpertKey(47, 127);
  static_assert(KeyLayer(key) == 47 && KeyExpert(key) == 127);
  EXPECT_NE(ExpertKey(1, 0), ExpertKey(0, 1));
}

// Prefill: one batch per layer with all prompt tokens, in token order, each
// key once at its last occurrence. Decode: one batch per (token, layer).
TEST(AccessBatchesTest, FollowsThePublishedBatchingRules) {
  const RoutingTrace trace = Parse(
      "turn,phase,step,layer,slot,expert\n"
      // Prompt tokens 0 and 1, stored token-major as the recorder does.
      "0,0,0,0,0,5\n"
      "0,0,0,0,1,6\n"
      "0,0,0,1,0,1\n"
      "0,0,1,0,0,7\n"
      "0,0,1,0,1,5\n"  // Repeat of 5: moves after 6 and 7.
      "0,0,1,1,0,2\n"
      // Decoded tokens 2 and 3, file order scrambled.
      "0,1,3,0,0,1\n"
      "0,1,2,1,0,3\n"
      "0,1,2,0,0,4\n"
      "0,1,2,0,1,9\n");
  const std::vector<AccessBatch> batches = BuildAccessBatches(trace);
  ASSERT_EQ(batches.size(), 5u);
  auto keys = [](std::initializer_list<std::pair<int, int>> le) {
    std::vector<BlockKey> out;
    for (auto [l, e] : le) out.push_back(ExpertKey(l, e));
    return out;
  };
  EXPECT_FALSE(batches[0].decode);
  EXPECT_EQ(batches[0].layer, 0);
  EXPECT_EQ(batches[0].keys, keys({{0, 6}, {0, 7}, {0, 5}}));
  EXPECT_EQ(batches[1].keys, keys({{1, 1}, {1, 2}}));
  EXPECT_TRUE(batches[2].decode);
  EXPECT_EQ(batches[2].layer, 0);
  EXPECT_EQ(batches[2].keys, keys({{0, 4}, {0, 9}}));  // Token 2, slot order.
  EXPECT_EQ(batches[3].keys, keys({{1, 3}}));
  EXPECT_EQ(batches[4].keys, keys({{0, 1}}));  // Token 3.
}

TEST(AccessBatchesTest, TurnsRunInOrderPrefillFirst) {
  const RoutingTrace trace = Parse(
      "turn,phase,step,layer,expert\n"
      "1,1,9,0,4\n"
      "1,0,8,0,3\n"
      "0,1,5,0,2\n"
      "0,0,4,0,1\n");
  const std::vector<AccessBatch> batches = BuildAccessBatches(trace);
  ASSERT_EQ(batches.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(KeyExpert(batches[i].keys[0]), i + 1);
}

TEST(AccessBatchesTest, ProfileTracesAreAllDecodeUnlessAPromptIsGiven) {
  const RoutingTrace trace = Parse(
      "token,layer,expert,weight\n"
      "0,0,1,1\n0,0,2,1\n1,0,1,1\n");
  const std::vector<AccessBatch> batches = BuildAccessBatches(trace);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_TRUE(batches[0].decode);
  EXPECT_EQ(batches[0].keys.size(), 2u);
}

}  // namespace
}  // namespace strata::offload
