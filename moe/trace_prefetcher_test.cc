#include "moe/trace_prefetcher.h"

#include <vector>

#include "gtest/gtest.h"
#include "offload/replay/trace_replay.h"

namespace strata::moe {
namespace {

// Two layers, 8 experts, 2 per token; prompt tokens 0-1, then decode. Layer 0
// alternates between two expert pairs, layer 1 always uses {6, 7}.
offload::RoutingTrace AlternatingTrace(int tokens) {
  offload::RoutingTrace trace;
  trace.n_layer = 2;
  trace.expert_bytes = {1, 1};
  for (int t = 0; t < tokens; ++t) {
    const bool decode = t >= 2;
    const int a = t % 2 == 0 ? 0 : 2;
    for (int e : {a, a + 1}) trace.accesses.push_back({0, t, 0, e, 0.5f, decode});
    for (int e : {6, 7}) trace.accesses.push_back({0, t, 1, e, 0.5f, decode});
  }
  return trace;
}

TEST(TracePrefetcherTest, ShapeComesFromTheTrace) {
  const TraceShape shape = ShapeOfTrace(AlternatingTrace(6));
  EXPECT_EQ(shape.n_layer, 2);
  EXPECT_EQ(shape.n_expert, 8);
  EXPECT_EQ(shape.n_expert_used, 2);
}

TEST(TracePrefetcherTest, TemporalPredictsTheLastTokensExpertsAndScoresThem) {
  const offload::RoutingTrace trace = AlternatingTrace(12);
  const TraceShape shape = ShapeOfTrace(trace);
  auto temporal = TracePrefetcher::Create("temporal", shape, /*margin=*/0, nullptr);
  ASSERT_TRUE(temporal.ok()) << temporal.status();
  const offload::TraceReplay replay(trace);
  auto stats = replay.Run("lru", 100, temporal->get());
  ASSERT_TRUE(stats.ok()) << stats.status();
  const PredictionStats& ps = (*temporal)->stats();
  // 10 decode tokens: layer 1 is always right; layer 0's top-2 by recency is
  // the previous token's pair, always wrong (except at the first decode
  // token, where the prompt's four experts tie and index order picks {0, 1}).
  EXPECT_EQ(ps.layers()[1].predictions, 10u);
  EXPECT_DOUBLE_EQ(ps.layers()[1].recall(), 1.0);
  EXPECT_DOUBLE_EQ(ps.layers()[0].recall(), 0.1);
  EXPECT_DOUBLE_EQ(ps.total().precision(), 0.55);
  // Everything fits: the prompt brought in all six experts, so nothing is
  // read by prefetch and every decode lookup hits.
  EXPECT_EQ(stats->prefetch_reads, 0);
  EXPECT_DOUBLE_EQ(stats->decode_hit_pct(), 100.0);
}

TEST(TracePrefetcherTest, PrefetchesAheadOfATightCache) {
  // Budget 2 with margin 2: layer 0's prediction (top 4 by recency) covers
  // both pairs, so the alternating pair is read before it is needed.
  const offload::RoutingTrace trace = AlternatingTrace(12);
  const TraceShape shape = ShapeOfTrace(trace);
  const offload::TraceReplay replay(trace);
  auto plain = replay.Run("layer-lru", 4);
  ASSERT_TRUE(plain.ok());
  auto temporal = TracePrefetcher::Create("temporal", shape, /*margin=*/2, nullptr);
  ASSERT_TRUE(temporal.ok());
  auto with = replay.Run("layer-lru", 4, temporal->get());
  ASSERT_TRUE(with.ok());
  EXPECT_GT(with->decode_hit_pct(), plain->decode_hit_pct());
  EXPECT_GT(with->prefetch_used, 0);
  EXPECT_LE(with->prefetch_used, with->prefetch_reads);
  EXPECT_DOUBLE_EQ((*temporal)->stats().layers()[0].recall(), 1.0);
}

TEST(TracePrefetcherTest, RefusesGateAndBadArguments) {
  const TraceShape shape = ShapeOfTrace(AlternatingTrace(4));
  EXPECT_FALSE(TracePrefetcher::Create("gate", shape, 0, nullptr).ok());
  EXPECT_FALSE(TracePrefetcher::Create("oracle", shape, 0, nullptr).ok());
  EXPECT_FALSE(TracePrefetcher::Create("temporal", shape, -1, nullptr).ok());
  for (const char* name : {"temporal", "popularity", "combined"}) {
    EXPECT_TRUE(TracePrefetcher::Create(name, shape, 0, nullptr).ok()) << name;
  }
}

}  // namespace
}  // namespace strata::moe
