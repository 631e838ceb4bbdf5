// Score-based eviction: evict the resident block a predictor values least.
//
// A route predictor (moe/) calls SetScore(key, s) with "higher = keep" — a
// predicted probability of use, a popularity estimate, or minus the distance
// to the next use (the replay's Belady oracle is exactly this policy fed the
// true next uses). Blocks are ranked, lowest evicted first, by:
//   1. speculation: a block loaded by a prefetch and not used since ranks
//      below every block that was used, so a burst of speculative loads
//      displaces earlier unused speculation first and never a hot block
//      (unless nothing else is evictable);
//   2. score: blocks never scored have score 0 (kDefaultScore);
//   3. recency: among equal scores the least recently used goes first, so
//      without any hints the policy is LRU.
// Scores stick to a resident block until changed and are forgotten when it
// leaves; SetScore() on a non-resident key is ignored (score after OnInsert).
//
// Cost: O(log n) per operation (an ordered set plus a hash index);
// PickVictim() walks from the lowest rank past non-evictable keys.
// Not thread-safe (see eviction_policy.h).
#ifndef STRATA_OFFLOAD_SCORE_POLICY_H_
#define STRATA_OFFLOAD_SCORE_POLICY_H_

#include <cstdint>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "offload/eviction_policy.h"

namespace strata::offload {

class ScorePolicy final : public EvictionPolicy {
 public:
  static constexpr double kDefaultScore = 0;

  absl::string_view name() const override { return "score"; }
  void OnInsert(BlockKey key, int64_t bytes, bool prefetched) override;
  void OnAccess(BlockKey key) override;
  void OnRemove(BlockKey key) override;
  std::optional<BlockKey> PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) override;
  void SetScore(BlockKey key, double score) override;

  size_t size() const { return index_.size(); }

 private:
  struct Rank {
    bool used;  // False while a prefetched block has not been used.
    double score;
    uint64_t last_use;  // Unique, so ranks are.
    BlockKey key;
    bool operator<(const Rank& o) const {
      if (used != o.used) return !used;
      if (score != o.score) return score < o.score;
      return last_use < o.last_use;
    }
  };
  using RankSet = std::set<Rank>;

  void Update(RankSet::iterator& it, bool touch, const double* score);

  uint64_t clock_ = 0;
  RankSet ranks_;
  absl::flat_hash_map<BlockKey, RankSet::iterator> index_;
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_SCORE_POLICY_H_
