#include "offload/replay/trace_replay.h"

#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::offload {
namespace {

// A one-layer decode trace: token t uses experts[t]; each expert costs 1.
RoutingTrace DecodeTrace(const std::vector<std::vector<int>>& experts, int32_t layers = 1) {
  RoutingTrace trace;
  trace.n_layer = layers;
  trace.expert_bytes.assign(layers, 1);
  for (size_t t = 0; t < experts.size(); ++t) {
    for (int e : experts[t]) {
      trace.accesses.push_back(RoutingAccess{.token = static_cast<int32_t>(t), .expert = e});
    }
  }
  return trace;
}

ReplayStats Replay(const TraceReplay& replay, absl::string_view policy, int64_t budget) {
  auto stats = replay.Run(policy, budget);
  EXPECT_TRUE(stats.ok()) << stats.status();
  return stats.ok() ? *stats : ReplayStats{};
}

// Budget 3; tokens use {1,2} {3} {1} {4} {2} {1}.
//  lru:    b3 evicts 2 (oldest), b4 misses 2 and evicts 3: hits at b2, b5.
//  lfu:    b3 evicts 2 (count 1, older than 3); b4 brings 2 back with count 2
//          and evicts 3 (count 1, older than 4): hits at b2, b5.
//  belady: b3 evicts 3 (never used again): hits at b2, b4, b5.
TEST(TraceReplayTest, HandComputedHits) {
  const TraceReplay replay(DecodeTrace({{1, 2}, {3}, {1}, {4}, {2}, {1}}));
  EXPECT_EQ(replay.lookups(), 7);
  EXPECT_EQ(replay.decode_lookups(), 7);
  const ReplayStats lru = Replay(replay, "lru", 3);
  EXPECT_EQ(lru.hits, 2);
  EXPECT_EQ(lru.evictions, 2);
  EXPECT_EQ(lru.read_bytes, 5);
  EXPECT_EQ(lru.peak_bytes, 3);
  EXPECT_NEAR(lru.decode_hit_pct(), 100.0 * 2 / 7, 1e-9);
  EXPECT_EQ(Replay(replay, "lfu", 3).hits, 2);
  const ReplayStats belady = Replay(replay, "belady", 3);
  EXPECT_EQ(belady.hits, 3);
  EXPECT_EQ(belady.policy, "belady");
  // Large enough for everything: only compulsory misses.
  for (const std::string& p : TraceReplay::DefaultPolicies()) {
    EXPECT_EQ(Replay(replay, p, 100).hits, 3) << p;
  }
}

// A batch is never cut short: it may overflow the budget, and what it
// touched survives its own eviction pass.
TEST(TraceReplayTest, BatchesOverflowRatherThanEvictTheirOwnEntries) {
  const TraceReplay replay(DecodeTrace({{1, 2, 3}, {1}, {2}}));
  const ReplayStats lru = Replay(replay, "lru", 1);
  EXPECT_EQ(lru.peak_bytes, 3);
  // b1 hits 1 (kept by b0), then evicts 2 and 3; b2 misses 2.
  EXPECT_EQ(lru.hits, 1);
  EXPECT_EQ(lru.evictions, 3);
}

// Repeats inside a batch are one lookup; the order they leave behind is
// that of their last occurrence.
TEST(TraceReplayTest, RepeatsInABatchAreOneLookup) {
  RoutingTrace trace = DecodeTrace({});
  // Prefill over tokens 0..2 of one layer: experts 1, 2, 1 -> keys 2, 1.
  for (int t = 0; t < 3; ++t) {
    trace.accesses.push_back(RoutingAccess{.token = t, .expert = t == 1 ? 2 : 1, .decode = false});
  }
  trace.accesses.push_back(RoutingAccess{.token = 3, .expert = 3});  // Decode: {3}.
  trace.accesses.push_back(RoutingAccess{.token = 4, .expert = 1});  // Decode: {1}.
  const TraceReplay replay(trace);
  EXPECT_EQ(replay.lookups(), 4);
  EXPECT_EQ(replay.decode_lookups(), 2);
  // Budget 2: inserting 3 evicts the least recent of {2, 1}, i.e. 2 (1 was
  // refreshed by its repeat), so token 4 hits 1.
  const ReplayStats lru = Replay(replay, "lru", 2);
  EXPECT_EQ(lru.hits, 1);
  EXPECT_EQ(lru.decode_hits, 1);
  EXPECT_NEAR(lru.decode_hit_pct(), 50.0, 1e-9);
  EXPECT_NEAR(lru.hit_pct(), 25.0, 1e-9);
}

// layer-<policy> splits the budget evenly: a churning layer cannot push
// out a stable one.
TEST(TraceReplayTest, LayerPoliciesSplitTheBudget) {
  RoutingTrace trace = DecodeTrace({}, 2);
  auto add = [&](int token, int layer, int expert) {
    trace.accesses.push_back(RoutingAccess{.token = token, .layer = layer, .expert = expert});
  };
  add(0, 0, 1);
  add(0, 1, 1);
  add(1, 0, 2);
  add(2, 0, 3);
  add(2, 1, 1);
  const TraceReplay replay(trace);
  EXPECT_EQ(Replay(replay, "lru", 2).hits, 0);  // Layer 0's churn evicts (1, 1).
  const ReplayStats layered = Replay(replay, "layer-lru", 2);
  EXPECT_EQ(layered.hits, 1);
  EXPECT_EQ(layered.policy, "layer-lru");
  EXPECT_EQ(Replay(replay, "layer-belady", 2).hits, 1);
  EXPECT_EQ(Replay(replay, "layer-s3fifo", 2).hits, 1);
}

TEST(TraceReplayTest, ExpertsCostTheirLayersBytes) {
  RoutingTrace trace = DecodeTrace({}, 2);
  trace.expert_bytes = {100, 30};
  trace.accesses.push_back(RoutingAccess{.token = 0, .layer = 0, .expert = 1});
  trace.accesses.push_back(RoutingAccess{.token = 0, .layer = 1, .expert = 1});
  trace.accesses.push_back(RoutingAccess{.token = 0, .layer = 1, .expert = 2});
  trace.accesses.push_back(RoutingAccess{.token = 1, .layer = 0, .expert = 1});
  const TraceReplay replay(trace);
  // 160 bytes fit all three.
  EXPECT_EQ(Replay(replay, "lru", 160).hits, 1);
  EXPECT_EQ(Replay(replay, "lru", 160).read_bytes, 160);
  // 159 do not: (0, 1) is the oldest untouched entry after layer 1's batch.
  EXPECT_EQ(Replay(replay, "lru", 159).hits, 0);
}

TEST(TraceReplayTest, RejectsUnknownPoliciesAndNegativeBudgets) {
  const TraceReplay replay(DecodeTrace({{1}}));
  for (const char* bad : {"arc", "layer-", "layer-arc", "belady2", "all"}) {
    auto stats = replay.Run(bad, 10);
    ASSERT_FALSE(stats.ok()) << bad;
    EXPECT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(stats.status().message(), "unknown policy")) << bad;
  }
  EXPECT_TRUE(TraceReplay::CheckPolicy("layer-s3fifo").ok());
  EXPECT_TRUE(TraceReplay::CheckPolicy("score").ok());
  EXPECT_FALSE(replay.Run("lru", -1).ok());
  EXPECT_EQ(Replay(replay, "lru", 0).hits, 0);
}

