// The `strata` command end to end: make-model → inspect → run → bench, the
// script interfaces (--json, --dump-logits), and one clear error line with a
// non-zero exit for every kind of bad input.
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "storage/gguf_file.h"
#include "storage/gguf_writer.h"
#include "tests/support/fixtures.h"
#include "tests/support/run_command.h"

namespace strata {
namespace {

using ::strata::testing::CommandResult;
using ::strata::testing::FixturesDir;
using ::strata::testing::ScratchDir;
using ::strata::testing::StrataBinary;

CommandResult Strata(std::vector<std::string> args, std::vector<std::string> env = {}) {
  return testing::RunStrata(std::move(args), env);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Exactly one line on stderr, naming the command and saying "error".
void ExpectOneErrorLine(const CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_NE(r.exit_code, 128 + 6) << "aborted: " << r.err;
  EXPECT_NE(r.exit_code, 128 + 11) << "crashed: " << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "error: ")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, needle)) << "wanted '" << needle << "' in: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tiny_ = ScratchDir() + "/cli_tiny.gguf";
    const CommandResult r =
        Strata({"make-model", "--preset", "tiny", "--seed", "7", "-q", "-o", tiny_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static std::string tiny_;
};
std::string CliTest::tiny_;

TEST_F(CliTest, InspectJsonDescribesTheModel) {
  const CommandResult r = Strata({"inspect", "-m", tiny_, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["runnable"].get<bool>());
  EXPECT_EQ(j["hparams"]["arch"], "qwen3moe");
  EXPECT_EQ(j["hparams"]["n_embd"], 64);
  EXPECT_EQ(j["hparams"]["n_expert"], 8);
  EXPECT_EQ(j["hparams"]["n_expert_used"], 2);
  const int64_t total = j["total_weight_bytes"];
  const int64_t active = j["active_bytes_per_token"];
  EXPECT_GT(active, 0);
  EXPECT_LT(active, total);
  // The expert tensors are read at 2/8 per token; check the arithmetic.
  int64_t experts = 0, embd = 0, embd_row = 0;
  for (const auto& t : j["tensors"]) {
    const std::string name = t["name"];
    if (absl::StrContains(name, "_exps")) experts += t["bytes"].get<int64_t>();
    if (name == "token_embd.weight") {
      embd = t["bytes"];
      embd_row = embd / t["shape"][1].get<int64_t>();
    }
  }
  EXPECT_EQ(active, total - experts / 8 * 6 - embd + embd_row);
  const CommandResult text = Strata({"inspect", tiny_});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(absl::StrContains(text.out, "blk.1.ffn_down_exps.weight"));
  EXPECT_TRUE(absl::StrContains(text.out, "active per decoded token"));
}

// `inspect --cpu` needs no model and names the detected features, the AMX
// verdict and the kernel family chosen.
TEST_F(CliTest, InspectCpuReportsFeaturesAndChosenKernels) {
  const CommandResult r = Strata({"inspect", "--cpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* key : {"cpu:", "features:", "cpuid:", "amx:", "kernels:", "threads:"}) {
    EXPECT_TRUE(absl::StrContains(r.out, key)) << key << " missing in:\n" << r.out;
  }
}

TEST_F(CliTest, GreedyRunIsDeterministicAndJsonHasTheKeys) {
  const std::vector<std::string> args = {
      "run", "-m", tiny_, "-p", "Once upon a time", "-n", "12", "--temp", "0", "--json", "-t", "2"};
  const CommandResult a = Strata(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const auto ja = nlohmann::json::parse(a.out);
  for (const char* key : {"prompt_ids", "generated_ids", "text", "timings"}) {
    EXPECT_TRUE(ja.contains(key)) << key;
  }
  EXPECT_FALSE(ja["prompt_ids"].empty());
  EXPECT_LE(ja["generated_ids"].size(), 12u);
  const CommandResult b = Strata(args);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(ja["generated_ids"], nlohmann::json::parse(b.out)["generated_ids"]);
  // One thread gives the same tokens as two.
  std::vector<std::string> one_thread = args;
  one_thread.back() = "1";
  EXPECT_EQ(ja["generated_ids"], nlohmann::json::parse(Strata(one_thread).out)["generated_ids"]);
}

TEST_F(CliTest, SeededSamplingIsReproducible) {
  const std::vector<std::string> args = {"run", "-m",           tiny_,    "-p",  "The river",
                                         "-n",  "16",           "--temp", "1.0", "--seed",
                                         "123", "--ignore-eos", "--json"};
  const auto a = nlohmann::json::parse(Strata(args).out);
  const auto b = nlohmann::json::parse(Strata(args).out);
  EXPECT_EQ(a["generated_ids"].size(), 16u);
  EXPECT_EQ(a["generated_ids"], b["generated_ids"]);
}

TEST_F(CliTest, StreamsTextAndPrintsSpeeds) {
  const CommandResult r =
      Strata({"run", "-m", tiny_, "-p", "Hello", "-n", "5", "--temp", "0", "--ignore-eos"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, "Hello"));
  EXPECT_TRUE(absl::StrContains(r.err, "tokens/s")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "generation: 5 tokens")) << r.err;
}

TEST_F(CliTest, PromptFileIsUsedByteForByte) {
  const std::string with_newline = ScratchDir() + "/prompt_nl.txt";
  const std::string without = ScratchDir() + "/prompt.txt";
  WriteAll(with_newline, "A line of text\n");
  WriteAll(without, "A line of text");
  auto ids = [&](const std::string& file) {
    const CommandResult r = Strata({"run", "-m", tiny_, "-f", file, "-n", "1", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["prompt_ids"].get<std::vector<int>>();
  };
  const auto a = ids(with_newline);
  const auto b = ids(without);
  EXPECT_NE(a, b);
  const CommandResult p = Strata({"run", "-m", tiny_, "-p", "A line of text", "-n", "1", "--json"});
  EXPECT_EQ(nlohmann::json::parse(p.out)["prompt_ids"].get<std::vector<int>>(), b);
}

TEST_F(CliTest, BenchJsonReportsBothSpeeds) {
  const CommandResult r =
      Strata({"bench", "-m", tiny_, "-p", "16", "-n", "4", "-r", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["prefill_tps"].get<double>(), 0);
  EXPECT_GT(j["decode_tps"].get<double>(), 0);
  EXPECT_EQ(j["results"].size(), 2u);
  EXPECT_EQ(j["results"][0]["samples_ts"].size(), 2u);
  const CommandResult md = Strata({"bench", "-m", tiny_, "-p", "8", "-n", "2", "-r", "1"});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_TRUE(absl::StrContains(md.out, "| pp8 |")) << md.out;
  EXPECT_TRUE(absl::StrContains(md.out, "| tg2 |")) << md.out;
}

// -d: the tests run after a context already in the cache, which must fit -c.
TEST_F(CliTest, BenchAtDepth) {
  const CommandResult r =
      Strata({"bench", "-m", tiny_, "-p", "8", "-n", "2", "-d", "40", "-r", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["results"][0]["test"], "pp8 @ d40");
  EXPECT_EQ(j["results"][1]["test"], "tg2 @ d40");
  EXPECT_EQ(j["results"][1]["n_depth"], 40);
  EXPECT_GT(j["decode_tps"].get<double>(), 0);
  ExpectOneErrorLine(Strata({"bench", "-m", tiny_, "-d", "-1"}), "-d >= 0");
}

// --dump-logits and --ignore-eos on a fixture: the dumped logits agree with
// llama.cpp's, and greedy decoding reproduces its 32 tokens, including an
// end-of-generation token in the middle.
TEST_F(CliTest, DumpLogitsAndIgnoreEosMatchTheReference) {
  const std::string dir = FixturesDir();
  const std::string model = dir + "/models/qwen3moe-kq-Q4_K_M.gguf";
  const std::string ref = dir + "/ref/qwen3moe-kq-Q4_K_M/f32kv_nofa/unicode";
  STRATA_REQUIRE_PATH(model);
  STRATA_REQUIRE_PATH(ref + ".json");
  std::ifstream in(ref + ".json");
  const auto j = nlohmann::json::parse(in);
  const std::string prompt = ScratchDir() + "/unicode_prompt.txt";
  WriteAll(prompt, absl::HexStringToBytes(j["prompt_text_hex"].get<std::string>()));
  const std::string dump = ScratchDir() + "/unicode.logits.f32";
  const CommandResult r = Strata({"run", "-m", model, "-f", prompt, "-n", "32", "--temp", "0",
                                  "--ignore-eos", "--json", "--dump-logits", dump});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["generated_ids"], j["greedy_ids"]);
  const std::string got = ReadAll(dump);
  const std::string want = ReadAll(ref + ".logits.f32");
  ASSERT_EQ(got.size(), want.size());
  const float* g = reinterpret_cast<const float*>(got.data());
  const float* w = reinterpret_cast<const float*>(want.data());
  for (size_t i = 0; i < got.size() / 4; ++i) EXPECT_NEAR(g[i], w[i], 5e-2) << i;
  // Without --ignore-eos, generation stops at the end-of-generation token.
  const CommandResult stop =
      Strata({"run", "-m", model, "-f", prompt, "-n", "32", "--temp", "0", "--json"});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  const auto stopped = nlohmann::json::parse(stop.out);
  EXPECT_EQ(stopped["stop_reason"], "eos");
  EXPECT_LT(stopped["generated_ids"].size(), 32u);
}

TEST_F(CliTest, MissingDirectoryAndEmptyFiles) {
  ExpectOneErrorLine(Strata({"run", "-m", "/nonexistent/model.gguf", "-p", "x"}), "no such file");
  ExpectOneErrorLine(Strata({"run", "-m", ScratchDir(), "-p", "x"}), "directory");
  const std::string empty = ScratchDir() + "/empty.gguf";
  WriteAll(empty, "");
  ExpectOneErrorLine(Strata({"run", "-m", empty, "-p", "x"}), "empty");
  ExpectOneErrorLine(Strata({"inspect", "-m", empty}), "empty");
}

TEST_F(CliTest, TruncatedAndCorruptFiles) {
  const std::string bytes = ReadAll(tiny_);
  const std::string truncated = ScratchDir() + "/truncated.gguf";
  WriteAll(truncated, bytes.substr(0, bytes.size() / 2));
  ExpectOneErrorLine(Strata({"run", "-m", truncated, "-p", "x"}), "truncated");
  WriteAll(truncated, bytes.substr(0, 100));
  ExpectOneErrorLine(Strata({"inspect", "-m", truncated}), "truncated");
  const std::string bad_magic = ScratchDir() + "/bad_magic.gguf";
  WriteAll(bad_magic, "GGUX" + bytes.substr(4));
  ExpectOneErrorLine(Strata({"run", "-m", bad_magic, "-p", "x"}), "not a GGUF file");
}

// Rewrites the tiny model with one change to its header.
std::string RewriteTiny(const std::string& tiny, const std::string& out,
                        const std::function<void(GgufWriter&)>& edit,
                        const std::function<uint32_t(const GgufTensorInfo&)>& type_override) {
  auto file = GgufFile::Open(tiny);
  EXPECT_TRUE(file.ok());
  GgufWriter w;
  EXPECT_TRUE(w.CopyLayoutFrom(**file).ok());
  edit(w);
  std::string header = w.SerializeHeader();
  const std::string bytes = ReadAll(tiny);
  std::string image = header + bytes.substr((*file)->data_offset());
  if (type_override) {
    // Patch the type id of the first tensor whose override differs.
    for (const GgufTensorInfo& t : (*file)->tensors()) {
      const uint32_t type = type_override(t);
      if (type == static_cast<uint32_t>(t.type)) continue;
      std::string needle(8, '\0');
      const uint64_t len = t.name.size();
      std::memcpy(needle.data(), &len, 8);
      needle += t.name;
      const size_t at = image.find(needle) + needle.size() + 4 + 8 * t.n_dims;
      std::memcpy(image.data() + at, &type, 4);
      break;
    }
  }
  WriteAll(out, image);
  return out;
}

TEST_F(CliTest, WrongArchitectureAndUnknownQuantType) {
  const std::string arch = RewriteTiny(
      tiny_, ScratchDir() + "/gptj.gguf",
      [](GgufWriter& w) { w.Set("general.architecture", GgufValue::String("gptj")); }, nullptr);
  ExpectOneErrorLine(Strata({"run", "-m", arch, "-p", "x"}), "architecture 'gptj'");
  const CommandResult inspect = Strata({"inspect", "-m", arch});
  EXPECT_EQ(inspect.exit_code, 0) << "inspect still describes unsupported files";
  EXPECT_TRUE(absl::StrContains(inspect.out, "cannot run")) << inspect.out;

  const std::string type = RewriteTiny(
      tiny_, ScratchDir() + "/unknown_type.gguf", [](GgufWriter&) {},
      [](const GgufTensorInfo& t) {
        return t.name == "blk.0.attn_q.weight" ? 99u : uint32_t(t.type);
      });
  ExpectOneErrorLine(Strata({"run", "-m", type, "-p", "x"}), "unknown type id 99");

  // A known type Strata cannot compute with (IQ2_XXS has a different block
  // size, so use a same-size stand-in: Q4_0 → IQ4_NL, both 18 bytes/32).
  const std::string q40 = ScratchDir() + "/tiny_q4_0.gguf";
  ASSERT_EQ(Strata({"make-model", "--preset", "tiny", "--type", "q4_0", "-q", "-o", q40}).exit_code,
            0);
  const std::string iq = RewriteTiny(
      q40, ScratchDir() + "/iq4nl.gguf", [](GgufWriter&) {},
      [](const GgufTensorInfo& t) {
        return t.name == "blk.0.attn_q.weight" ? 20u : uint32_t(t.type);
      });
  ExpectOneErrorLine(Strata({"run", "-m", iq, "-p", "x"}), "iq4_nl");
}

TEST_F(CliTest, MissingTensorIsNamed) {
  auto file = GgufFile::Open(tiny_);
  ASSERT_TRUE(file.ok());
  GgufWriter w;
  for (const auto& [k, v] : (*file)->metadata()) w.Set(k, v);
  const std::string bytes = ReadAll(tiny_);
  std::string data;
  for (const GgufTensorInfo& t : (*file)->tensors()) {
    if (t.name == "blk.1.attn_k_norm.weight") continue;
    ASSERT_TRUE(w.AddTensor(t.name, t.type, t.ne, t.n_dims).ok());
    data += bytes.substr(t.file_offset, t.size_bytes);
  }
  std::string image;
  ASSERT_TRUE(w.Begin(std::make_unique<StringSink>(&image)).ok());
  ASSERT_TRUE(w.Append(data).ok());
  ASSERT_TRUE(w.Finish().ok());
  const std::string path = ScratchDir() + "/missing_tensor.gguf";
  WriteAll(path, image);
  ExpectOneErrorLine(Strata({"run", "-m", path, "-p", "x"}), "blk.1.attn_k_norm.weight");
}

TEST_F(CliTest, BadFlagValues) {
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "-n", "0"}), "-n");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "-n", "-5"}), "-n");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "--temp", "abc"}), "--temp");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "--temp", "-1"}), "--temp");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "--top-p", "1.5"}), "--top-p");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "--top-k", "-3"}), "--top-k");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "-t", "-2"}), "-t");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "--frobnicate"}), "--frobnicate");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "-n"}), "needs a value");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "-c", "-1"}), "-c");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-f", "/nonexistent/prompt.txt"}), "prompt.txt");
  ExpectOneErrorLine(Strata({"make-model", "--preset", "huge"}), "unknown preset");
  ExpectOneErrorLine(Strata({"make-model", "--type", "q9_9"}), "q9_9");
  ExpectOneErrorLine(Strata({"make-model", "--n-head", "3", "--n-head-kv", "2"}), "--n-head");
  ExpectOneErrorLine(Strata({"bench", "-m", tiny_, "-p", "0", "-n", "0"}), "-p");
  EXPECT_EQ(Strata({"frobnicate"}).exit_code, 2);
}

