// `strata run --kv-budget`: the paged KV cache spills to disk and generation
// is unchanged (F32 spill is exact), and --stats / --json report the KV class
// and its blocks per tier.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/fixtures.h"
#include "tests/support/run_command.h"

namespace strata {
namespace {

using ::strata::testing::ScratchDir;

::strata::testing::CommandResult Strata(std::vector<std::string> args) {
  return ::strata::testing::RunStrata(std::move(args), {"STRATA_CACHE_DIR=" + ScratchDir()});
}

TEST(KvBudgetCliTest, SpillingRunGivesTheSameTokensAndReportsTheKvTier) {
  const std::string model = ScratchDir() + "/kv_cli_tiny.gguf";
  ASSERT_EQ(Strata({"make-model", "--preset", "tiny", "-q", "-o", model}).exit_code, 0);
  std::string prompt;
  for (int i = 0; i < 16; ++i) prompt += "the clockmaker wound every clock on the walls. ";
  const std::vector<std::string> base = {"run",    "-m", model, "-p",  prompt, "-n", "24",
                                         "--temp", "0",  "-c",  "512", "-t",   "2",  "--json"};
  const auto plain = Strata(base);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  std::vector<std::string> spilled_args = base;
  // One layer's 32 blocks of 16 positions (4 KiB each) and 4 more.
  for (const char* a : {"--kv-budget", "144K", "--kv-block-tokens", "16"}) {
    spilled_args.push_back(a);
  }
  const auto spilled = Strata(spilled_args);
  ASSERT_EQ(spilled.exit_code, 0) << spilled.err;
  const auto a = nlohmann::json::parse(plain.out);
  const auto b = nlohmann::json::parse(spilled.out);
  EXPECT_EQ(a["generated_ids"], b["generated_ids"]);
  EXPECT_EQ(a["stats"]["kv"]["blocks_disk"], 0);
  EXPECT_GT(b["stats"]["kv"]["blocks_disk"].get<int>(), 0);
  EXPECT_GT(b["stats"]["kv"]["misses"].get<int>(), 0);
  EXPECT_GT(b["stats"]["kv"]["bytes_written"].get<int>(), 0);
  EXPECT_TRUE(absl::StrContains(b["stats"]["kv"]["spill"].get<std::string>(), "f32 in "));
  EXPECT_LT(b["stats"]["ram"]["kv_bytes"].get<int64_t>(),
            a["stats"]["ram"]["kv_bytes"].get<int64_t>());

  std::vector<std::string> stats_args = {"run",  "-m",          model,  "-p",
                                         prompt, "-n",          "8",    "-c",
                                         "512",  "--kv-budget", "144K", "--kv-block-tokens",
                                         "16",   "--stats"};
  const auto text = Strata(stats_args);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.err, "KV cache (f32):")) << text.err;
  EXPECT_TRUE(absl::StrContains(text.err, "disk ")) << text.err;
  EXPECT_FALSE(absl::StrContains(text.err, "paged KV issue")) << text.err;
}

// --kv-type f16: half the KV bytes in the RAM plan, reported in --stats and
// --json; spilling it as F16 gives the unspilled F16 run's tokens; a bad
// type is one clean error line.
TEST(KvBudgetCliTest, F16CacheRunsSpillsExactlyAndBadTypesAreRefused) {
  const std::string model = ScratchDir() + "/kv_cli_tiny_f16.gguf";
  ASSERT_EQ(Strata({"make-model", "--preset", "tiny", "-q", "-o", model}).exit_code, 0);
  std::string prompt;
  for (int i = 0; i < 16; ++i) prompt += "the clockmaker wound every clock on the walls. ";
  const std::vector<std::string> base = {"run", "-m", model,    "-p",     prompt,
                                         "-n",  "24", "--temp", "0",      "-c",
                                         "512", "-t", "2",      "--json", "--kv-block-tokens",
                                         "32"};
  const auto f32 = Strata(base);
  ASSERT_EQ(f32.exit_code, 0) << f32.err;
  std::vector<std::string> f16_args = base;
  f16_args.insert(f16_args.end(), {"--kv-type", "f16"});
  const auto f16 = Strata(f16_args);
  ASSERT_EQ(f16.exit_code, 0) << f16.err;
  const auto a = nlohmann::json::parse(f32.out);
  const auto b = nlohmann::json::parse(f16.out);
  EXPECT_EQ(a["stats"]["kv"]["type"], "f32");
  EXPECT_EQ(b["stats"]["kv"]["type"], "f16");
  EXPECT_EQ(2 * b["stats"]["ram"]["kv_bytes"].get<int64_t>(),
            a["stats"]["ram"]["kv_bytes"].get<int64_t>());
  EXPECT_EQ(b["generated_ids"].size(), 24u);

  std::vector<std::string> spilled_args = f16_args;
  // One layer's 16 blocks of 32 positions (4 KiB each in F16) and 4 more.
  spilled_args.insert(spilled_args.end(), {"--kv-budget", "80K", "--kv-spill-type", "f16"});
  const auto spilled = Strata(spilled_args);
  ASSERT_EQ(spilled.exit_code, 0) << spilled.err;
  const auto c = nlohmann::json::parse(spilled.out);
  EXPECT_EQ(c["generated_ids"], b["generated_ids"]);
  EXPECT_GT(c["stats"]["kv"]["blocks_disk"].get<int>(), 0);
  EXPECT_TRUE(absl::StrContains(c["stats"]["kv"]["spill"].get<std::string>(), "f16 in "));

  const auto text = Strata(
      {"run", "-m", model, "-p", "hello", "-n", "4", "-c", "256", "--kv-type", "f16", "--stats"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.err, "KV cache (f16):")) << text.err;

  const auto bogus = Strata({"run", "-m", model, "-p", "hello", "-n", "4", "--kv-type", "bogus"});
  EXPECT_EQ(bogus.exit_code, 2);  // A usage error.
  EXPECT_TRUE(absl::StrContains(bogus.err, "--kv-type")) << bogus.err;
  EXPECT_TRUE(absl::StrContains(bogus.err, "bogus")) << bogus.err;
  EXPECT_TRUE(absl::StrContains(bogus.err, "f32, f16")) << bogus.err;
  // One line: the message and its newline.
  EXPECT_EQ(std::count(bogus.err.begin(), bogus.err.end(), '\n'), 1) << bogus.err;
}

TEST(KvBudgetCliTest, TooSmallABudgetIsOneClearError) {
  const std::string model = ScratchDir() + "/kv_cli_tiny2.gguf";
  ASSERT_EQ(Strata({"make-model", "--preset", "tiny", "-q", "-o", model}).exit_code, 0);
  const auto r = Strata({"run", "-m", model, "-c", "4096", "--kv-budget", "64K"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "--kv-budget")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "at least")) << r.err;
}

}  // namespace
}  // namespace strata
