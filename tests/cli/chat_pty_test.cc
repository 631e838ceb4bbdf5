// `strata chat` driven through a pseudo-terminal (forkpty), as a person
// uses it: libedit reads the lines, replies stream, Ctrl-C and Ctrl-D are
// the terminal's control characters. On a make-model model with greedy
// sampling: two turns where the second evaluates only its new tokens,
// /stats, /save + /load giving the same next reply (in the same process and
// in a new one), Ctrl-C stopping an endless reply and returning to the
// prompt, Ctrl-C at an empty prompt and Ctrl-D exiting with status 0, and
// the history file written to $STRATA_CACHE_DIR.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "tests/support/fixtures.h"
#include "tests/support/run_command.h"

namespace strata {
namespace {

using ::strata::testing::ScratchDir;
using ::strata::testing::StrataBinary;

constexpr auto kTimeout = std::chrono::seconds(60);

// One `strata chat` process on the slave side of a pty.
class PtyChat {
 public:
  PtyChat(const std::vector<std::string>& args, const std::string& cache_dir) {
    const std::string binary = StrataBinary();
    pid_ = ::forkpty(&fd_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      ::setenv("STRATA_CACHE_DIR", cache_dir.c_str(), 1);
      ::setenv("TERM", "xterm", 1);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(binary.c_str()));
      argv.push_back(const_cast<char*>("chat"));
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      std::_Exit(127);
    }
  }
  ~PtyChat() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }

  bool started() const { return pid_ > 0; }
  // Everything the terminal showed so far, carriage returns removed.
  const std::string& screen() const { return screen_; }

