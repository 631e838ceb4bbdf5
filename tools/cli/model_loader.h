// Opening a model for the subcommands that run it: plan the RAM budget for
// the context the command will create, then attach the weight store.
#ifndef STRATA_TOOLS_CLI_MODEL_LOADER_H_
#define STRATA_TOOLS_CLI_MODEL_LOADER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/inference_context.h"
#include "runtime/memory_plan.h"
#include "runtime/model/model.h"

namespace strata::cli {

struct TieringFlags {
  int64_t ram_budget = -1;  // Bytes; -1: DefaultRamBudget().
  std::string cache_policy = "lru";
};

struct LoadedModel {
  std::unique_ptr<Model> model;
  MemoryPlan plan;
};

absl::StatusOr<LoadedModel> LoadModel(const std::string& path, const ContextOptions& context,
                                      const TieringFlags& tiering);

}  // namespace strata::cli

#endif  // STRATA_TOOLS_CLI_MODEL_LOADER_H_
