// Tokenizers built from small synthetic GGUFs: bad or unsupported metadata
// (every case a clear status, never a crash) and behaviour that the fixture
// vocabularies do not reach.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "runtime/tokenizer/tokenizer.h"
#include "storage/gguf_file.h"
#include "storage/gguf_value.h"
#include "storage/gguf_writer.h"
#include "storage/random_access_file.h"

namespace strata {
namespace {

// Writes `writer`'s metadata (no tensors) to memory and parses it back.
std::unique_ptr<GgufFile> Build(GgufWriter& writer) {
  std::string bytes;
  EXPECT_TRUE(writer.Begin(std::make_unique<StringSink>(&bytes)).ok());
  EXPECT_TRUE(writer.Finish().ok());
  auto file = NewInMemoryFile("vocab.gguf", bytes);
  auto gguf = GgufFile::Read(*file);
  EXPECT_TRUE(gguf.ok()) << gguf.status();
  return gguf.ok() ? std::move(*gguf) : nullptr;
}

// A tiny but valid byte-level BPE vocabulary: "a", "b", "ab", "<|end|>".
void SetTinyBpe(GgufWriter& writer) {
  writer.Set("general.architecture", GgufValue::String("qwen2"));
  writer.Set("tokenizer.ggml.model", GgufValue::String("gpt2"));
  writer.Set("tokenizer.ggml.pre", GgufValue::String("qwen2"));
  writer.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"a", "b", "ab", "<|end|>"}));
  writer.Set("tokenizer.ggml.token_type", GgufValue::I32Array({1, 1, 1, 3}));
  writer.Set("tokenizer.ggml.merges", GgufValue::StringArray({"a b"}));
  writer.Set("tokenizer.ggml.eos_token_id", GgufValue::U32(3));
}

absl::StatusOr<std::unique_ptr<Tokenizer>> FromWriter(GgufWriter& writer) {
  std::unique_ptr<GgufFile> gguf = Build(writer);
  if (gguf == nullptr) return absl::InternalError("test GGUF did not build");
  return Tokenizer::FromGguf(*gguf);
}

TEST(TinyVocabularyTest, EncodesAndDecodes) {
  GgufWriter writer;
  SetTinyBpe(writer);
  auto tokenizer = FromWriter(writer);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  const Tokenizer& t = **tokenizer;
  EXPECT_EQ(t.n_vocab(), 4);
  EXPECT_EQ(t.bos(), -1);  // The built-in default (11) is out of range.
  EXPECT_EQ(t.eos(), 3);
  EXPECT_EQ(t.Encode("abab", false, false), (std::vector<int32_t>{2, 2}));
  EXPECT_EQ(t.Encode("ab<|end|>a", true, true), (std::vector<int32_t>{2, 3, 0}));
  // Characters without a token and without byte tokens are dropped, as in
  // llama.cpp.
  EXPECT_EQ(t.Encode("a c", false, false), (std::vector<int32_t>{0}));
  EXPECT_TRUE(t.IsEndOfGeneration(3));
  EXPECT_EQ(t.Decode({2, 3, 0}, true), "ab<|end|>a");
  EXPECT_EQ(t.Decode({2, 3, 0}, false), "aba");
}

TEST(TinyVocabularyTest, IgnoreMergesEmitsWholeWords) {
  // "abc" is a token but no merge builds it: Llama 3's ignore_merges emits it
  // whole, Qwen 2 (merges only) cannot reach it.
  auto build = [](const char* pre) {
    GgufWriter writer;
    writer.Set("tokenizer.ggml.model", GgufValue::String("gpt2"));
    writer.Set("tokenizer.ggml.pre", GgufValue::String(pre));
    writer.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"a", "b", "c", "ab", "abc"}));
    writer.Set("tokenizer.ggml.merges", GgufValue::StringArray({"a b"}));
    writer.Set("tokenizer.ggml.bos_token_id", GgufValue::U32(0));
    return FromWriter(writer);
  };
  auto llama3 = build("llama-bpe");
  ASSERT_TRUE(llama3.ok()) << llama3.status();
  EXPECT_EQ((*llama3)->Encode("abc", false, false), std::vector<int32_t>{4});
  EXPECT_TRUE((*llama3)->add_bos());  // llama3's default.
  EXPECT_EQ((*llama3)->Encode("abc", true, false), (std::vector<int32_t>{0, 4}));
  auto qwen2 = build("qwen2");
  ASSERT_TRUE(qwen2.ok()) << qwen2.status();
  EXPECT_EQ((*qwen2)->Encode("abc", false, false), (std::vector<int32_t>{3, 2}));
  EXPECT_FALSE((*qwen2)->add_bos());
}

