// Opening a model for the subcommands that run it: the tiering flags they
// share (RAM budget, cache policy, KV budget and spill), planning the RAM
// budget for the context the command will create, then attaching the weight
// store.
#ifndef STRATA_TOOLS_CLI_MODEL_LOADER_H_
#define STRATA_TOOLS_CLI_MODEL_LOADER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/inference_context.h"
#include "runtime/memory_plan.h"
#include "runtime/model/model.h"
#include "runtime/prefetch/expert_prefetcher.h"
#include "tools/cli/flag_parser.h"

namespace strata::cli {

struct TieringFlags {
  int64_t ram_budget = -1;  // Bytes; -1: DefaultRamBudget().
  std::string cache_policy = "lru";
  int64_t kv_budget = 0;        // Bytes of RAM for the KV cache; 0: the whole context.
  std::string kv_type = "f32";  // --kv-type: the cache's element type.
  std::string kv_spill_type = "f32";
  std::string kv_spill_dir;  // "": CacheDir().
  int64_t kv_block_tokens = 32;
  std::string predictor = "off";
  std::string popularity_profile;  // --popularity-profile FILE
  int64_t prefetch_lookahead = 1;
  int64_t prefetch_margin = 2;
};

// --ram-budget, --cache-policy, --kv-budget, --kv-type, --kv-spill-type, --kv-spill-dir,
// --kv-block-tokens, --predictor, --popularity-profile, --prefetch-lookahead
// and --prefetch-margin.
void RegisterTieringFlags(FlagParser& parser, TieringFlags* flags);

// Validates the KV flags and sets `context->kv` from them.
absl::Status ApplyKvFlags(const TieringFlags& tiering, ContextOptions* context);

struct LoadedModel {
  std::unique_ptr<Model> model;
  MemoryPlan plan;
  std::unique_ptr<moe::PopularityProfile> popularity;
  std::unique_ptr<ExpertPrefetcher> prefetcher;  // Null with --predictor off.
};

// `context` must already hold the KV options (ApplyKvFlags): the plan counts
// the KV budget.
absl::StatusOr<LoadedModel> LoadModel(const std::string& path, const ContextOptions& context,
                                      const TieringFlags& tiering);

}  // namespace strata::cli

#endif  // STRATA_TOOLS_CLI_MODEL_LOADER_H_