// A model 2.6x larger than the budget runs under it: same tokens as with
// every weight resident, the script keys present, peak RSS within 5%.
TEST_F(CliTest, RunsUnderARamBudgetSmallerThanTheModel) {
  const std::string model = ScratchDir() + "/budget_model.gguf";
  ASSERT_EQ(Strata({"make-model", "--arch",     "qwen3moe", "--n-embd",        "512",  "--n-layer",
                    "10",         "--n-head",   "8",        "--n-head-kv",     "4",    "--head-dim",
                    "64",         "--n-expert", "32",       "--n-expert-used", "4",    "--n-ff-exp",
                    "512",        "--n-vocab",  "4096",     "--type",          "q4_k", "-q",
                    "-o",         model})
                .exit_code,
            0);
  const int64_t budget = 56 << 20;
  ASSERT_GT(std::filesystem::file_size(model), 2.5 * budget);
  const std::vector<std::string> args = {"run", "-m",    model,    "-p", "Once upon a time",
                                         "-n",  "16",    "--temp", "0",  "-c",
                                         "256", "--json"};
  const CommandResult full = Strata(args);
  ASSERT_EQ(full.exit_code, 0) << full.err;
  std::vector<std::string> tiered = args;
  tiered.insert(tiered.end(), {"--ram-budget", "56M", "--cache-policy", "s3fifo"});
  const CommandResult r = Strata(tiered);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["generated_ids"], nlohmann::json::parse(full.out)["generated_ids"]);
  const auto& s = j["stats"];
  EXPECT_EQ(s["ram"]["budget_bytes"].get<int64_t>(), budget);
  EXPECT_LE(s["ram"]["peak_resident_bytes"].get<int64_t>(), budget);
  EXPECT_GT(s["expert"]["misses"].get<int64_t>(), 0);
  EXPECT_GT(s["expert"]["hits"].get<int64_t>(), 0);
  EXPECT_GT(s["expert"]["bytes_read"].get<int64_t>(), 0);
  EXPECT_LE(s["vm_hwm_bytes"].get<double>(), 1.05 * budget);
  EXPECT_EQ(s["decode"]["tokens"].get<int64_t>(), 15);  // 16 sampled, the last not evaluated.
  EXPECT_GT(s["decode"]["bytes_read_per_token"].get<int64_t>(), 0);
  // Decode's I/O stalls are part of its wall time.
  EXPECT_GE(s["decode"]["stall_seconds"].get<double>(), 0.0);
  EXPECT_LE(s["decode"]["stall_seconds"].get<double>(), s["decode"]["seconds"].get<double>());
  EXPECT_GT(s["decode"]["seconds"].get<double>(), 0.0);
  // --stats prints the table.
  tiered.pop_back();  // "s3fifo"
  tiered.pop_back();  // "--cache-policy"
  std::vector<std::string> text = tiered;
  text.erase(std::find(text.begin(), text.end(), "--json"));
  text.push_back("--stats");
  const CommandResult t = Strata(text);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_TRUE(absl::StrContains(t.err, "RAM tier: budget 56.0 MiB")) << t.err;
  EXPECT_TRUE(absl::StrContains(t.err, "NVMe tier:")) << t.err;
  EXPECT_TRUE(absl::StrContains(t.err, "decode:    15 tokens")) << t.err;
  EXPECT_TRUE(absl::StrContains(t.err, "stalled on I/O ")) << t.err;
}

