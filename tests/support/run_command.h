// Runs a program (the built `strata` binary) in a child process and captures
// its exit code, stdout and stderr, for command-line tests.
#ifndef STRATA_TESTS_SUPPORT_RUN_COMMAND_H_
#define STRATA_TESTS_SUPPORT_RUN_COMMAND_H_

#include <string>
#include <vector>

namespace strata::testing {

struct CommandResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal.
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is a path) with extra environment entries "K=V".
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env = {});

// As RunCommand, but sends `signal` to the child after `delay_ms` (if it is
// still running), e.g. SIGINT to test Ctrl-C handling.
CommandResult RunCommandAndSignal(const std::vector<std::string>& argv, int signal, int delay_ms);

// Path of the built `strata` executable.
std::string StrataBinary();

// Runs the built `strata` with `args` (no argv[0]) and extra environment.
CommandResult RunStrata(std::vector<std::string> args,
                        const std::vector<std::string>& extra_env = {});

}  // namespace strata::testing

#endif  // STRATA_TESTS_SUPPORT_RUN_COMMAND_H_
