// Unit tests for the pieces under the tokenizer: UTF-8 decoding, GPT-2's
// byte table, the PCRE2 wrapper and the pre-tokenizer splits.
#include "runtime/tokenizer/pre_tokenizer.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/tokenizer/byte_unicode.h"
#include "runtime/tokenizer/pcre_regex.h"
#include "runtime/tokenizer/utf8.h"

namespace strata {
namespace {

using ::testing::ElementsAre;

TEST(Utf8Test, DecodesLikeLlamaCpp) {
  EXPECT_THAT(DecodeUtf8("a\xc3\xa9\xe4\xba\xba\xf0\x9f\x9a\x80"),
              ElementsAre('a', 0xE9, 0x4EBA, 0x1F680));
  // Malformed: each byte that starts no valid sequence is U+FFFD.
  EXPECT_THAT(DecodeUtf8("\xff\x80"), ElementsAre(0xFFFD, 0xFFFD));
  EXPECT_THAT(DecodeUtf8("\xe4\xbd"), ElementsAre(0xFFFD, 0xFFFD));
  EXPECT_THAT(DecodeUtf8("\xe4x"), ElementsAre(0xFFFD, 'x'));
  // Lenient: overlong forms and surrogates decode.
  EXPECT_THAT(DecodeUtf8("\xc0\x80"), ElementsAre(0));
  EXPECT_THAT(DecodeUtf8("\xed\xa0\x80"), ElementsAre(0xD800));
  std::string out;
  AppendUtf8(0x1F680, &out);
  AppendUtf8(0x110000, &out);
  EXPECT_EQ(out, "\xf0\x9f\x9a\x80\xef\xbf\xbd");
}

TEST(ByteUnicodeTest, MatchesGpt2Table) {
  std::set<uint32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const uint32_t cpt = ByteToCodepoint(static_cast<uint8_t>(b));
    seen.insert(cpt);
    EXPECT_EQ(CodepointToByte(cpt), static_cast<uint8_t>(b));
  }
  EXPECT_EQ(seen.size(), 256u);
  EXPECT_EQ(ByteToCodepoint('A'), static_cast<uint32_t>('A'));
  EXPECT_EQ(ByteToUtf8(' '), "\xc4\xa0");    // 'Ġ' U+0120
  EXPECT_EQ(ByteToUtf8('\n'), "\xc4\x8a");   // 'Ċ' U+010A
  EXPECT_EQ(ByteToCodepoint(0xAD), 0x143u);  // The last remapped byte.
  EXPECT_FALSE(CodepointToByte(0x144).has_value());
  EXPECT_FALSE(CodepointToByte(' ').has_value());
  std::string encoded;
  AppendByteEncoded("a b", &encoded);
  EXPECT_EQ(encoded,
            "a\xc4\xa0"
            "b");
}

TEST(PcreRegexTest, CompileErrorsAreInvalidArgument) {
  auto regex = PcreRegex::Compile("(unclosed");
  EXPECT_EQ(regex.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(regex.status().message(), "offset")) << regex.status();
}

TEST(PcreRegexTest, UnicodeClassesAndEndOnlyDollar) {
  auto letters = PcreRegex::Compile(R"(\p{L}+)");
  ASSERT_TRUE(letters.ok());
  std::vector<std::pair<size_t, size_t>> matches;
  letters->ForEachMatch("ab 日本 1", [&](size_t b, size_t e) { matches.push_back({b, e}); });
  EXPECT_THAT(matches, ElementsAre(std::make_pair(0u, 2u), std::make_pair(3u, 9u)));

  // `$` is the end of the subject only (ECMAScript), not before a final \n.
  auto trailing = PcreRegex::Compile(R"(\s+$)");
  ASSERT_TRUE(trailing.ok());
  matches.clear();
  trailing->ForEachMatch("a \nb", [&](size_t b, size_t e) { matches.push_back({b, e}); });
  EXPECT_TRUE(matches.empty());
}

std::vector<std::string> Split(absl::string_view pre, absl::string_view text) {
  auto spec = FindPreTokenizerSpec(pre);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok()) return {};
  auto pre_tokenizer = PreTokenizer::Create(*spec);
  EXPECT_TRUE(pre_tokenizer.ok()) << pre_tokenizer.status();
  if (!pre_tokenizer.ok()) return {};
  return (*pre_tokenizer)->SplitToStrings(text);
}

TEST(PreTokenizerTest, EveryKnownSpecCompiles) {
  for (const std::string& name : KnownPreTokenizerNames()) {
    auto spec = FindPreTokenizerSpec(name);
    ASSERT_TRUE(spec.ok()) << name;
    EXPECT_TRUE(PreTokenizer::Create(*spec).ok()) << name;
  }
}

TEST(PreTokenizerTest, Gpt2) {
  EXPECT_THAT(Split("gpt-2", "Hello world's  fine\n\nok"),
              ElementsAre("Hello", " world", "'s", " ", " fine", "\n", "\n", "ok"));
  EXPECT_THAT(Split("gpt-2", "a123 !!"), ElementsAre("a", "123", " !!"));
}

TEST(PreTokenizerTest, Llama3GroupsDigitsByThree) {
  EXPECT_THAT(Split("llama-bpe", "12345 HE'LL"), ElementsAre("123", "45", " HE", "'LL"));
  EXPECT_THAT(Split("llama3", "x  \n\n y"), ElementsAre("x", "  \n\n", " y"));
}

TEST(PreTokenizerTest, Qwen2SplitsEveryDigit) {
  EXPECT_THAT(Split("qwen2", "v12 我们"), ElementsAre("v", "1", "2", " 我们"));
}

TEST(PreTokenizerTest, SequentialExpressionsKeepUnmatchedText) {
  // deepseek-coder: newline first, then letters, punctuation, CJK, digits;
  // whatever no expression matches (here the space before "1") survives.
  EXPECT_THAT(Split("deepseek-coder", "ab\n12 cd"), ElementsAre("ab", "\n", "1", "2", " cd"));
  // deepseek-llm: trailing whitespace is one piece (`\s+$`).
  EXPECT_THAT(Split("deepseek-llm", "Hi  "), ElementsAre("Hi", "  "));
}

TEST(PreTokenizerTest, EmptyNameIsDefaultAndUnknownIsUnimplemented) {
  auto spec = FindPreTokenizerSpec("");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->name, "default");
  auto unknown = FindPreTokenizerSpec("nope");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "qwen2"));
}

}  // namespace
}  // namespace strata