TEST_F(CliTest, BadBudgetsAndPolicies) {
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "--ram-budget", "abc"}),
                     "--ram-budget");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "--ram-budget", "0"}), "--ram-budget");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "--ram-budget", "-5G"}),
                     "--ram-budget");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "--ram-budget", "1K"}), "at least");
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-p", "x", "--cache-policy", "mru"}),
                     "--cache-policy");
  const auto j = nlohmann::json::parse(Strata({"inspect", "-m", tiny_, "--json"}).out);
  const int64_t min_budget = j["min_ram_budget_bytes"];
  EXPECT_GT(min_budget, 0);
  EXPECT_GE(j["full_ram_budget_bytes"].get<int64_t>(), min_budget);
}

TEST_F(CliTest, CtrlCStopsGenerationCleanly) {
  const CommandResult r = ::strata::testing::RunCommandAndSignal(
      {StrataBinary(), "run", "-m", tiny_, "-p", "x", "-n", "-1", "-c", "200000", "--ignore-eos"},
      SIGINT, 1500);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "(interrupted)")) << r.err;
  EXPECT_GT(r.out.size(), 1u);  // What was generated before the interrupt was printed.
}

TEST_F(CliTest, PromptLongerThanTheContext) {
  ExpectOneErrorLine(Strata({"run", "-m", tiny_, "-c", "8", "-p",
                             "this prompt has many more than eight tokens in it, surely"}),
                     "longer than the context");
}

// The README's first command: no model given → the demo model is written to
// the cache and run.
TEST_F(CliTest, DemoRunWithoutAModel) {
  const std::string cache = ScratchDir() + "/demo_cache";
  const CommandResult r = Strata({"run", "-n", "4", "--json"}, {"STRATA_CACHE_DIR=" + cache});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["generated_ids"].empty());
  EXPECT_TRUE(absl::StrContains(j["model"].get<std::string>(), cache));
}

}  // namespace
}  // namespace strata
