#include "offload/replay/routing_trace.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::offload {
namespace {

using ::testing::ElementsAre;

constexpr char kRouteTrace[] =
    "# route_trace v1\n"
    "# model=/data/q.gguf arch=qwen3moe n_layer=3 n_expert=8 n_expert_used=2\n"
    "# layer=0 expert_bytes=300 dense_bytes=5\n"
    "# layer=1 expert_bytes=200 dense_bytes=5\n"
    "turn,phase,step,layer,slot,expert,weight,residency,expert_bytes\n"
    "0,0,0,0,0,5,0.6,0,300\n"
    "0,0,0,0,1,2,0.4,0,300\n"
    "0,1,1,1,0,7,0.75,1,0\r\n"  // CRLF is fine.
    "\n";

TEST(RoutingTraceTest, ReadsTheRouteTraceFormat) {
  auto trace = ParseRoutingTrace(kRouteTrace, "t.csv");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->model, "/data/q.gguf");
  EXPECT_EQ(trace->n_layer, 3);  // From the header, though layer 2 has no rows.
  // Layer 2 has no expert_bytes line: the default (1).
  EXPECT_THAT(trace->expert_bytes, ElementsAre(300, 200, 1));
  ASSERT_EQ(trace->accesses.size(), 3u);
  const RoutingAccess& a = trace->accesses[2];
  EXPECT_EQ(a.turn, 0);
  EXPECT_EQ(a.token, 1);
  EXPECT_EQ(a.layer, 1);
  EXPECT_EQ(a.expert, 7);
  EXPECT_FLOAT_EQ(a.weight, 0.75f);
  EXPECT_TRUE(a.decode);
  EXPECT_FALSE(trace->accesses[0].decode);
  EXPECT_EQ(trace->prefill_tokens(), 1);
  EXPECT_EQ(trace->decode_tokens(), 1);
}

TEST(RoutingTraceTest, ReadsTheProfileFormat) {
  auto trace = ParseRoutingTrace(
      "# layer=1 expert_bytes=4096\n"
      "token,layer,expert,weight\n"
      "0,0,3,0.5\n"
      "0,1,4,0.5\n"
      "1,0,3,1\n",
      "routing.csv", RoutingTraceOptions{.default_expert_bytes = 77});
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->n_layer, 2);
  EXPECT_THAT(trace->expert_bytes, ElementsAre(77, 4096));
  ASSERT_EQ(trace->accesses.size(), 3u);
  for (const RoutingAccess& a : trace->accesses) EXPECT_TRUE(a.decode);  // No prompt length.
  EXPECT_EQ(trace->accesses[1].layer, 1);
  EXPECT_EQ(trace->accesses[1].expert, 4);
}

TEST(RoutingTraceTest, PromptLengthMakesPrefillTokens) {
  const char* text =
      "# prompt_tokens=2\n"
      "layer,expert,token\n"  // Any column order.
      "0,1,0\n0,1,1\n0,1,2\n";
  auto from_header = ParseRoutingTrace(text, "r.csv");
  ASSERT_TRUE(from_header.ok()) << from_header.status();
  EXPECT_EQ(from_header->prefill_tokens(), 2);
  EXPECT_EQ(from_header->decode_tokens(), 1);
  EXPECT_EQ(from_header->accesses[2].token, 2);
  auto from_option = ParseRoutingTrace(text, "r.csv", RoutingTraceOptions{.prompt_tokens = 0});
  ASSERT_TRUE(from_option.ok());
  EXPECT_EQ(from_option->prefill_tokens(), 0);
}

void ExpectDataLoss(const std::string& text, const std::string& needle) {
  auto trace = ParseRoutingTrace(text, "bad.csv");
  ASSERT_FALSE(trace.ok()) << "accepted:\n" << text;
  EXPECT_EQ(trace.status().code(), absl::StatusCode::kDataLoss) << trace.status();
  EXPECT_TRUE(absl::StrContains(trace.status().message(), needle))
      << "wanted '" << needle << "' in: " << trace.status().message();
}

TEST(RoutingTraceTest, MalformedLinesNameTheLine) {
  const std::string cols = "token,layer,expert,weight\n";
  ExpectDataLoss(cols + "0,0,1,0.5\n0,0,1\n", "bad.csv:3: expected 4 fields, got 3");
  ExpectDataLoss(cols + "0,0,x,0.5\n", "bad.csv:2: bad expert 'x'");
  ExpectDataLoss(cols + "0,-1,1,0.5\n", "bad.csv:2: bad layer '-1'");
  ExpectDataLoss(cols + "0,70000,1,0.5\n", "bad.csv:2: bad layer '70000'");
  ExpectDataLoss(cols + "0,0,1,heavy\n", "bad.csv:2: bad weight 'heavy'");
  ExpectDataLoss(cols + "0,0,99999999999,0.5\n", "bad expert");
  ExpectDataLoss("turn,phase,step,layer,expert\n0,2,0,0,1\n", "bad.csv:2: bad phase '2'");
  ExpectDataLoss("# layer=0 expert_bytes=lots\n" + cols + "0,0,1,1\n",
                 "bad.csv:1: bad expert_bytes 'lots'");
  ExpectDataLoss("# layer=0 expert_bytes=0\n" + cols + "0,0,1,1\n", "bad.csv:1: expert_bytes");
  ExpectDataLoss("# expert_bytes=5\n" + cols, "bad.csv:1: expert_bytes without layer=");
  ExpectDataLoss("0,0,1,0.5\n", "bad.csv:1: expected a column line");
  ExpectDataLoss("weight,expert\n", "bad.csv:1: expected a column line");
  ExpectDataLoss(cols, "no routing rows");
  ExpectDataLoss("", "no column line");
  ExpectDataLoss(std::string("\x89PNG\r\n\x1a\n\0\0", 10), "bad.csv:1:");
}

TEST(RoutingTraceTest, ReadsFilesAndReportsMissingOnes) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/routing_trace_test.csv";
  {
    std::ofstream out(path);
    out << kRouteTrace;
  }
  auto trace = ReadRoutingTrace(path);
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->accesses.size(), 3u);
  std::remove(path.c_str());

  auto missing = ReadRoutingTrace(dir + "/no_such_trace.csv");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "no_such_trace.csv"));
  auto directory = ReadRoutingTrace(dir);
  EXPECT_EQ(directory.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::offload
