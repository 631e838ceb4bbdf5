// Shared by the chat session tests: a make-model model (built once per test
// process) and helpers for contexts and greedy sessions on it.
#ifndef STRATA_TOOLS_CHAT_CHAT_SESSION_TEST_UTIL_H_
#define STRATA_TOOLS_CHAT_CHAT_SESSION_TEST_UTIL_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "runtime/inference_context.h"
#include "runtime/model/model.h"
#include "runtime/synthetic/synthetic_model.h"
#include "tests/support/fixtures.h"
#include "tools/chat/chat_session.h"

namespace strata::chat {

inline constexpr char kLongMessage[] =
    "Once upon a time, in a small village nestled between rolling hills and a quiet river, there "
    "lived an old clockmaker named Elias. Every morning he opened his workshop at dawn.";

class ChatModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (model_ != nullptr) return;
    path_ = new std::string(::strata::testing::ScratchDir() + "/chat_tiny.gguf");
    auto spec = PresetSpec("tiny");
    ASSERT_TRUE(spec.ok());
    ASSERT_TRUE(WriteSyntheticModel(*spec, *path_, 2).ok());
    auto model = Model::Load(*path_);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = model->release();
  }

  static const Model& model() { return *model_; }
  static const std::string& model_path() { return *path_; }

  static ContextOptions Context() {
    ContextOptions c;
    c.n_ctx = 256;
    c.n_batch = 64;
    c.n_threads = 2;
    return c;
  }
  static SessionOptions Options() {
    SessionOptions o;
    o.chat_template = ChatTemplate::kChatMl;
    o.max_reply_tokens = 24;
    o.sampling.temp = 0;  // Greedy: replies are reproducible.
    return o;
  }
  static std::unique_ptr<InferenceContext> NewContext(const ContextOptions& options = Context()) {
    auto ctx = InferenceContext::Create(*model_, options);
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    return ctx.ok() ? *std::move(ctx) : nullptr;
  }
  static std::unique_ptr<ChatSession> NewSession(InferenceContext* ctx) {
    auto session = ChatSession::Create(ctx, Options());
    EXPECT_TRUE(session.ok()) << session.status();
    return session.ok() ? *std::move(session) : nullptr;
  }

 private:
  static inline Model* model_ = nullptr;
  static inline std::string* path_ = nullptr;
};

}  // namespace strata::chat

#endif  // STRATA_TOOLS_CHAT_CHAT_SESSION_TEST_UTIL_H_