  // Reads until `needle` appears after offset `from` (default: where the last
  // Expect ended); false on timeout or exit.
  bool Expect(const std::string& needle) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    for (;;) {
      const size_t at = screen_.find(needle, cursor_);
      if (at != std::string::npos) {
        cursor_ = at + needle.size();
        return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !ReadSome(static_cast<int>(left.count()))) return false;
    }
  }
  // Reads until `bytes` more have arrived; false on timeout or exit.
  bool ReadAtLeast(size_t bytes) {
    const size_t want = screen_.size() + bytes;
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (screen_.size() < want) {
      if (std::chrono::steady_clock::now() > deadline || !ReadSome(1000)) return false;
    }
    return true;
  }
  // Waits for the prompt, then types `text` and Enter.
  void Type(const std::string& text) {
    // libedit switches the terminal to raw mode after printing the prompt:
    // a moment's pause keeps the kernel from echoing the line too.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Write(text + "\r");
  }
  void Write(const std::string& bytes) {
    ASSERT_EQ(::write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // The exit status once the process ends (-1 on timeout or a signal).
  int Wait() {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      ReadSome(50);
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        while (ReadSome(10)) {
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
    }
    return -1;
  }

 private:
  bool ReadSome(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buffer[4096];
    const ssize_t n = ::read(fd_, buffer, sizeof(buffer));
    if (n <= 0) return false;
    screen_ += absl::StrReplaceAll(std::string(buffer, n), {{"\r", ""}});
    return true;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  std::string screen_;
  size_t cursor_ = 0;
};

// The reply printed after typing `message`: the text between the echoed
// line and the turn statistics.
std::string ReplyAfter(const std::string& screen, size_t from, const std::string& message) {
  const size_t start = screen.find(message + "\n", from);
  if (start == std::string::npos) return "<no echo>";
  const size_t body = start + message.size() + 1;
  const size_t end = screen.find("\n[turn ", body);
  if (end == std::string::npos) return "<no turn line>";
  return screen.substr(body, end - body);
}

// "[turn N: X new prompt tokens (Y reused" → {X, Y}.
std::pair<int, int> TurnCounts(const std::string& screen, int turn) {
  const std::string tag = absl::StrCat("[turn ", turn, ": ");
  const size_t at = screen.find(tag);
  if (at == std::string::npos) return {-1, -1};
  int x = -1, y = -1;
  const size_t p = at + tag.size();
  const size_t sp = screen.find(' ', p);
  (void)absl::SimpleAtoi(screen.substr(p, sp - p), &x);
  const size_t paren = screen.find('(', sp);
  const size_t sp2 = screen.find(' ', paren);
  (void)absl::SimpleAtoi(screen.substr(paren + 1, sp2 - paren - 1), &y);
  return {x, y};
}

class ChatPtyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = new std::string(ScratchDir() + "/chat_pty_tiny.gguf");
    const auto r = ::strata::testing::RunCommand(
        {StrataBinary(), "make-model", "--preset", "tiny", "--seed", "3", "-q", "-o", *model_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void SetUp() override {
    cache_ =
        ScratchDir() + "/cache_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(cache_);
  }
  std::vector<std::string> Args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"-m", *model_, "--temp", "0",           "-n",
                                     "12", "-t",    "2",      "--ignore-eos"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  static std::string* model_;
  std::string cache_;
};
std::string* ChatPtyTest::model_;

TEST_F(ChatPtyTest, TwoTurnsStatsSaveLoadAndCtrlD) {
  const std::string saved = cache_ + "/conversation.chat";
  std::string after_save;
  {
    PtyChat chat(Args({"--predictor", "gate"}), cache_);
    ASSERT_TRUE(chat.started());
    ASSERT_TRUE(chat.Expect("> ")) << chat.screen();
    chat.Type("Hello there");
    ASSERT_TRUE(chat.Expect("[turn 1: ")) << chat.screen();
    ASSERT_TRUE(chat.Expect("> ")) << chat.screen();
    chat.Type("Tell me about the river");
    ASSERT_TRUE(chat.Expect("[turn 2: ")) << chat.screen();
    ASSERT_TRUE(chat.Expect("> ")) << chat.screen();
    // The second turn reused the first one's cache and evaluated only its own
    // tokens.
    const auto [new1, reused1] = TurnCounts(chat.screen(), 1);
    const auto [new2, reused2] = TurnCounts(chat.screen(), 2);
    EXPECT_EQ(reused1, 0) << chat.screen();
    // 12 reply tokens, the last one pending (evaluated with turn 2's).
    EXPECT_EQ(reused2, new1 + 11) << chat.screen();
    EXPECT_GT(new2, 0);
    EXPECT_LT(new2, reused2) << chat.screen();

    chat.Type("/stats");
    ASSERT_TRUE(chat.Expect("predictor: gate, recall ")) << chat.screen();
    for (const char* needle : {"context:", "dense", "expert", "kv ", "KV cache (f32):", "hit%"}) {
      EXPECT_TRUE(absl::StrContains(chat.screen(), needle)) << needle << "\n" << chat.screen();
    }
    ASSERT_TRUE(chat.Expect("> ")) << chat.screen();
    chat.Type("/save " + saved);
    ASSERT_TRUE(chat.Expect("[saved 4 messages")) << chat.screen();
    ASSERT_TRUE(chat.Expect("> "));
    size_t mark = chat.screen().size();
    chat.Type("What happened next?");
    ASSERT_TRUE(chat.Expect("[turn 3: ")) << chat.screen();
    after_save = ReplyAfter(chat.screen(), mark, "What happened next?");
    ASSERT_TRUE(chat.Expect("> "));
    chat.Type("/load " + saved);
    ASSERT_TRUE(chat.Expect("[loaded 4 messages")) << chat.screen();
    ASSERT_TRUE(chat.Expect("> "));
    mark = chat.screen().size();
    chat.Type("What happened next?");
    ASSERT_TRUE(chat.Expect("[turn 4: ")) << chat.screen();
    EXPECT_EQ(ReplyAfter(chat.screen(), mark, "What happened next?"), after_save);
    const auto [new4, reused4] = TurnCounts(chat.screen(), 4);
    const auto [new3, reused3] = TurnCounts(chat.screen(), 3);
    EXPECT_EQ(new4, new3);
    EXPECT_EQ(reused4, reused3);
    ASSERT_TRUE(chat.Expect("> "));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    chat.Write("\x04");  // Ctrl-D.
    EXPECT_EQ(chat.Wait(), 0) << chat.screen();
  }
  // A new process continues the saved conversation the same way.
  {
    PtyChat chat(Args(), cache_);
    ASSERT_TRUE(chat.Expect("> "));
    chat.Type("/load " + saved);
    ASSERT_TRUE(chat.Expect("[loaded 4 messages")) << chat.screen();
    ASSERT_TRUE(chat.Expect("> "));
    const size_t mark = chat.screen().size();
    chat.Type("What happened next?");
    ASSERT_TRUE(chat.Expect("[turn 1: ")) << chat.screen();
    EXPECT_EQ(ReplyAfter(chat.screen(), mark, "What happened next?"), after_save);
    ASSERT_TRUE(chat.Expect("> "));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    chat.Write("\x04");
    EXPECT_EQ(chat.Wait(), 0) << chat.screen();
  }
  // The history was kept.
  std::ifstream history(cache_ + "/chat_history");
  const std::string lines((std::istreambuf_iterator<char>(history)), {});
  EXPECT_TRUE(absl::StrContains(lines, "Tell") && absl::StrContains(lines, "river")) << lines;
}

TEST_F(ChatPtyTest, CtrlCStopsAReplyAndAtAnEmptyPromptQuits) {
  // --ignore-eos and --context-shift: the reply never ends by itself.
  PtyChat chat(Args({"-n", "-1", "--context-shift", "-c", "256"}), cache_);
  ASSERT_TRUE(chat.Expect("> ")) << chat.screen();
  chat.Type("Talk forever");
  // Let it generate well past the 256-token context (a few shifts), then
  // interrupt.
  ASSERT_TRUE(chat.ReadAtLeast(3000)) << chat.screen();
  chat.Write("\x03");
  ASSERT_TRUE(chat.Expect("(interrupted)")) << chat.screen();
  ASSERT_TRUE(chat.Expect("> ")) << chat.screen();
  EXPECT_TRUE(absl::StrContains(chat.screen(), "context shifted")) << chat.screen();
  // The conversation goes on after the interruption.
  chat.Type("/set top-k 1");
  ASSERT_TRUE(chat.Expect("top-k 1")) << chat.screen();
  ASSERT_TRUE(chat.Expect("> "));
  // Ctrl-C with text on the line clears it; at an empty prompt it quits.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  chat.Write("half a thought");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  chat.Write("\x03");
  ASSERT_TRUE(chat.Expect("^C")) << chat.screen();
  ASSERT_TRUE(chat.Expect("> ")) << chat.screen();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  chat.Write("\x03");
  EXPECT_EQ(chat.Wait(), 0) << chat.screen();
}

TEST_F(ChatPtyTest, UnknownTemplateAndBadFlagsAreOneClearError) {
  const auto r = ::strata::testing::RunCommand(
      {StrataBinary(), "chat", "-m", *model_, "--chat-template", "vicuna"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "unknown chat template 'vicuna'")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "chatml")) << r.err;
  const auto spill = ::strata::testing::RunCommand(
      {StrataBinary(), "chat", "-m", *model_, "--kv-spill-type", "q4"});
  EXPECT_EQ(spill.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(spill.err, "f32, f16, q8_0")) << spill.err;
}

// Piped input works too (no terminal: plain reads), which scripts use.
TEST_F(ChatPtyTest, PipedInputChats) {
  const std::string input = cache_ + "/input.txt";
  std::ofstream(input) << "Hello\n/stats\nAgain\n";
  const auto r = ::strata::testing::RunCommand(
      {"/bin/sh", "-c",
       absl::StrCat(StrataBinary(), " chat -m ", *model_, " --temp 0 -n 8 -t 2 < ", input)},
      {"STRATA_CACHE_DIR=" + cache_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "[turn 2: ")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "KV cache (f32):")) << r.out;
}

}  // namespace
}  // namespace strata
