// The chat session on a make-model model: a turn evaluates only its new
// tokens; failures (a full disk, a context that is full, an interrupt) leave
// the conversation as it was; context shift keeps going; /system re-renders.
#include "tools/chat/chat_session.h"

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "runtime/model/model.h"
#include "runtime/synthetic/synthetic_model.h"
#include "storage/testing/fault_injecting_spill_file.h"
#include "tests/support/fixtures.h"
#include "tools/chat/chat_session_test_util.h"

namespace strata::chat {
namespace {

using ::strata::testing::FaultInjectingSpillFile;

TEST_F(ChatModelTest, SecondTurnEvaluatesOnlyItsNewTokens) {
  auto ctx = NewContext();
  auto session = NewSession(ctx.get());
  auto first = session->Turn("Hello there", [](absl::string_view) {});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->reused_tokens, 0);
  EXPECT_FALSE(first->rerendered);
  const int64_t cached = ctx->n_past();
  const size_t pending = session->tokens().size() - cached;
  EXPECT_LE(pending, 1u);
  EXPECT_EQ(session->messages().size(), 2u);

  auto second = session->Turn("And then?", [](absl::string_view) {});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->rerendered);
  EXPECT_EQ(second->reused_tokens, cached);
  // Exactly the pending token, the reply's closing and the new turn.
  const std::vector<int32_t> delta = model().tokenizer().Encode(
      "<|im_end|>\n<|im_start|>user\nAnd then?<|im_end|>\n<|im_start|>assistant\n", false, true);
  EXPECT_EQ(second->prompt_tokens, static_cast<int64_t>(pending + delta.size()));
  EXPECT_EQ(session->messages().size(), 4u);
  EXPECT_EQ(session->messages()[2].content, "And then?");
}

TEST_F(ChatModelTest, RepliesDoNotDependOnHowTheCacheWasFilled) {
  // Two sessions, one reset in between: the same conversation, the same reply.
  auto ctx_a = NewContext();
  auto a = NewSession(ctx_a.get());
  ASSERT_TRUE(a->Turn("one", [](absl::string_view) {}).ok());
  auto a2 = a->Turn("two", [](absl::string_view) {});
  ASSERT_TRUE(a2.ok());
  auto ctx_b = NewContext();
  auto b = NewSession(ctx_b.get());
  ASSERT_TRUE(b->Turn("something else", [](absl::string_view) {}).ok());
  b->Reset();
  EXPECT_EQ(ctx_b->n_past(), 0);
  ASSERT_TRUE(b->Turn("one", [](absl::string_view) {}).ok());
  auto b2 = b->Turn("two", [](absl::string_view) {});
  ASSERT_TRUE(b2.ok());
  EXPECT_EQ(a2->reply, b2->reply);
  EXPECT_EQ(a->tokens(), b->tokens());
}

TEST_F(ChatModelTest, ContextFullIsRefusedWithoutShiftAndShiftedWithIt) {
  ContextOptions small = Context();
  small.n_ctx = 64;
  auto ctx = NewContext(small);
  auto session = NewSession(ctx.get());
  // About 25 tokens with the template: two turns and their replies overflow.
  const std::string longer = "the quick brown fox jumps";
  absl::Status failure;
  for (int i = 0; i < 10 && failure.ok(); ++i) {
    failure = session->Turn(longer, [](absl::string_view) {}).status();
  }
  ASSERT_TRUE(absl::IsOutOfRange(failure)) << failure;
  EXPECT_TRUE(absl::StrContains(failure.message(), "--context-shift")) << failure;
  const auto messages = session->messages();
  const auto tokens = session->tokens();
  EXPECT_FALSE(session->Turn(longer, [](absl::string_view) {}).ok());
  EXPECT_EQ(session->messages().size(), messages.size());
  EXPECT_EQ(session->tokens(), tokens);

  auto shifting_ctx = NewContext(small);
  SessionOptions options = Options();
  options.context_shift = true;
  options.keep = 4;
  auto shifting = ChatSession::Create(shifting_ctx.get(), options);
  ASSERT_TRUE(shifting.ok());
  int64_t shifted = 0;
  for (int i = 0; i < 6; ++i) {
    auto r = (*shifting)->Turn(longer, [](absl::string_view) {});
    ASSERT_TRUE(r.ok()) << r.status();
    shifted += r->shifted_tokens;
    EXPECT_LE(shifting_ctx->n_past(), 64);
  }
  EXPECT_GT(shifted, 0);
  // The attention sinks stayed where they were.
  EXPECT_EQ(std::vector<int32_t>((*shifting)->tokens().begin(), (*shifting)->tokens().begin() + 4),
            std::vector<int32_t>(tokens.begin(), tokens.begin() + 4));
}