TEST(TokenizerErrorTest, NoTokenizerIsNotFound) {
  GgufWriter writer;
  writer.Set("general.architecture", GgufValue::String("llama"));
  auto tokenizer = FromWriter(writer);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kNotFound) << tokenizer.status();
  EXPECT_TRUE(absl::StrContains(tokenizer.status().message(), "tokenizer.ggml.model"));
}

TEST(TokenizerErrorTest, MissingTokenListIsNotFound) {
  GgufWriter writer;
  writer.Set("tokenizer.ggml.model", GgufValue::String("llama"));
  auto tokenizer = FromWriter(writer);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kNotFound) << tokenizer.status();
  EXPECT_TRUE(absl::StrContains(tokenizer.status().message(), "tokenizer.ggml.tokens"));
}

TEST(TokenizerErrorTest, UnknownTokenizerModelIsUnimplemented) {
  for (const char* model : {"bert", "t5", "whatever"}) {
    GgufWriter writer;
    SetTinyBpe(writer);
    writer.Set("tokenizer.ggml.model", GgufValue::String(model));
    auto tokenizer = FromWriter(writer);
    EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kUnimplemented) << model;
    EXPECT_TRUE(absl::StrContains(tokenizer.status().message(), model)) << tokenizer.status();
  }
}

TEST(TokenizerErrorTest, UnknownPreTokenizerIsUnimplementedAndListsKnownOnes) {
  GgufWriter writer;
  SetTinyBpe(writer);
  writer.Set("tokenizer.ggml.pre", GgufValue::String("no-such-pre"));
  auto tokenizer = FromWriter(writer);
  ASSERT_EQ(tokenizer.status().code(), absl::StatusCode::kUnimplemented) << tokenizer.status();
  const absl::string_view message = tokenizer.status().message();
  EXPECT_TRUE(absl::StrContains(message, "no-such-pre"));
  for (const char* known : {"qwen2", "llama3", "deepseek-llm", "deepseek-coder", "deepseek-v3",
                            "falcon", "starcoder", "gpt-2", "default"}) {
    EXPECT_TRUE(absl::StrContains(message, known)) << known;
  }
}

TEST(TokenizerErrorTest, MissingPreMeansDefault) {
  GgufWriter writer;
  SetTinyBpe(writer);
  std::unique_ptr<GgufFile> gguf;
  {
    // Rebuild without the key: GgufWriter has no erase.
    GgufWriter bare;
    bare.Set("tokenizer.ggml.model", GgufValue::String("gpt2"));
    bare.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"a", "b", "ab"}));
    bare.Set("tokenizer.ggml.merges", GgufValue::StringArray({"a b"}));
    gguf = Build(bare);
  }
  ASSERT_NE(gguf, nullptr);
  auto tokenizer = Tokenizer::FromGguf(*gguf);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  EXPECT_EQ((*tokenizer)->pre_name(), "default");
  EXPECT_EQ((*tokenizer)->Encode("ab", false, false), std::vector<int32_t>{2});
}

TEST(TokenizerErrorTest, BpeWithoutMergesIsNotFound) {
  GgufWriter writer;
  writer.Set("tokenizer.ggml.model", GgufValue::String("gpt2"));
  writer.Set("tokenizer.ggml.pre", GgufValue::String("gpt-2"));
  writer.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"a", "b"}));
  auto tokenizer = FromWriter(writer);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kNotFound) << tokenizer.status();
  EXPECT_TRUE(absl::StrContains(tokenizer.status().message(), "merges"));
}

