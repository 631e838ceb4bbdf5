// `strata replay` end to end: the JSON report on the recorded trace, the
// text table on a small hand-computed trace, and one clear error line with a
// non-zero exit for every kind of bad input.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/fixtures.h"
#include "tests/support/run_command.h"

namespace strata {
namespace {

using ::strata::testing::CommandResult;
using ::strata::testing::ScratchDir;
using ::strata::testing::TracesDir;

CommandResult Strata(std::vector<std::string> args) { return testing::RunStrata(std::move(args)); }

std::string WriteScratch(const std::string& name, const std::string& text) {
  const std::string path = ScratchDir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  return path;
}

// Exactly one line on stderr, naming the command and saying "error".
void ExpectOneErrorLine(const CommandResult& r, const std::string& needle, int exit_code) {
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "strata replay: error: ")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, needle)) << "wanted '" << needle << "' in: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// One layer, tokens using {1,2} {3} {1} {4} {2} {1}, one "byte" per expert:
// at a budget of 3, LRU hits 2 of the 7 lookups and Belady 3
// (offload/replay/trace_replay_test.cc works them out).
constexpr char kSmallTrace[] =
    "token,layer,expert,weight\n"
    "0,0,1,0.5\n0,0,2,0.5\n1,0,3,1\n2,0,1,1\n3,0,4,1\n4,0,2,1\n5,0,1,1\n";

