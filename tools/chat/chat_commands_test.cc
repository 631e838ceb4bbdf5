#include "tools/chat/chat_commands.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace strata::chat {
namespace {

TEST(ChatCommandsTest, ParsesEveryCommand) {
  EXPECT_TRUE(IsChatCommand("  /help"));
  EXPECT_FALSE(IsChatCommand("hello /help"));
  EXPECT_EQ(ParseChatCommand("/help")->kind, CommandKind::kHelp);
  EXPECT_EQ(ParseChatCommand("/reset")->kind, CommandKind::kReset);
  EXPECT_EQ(ParseChatCommand("/stats")->kind, CommandKind::kStats);
  EXPECT_EQ(ParseChatCommand("/quit")->kind, CommandKind::kQuit);
  auto save = ParseChatCommand("/save  my chat.bin ");
  ASSERT_TRUE(save.ok());
  EXPECT_EQ(save->kind, CommandKind::kSave);
  EXPECT_EQ(save->arg, "my chat.bin");
  EXPECT_EQ(ParseChatCommand("/load x")->kind, CommandKind::kLoad);
  auto set = ParseChatCommand("/set temp 0.5");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->key, "temp");
  EXPECT_EQ(set->value, "0.5");
  auto system = ParseChatCommand("/system You are terse.");
  EXPECT_EQ(system->kind, CommandKind::kSystem);
  EXPECT_EQ(system->arg, "You are terse.");
  EXPECT_EQ(ParseChatCommand("/system")->arg, "");
}

TEST(ChatCommandsTest, MalformedCommandsExplainThemselves) {
  EXPECT_TRUE(absl::StrContains(ParseChatCommand("/save").status().message(), "/save FILE"));
  EXPECT_TRUE(absl::StrContains(ParseChatCommand("/set temp").status().message(), "usage"));
  EXPECT_TRUE(absl::StrContains(ParseChatCommand("/frobnicate").status().message(), "/help"));
}

TEST(ChatCommandsTest, SetChangesOneSettingAndChecksIt) {
  sampling::SamplingParams p;
  ASSERT_TRUE(ApplySetting("temp", "0", &p).ok());
  EXPECT_EQ(p.temp, 0.0f);
  ASSERT_TRUE(ApplySetting("top-k", "5", &p).ok());
  EXPECT_EQ(p.top_k, 5);
  ASSERT_TRUE(ApplySetting("top-p", "0.5", &p).ok());
  ASSERT_TRUE(ApplySetting("min-p", "0.1", &p).ok());
  EXPECT_FLOAT_EQ(p.min_p, 0.1f);
  ASSERT_TRUE(ApplySetting("seed", "42", &p).ok());
  EXPECT_EQ(p.seed, 42u);
  EXPECT_FALSE(ApplySetting("top-k", "-1", &p).ok());
  EXPECT_FALSE(ApplySetting("top-p", "2", &p).ok());
  EXPECT_FALSE(ApplySetting("temp", "hot", &p).ok());
  EXPECT_TRUE(absl::StrContains(ApplySetting("mirostat", "2", &p).message(), "unknown setting"));
  EXPECT_EQ(DescribeSampling(p), "temp 0, top-k 5, top-p 0.5, min-p 0.1, seed 42");
}

}  // namespace
}  // namespace strata::chat
