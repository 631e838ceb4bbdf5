#include "tools/cli/model_loader.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "offload/eviction_policy.h"

namespace strata::cli {

absl::StatusOr<LoadedModel> LoadModel(const std::string& path, const ContextOptions& context,
                                      const TieringFlags& tiering) {
  if (tiering.ram_budget == 0 || tiering.ram_budget < -1) {
    return absl::InvalidArgumentError("--ram-budget must be a positive size such as 512M or 4G");
  }
  if (!offload::MakeEvictionPolicy(tiering.cache_policy).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown --cache-policy '", tiering.cache_policy,
                     "' (known: ", absl::StrJoin(offload::EvictionPolicyNames(), ", "), ")"));
  }
  LoadedModel loaded;
  STRATA_ASSIGN_OR_RETURN(loaded.model, Model::Open(path));
  const uint64_t budget =
      tiering.ram_budget > 0 ? static_cast<uint64_t>(tiering.ram_budget) : DefaultRamBudget();
  STRATA_ASSIGN_OR_RETURN(loaded.plan, PlanMemory(*loaded.model, context, budget));
  WeightStoreOptions options = WeightStoreOptionsFor(loaded.plan);
  options.cache_policy = tiering.cache_policy;
  STRATA_RETURN_IF_ERROR(loaded.model->AttachWeights(options));
  return loaded;
}

}  // namespace strata::cli