// With equal sizes Belady's farthest-next-use is optimal, batches or not:
// no policy may beat it on any trace.
TEST(TraceReplayTest, NoPolicyBeatsBelady) {
  std::mt19937 rng(11);
  for (int round = 0; round < 30; ++round) {
    std::vector<std::vector<int>> tokens(200);
    const int n_expert = 4 + round % 13;
    for (auto& t : tokens) {
      for (int k = 0; k < 3; ++k) {
        // Skewed popularity, so that policies differ.
        const int e = static_cast<int>(rng() % n_expert) % (1 + static_cast<int>(rng() % n_expert));
        t.push_back(e);
      }
    }
    const TraceReplay replay(DecodeTrace(tokens));
    for (int64_t budget : {1, 3, 5, 8}) {
      const int64_t best = Replay(replay, "belady", budget).hits;
      for (const char* p : {"lru", "lfu", "lfu-aging", "s3fifo", "score"}) {
        EXPECT_LE(Replay(replay, p, budget).hits, best)
            << p << " beat belady, round " << round << " budget " << budget;
      }
    }
  }
}

// Names a fixed set of keys before every batch, and records what it was told.
class FixedPrefetcher : public ReplayPrefetcher {
 public:
  explicit FixedPrefetcher(std::vector<std::vector<int>> per_batch) : per_batch_(per_batch) {}
  void Before(const AccessBatch& batch, std::vector<BlockKey>* keys) override {
    for (int e : per_batch_[calls_ % per_batch_.size()]) keys->push_back(ExpertKey(batch.layer, e));
  }
  void After(const AccessBatch& batch) override { ++calls_; }
  size_t calls_ = 0;

 private:
  std::vector<std::vector<int>> per_batch_;
};

// Budget 3; tokens use {1,2} {3} {1} {4} {2} {1}; before each token the
// prefetcher reads exactly that token's experts (a perfect predictor).
//  b0: 1,2 prefetched, both used.  b1: 3 prefetched (evicts nothing: 3 fit).
//  b2: 1 resident.  b3: 4 prefetched; after b3 evict lru (2).  b4: 2
//  prefetched, evicts 3 after.  b5: 1 resident.
TEST(TraceReplayTest, PrefetchedKeysTurnMissesIntoHitsAndAreCountedApart) {
  const TraceReplay replay(DecodeTrace({{1, 2}, {3}, {1}, {4}, {2}, {1}}));
  FixedPrefetcher perfect({{1, 2}, {3}, {1}, {4}, {2}, {1}});
  auto stats = replay.Run("lru", 3, &perfect);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(perfect.calls_, 6u);
  EXPECT_EQ(stats->hits, 7);  // Every lookup: prefetched or already resident.
  EXPECT_EQ(stats->read_bytes, 0);
  EXPECT_EQ(stats->prefetch_reads, 5);
  EXPECT_EQ(stats->prefetch_bytes, 5);
  EXPECT_EQ(stats->prefetch_used, 5);
  EXPECT_EQ(stats->peak_bytes, 3);
  // A useless prefetcher costs reads and can only push useful keys out.
  FixedPrefetcher wrong({{7, 8}});
  auto worse = replay.Run("lru", 3, &wrong);
  ASSERT_TRUE(worse.ok());
  EXPECT_EQ(worse->prefetch_used, 0);
  EXPECT_GT(worse->prefetch_reads, 0);
  EXPECT_LE(worse->hits, Replay(replay, "lru", 3).hits);
  // Belady's oracle does not score prefetched keys.
  EXPECT_FALSE(replay.Run("belady", 3, &perfect).ok());
}

}  // namespace
}  // namespace strata::offload
