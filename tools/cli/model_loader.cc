#include "tools/cli/model_loader.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "offload/eviction_policy.h"
#include "tools/cli/common.h"

namespace strata::cli {

void RegisterTieringFlags(FlagParser& p, TieringFlags* f) {
  p.Size({"--ram-budget"}, "SIZE", &f->ram_budget,
         "hard RAM limit for weights, KV cache and buffers, e.g. 4G (default: 80% of available)");
  p.String({"--cache-policy"}, "NAME", &f->cache_policy,
           "eviction policy of the RAM tier: lru, lfu, lfu-aging, s3fifo, score (default lru)");
  p.Size({"--kv-budget"}, "SIZE", &f->kv_budget,
         "RAM for the KV cache inside the RAM budget; the rest spills to disk "
         "(default: the whole context)");
  p.String({"--kv-type"}, "TYPE", &f->kv_type,
           "element type of the KV cache: f32 (llama.cpp-exact with our fixtures) or f16 "
           "(half the memory, llama.cpp's default) (default f32)");
  p.String({"--kv-spill-type"}, "TYPE", &f->kv_spill_type,
           "how spilled KV blocks are stored: f32 (exact), f16 (exact with --kv-type f16), "
           "q8_0 (default f32; with --kv-type f16, f32 stores f16)");
  p.String({"--kv-spill-dir"}, "DIR", &f->kv_spill_dir,
           "directory of the (unnamed) KV spill file (default: the cache folder)");
  p.Int({"--kv-block-tokens"}, "N", &f->kv_block_tokens, "positions per KV block (default 32)");
  p.String({"--predictor"}, "NAME", &f->predictor,
           "expert prefetch: off, gate, temporal, popularity, combined (default off)");
  p.String({"--popularity-profile"}, "FILE", &f->popularity_profile,
           "expert popularity written by strata profile (for popularity/combined)");
  p.Int({"--prefetch-lookahead"}, "N", &f->prefetch_lookahead,
        "layers ahead to predict, 1 or 2 (default 1)");
  p.Int({"--prefetch-margin"}, "N", &f->prefetch_margin,
        "experts prefetched beyond those routed per token (default 2)");
}

absl::Status ApplyKvFlags(const TieringFlags& tiering, ContextOptions* context) {
  if (tiering.kv_budget < 0) {
    return absl::InvalidArgumentError("--kv-budget must be a size such as 64M or 1G");
  }
  if (tiering.kv_block_tokens <= 0 || tiering.kv_block_tokens > 65536) {
    return absl::InvalidArgumentError(
        absl::StrCat("--kv-block-tokens must be in [1, 65536], got ", tiering.kv_block_tokens));
  }
  absl::StatusOr<KvType> kv_type = ParseKvType(tiering.kv_type);
  if (!kv_type.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--kv-type: ", kv_type.status().message()));
  }
  absl::StatusOr<KvSpillType> type = ParseKvSpillType(tiering.kv_spill_type);
  if (!type.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--kv-spill-type: ", type.status().message()));
  }
  context->kv.type = *kv_type;
  context->kv.block_tokens = tiering.kv_block_tokens;
  context->kv.ram_budget_bytes = static_cast<uint64_t>(tiering.kv_budget);
  context->kv.spill_type = *type;
  context->kv.spill_dir = tiering.kv_spill_dir;
  if (context->kv.spill_dir.empty() && tiering.kv_budget > 0) {
    // The cache folder is on disk; /tmp often is not.
    context->kv.spill_dir = CacheDir();
    std::error_code ec;
    std::filesystem::create_directories(context->kv.spill_dir, ec);
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadedModel> LoadModel(const std::string& path, const ContextOptions& context,
                                      const TieringFlags& tiering) {
  if (tiering.ram_budget == 0 || tiering.ram_budget < -1) {
    return absl::InvalidArgumentError("--ram-budget must be a positive size such as 512M or 4G");
  }
  if (tiering.prefetch_lookahead < 1 || tiering.prefetch_lookahead > 2) {
    return absl::InvalidArgumentError("--prefetch-lookahead must be 1 or 2");
  }
  if (tiering.prefetch_margin < 0 || tiering.prefetch_margin > 1024) {
    return absl::InvalidArgumentError("--prefetch-margin must be in [0, 1024]");
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
  if (!tiering.popularity_profile.empty()) {
    STRATA_ASSIGN_OR_RETURN(moe::PopularityProfile profile,
                            moe::PopularityProfile::Load(tiering.popularity_profile));
    loaded.popularity = std::make_unique<moe::PopularityProfile>(std::move(profile));
  }
  PrefetchOptions prefetch;
  prefetch.predictor = tiering.predictor;
  prefetch.lookahead = static_cast<int>(tiering.prefetch_lookahead);
  prefetch.margin = static_cast<int>(tiering.prefetch_margin);
  prefetch.popularity = loaded.popularity.get();
  STRATA_ASSIGN_OR_RETURN(loaded.prefetcher, ExpertPrefetcher::Create(*loaded.model, prefetch));
  return loaded;
}

}  // namespace strata::cli
