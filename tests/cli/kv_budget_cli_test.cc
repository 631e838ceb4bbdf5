// `strata run --kv-budget`: the paged KV cache spills to disk and generation
// is unchanged (F32 spill is exact), and --stats / --json report the KV class
// and its blocks per tier.
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
  EXPECT_TRUE(absl::StrContains(text.err, "KV cache:")) << text.err;
  EXPECT_TRUE(absl::StrContains(text.err, "disk ")) << text.err;
  EXPECT_FALSE(absl::StrContains(text.err, "paged KV issue")) << text.err;
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
