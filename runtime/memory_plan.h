// How a RAM budget is spent: the process's own footprint, the KV cache (the
// whole context, or --kv-budget when set: the rest spills to disk), the
// forward pass's scratch, and the two weight caches (dense blocks first —
// every token uses them — then expert slots). Reads land directly in the
// caches' arenas: there is no separate staging buffer.
//
// The budget is a hard limit on everything that grows with the model: the
// weight arenas are sized from what is left, so resident weights can never
// push the process past it. A budget that cannot hold one layer's dense
// block or one token's experts, on top of the fixed costs, is refused with
// ResourceExhausted naming the minimum. Pure function of its inputs.
#ifndef STRATA_RUNTIME_MEMORY_PLAN_H_
#define STRATA_RUNTIME_MEMORY_PLAN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/inference_context.h"
#include "runtime/model/model.h"

namespace strata {

struct MemoryPlan {
  uint64_t ram_budget_bytes = 0;
  uint64_t base_bytes = 0;  // The process before weights: code, tokenizer, metadata.
  uint64_t kv_bytes = 0;    // The KV cache's RAM tier (KvCache::BytesFor).
  uint64_t scratch_bytes = 0;
  uint64_t dense_cache_bytes = 0;
  uint64_t expert_cache_bytes = 0;
  uint64_t min_ram_budget_bytes = 0;   // The smallest budget that can run.
  uint64_t full_ram_budget_bytes = 0;  // Enough to keep every weight resident.

  std::string Describe() const;
};

// Default budget when the user gives none: 80% of MemAvailable (1 GiB if
// /proc/meminfo is unreadable).
uint64_t DefaultRamBudget();

// Plans `ram_budget` for `model` with contexts created with `context`.
// `base_bytes` is the process's resident set before weights (VmRSS now, if 0).
absl::StatusOr<MemoryPlan> PlanMemory(const Model& model, const ContextOptions& context,
                                      uint64_t ram_budget, uint64_t base_bytes = 0);

// The plan's cache sizes as WeightStore options (policy and I/O left default).
WeightStoreOptions WeightStoreOptionsFor(const MemoryPlan& plan);

}  // namespace strata

#endif  // STRATA_RUNTIME_MEMORY_PLAN_H_
