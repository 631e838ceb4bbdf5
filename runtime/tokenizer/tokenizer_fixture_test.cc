// The tokenizer against llama.cpp's own outputs (../shared/fixtures):
// llama.cpp's tokenizer test cases for each vocabulary, the fixture prompts
// tokenized with full and truncated vocabularies, and the prompt ids the
// reference runs of the fixture models were fed.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/tokenizer/tokenizer.h"
#include "storage/gguf_file.h"
#include "tests/support/fixtures.h"

namespace strata {
namespace {

using ::strata::testing::FixturesDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Loading the 152k-token Qwen vocabulary several times would only slow the
// suite down, so tokenizers are shared (they are immutable and thread-safe).
const Tokenizer* LoadTokenizer(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(path);
  if (it != cache.end()) return it->second.get();
  auto gguf = GgufFile::Open(path);
  if (!gguf.ok()) {
    ADD_FAILURE() << gguf.status();
    return nullptr;
  }
  auto tokenizer = Tokenizer::FromGguf(**gguf);
  if (!tokenizer.ok()) {
    ADD_FAILURE() << path << ": " << tokenizer.status();
    return nullptr;
  }
  return cache.emplace(path, std::move(*tokenizer)).first->second.get();
}

std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

std::string Ids(const std::vector<int32_t>& ids) { return absl::StrJoin(ids, " "); }

// ---------------------------------------------------------------------------
// llama.cpp's test-tokenizer-0 cases.

struct VocabCase {
  std::string text;
  std::vector<int32_t> expected;
};

// `.inp` holds texts separated by "\n__ggml_vocab_test__\n" (the file ends
// with one, which does not start another case); `.out` one line of ids each.
std::vector<VocabCase> ReadVocabCases(const std::string& base) {
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts = absl::StrSplit(ReadFile(base + ".inp"), separator);
  if (!texts.empty() && texts.back().empty()) texts.pop_back();
  std::vector<std::string> lines = absl::StrSplit(ReadFile(base + ".out"), '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  EXPECT_EQ(texts.size(), lines.size()) << base;
  std::vector<VocabCase> cases;
  for (size_t i = 0; i < texts.size() && i < lines.size(); ++i) {
    VocabCase c;
    c.text = texts[i];
    for (absl::string_view field : absl::StrSplit(lines[i], ' ', absl::SkipEmpty())) {
      int32_t id = 0;
      EXPECT_TRUE(absl::SimpleAtoi(field, &id)) << field;
      c.expected.push_back(id);
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

// Texts whose round trip llama.cpp's detokenizer changes on purpose: with
// clean_spaces it removes the space in " ?", " !", " .", " ," and " 's" etc.
bool CleanSpacesApplies(absl::string_view text) {
  for (absl::string_view pattern : {" ?", " !", " .", " ,", " '"}) {
    if (absl::StrContains(text, pattern)) return true;
  }
  return false;
}

class VocabFixtureTest : public ::testing::TestWithParam<const char*> {};

TEST_P(VocabFixtureTest, MatchesLlamaCppTokenizerTests) {
  const std::string base =
      absl::StrCat(FixturesDir(), "/tokenizer/ggml-vocab-", GetParam(), ".gguf");
  STRATA_REQUIRE_PATH(base);
  const Tokenizer* tokenizer = LoadTokenizer(base);
  ASSERT_NE(tokenizer, nullptr);
  const std::vector<VocabCase> cases = ReadVocabCases(base);
  ASSERT_FALSE(cases.empty());
  int passed = 0;
  int round_trips = 0;
  int round_trips_checked = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const VocabCase& c = cases[i];
    const std::vector<int32_t> ids = tokenizer->Encode(c.text, false, false);
    if (ids == c.expected) {
      ++passed;
    } else {
      ADD_FAILURE() << GetParam() << " case " << i << " text '" << absl::CHexEscape(c.text)
                    << "'\n  expected: " << Ids(c.expected) << "\n  actual:   " << Ids(ids);
    }
    // Decoding gives the text back, except where llama.cpp's clean-up of
    // spaces rewrites it.
    if (tokenizer->vocab().clean_spaces() && CleanSpacesApplies(c.text)) continue;
    ++round_trips_checked;
    const std::string decoded = tokenizer->Decode(ids, false);
    if (decoded == c.text) {
      ++round_trips;
    } else {
      ADD_FAILURE() << GetParam() << " case " << i << " round trip\n  text:    '"
                    << absl::CHexEscape(c.text) << "'\n  decoded: '" << absl::CHexEscape(decoded)
                    << "'";
    }
  }
  std::printf("[ vocab    ] %-20s %d/%zu cases, %d/%d round trips\n", GetParam(), passed,
              cases.size(), round_trips, round_trips_checked);
}

INSTANTIATE_TEST_SUITE_P(AllVocabularies, VocabFixtureTest,
                         ::testing::Values("llama-spm", "phi-3", "gpt-2", "deepseek-llm",
                                           "deepseek-coder", "falcon", "starcoder",
                                           "qwen2-reconstructed"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// ---------------------------------------------------------------------------
// prompts_*.json: fixture prompts with and without special tokens.

std::vector<int32_t> IdList(const nlohmann::json& json) { return json.get<std::vector<int32_t>>(); }

class PromptsFixtureTest : public ::testing::TestWithParam<const char*> {};

TEST_P(PromptsFixtureTest, MatchesLlamaCpp) {
  const std::string json_path =
      absl::StrCat(FixturesDir(), "/tokenizer/prompts_", GetParam(), ".json");
  STRATA_REQUIRE_PATH(json_path);
  const nlohmann::json doc = nlohmann::json::parse(ReadFile(json_path));
  // vocab_file is relative to the fixtures directory (a few name files in
  // tokenizer/ directly).
  const std::string vocab_file = doc.at("vocab_file").get<std::string>();
  std::string vocab_path = absl::StrCat(FixturesDir(), "/", vocab_file);
  if (!std::filesystem::exists(vocab_path)) {
    vocab_path = absl::StrCat(FixturesDir(), "/tokenizer/", vocab_file);
  }
  STRATA_REQUIRE_PATH(vocab_path);
  const Tokenizer* tokenizer = LoadTokenizer(vocab_path);
  ASSERT_NE(tokenizer, nullptr);
  EXPECT_EQ(tokenizer->n_vocab(), doc.at("n_tokens").get<int32_t>());
  EXPECT_EQ(tokenizer->add_bos(), doc.at("add_bos").get<bool>());
  EXPECT_EQ(tokenizer->add_eos(), doc.at("add_eos").get<bool>());
  EXPECT_EQ(tokenizer->bos(), doc.at("bos").get<int32_t>());
  EXPECT_EQ(tokenizer->eos(), doc.at("eos").get<int32_t>());

  int checked = 0;
  for (const auto& [name, entry] : doc.at("texts").items()) {
    SCOPED_TRACE(absl::StrCat(GetParam(), " / ", name));
    const std::string text = absl::HexStringToBytes(entry.at("text_hex").get<std::string>());
    const std::vector<int32_t> no_special = tokenizer->Encode(text, false, false);
    EXPECT_EQ(Ids(tokenizer->Encode(text, true, false)), Ids(IdList(entry.at("ids_add_special"))));
    EXPECT_EQ(Ids(no_special), Ids(IdList(entry.at("ids_no_special"))));
    EXPECT_EQ(Ids(tokenizer->Encode(text, true, true)),
              Ids(IdList(entry.at("ids_add_special_parse_special"))));
    const std::vector<std::string> pieces_hex = entry.at("pieces_hex_no_special");
    const std::vector<int32_t> expected_ids = IdList(entry.at("ids_no_special"));
    ASSERT_EQ(pieces_hex.size(), expected_ids.size());
    for (size_t i = 0; i < expected_ids.size(); ++i) {
      EXPECT_EQ(Hex(tokenizer->TokenToPiece(expected_ids[i], false)), pieces_hex[i])
          << "token " << expected_ids[i];
    }
    EXPECT_EQ(Hex(tokenizer->Decode(expected_ids, false)),
              entry.at("detok_no_special_hex").get<std::string>());
    EXPECT_EQ(tokenizer->Decode(expected_ids, false) == text, entry.at("roundtrip_ok").get<bool>());
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

INSTANTIATE_TEST_SUITE_P(AllPromptSets, PromptsFixtureTest,
                         ::testing::Values("llama-spm-full", "deepseek-llm-full",
                                           "qwen2-reconstructed-full", "fixture_llama-dense",
                                           "fixture_llama-moe", "fixture_qwen3moe",
                                           "fixture_qwen3moe-kq", "fixture_deepseek2"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// ---------------------------------------------------------------------------
// ref/<model>/f32kv_nofa/<prompt>.json: the ids the reference run was fed.

TEST(ReferenceRunsTest, PromptTokensMatch) {
  const std::string ref_dir = FixturesDir() + "/ref";
  STRATA_REQUIRE_PATH(ref_dir);
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ref_dir)) {
    const std::string model = entry.path().filename().string();
    const std::string gguf_path = absl::StrCat(FixturesDir(), "/models/", model, ".gguf");
    if (!std::filesystem::exists(gguf_path)) continue;
    const Tokenizer* tokenizer = LoadTokenizer(gguf_path);
    ASSERT_NE(tokenizer, nullptr) << gguf_path;
    for (const char* prompt : {"short", "long", "unicode"}) {
      const std::string json_path =
          absl::StrCat(entry.path().string(), "/f32kv_nofa/", prompt, ".json");
      if (!std::filesystem::exists(json_path)) continue;
      SCOPED_TRACE(absl::StrCat(model, " / ", prompt));
      const nlohmann::json doc = nlohmann::json::parse(ReadFile(json_path));
      const std::string text = absl::HexStringToBytes(doc.at("prompt_text_hex").get<std::string>());
      EXPECT_EQ(tokenizer->n_vocab(), doc.at("n_vocab").get<int32_t>());
      EXPECT_EQ(Ids(tokenizer->Encode(text, true, false)),
                Ids(IdList(doc.at("tokens_add_special"))));
      if (doc.contains("tokens_no_special")) {
        EXPECT_EQ(Ids(tokenizer->Encode(text, false, false)),
                  Ids(IdList(doc.at("tokens_no_special"))));
      }
      ++checked;
    }
  }
  std::printf("[ ref      ] %d model/prompt pairs checked\n", checked);
  EXPECT_GT(checked, 0);
}

// ---------------------------------------------------------------------------
// Behaviour the fixtures exercise only indirectly.

const Tokenizer* Qwen() {
  const std::string path = FixturesDir() + "/tokenizer/ggml-vocab-qwen2-reconstructed.gguf";
  if (!std::filesystem::exists(path)) return nullptr;
  return LoadTokenizer(path);
}

TEST(TokenizerBehaviourTest, QwenSpecialTokens) {
  const Tokenizer* qwen = Qwen();
  if (qwen == nullptr) GTEST_SKIP() << "qwen2 vocabulary missing";
  const int32_t im_start = qwen->FindToken("<|im_start|>");
  const int32_t think = qwen->FindToken("<think>");
  ASSERT_GE(im_start, 0);
  ASSERT_GE(think, 0);
  // Control tokens only with parse_special; user-defined ones always.
  EXPECT_EQ(qwen->Encode("<|im_start|>", false, true), std::vector<int32_t>{im_start});
  EXPECT_NE(qwen->Encode("<|im_start|>", false, false), std::vector<int32_t>{im_start});
  EXPECT_EQ(qwen->Encode("<think>", false, false), std::vector<int32_t>{think});
  // Control tokens render only on request; user-defined ones always.
  EXPECT_EQ(qwen->TokenToPiece(im_start, false), "");
  EXPECT_EQ(qwen->TokenToPiece(im_start, true), "<|im_start|>");
  EXPECT_EQ(qwen->TokenToPiece(think, false), "<think>");
  // End of generation: EOS, the text-detected markers and FIM padding.
  EXPECT_TRUE(qwen->IsEndOfGeneration(qwen->eos()));
  EXPECT_TRUE(qwen->IsEndOfGeneration(qwen->FindToken("<|endoftext|>")));
  EXPECT_TRUE(qwen->IsEndOfGeneration(qwen->FindToken("<|im_end|>")));
  EXPECT_TRUE(qwen->IsEndOfGeneration(qwen->FindToken("<|fim_pad|>")));
  EXPECT_FALSE(qwen->IsEndOfGeneration(im_start));
  EXPECT_FALSE(qwen->IsEndOfGeneration(-1));
  EXPECT_TRUE(absl::StrContains(qwen->Summary(), "pre-tokenizer 'qwen2'")) << qwen->Summary();
}

TEST(TokenizerBehaviourTest, Phi3RightStripsAfterSpecialTokens) {
  const std::string path = FixturesDir() + "/tokenizer/ggml-vocab-phi-3.gguf";
  STRATA_REQUIRE_PATH(path);
  const Tokenizer* phi3 = LoadTokenizer(path);
  ASSERT_NE(phi3, nullptr);
  const int32_t end = phi3->FindToken("<|end|>");
  ASSERT_GE(end, 0);
  // <|end|> swallows the whitespace after it, and SentencePiece restarts
  // with a space prefix after a special token.
  std::vector<int32_t> expected = phi3->Encode("Hi", false, false);
  expected.push_back(end);
  for (int32_t id : phi3->Encode("there", false, false)) expected.push_back(id);
  EXPECT_EQ(Ids(phi3->Encode("Hi<|end|> \n there", false, true)), Ids(expected));
  EXPECT_TRUE(phi3->IsEndOfGeneration(end));
}

TEST(TokenizerBehaviourTest, Gpt2DecodeCleansSpacesLikeLlamaCpp) {
  const std::string path = FixturesDir() + "/tokenizer/ggml-vocab-gpt-2.gguf";
  STRATA_REQUIRE_PATH(path);
  const Tokenizer* gpt2 = LoadTokenizer(path);
  ASSERT_NE(gpt2, nullptr);
  const std::string text = "Hi , there ' you 's 're 't 'll !";
  EXPECT_EQ(gpt2->Decode(gpt2->Encode(text, false, false), false), "Hi, there'you's're 't 'll!");
  // Vocabularies without clean_spaces give the text back unchanged.
  const Tokenizer* qwen = Qwen();
  if (qwen == nullptr) GTEST_SKIP() << "qwen2 vocabulary missing";
  EXPECT_EQ(qwen->Decode(qwen->Encode(text, false, false), false), text);
}

TEST(TokenizerBehaviourTest, InvalidUtf8NeverFails) {
  const Tokenizer* qwen = Qwen();
  if (qwen == nullptr) GTEST_SKIP() << "qwen2 vocabulary missing";
  // BPE: each byte that starts no valid sequence reads as U+FFFD.
  EXPECT_EQ(qwen->Encode("a\xff"
                         "b",
                         false, false),
            qwen->Encode("a\xef\xbf\xbd"
                         "b",
                         false, false));
  EXPECT_EQ(qwen->Encode("\xe4\xbd", false, false),
            qwen->Encode("\xef\xbf\xbd\xef\xbf\xbd", false, false));
  // Surrogates and overlong forms are decoded leniently, never rejected.
  EXPECT_FALSE(qwen->Encode("\xed\xa0\x80 x \xc0\x80", false, false).empty());

  const std::string spm_path = FixturesDir() + "/tokenizer/ggml-vocab-llama-spm.gguf";
  STRATA_REQUIRE_PATH(spm_path);
  const Tokenizer* spm = LoadTokenizer(spm_path);
  ASSERT_NE(spm, nullptr);
  // SPM: raw bytes go through byte fallback and decode back unchanged.
  const std::string bad = "ok\xff\xfe\xe4\xbd end\x80";
  EXPECT_EQ(spm->Decode(spm->Encode(bad, false, false), false), bad);

  // Arbitrary bytes never crash either tokenizer.
  uint32_t state = 12345;
  for (int round = 0; round < 300; ++round) {
    std::string text;
    for (int i = 0; i < 40; ++i) {
      state = state * 1664525u + 1013904223u;
      text.push_back(static_cast<char>(state >> 24));
    }
    for (const Tokenizer* t : {qwen, spm}) {
      for (int32_t id : t->Encode(text, true, true)) ASSERT_TRUE(id >= 0 && id < t->n_vocab());
    }
  }
}

TEST(TokenizerBehaviourTest, OutOfRangeIdsDecodeToNothing) {
  const Tokenizer* qwen = Qwen();
  if (qwen == nullptr) GTEST_SKIP() << "qwen2 vocabulary missing";
  for (int32_t id : {-1, -100, qwen->n_vocab(), INT32_MAX}) {
    EXPECT_EQ(qwen->TokenToPiece(id, true), "");
    EXPECT_EQ(qwen->TokenText(id), "");
    EXPECT_FALSE(qwen->IsSpecial(id));
  }
  const std::vector<int32_t> ids = {qwen->FindToken("Hello"), -3, qwen->n_vocab() + 7};
  EXPECT_EQ(qwen->Decode(ids, true), "Hello");
}

TEST(TokenizerBehaviourTest, EncodingIsThreadSafe) {
  const Tokenizer* qwen = Qwen();
  if (qwen == nullptr) GTEST_SKIP() << "qwen2 vocabulary missing";
  const std::string text = "Concurrency: 多线程 tokenization, 12345 times! <|im_end|>\n";
  const std::vector<int32_t> expected = qwen->Encode(text, true, true);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) mismatches[t] += qwen->Encode(text, true, true) != expected;
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

// A ~100 KB text of mixed scripts, spaces and digits.
std::string LargeText() {
  const std::string unit =
      "The quick brown fox jumps over the lazy dog; it's 1234567 meters away.\n"
      "人工智能正在改变世界。  Ünïcödé café – naïve façade ½ €5\t\ttabs   and   spaces\n";
  std::string text;
  while (text.size() < 100 * 1024) text += unit;
  return text;
}

TEST(TokenizerPerformanceTest, LargeTextsEncodeQuickly) {
  const std::string text = LargeText();
  for (const char* name : {"qwen2-reconstructed", "llama-spm", "deepseek-llm", "gpt-2"}) {
    const std::string path = absl::StrCat(FixturesDir(), "/tokenizer/ggml-vocab-", name, ".gguf");
    if (!std::filesystem::exists(path)) continue;
    const Tokenizer* tokenizer = LoadTokenizer(path);
    ASSERT_NE(tokenizer, nullptr);
    const auto start = std::chrono::steady_clock::now();
    const std::vector<int32_t> ids = tokenizer->Encode(text, false, false);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ perf     ] %-20s %zu bytes -> %zu tokens in %.3f s\n", name, text.size(),
                ids.size(), seconds);
    EXPECT_LT(seconds, 1.0) << name;
    if (!tokenizer->vocab().clean_spaces()) {
      EXPECT_TRUE(tokenizer->Decode(ids, false) == text) << name;
    }
  }
}

// Degenerate inputs: one huge word, one huge whitespace run, no spaces at all.
TEST(TokenizerPerformanceTest, DegenerateTextsEncodeQuickly) {
  std::string cjk;
  while (cjk.size() < 100 * 1024) cjk += "人工智能正在改变世界";
  const std::vector<std::pair<const char*, std::string>> texts = {
      {"letters", std::string(100 * 1024, 'a')},
      {"spaces", std::string(100 * 1024, ' ')},
      {"newlines", std::string(100 * 1024, '\n')},
      {"digits", std::string(100 * 1024, '7')},
      {"cjk", cjk},
  };
  for (const char* name : {"qwen2-reconstructed", "llama-spm", "deepseek-llm", "gpt-2", "falcon",
                           "deepseek-coder", "starcoder"}) {
    const std::string path = absl::StrCat(FixturesDir(), "/tokenizer/ggml-vocab-", name, ".gguf");
    if (!std::filesystem::exists(path)) continue;
    const Tokenizer* tokenizer = LoadTokenizer(path);
    ASSERT_NE(tokenizer, nullptr);
    for (const auto& [kind, text] : texts) {
      const auto start = std::chrono::steady_clock::now();
      const std::vector<int32_t> ids = tokenizer->Encode(text, false, false);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      EXPECT_LT(seconds, 1.0) << name << " " << kind;
      EXPECT_FALSE(ids.empty()) << name << " " << kind;
      if (seconds > 0.1) {
        std::printf("[ perf     ] %-20s %-8s %zu tokens in %.3f s\n", name, kind, ids.size(),
                    seconds);
      }
    }
  }
}

TEST(TokenizerPerformanceTest, FullQwenVocabularyLoadsQuickly) {
  const std::string path = FixturesDir() + "/tokenizer/ggml-vocab-qwen2-reconstructed.gguf";
  STRATA_REQUIRE_PATH(path);
  auto gguf = GgufFile::Open(path);
  ASSERT_TRUE(gguf.ok()) << gguf.status();
  const auto start = std::chrono::steady_clock::now();
  auto tokenizer = Tokenizer::FromGguf(**gguf);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  std::printf("[ perf     ] qwen2 vocabulary (%d tokens) built in %.3f s\n",
              (*tokenizer)->n_vocab(), seconds);
  EXPECT_LT(seconds, 2.0);
}

}  // namespace
}  // namespace strata
