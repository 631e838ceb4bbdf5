// Entry points of the `strata` subcommands. Each parses its own flags from
// argv[2..], prints one clear error line on failure, and returns the process
// exit code (0 success, 1 error, 2 usage error, 130 interrupted).
#ifndef STRATA_TOOLS_COMMANDS_COMMANDS_H_
#define STRATA_TOOLS_COMMANDS_COMMANDS_H_

namespace strata::cli {

int RunCommand(int argc, char** argv);
int ChatCommand(int argc, char** argv);
int InspectCommand(int argc, char** argv);
int BenchCommand(int argc, char** argv);
int MakeModelCommand(int argc, char** argv);
int ProfileCommand(int argc, char** argv);
int ReplayCommand(int argc, char** argv);

}  // namespace strata::cli

#endif  // STRATA_TOOLS_COMMANDS_COMMANDS_H_
