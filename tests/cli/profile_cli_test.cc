// `strata profile` end to end: every report file is produced and parses, the
// numbers add up, and the outputs feed `strata replay` and
// `--predictor popularity`.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/fixtures.h"
#include "tests/support/run_command.h"

namespace strata {
namespace {

using ::strata::testing::CommandResult;
using ::strata::testing::ScratchDir;

CommandResult Strata(std::vector<std::string> args) { return testing::RunStrata(std::move(args)); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ProfileCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = ScratchDir() + "/profile_model.gguf";
    ASSERT_EQ(
        Strata({"make-model", "--arch",     "qwen3moe", "--n-embd",        "256",  "--n-layer",
                "4",          "--n-head",   "4",        "--n-head-kv",     "2",    "--head-dim",
                "64",         "--n-expert", "16",       "--n-expert-used", "2",    "--n-ff-exp",
                "256",        "--n-vocab",  "1000",     "--type",          "q4_k", "-q",
                "-o",         model_})
            .exit_code,
        0);
    prompts_ = ScratchDir() + "/profile_prompts.txt";
    std::ofstream(prompts_) << "The river that ran below the town\n---\nA computer is a machine";
    dir_ = ScratchDir() + "/profile_report";
    const CommandResult r =
        Strata({"profile", "-m", model_, "-f", prompts_, "-n", "8", "-c", "256", "--ram-budget",
                "40M", "--predictor", "gate", "--prefetch-lookahead", "2", "-o", dir_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    stdout_ = r.out;
  }
  static std::string model_, prompts_, dir_, stdout_;
};
std::string ProfileCliTest::model_, ProfileCliTest::prompts_, ProfileCliTest::dir_,
    ProfileCliTest::stdout_;

TEST_F(ProfileCliTest, PrintsATerminalSummary) {
  EXPECT_TRUE(absl::StrContains(stdout_, "profile: 2 prompts")) << stdout_;
  EXPECT_TRUE(absl::StrContains(stdout_, "recall%")) << stdout_;
  EXPECT_TRUE(absl::StrContains(stdout_, "report.html")) << stdout_;
}

TEST_F(ProfileCliTest, SummaryNumbersAddUp) {
  const auto s = nlohmann::json::parse(ReadAll(dir_ + "/summary.json"));
  EXPECT_EQ(s["checks"]["sum_of_read_events_bytes"], s["checks"]["counted_bytes_read"]);
  uint64_t hits = 0, misses = 0;
  for (const auto& [name, c] : s["classes"].items()) {
    EXPECT_EQ(c["hits"].get<uint64_t>() + c["misses"].get<uint64_t>(),
              c["accesses"].get<uint64_t>())
        << name;
    hits += c["hits"].get<uint64_t>();
    misses += c["misses"].get<uint64_t>();
  }
  EXPECT_EQ(hits, s["total"]["hits"].get<uint64_t>());
  EXPECT_EQ(misses, s["total"]["misses"].get<uint64_t>());
  uint64_t layer_accesses = 0;
  for (const auto& layer : s["layers"])
    layer_accesses += layer["expert"]["accesses"].get<uint64_t>();
  EXPECT_EQ(layer_accesses, s["classes"]["expert"]["accesses"].get<uint64_t>());
  // Routing rows: k per token per layer, except that prompt tokens but the
  // last skip the last layer (llama.cpp's output rows).
  uint64_t rows = 0;
  for (const auto& t : s["turns"]) {
    const uint64_t prompt = t["prompt_tokens"], decoded = t["generated_tokens"];
    rows += 2 * (prompt * 3 + 1 + decoded * 4);
  }
  EXPECT_EQ(s["checks"]["routing_rows"].get<uint64_t>(), rows);
  EXPECT_GT(s["predictor_total"]["predictions"].get<uint64_t>(), 0u);
  EXPECT_EQ(s["prefetch"]["used"].get<uint64_t>() <=
                s["prefetch"]["completed"].get<uint64_t>() + s["prefetch"]["late"].get<uint64_t>(),
            true);
  EXPECT_LE(s["ram"]["peak_resident_bytes"].get<uint64_t>(),
            s["ram"]["cache_capacity_bytes"].get<uint64_t>());
}

TEST_F(ProfileCliTest, TraceIsChromeTraceEventFormat) {
  const auto t = nlohmann::json::parse(ReadAll(dir_ + "/trace.json"));
  int compute = 0, io = 0, counters = 0;
  for (const auto& e : t["traceEvents"]) {
    ASSERT_TRUE(e.contains("ph"));
    if (e["ph"] == "X" && e["cat"] == "compute") ++compute;
    if (e["ph"] == "X" && e["cat"] == "io") {
      ++io;
      EXPECT_EQ(e["tid"], e["args"]["prefetch"].get<bool>() ? 4 : 2);  // One track per thread.
    }
    if (e["ph"] == "C") ++counters;
    if (e["ph"] == "X") {
      EXPECT_GE(e["dur"].get<double>(), 0.0);
    }
  }
  EXPECT_GT(compute, 0);
  EXPECT_GT(io, 0);
  EXPECT_GT(counters, 0);
}

TEST_F(ProfileCliTest, RoutingReplaysAndPopularityPredicts) {
  const CommandResult replay =
      Strata({"replay", dir_ + "/routing.csv", "--budget", "2M", "--json"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  const auto j = nlohmann::json::parse(replay.out);
  EXPECT_TRUE(j["policies"].contains("lru"));
  EXPECT_TRUE(j["policies"].contains("belady"));
  const CommandResult run = Strata({"run", "-m", model_, "-p", "Hello", "-n", "4", "-c", "256",
                                    "--ram-budget", "40M", "--predictor", "popularity",
                                    "--popularity-profile", dir_ + "/popularity.csv", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["stats"]["predictor"]["name"], "popularity");
}

TEST_F(ProfileCliTest, HtmlIsSelfContained) {
  const std::string html = ReadAll(dir_ + "/report.html");
  EXPECT_TRUE(absl::StartsWith(html, "<!doctype html>"));
  EXPECT_TRUE(absl::StrContains(html, "</html>"));
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  int svgs = 0;
  for (size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) {
    ++svgs;
  }
  EXPECT_EQ(svgs, 4);  // Heatmap, hit rate, recall, bandwidth.
  for (const char* section :
       {"Expert popularity", "hit rate per layer", "Predictor recall", "Read bandwidth"}) {
    EXPECT_TRUE(absl::StrContains(html, section)) << section;
  }
}

TEST_F(ProfileCliTest, BadArguments) {
  CommandResult r = Strata({"profile", "-m", model_});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "-o DIR")) << r.err;
  r = Strata({"run", "-m", model_, "-p", "x", "--predictor", "oracle"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "--predictor")) << r.err;
  r = Strata({"run", "-m", model_, "-p", "x", "--predictor", "popularity", "--popularity-profile",
              prompts_});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "popularity profile")) << r.err;
}

}  // namespace
}  // namespace strata
