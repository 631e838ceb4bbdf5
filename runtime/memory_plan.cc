#include "runtime/memory_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"
#include "offload/process_memory.h"
#include "runtime/forward/forward_pass.h"
#include "runtime/kv_cache.h"

namespace strata {
namespace {

std::string Mib(uint64_t bytes) { return absl::StrFormat("%.1f MiB", bytes / 1048576.0); }

}  // namespace

std::string MemoryPlan::Describe() const {
  return absl::StrCat(
      "budget ", Mib(ram_budget_bytes), " = weights ", Mib(dense_cache_bytes + expert_cache_bytes),
      " (dense ", Mib(dense_cache_bytes), ", experts ", Mib(expert_cache_bytes), ") + KV ",
      Mib(kv_bytes), " + scratch ", Mib(scratch_bytes), " + process ", Mib(base_bytes));
}

uint64_t DefaultRamBudget() {
  const uint64_t available = offload::AvailableMemoryBytes();
  return available > 0 ? available / 5 * 4 : uint64_t{1} << 30;
}

absl::StatusOr<MemoryPlan> PlanMemory(const Model& model, const ContextOptions& context,
                                      uint64_t ram_budget, uint64_t base_bytes) {
  const HParams& hp = model.hparams();
  STRATA_ASSIGN_OR_RETURN(ContextOptions ctx, ResolveContextOptions(hp, context));
  const WeightMemory weights = model.weight_memory();
  MemoryPlan plan;
  plan.ram_budget_bytes = ram_budget;
  plan.base_bytes = base_bytes > 0 ? base_bytes : offload::ReadProcessMemory().rss_bytes;
  // With --kv-budget the KV cache takes that much (and spills the rest);
  // otherwise it reserves the whole context.
  if (ctx.kv.ram_budget_bytes > 0) {
    const int64_t min_kv = KvCache::MinBytesFor(hp, ctx.n_ctx, ctx.kv);
    if (ctx.kv.ram_budget_bytes < static_cast<uint64_t>(min_kv)) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the KV budget of ", ctx.kv.ram_budget_bytes, " bytes is too small for a context of ",
          ctx.n_ctx, ": attention over one layer needs at least ", min_kv,
          " bytes; raise --kv-budget or lower -c"));
    }
  }
  plan.kv_bytes = static_cast<uint64_t>(KvCache::BytesFor(hp, ctx.n_ctx, ctx.kv));
  plan.scratch_bytes = static_cast<uint64_t>(
      ForwardBuffers::BytesFor(hp, ctx.n_batch, ctx.n_ctx, ctx.n_threads, ctx.all_logits));
  const uint64_t fixed = plan.base_bytes + plan.kv_bytes + plan.scratch_bytes;
  const uint64_t min_weights = weights.min_dense_bytes + weights.min_expert_bytes;
  plan.min_ram_budget_bytes = fixed + min_weights;
  plan.full_ram_budget_bytes = fixed + weights.all_dense_bytes + weights.all_expert_bytes;
  if (ram_budget < plan.min_ram_budget_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the RAM budget of ", Mib(ram_budget), " is too small: this model needs at least ",
        Mib(plan.min_ram_budget_bytes), " (", plan.min_ram_budget_bytes,
        " bytes: the largest dense block ", Mib(weights.min_dense_bytes), " + ", hp.n_expert_used,
        " expert slots ", Mib(weights.min_expert_bytes), " + KV cache ", Mib(plan.kv_bytes),
        " for ", ctx.n_ctx, " positions + scratch ", Mib(plan.scratch_bytes), " + process ",
        Mib(plan.base_bytes), "); raise --ram-budget or lower -c"));
  }
  const uint64_t for_weights = ram_budget - fixed;
  // Dense blocks first: every token reads all of them.
  plan.dense_cache_bytes =
      std::min(weights.all_dense_bytes, for_weights - weights.min_expert_bytes);
  plan.dense_cache_bytes = std::max(plan.dense_cache_bytes, weights.min_dense_bytes);
  plan.expert_cache_bytes =
      std::min(weights.all_expert_bytes, for_weights - plan.dense_cache_bytes);
  if (weights.expert_slot_bytes > 0) {
    // Whole slots only.
    plan.expert_cache_bytes =
        plan.expert_cache_bytes / weights.expert_slot_bytes * weights.expert_slot_bytes;
  }
  return plan;
}

WeightStoreOptions WeightStoreOptionsFor(const MemoryPlan& plan) {
  WeightStoreOptions options;
  options.dense_cache_bytes = plan.dense_cache_bytes;
  options.expert_cache_bytes = plan.expert_cache_bytes;
  return options;
}

}  // namespace strata
