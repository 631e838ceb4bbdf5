// The `strata` command: dispatches to the subcommands.
#include <cstdio>
#include <cstring>
#include <exception>

#include "tools/commands/commands.h"

namespace {

constexpr char kUsage[] =
    "usage: strata <command> [flags]\n"
    "\n"
    "commands:\n"
    "  run          generate text from a prompt (no -m: a built-in demo MoE model)\n"
    "  chat         chat with a model in the terminal (multi-turn, KV cache reused)\n"
    "  inspect      print a model's architecture, tensors, sizes and tokenizer\n"
    "  bench        measure prefill and decode tokens/s (like llama-bench)\n"
    "  make-model   write a synthetic GGUF model from a preset or hyper-parameters\n"
    "  profile      run prompts and write a report on tiers, cache and route prediction\n"
    "  replay       replay a routing trace through the expert cache's eviction policies\n"
    "\n"
    "`strata <command> --help` lists a command's flags.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char* command = argv[1];
  try {
    if (std::strcmp(command, "run") == 0) return strata::cli::RunCommand(argc, argv);
    if (std::strcmp(command, "chat") == 0) return strata::cli::ChatCommand(argc, argv);
    if (std::strcmp(command, "inspect") == 0) return strata::cli::InspectCommand(argc, argv);
    if (std::strcmp(command, "bench") == 0) return strata::cli::BenchCommand(argc, argv);
    if (std::strcmp(command, "make-model") == 0) return strata::cli::MakeModelCommand(argc, argv);
    if (std::strcmp(command, "replay") == 0) return strata::cli::ReplayCommand(argc, argv);
    if (std::strcmp(command, "profile") == 0) return strata::cli::ProfileCommand(argc, argv);
  } catch (const std::exception& e) {
    // Libraries return Status; this only catches std::bad_alloc and the like.
    std::fprintf(stderr, "strata %s: error: %s\n", command, e.what());
    return 1;
  }
  std::fprintf(stderr, "strata: unknown command '%s'\n\n%s", command, kUsage);
  return 2;
}
