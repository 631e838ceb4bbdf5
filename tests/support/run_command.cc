#include "tests/support/run_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/support/fixtures.h"

extern char** environ;

namespace strata::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string StrataBinary() { return BinaryDir() + "/strata"; }

namespace {

CommandResult RunImpl(const std::vector<std::string>& argv,
                      const std::vector<std::string>& extra_env, int signal, int delay_ms) {
  static int counter = 0;
  const std::string base =
      ScratchDir() + "/cmd_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string out_path = base + ".out";
  const std::string err_path = base + ".err";
  CommandResult result;
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::dup2(in, 0);
    for (const std::string& kv : extra_env) ::putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execve(args[0], args.data(), environ);
    std::_Exit(127);
  }
  int status = 0;
  if (signal != 0) {
    ::usleep(static_cast<useconds_t>(delay_ms) * 1000);
    if (::waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, signal);
      ::waitpid(pid, &status, 0);
    }
  } else {
    ::waitpid(pid, &status, 0);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = Slurp(out_path);
  result.err = Slurp(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return result;
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env) {
  return RunImpl(argv, extra_env, 0, 0);
}

CommandResult RunCommandAndSignal(const std::vector<std::string>& argv, int signal, int delay_ms) {
  return RunImpl(argv, {}, signal, delay_ms);
}

CommandResult RunStrata(std::vector<std::string> args, const std::vector<std::string>& extra_env) {
  args.insert(args.begin(), StrataBinary());
  return RunCommand(args, extra_env);
}

}  // namespace strata::testing