TEST_F(ChatModelTest, SystemPromptChangeReRendersAndReusesTheCommonPrefix) {
  auto ctx = NewContext();
  SessionOptions options = Options();
  options.system_prompt = "You are brief.";
  auto session = ChatSession::Create(ctx.get(), options);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE((*session)->Turn("Hi", [](absl::string_view) {}).ok());
  (*session)->SetSystemPrompt("You are verbose.");
  auto r = (*session)->Turn("Again", [](absl::string_view) {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->rerendered);
  EXPECT_GT(r->reused_tokens, 0);  // "<|im_start|>system\nYou are"
  EXPECT_EQ((*session)->messages().front().content, "You are verbose.");
}

TEST_F(ChatModelTest, InterruptBeforeTheReplyDropsTheMessage) {
  auto ctx = NewContext();
  auto session = NewSession(ctx.get());
  ASSERT_TRUE(session->Turn("Hello", [](absl::string_view) {}).ok());
  const auto tokens = session->tokens();
  std::atomic<bool> cancel{true};
  session->set_cancel_flag(&cancel);
  auto r = session->Turn("Ignored", [](absl::string_view) {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->discarded);
  EXPECT_EQ(session->messages().size(), 2u);
  EXPECT_EQ(session->tokens(), tokens);
  cancel = false;
  auto again = session->Turn("Hello again", [](absl::string_view) {});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->rerendered);
}

// A full disk in the middle of a turn: the turn fails with a clear error,
// the conversation is unchanged, and once there is room the same message
// gets the reply an undisturbed session gives.
TEST_F(ChatModelTest, DiskFullDuringATurnLeavesTheConversationIntact) {
  FaultInjectingSpillFile* faults = nullptr;
  // 256 positions in blocks of 16: one layer's 16 blocks plus one fit in
  // RAM, so a conversation past ~136 tokens spills.
  ContextOptions spilling = Context();
  spilling.kv.block_tokens = 16;
  spilling.kv.ram_budget_bytes = (256 / 16 + 1) * 4096;
  const std::string message = std::string(kLongMessage) + " " + kLongMessage;
  spilling.kv.spill_dir = ::strata::testing::ScratchDir();
  spilling.kv.open_spill_file =
      [&](const std::string& dir) -> absl::StatusOr<std::unique_ptr<SpillFile>> {
    auto file = FaultInjectingSpillFile::Create(dir);
    if (!file.ok()) return file.status();
    faults = file->get();
    return std::unique_ptr<SpillFile>(std::move(*file));
  };
  auto ctx = NewContext(spilling);
  auto session = NewSession(ctx.get());
  ASSERT_NE(faults, nullptr);
  ASSERT_TRUE(session->Turn(message, [](absl::string_view) {}).ok());
  ASSERT_GT(ctx->kv_stats().pool.writes, 0u);
  const auto messages = session->messages();
  const auto tokens = session->tokens();
  faults->SetCapacity(0);
  auto failed = session->Turn("And the old clockmaker?", [](absl::string_view) {});
  ASSERT_TRUE(absl::IsResourceExhausted(failed.status())) << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "disk full")) << failed.status();
  EXPECT_EQ(session->messages().size(), messages.size());
  EXPECT_EQ(session->tokens(), tokens);
  faults->ClearFaults();
  auto retried = session->Turn("And the old clockmaker?", [](absl::string_view) {});
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_FALSE(retried->rerendered);

  auto clean_ctx = NewContext();
  auto clean = NewSession(clean_ctx.get());
  ASSERT_TRUE(clean->Turn(message, [](absl::string_view) {}).ok());
  auto expected = clean->Turn("And the old clockmaker?", [](absl::string_view) {});
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(retried->reply, expected->reply);
}

}  // namespace
}  // namespace strata::chat
