#include "offload/replay/trace_replay.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "offload/eviction_policy.h"
#include "offload/score_policy.h"

namespace strata::offload {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr absl::string_view kLayerPrefix = "layer-";
constexpr absl::string_view kBelady = "belady";

// One simulated cache (the whole tier, or one layer's share of it).
struct Partition {
  int64_t budget = 0;
  int64_t used = 0;
  std::unique_ptr<EvictionPolicy> policy;
  // Resident keys -> index of the last batch that touched them.
  absl::flat_hash_map<BlockKey, int64_t> resident;
};

absl::StatusOr<std::unique_ptr<EvictionPolicy>> MakePolicy(absl::string_view name) {
  if (name == kBelady) return std::make_unique<ScorePolicy>();
  return MakeEvictionPolicy(name);
}

}  // namespace

TraceReplay::TraceReplay(const RoutingTrace& trace)
    : expert_bytes_(trace.expert_bytes),
      n_layer_(trace.n_layer),
      batches_(BuildAccessBatches(trace)) {
  first_.reserve(batches_.size() + 1);
  for (const AccessBatch& b : batches_) {
    first_.push_back(static_cast<size_t>(lookups_));
    lookups_ += static_cast<int64_t>(b.keys.size());
    if (b.decode) decode_lookups_ += static_cast<int64_t>(b.keys.size());
  }
  first_.push_back(static_cast<size_t>(lookups_));
  next_use_.assign(lookups_, kNever);
  absl::flat_hash_map<BlockKey, int64_t> next;  // key -> next batch using it.
  for (int64_t b = static_cast<int64_t>(batches_.size()) - 1; b >= 0; --b) {
    const std::vector<BlockKey>& keys = batches_[b].keys;
    for (size_t j = 0; j < keys.size(); ++j) {
      auto [it, inserted] = next.try_emplace(keys[j], b);
      if (!inserted) {
        next_use_[first_[b] + j] = it->second;
        it->second = b;
      }
    }
  }
}

std::vector<std::string> TraceReplay::DefaultPolicies() {
  std::vector<std::string> names;
  for (std::string& n : EvictionPolicyNames()) {
    if (n != "score") names.push_back(std::move(n));
  }
  names.push_back(std::string(kBelady));
  names.push_back("layer-lru");
  names.push_back("layer-lfu");
  return names;
}

absl::Status TraceReplay::CheckPolicy(absl::string_view policy) {
  absl::string_view base = policy;
  if (absl::StartsWith(base, kLayerPrefix)) base.remove_prefix(kLayerPrefix.size());
  const std::vector<std::string> names = EvictionPolicyNames();
  if (base == kBelady || std::find(names.begin(), names.end(), base) != names.end()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown policy '", policy,
                                                 "' (known: ", absl::StrJoin(names, ", "), ", ",
                                                 kBelady, ", layer-<any of these>)"));
}

absl::StatusOr<ReplayStats> TraceReplay::Run(absl::string_view policy, int64_t budget_bytes,
                                             ReplayPrefetcher* prefetcher) const {
  STRATA_RETURN_IF_ERROR(CheckPolicy(policy));
  if (budget_bytes < 0) return absl::InvalidArgumentError("the budget must not be negative");
  const bool per_layer = absl::StartsWith(policy, kLayerPrefix);
  const absl::string_view base = per_layer ? policy.substr(kLayerPrefix.size()) : policy;
  const bool belady = base == kBelady;
  if (belady && prefetcher != nullptr) {
    return absl::InvalidArgumentError("belady is the offline optimum: replay it without prefetch");
  }

  std::vector<Partition> partitions(per_layer ? std::max<int32_t>(n_layer_, 1) : 1);
  for (Partition& p : partitions) {
    p.budget = budget_bytes / static_cast<int64_t>(partitions.size());
    STRATA_ASSIGN_OR_RETURN(p.policy, MakePolicy(base));
    p.policy->SetCapacity(p.budget);
  }

  ReplayStats stats;
  stats.policy = std::string(policy);
  stats.budget_bytes = budget_bytes;
  int64_t total_used = 0;
  std::vector<BlockKey> speculative;
  absl::flat_hash_set<BlockKey> prefetched;  // Read for the current batch.
  for (int64_t b = 0; b < static_cast<int64_t>(batches_.size()); ++b) {
    const AccessBatch& batch = batches_[b];
    Partition& p = partitions[per_layer ? batch.layer : 0];
    const int64_t bytes = expert_bytes_[batch.layer];
    prefetched.clear();
    if (prefetcher != nullptr) {
      speculative.clear();
      prefetcher->Before(batch, &speculative);
      for (BlockKey key : speculative) {
        if (KeyLayer(key) != batch.layer || !p.resident.try_emplace(key, b).second) continue;
        prefetched.insert(key);
        p.used += bytes;
        total_used += bytes;
        ++stats.prefetch_reads;
        stats.prefetch_bytes += bytes;
        p.policy->OnInsert(key, bytes, /*prefetched=*/true);
      }
    }
    for (size_t j = 0; j < batch.keys.size(); ++j) {
      const BlockKey key = batch.keys[j];
      auto [it, inserted] = p.resident.try_emplace(key, b);
      if (!inserted && prefetched.contains(key)) ++stats.prefetch_used;
      if (inserted) {
        p.used += bytes;
        total_used += bytes;
        stats.read_bytes += bytes;
        p.policy->OnInsert(key, bytes, /*prefetched=*/false);
      } else {
        it->second = b;
        ++stats.hits;
        if (batch.decode) ++stats.decode_hits;
        p.policy->OnAccess(key);
      }
      if (belady) {
        const int64_t next = next_use_[first_[b] + j];
        p.policy->SetScore(key, next == kNever ? -std::numeric_limits<double>::infinity()
                                               : -static_cast<double>(next));
      }
    }
    stats.lookups += static_cast<int64_t>(batch.keys.size());
    if (batch.decode) stats.decode_lookups += static_cast<int64_t>(batch.keys.size());

    auto evictable = [&](BlockKey key) {
      auto it = p.resident.find(key);
      return it != p.resident.end() && it->second != b;
    };
    while (p.used > p.budget) {
      const std::optional<BlockKey> victim = p.policy->PickVictim(evictable);
      if (!victim.has_value()) break;  // Everything left is this batch's.
      auto it = p.resident.find(*victim);
      if (it == p.resident.end() || it->second == b) {
        return absl::InternalError(absl::StrCat("policy ", policy, " picked a non-evictable key"));
      }
      const int64_t victim_bytes = expert_bytes_[KeyLayer(*victim)];
      p.used -= victim_bytes;
      total_used -= victim_bytes;
      p.resident.erase(it);
      p.policy->OnRemove(*victim);
      ++stats.evictions;
    }
    stats.peak_bytes = std::max(stats.peak_bytes, total_used);
    if (prefetcher != nullptr) prefetcher->After(batch);
  }
  return stats;
}

}  // namespace strata::offload
