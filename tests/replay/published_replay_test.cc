// Acceptance test of the trace replay: replaying the recorded Qwen3-30B-A3B
// routing trace (../shared/traces, see its README) must reproduce the
// published BigMoeOnEdge cache results — decode hit % of LRU, LFU and
// Belady to 0.1 points at 1000..6000 MiB, and in fact every published
// number (hit %, cumulative hit %, MiB read; all budgets; the per-layer
// variants) to the published rounding. Writes the comparison table to
// build/test_scratch/replay_reproduction.md.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "offload/replay/routing_trace.h"
#include "offload/replay/trace_replay.h"
#include "tests/support/fixtures.h"

namespace strata {
namespace {

using offload::ReplayStats;
using offload::TraceReplay;

constexpr int64_t kMiB = int64_t{1} << 20;

struct Published {
  double hit_pct_cum = 0;
  double hit_pct_decode = 0;
  double read_mib = 0;
};

// The curve's policy names -> ours ("random" has no reproducible seed).
const std::map<std::string, std::string>& PolicyNames() {
  static const auto* names = new std::map<std::string, std::string>{{"lru", "lru"},
                                                                    {"lfu", "lfu"},
                                                                    {"belady", "belady"},
                                                                    {"layer", "layer-lru"},
                                                                    {"layerlfu", "layer-lfu"}};
  return *names;
}

class PublishedReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    trace_path_ = testing::TracesDir() + "/qwen3-30b-a3b.route.csv";
    curve_path_ = testing::TracesDir() + "/qwen3-30b-a3b.curve.csv";
  }

  // (budget MiB, published policy name) -> numbers.
  std::map<std::pair<int64_t, std::string>, Published> ReadCurve() {
    std::map<std::pair<int64_t, std::string>, Published> curve;
    std::ifstream in(curve_path_);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "budget_mib,policy,hit_pct_cum,hit_pct_decode,read_mib");
    while (std::getline(in, line)) {
      std::vector<std::string> f = absl::StrSplit(line, ',');
      if (f.size() != 5) continue;
      int64_t budget = 0;
      Published p;
      EXPECT_TRUE(absl::SimpleAtoi(f[0], &budget) && absl::SimpleAtod(f[2], &p.hit_pct_cum) &&
                  absl::SimpleAtod(f[3], &p.hit_pct_decode) && absl::SimpleAtod(f[4], &p.read_mib))
          << line;
      curve[{budget, f[1]}] = p;
    }
    return curve;
  }

  std::unique_ptr<TraceReplay> LoadReplay() {
    auto trace = offload::ReadRoutingTrace(trace_path_);
    EXPECT_TRUE(trace.ok()) << trace.status();
    if (!trace.ok()) return nullptr;
    return std::make_unique<TraceReplay>(*trace);
  }

  std::string trace_path_, curve_path_;
};

TEST_F(PublishedReplayTest, BatchesAsPublished) {
  STRATA_REQUIRE_PATH(trace_path_);
  auto replay = LoadReplay();
  ASSERT_NE(replay, nullptr);
  // "batches 6192 (48 prefill + 6144 decode)"; 128 tokens x 48 layers x top-6.
  EXPECT_EQ(replay->batches().size(), 6192u);
  EXPECT_EQ(replay->n_layer(), 48);
  EXPECT_EQ(replay->decode_lookups(), 128 * 48 * 6);
}

// The acceptance criterion of the replay: the published decode hit % of
// LRU, LFU and Belady at 1000..6000 MiB, to 0.1 points.
TEST_F(PublishedReplayTest, ReproducesPublishedDecodeHitRates) {
  STRATA_REQUIRE_PATH(trace_path_);
  STRATA_REQUIRE_PATH(curve_path_);
  const auto curve = ReadCurve();
  auto replay = LoadReplay();
  ASSERT_NE(replay, nullptr);
  std::string table =
      "| budget MiB | policy | decode hit % (ours) | published | hit % (ours) | published |\n"
      "|---|---|---|---|---|---|\n";
  for (int64_t budget_mib : {1000, 2000, 3000, 4000, 6000}) {
    for (const char* policy : {"lru", "lfu", "belady"}) {
      auto it = curve.find({budget_mib, policy});
      ASSERT_NE(it, curve.end()) << budget_mib << " " << policy;
      auto stats = replay->Run(policy, budget_mib * kMiB);
      ASSERT_TRUE(stats.ok()) << stats.status();
      EXPECT_NEAR(stats->decode_hit_pct(), it->second.hit_pct_decode, 0.1)
          << policy << " at " << budget_mib << " MiB";
      absl::StrAppendFormat(&table, "| %d | %s | %.3f | %.3f | %.3f | %.3f |\n", budget_mib, policy,
                            stats->decode_hit_pct(), it->second.hit_pct_decode, stats->hit_pct(),
                            it->second.hit_pct_cum);
    }
  }
  std::ofstream(testing::SharedScratchDir() + "/replay_reproduction.md") << table;
}

// Stronger: the same rules reproduce every published number to its rounding
// (3 decimals for hit %, 1 for MiB read), all budgets and policies.
TEST_F(PublishedReplayTest, MatchesTheWholePublishedCurve) {
  STRATA_REQUIRE_PATH(trace_path_);
  STRATA_REQUIRE_PATH(curve_path_);
  const auto curve = ReadCurve();
  auto replay = LoadReplay();
  ASSERT_NE(replay, nullptr);
  int compared = 0;
  for (const auto& [key, published] : curve) {
    const auto& [budget_mib, published_name] = key;
    auto name = PolicyNames().find(published_name);
    if (name == PolicyNames().end()) continue;
    auto stats = replay->Run(name->second, budget_mib * kMiB);
    ASSERT_TRUE(stats.ok()) << stats.status();
    const std::string where = absl::StrFormat("%s at %d MiB", name->second, budget_mib);
    EXPECT_NEAR(stats->decode_hit_pct(), published.hit_pct_decode, 0.0006) << where;
    EXPECT_NEAR(stats->hit_pct(), published.hit_pct_cum, 0.0006) << where;
    EXPECT_NEAR(static_cast<double>(stats->read_bytes) / kMiB, published.read_mib, 0.06) << where;
    ++compared;
  }
  EXPECT_EQ(compared, 11 * 5);
}

}  // namespace
}  // namespace strata
