// /save and /load: a saved conversation continues exactly as the original
// would (same next reply, only new tokens evaluated), in the same process or
// a fresh one; corrupt, truncated, foreign or mismatched files are refused
// with a clear message and leave the session untouched.
#include "tools/chat/session_file.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tools/chat/chat_session.h"
#include "tools/chat/chat_session_test_util.h"

namespace strata::chat {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void Spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Re-seals a patched file with a valid checksum (FNV-1a 64 of all but the
// last 8 bytes), to reach the checks behind it.
void Reseal(std::string* bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i + 8 < bytes->size(); ++i) {
    h = (h ^ static_cast<uint8_t>((*bytes)[i])) * 0x100000001b3ull;
  }
  std::memcpy(bytes->data() + bytes->size() - 8, &h, 8);
}

std::string Scratch(const std::string& name) {
  return ::strata::testing::ScratchDir() + "/" + name;
}

TEST_F(ChatModelTest, SaveAndLoadContinueWithTheSameReply) {
  auto ctx = NewContext();
  auto session = NewSession(ctx.get());
  ASSERT_TRUE(session->Turn("Hello", [](absl::string_view) {}).ok());
  ASSERT_TRUE(session->Turn("Tell me more", [](absl::string_view) {}).ok());
  const std::string path = Scratch("round_trip.chat");
  ASSERT_TRUE(session->Save(path).ok());
  const int64_t saved_past = ctx->n_past();
  const auto saved_tokens = session->tokens();
  auto original = session->Turn("What next?", [](absl::string_view) {});
  ASSERT_TRUE(original.ok());

  // The same session, rewound.
  ASSERT_TRUE(session->Load(path).ok());
  EXPECT_EQ(ctx->n_past(), saved_past);
  EXPECT_EQ(session->tokens(), saved_tokens);
  EXPECT_EQ(session->messages().size(), 4u);
  auto again = session->Turn("What next?", [](absl::string_view) {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->reply, original->reply);
  EXPECT_EQ(again->reused_tokens, saved_past);
  EXPECT_FALSE(again->rerendered);

  // A fresh context (as in a new process).
  auto fresh_ctx = NewContext();
  auto fresh = NewSession(fresh_ctx.get());
  ASSERT_TRUE(fresh->Load(path).ok());
  auto continued = fresh->Turn("What next?", [](absl::string_view) {});
  ASSERT_TRUE(continued.ok());
  EXPECT_EQ(continued->reply, original->reply);
  EXPECT_EQ(continued->reused_tokens, saved_past);
  EXPECT_EQ(continued->prompt_tokens, again->prompt_tokens);
}

// An F16 cache saves its rows widened to F32 (the file format does not
// change) and loads them back exactly: the reloaded session's reply is the
// F16 original's. A file from an F16 cache also loads into an F32 cache
// (exactly widened values), which then continues from them.
TEST_F(ChatModelTest, AnF16CacheSavesAndLoadsLosslessly) {
  ContextOptions options = Context();
  options.kv.type = KvType::kF16;
  auto ctx = NewContext(options);
  ASSERT_EQ(ctx->kv().type(), KvType::kF16);
  auto session = NewSession(ctx.get());
  ASSERT_TRUE(session->Turn("Hello", [](absl::string_view) {}).ok());
  const std::string path = Scratch("f16.chat");
  ASSERT_TRUE(session->Save(path).ok());
  const int64_t saved_past = ctx->n_past();
  std::vector<float> k_saved(ctx->kv().k_dim(0)), v_saved(ctx->kv().v_dim(0));
  ASSERT_TRUE(ctx->kv().ReadRows(0, saved_past - 1, 1, k_saved.data(), v_saved.data()).ok());
  auto original = session->Turn("What next?", [](absl::string_view) {});
  ASSERT_TRUE(original.ok());

  auto fresh_ctx = NewContext(options);
  auto fresh = NewSession(fresh_ctx.get());
  ASSERT_TRUE(fresh->Load(path).ok());
  std::vector<float> k(k_saved.size()), v(v_saved.size());
  ASSERT_TRUE(fresh_ctx->kv().ReadRows(0, saved_past - 1, 1, k.data(), v.data()).ok());
  EXPECT_EQ(std::memcmp(k.data(), k_saved.data(), k.size() * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(v.data(), v_saved.data(), v.size() * sizeof(float)), 0);
  auto continued = fresh->Turn("What next?", [](absl::string_view) {});
  ASSERT_TRUE(continued.ok());
  EXPECT_EQ(continued->reply, original->reply);
  EXPECT_EQ(continued->reused_tokens, saved_past);

  auto f32_ctx = NewContext();
  auto f32 = NewSession(f32_ctx.get());
  ASSERT_TRUE(f32->Load(path).ok());
  ASSERT_TRUE(f32_ctx->kv().ReadRows(0, saved_past - 1, 1, k.data(), v.data()).ok());
  EXPECT_EQ(std::memcmp(k.data(), k_saved.data(), k.size() * sizeof(float)), 0);
}

// Seeded sampling: /load resumes the random generator where /save left it,
// so a reloaded session (even in a new process) draws the reply the original
// drew (without the restore it draws another: checked by disabling it).
TEST_F(ChatModelTest, SeededSamplingContinuesAfterLoad) {
  SessionOptions o = Options();
  o.sampling.temp = 1.5f;
  o.sampling.top_k = 0;
  o.sampling.top_p = 1.0f;
  o.sampling.min_p = 0.0f;
  o.sampling.seed = 7;
  auto ctx = NewContext();
  auto session = ChatSession::Create(ctx.get(), o);
  ASSERT_TRUE(session.ok()) << session.status();
  ASSERT_TRUE((*session)->Turn("Hello", [](absl::string_view) {}).ok());
  const std::string path = Scratch("seeded.chat");
  ASSERT_TRUE((*session)->Save(path).ok());
  auto original = (*session)->Turn("What next?", [](absl::string_view) {});
  ASSERT_TRUE(original.ok());

  auto fresh_ctx = NewContext();
  auto fresh = ChatSession::Create(fresh_ctx.get(), o);
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE((*fresh)->Load(path).ok());
  auto continued = (*fresh)->Turn("What next?", [](absl::string_view) {});
  ASSERT_TRUE(continued.ok());
  EXPECT_EQ(continued->reply, original->reply);
}

TEST_F(ChatModelTest, CorruptAndMismatchedFilesAreRefused) {
  auto ctx = NewContext();
  auto session = NewSession(ctx.get());
  ASSERT_TRUE(session->Turn("Hello", [](absl::string_view) {}).ok());
  const std::string good = Scratch("good.chat");
  ASSERT_TRUE(session->Save(good).ok());
  const std::string bytes = Slurp(good);
  ASSERT_TRUE(session->Turn("More", [](absl::string_view) {}).ok());
  const auto messages = session->messages();
  const auto tokens = session->tokens();
  const int64_t n_past = ctx->n_past();

  auto expect_refused = [&](const std::string& name, const std::string& contents,
                            absl::StatusCode code, const std::string& needle) {
    const std::string path = Scratch(name);
    Spit(path, contents);
    const absl::Status s = session->Load(path);
    EXPECT_EQ(s.code(), code) << name << ": " << s;
    EXPECT_TRUE(absl::StrContains(s.message(), needle)) << name << ": " << s;
    // Untouched.
    EXPECT_EQ(session->messages().size(), messages.size()) << name;
    EXPECT_EQ(session->tokens(), tokens) << name;
    EXPECT_EQ(ctx->n_past(), n_past) << name;
  };

  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x40;
  expect_refused("flipped.chat", flipped, absl::StatusCode::kDataLoss, "checksum mismatch");
  expect_refused("truncated.chat", bytes.substr(0, bytes.size() - 100), absl::StatusCode::kDataLoss,
                 "checksum");
  expect_refused("tiny.chat", bytes.substr(0, 10), absl::StatusCode::kDataLoss, "truncated");
  expect_refused("text.chat", "hello, I am not a session file at all", absl::StatusCode::kDataLoss,
                 "not a strata chat session file");
  std::string future = bytes;
  future[8] = 3;  // Version 3.
  Reseal(&future);
  expect_refused("future.chat", future, absl::StatusCode::kFailedPrecondition, "version 3");
  std::string other_model = bytes;
  other_model[16] ^= 1;  // The model fingerprint.
  Reseal(&other_model);
  expect_refused("other_model.chat", other_model, absl::StatusCode::kFailedPrecondition,
                 "different model");
  EXPECT_TRUE(absl::IsNotFound(session->Load(Scratch("missing.chat"))));

  // A context too small for the saved conversation.
  ContextOptions small = Context();
  small.n_ctx = 16;
  auto small_ctx = NewContext(small);
  auto small_session = NewSession(small_ctx.get());
  const absl::Status s = small_session->Load(good);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "-c ")) << s;

  // And the good file still loads.
  ASSERT_TRUE(session->Load(good).ok());
  EXPECT_EQ(session->messages().size(), 2u);
}

TEST_F(ChatModelTest, AFileFromAnotherModelIsRefused) {
  SyntheticModelSpec spec = *PresetSpec("tiny");
  spec.seed = 4242;  // Same header, other weights.
  const std::string other_path = Scratch("other_tiny.gguf");
  ASSERT_TRUE(WriteSyntheticModel(spec, other_path, 2).ok());
  auto other = Model::Load(other_path);
  ASSERT_TRUE(other.ok());
  auto other_ctx = InferenceContext::Create(**other, Context());
  ASSERT_TRUE(other_ctx.ok());
  auto other_session = ChatSession::Create(other_ctx->get(), Options());
  ASSERT_TRUE(other_session.ok());
  ASSERT_TRUE((*other_session)->Turn("Hi", [](absl::string_view) {}).ok());
  const std::string path = Scratch("from_other.chat");
  ASSERT_TRUE((*other_session)->Save(path).ok());

  auto ctx = NewContext();
  auto session = NewSession(ctx.get());
  const absl::Status s = session->Load(path);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "different model")) << s;
}

}  // namespace
}  // namespace strata::chat