TEST(TokenizerErrorTest, WrongArrayTypesAreInvalidArgument) {
  GgufWriter writer;
  SetTinyBpe(writer);
  writer.Set("tokenizer.ggml.tokens", GgufValue::I32Array({1, 2, 3}));
  auto tokenizer = FromWriter(writer);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kInvalidArgument) << tokenizer.status();

  GgufWriter merges;
  SetTinyBpe(merges);
  merges.Set("tokenizer.ggml.merges", GgufValue::I32Array({1}));
  tokenizer = FromWriter(merges);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kInvalidArgument) << tokenizer.status();

  GgufWriter model;
  SetTinyBpe(model);
  model.Set("tokenizer.ggml.model", GgufValue::U32(2));
  tokenizer = FromWriter(model);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kInvalidArgument) << tokenizer.status();
}

TEST(TokenizerErrorTest, ShortScoresAndTypesAreDataLoss) {
  GgufWriter scores;
  SetTinyBpe(scores);
  scores.Set("tokenizer.ggml.scores", GgufValue::F32Array({0.0f, 1.0f}));
  auto tokenizer = FromWriter(scores);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kDataLoss) << tokenizer.status();

  GgufWriter types;
  SetTinyBpe(types);
  types.Set("tokenizer.ggml.token_type", GgufValue::I32Array({1}));
  tokenizer = FromWriter(types);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kDataLoss) << tokenizer.status();
}

TEST(TokenizerErrorTest, DuplicateTokensAreDataLoss) {
  GgufWriter writer;
  SetTinyBpe(writer);
  writer.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"a", "b", "a", "<|end|>"}));
  auto tokenizer = FromWriter(writer);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kDataLoss) << tokenizer.status();
  EXPECT_TRUE(absl::StrContains(tokenizer.status().message(), "duplicate"));
}

TEST(TokenizerErrorTest, AddBosWithoutBosIsDataLoss) {
  GgufWriter writer;
  SetTinyBpe(writer);
  writer.Set("tokenizer.ggml.add_bos_token", GgufValue::Bool(true));
  writer.Set("tokenizer.ggml.bos_token_id", GgufValue::U32(1000));  // Out of range.
  auto tokenizer = FromWriter(writer);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kDataLoss) << tokenizer.status();
}

TEST(TinyVocabularyTest, SpmWithoutByteTokensFallsBackToUnknown) {
  GgufWriter writer;
  writer.Set("tokenizer.ggml.model", GgufValue::String("llama"));
  writer.Set("tokenizer.ggml.tokens",
             GgufValue::StringArray({"<unk>", "<s>", "</s>", "\xe2\x96\x81", "a",
                                     "\xe2\x96\x81"
                                     "a"}));
  writer.Set("tokenizer.ggml.scores", GgufValue::F32Array({0, 0, 0, -1, -2, -0.5f}));
  writer.Set("tokenizer.ggml.token_type", GgufValue::I32Array({2, 3, 3, 1, 1, 1}));
  auto tokenizer = FromWriter(writer);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  const Tokenizer& t = **tokenizer;
  EXPECT_TRUE(t.add_bos());
  EXPECT_EQ(t.bos(), 1);
  EXPECT_EQ(t.Encode("a a", true, false), (std::vector<int32_t>{1, 5, 5}));
  EXPECT_EQ(t.Encode("a z", false, false), (std::vector<int32_t>{5, 3, 0}));
  EXPECT_EQ(t.Decode({5, 5}, false), "a a");  // The prefix space is dropped...
  // ...only from the first piece, as in llama.cpp, even when that piece is
  // an unrendered BOS.
  EXPECT_EQ(t.Decode({1, 5, 5}, false), " a a");
  EXPECT_EQ(t.Decode({1, 5, 5}, true), "<s> a a");
}

}  // namespace
}  // namespace strata