TEST(ReplayCliTest, JsonReportOnTheRecordedTrace) {
  const std::string trace = TracesDir() + "/qwen3-30b-a3b.route.csv";
  STRATA_REQUIRE_PATH(trace);
  const CommandResult r = Strata({"replay", trace, "--budget", "3000M", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["budget_bytes"], int64_t{3000} << 20);
  EXPECT_EQ(j["decode_accesses"], 128 * 48 * 6);
  EXPECT_GT(j["accesses"].get<int64_t>(), j["decode_accesses"].get<int64_t>());
  for (const char* p : {"lru", "lfu", "lfu-aging", "s3fifo", "belady", "layer-lru", "layer-lfu"}) {
    ASSERT_TRUE(j["policies"].contains(p)) << p;
    const double decode = j["policies"][p]["decode_hit_pct"];
    const double overall = j["policies"][p]["hit_pct"];
    EXPECT_GT(decode, 0) << p;
    EXPECT_LT(decode, j["policies"]["belady"]["decode_hit_pct"].get<double>() + 1e-9) << p;
    EXPECT_LT(overall, decode) << p;  // Prefill batches hit less.
  }
  // Published (qwen3-30b-a3b.curve.csv): 70.614 / 71.265 / 87.828.
  EXPECT_NEAR(j["policies"]["lru"]["decode_hit_pct"].get<double>(), 70.614, 0.01);
  EXPECT_NEAR(j["policies"]["lfu"]["decode_hit_pct"].get<double>(), 71.265, 0.01);
  EXPECT_NEAR(j["policies"]["belady"]["decode_hit_pct"].get<double>(), 87.828, 0.01);

  const CommandResult one = Strata({"replay", trace, "-b", "1G", "--policy", "lru", "--json"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(nlohmann::json::parse(one.out)["policies"].size(), 1u);
}

TEST(ReplayCliTest, TextTableOnASmallTrace) {
  const std::string trace = WriteScratch("small_routing.csv", kSmallTrace);
  const CommandResult r = Strata({"replay", trace, "--budget", "3", "--policy", "all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "decode hit%")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "7 lookups")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "lru                 28.57")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "belady              42.86")) << r.out;

  // The same with experts of 1 KiB and a budget of 3 KiB.
  const CommandResult kib = Strata(
      {"replay", trace, "--budget", "3K", "--expert-bytes", "1K", "--policy", "belady", "--json"});
  ASSERT_EQ(kib.exit_code, 0) << kib.err;
  const auto j = nlohmann::json::parse(kib.out);
  EXPECT_EQ(j["policies"]["belady"]["hits"], 3);
  EXPECT_EQ(j["policies"]["belady"]["read_bytes"], 4 * 1024);
}

TEST(ReplayCliTest, HelpAndUsageMentionReplay) {
  const CommandResult top = Strata({"--help"});
  EXPECT_TRUE(absl::StrContains(top.out, "replay")) << top.out;
  const CommandResult help = Strata({"replay", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(help.out, "--budget")) << help.out;
}

TEST(ReplayCliTest, PredictorReplayOnTheRecordedTrace) {
  const std::string trace = TracesDir() + "/qwen3-30b-a3b.route.csv";
  STRATA_REQUIRE_PATH(trace);
  const CommandResult r = Strata({"replay", trace, "--budget", "1000M", "--policy", "lru",
                                  "--predictor", "temporal", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // The previous token's experts predict 38% of the next token's (the trace's README).
  EXPECT_NEAR(j["predictor"]["recall"].get<double>(), 0.38, 0.01);
  EXPECT_EQ(j["predictor"]["per_layer"].size(), 48u);
  const auto& with = j["prefetch"]["lru+temporal"];
  EXPECT_GT(with["prefetch_bytes"].get<int64_t>(), 0);
  EXPECT_LE(with["prefetch_used"].get<int64_t>(), with["prefetch_reads"].get<int64_t>());
  EXPECT_GE(with["decode_hit_pct"].get<double>(),
            j["policies"]["lru"]["decode_hit_pct"].get<double>());
  const CommandResult text =
      Strata({"replay", trace, "--budget", "1000M", "--predictor", "combined"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.out, "predictor recall")) << text.out;
  EXPECT_TRUE(absl::StrContains(text.out, "s3fifo+combined")) << text.out;
  EXPECT_FALSE(absl::StrContains(text.out, "belady+")) << text.out;
}

TEST(ReplayCliTest, OneErrorLinePerBadInput) {
  const std::string good = WriteScratch("good_routing.csv", kSmallTrace);
  const std::string garbled =
      WriteScratch("garbled_routing.csv", "token,layer,expert,weight\n0,0,1,0.5\n0,zero,2,0.5\n");
  const std::string binary = WriteScratch("binary_routing.csv", std::string("\x7f"
                                                                            "ELF\0\1",
                                                                            6));
  ExpectOneErrorLine(Strata({"replay", ScratchDir() + "/missing.csv", "--budget", "1G"}),
                     "missing.csv: cannot open", 1);
  ExpectOneErrorLine(Strata({"replay", garbled, "--budget", "1G"}),
                     "garbled_routing.csv:3: bad layer 'zero'", 1);
  ExpectOneErrorLine(Strata({"replay", binary, "--budget", "1G"}), "binary_routing.csv:1:", 1);
  ExpectOneErrorLine(Strata({"replay", ScratchDir(), "--budget", "1G"}), "is a directory", 1);
  ExpectOneErrorLine(Strata({"replay", good, "--budget", "lots"}), "--budget", 2);
  ExpectOneErrorLine(Strata({"replay", good, "--budget", "0"}), "--budget must be positive", 2);
  ExpectOneErrorLine(Strata({"replay", good}), "--budget SIZE is required", 2);
  ExpectOneErrorLine(Strata({"replay", good, "--budget", "1G", "--policy", "arc"}),
                     "unknown policy 'arc'", 2);
  ExpectOneErrorLine(Strata({"replay", "--budget", "1G"}), "give one routing trace file", 2);
  ExpectOneErrorLine(Strata({"replay", good, good, "--budget", "1G"}),
                     "give one routing trace file", 2);
  ExpectOneErrorLine(Strata({"replay", good, "--budget", "1G", "--expert-bytes", "0"}),
                     "--expert-bytes must be positive", 2);
  ExpectOneErrorLine(Strata({"replay", good, "--budget", "1G", "--predictor", "gate"}),
                     "hidden states", 2);
  ExpectOneErrorLine(Strata({"replay", good, "--budget", "1G", "--predictor", "oracle"}),
                     "unknown --predictor 'oracle'", 2);
  ExpectOneErrorLine(Strata({"replay", good, "--budget", "1G", "--predictor", "temporal",
                             "--prefetch-margin", "-1"}),
                     "margin must be >= 0", 2);
  ExpectOneErrorLine(Strata({"replay", good, "--budget", "1G", "--predictor", "popularity",
                             "--popularity-profile", ScratchDir() + "/no_profile.csv"}),
                     "no_profile.csv", 1);
}

}  // namespace
}  // namespace strata
