// Least-frequently-used eviction with optional aging and an eviction history.
//
// The victim is the resident block with the smallest use count; equal counts
// go to the least recently used. A "use" is an OnInsert (a miss that loaded
// the block) or an OnAccess (a hit).
//
// History: the count of an evicted block is remembered (for the
// `history_limit` most recently evicted keys) and resumes when the block comes
// back, so an expert that is hot over the whole run but keeps getting pushed
// out by a burst still outranks one-off experts. With `history_limit` 0 a
// block starts from scratch every time it is loaded. This is the variant the
// published BigMoeOnEdge replay numbers use (`lfu`: counts kept across
// evictions, ties by recency, no aging); the acceptance test in
// tests/replay/ reproduces them exactly.
//
// Aging (`lfu-aging`): with `half_life_uses` = H > 0 every count decays
// exponentially, halving every H uses of the policy (any key), so a block that
// was hot long ago eventually ranks below one that is warm now. It is
// implemented without touching every key: the i-th use adds a weight 2^(i/H)
// instead of 1, which orders keys exactly as decayed counts would; weights
// are rescaled (one O(n log n) pass) every 256 half-lives to stay finite.
//
// Cost: O(log n) per operation (an ordered set of (count, last use) plus hash
// indexes); PickVictim() walks from the lowest count past non-evictable keys.
// The `prefetched` flag is ignored: a prefetched block counts one use.
// Not thread-safe (see eviction_policy.h).
#ifndef STRATA_OFFLOAD_LFU_POLICY_H_
#define STRATA_OFFLOAD_LFU_POLICY_H_

#include <cstdint>
#include <list>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "offload/eviction_policy.h"

namespace strata::offload {

class LfuPolicy final : public EvictionPolicy {
 public:
  // Half-life of `lfu-aging`: 8192 uses is ~20 decoded tokens of
  // Qwen3-30B-A3B (48 layers x 8 experts) and ~10 of the 235B (94 x 8). On
  // the recorded Qwen3-30B trace half-lives of 4096..16384 uses all beat
  // plain LFU by 0.5-2 points at 1-4 GB; much longer ones converge to it.
  static constexpr int64_t kDefaultHalfLifeUses = 8192;

  struct Options {
    // Counts halve every `half_life_uses` uses; 0 disables aging.
    int64_t half_life_uses = 0;
    // How many evicted keys keep their count (longest-evicted forgotten
    // first); 0 forgets a count on eviction.
    int64_t history_limit = int64_t{1} << 18;
  };

  LfuPolicy() : LfuPolicy(Options{}) {}
  explicit LfuPolicy(Options options);

  // "lfu" without aging, "lfu-aging" with it.
  absl::string_view name() const override;
  void OnInsert(BlockKey key, int64_t bytes, bool prefetched) override;
  void OnAccess(BlockKey key) override;
  void OnRemove(BlockKey key) override;
  std::optional<BlockKey> PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) override;

  // The decayed use count of a resident or remembered key (0 if unknown), in
  // units of one use now. For tests and diagnostics.
  double Count(BlockKey key) const;
  size_t size() const { return index_.size(); }
  size_t history_size() const { return history_.size(); }

 private:
  struct Rank {
    double count;       // Sum of the weights of this key's uses.
    uint64_t last_use;  // use_clock_ at the last use; unique, so ranks are.
    BlockKey key;
    bool operator<(const Rank& o) const {
      return count != o.count ? count < o.count : last_use < o.last_use;
    }
  };
  using RankSet = std::set<Rank>;
  struct Remembered {
    double count;
    std::list<BlockKey>::iterator order;  // Position in history_order_.
  };

  // Records one use: returns its weight and advances the clock (and aging).
  double NextUseWeight();
  void Rescale();
  void Remember(BlockKey key, double count);

  Options options_;
  double growth_ = 1;  // Per-use growth of weight_: 2^(1/half_life).
  double weight_ = 1;  // What the next use adds.
  uint64_t use_clock_ = 0;
  RankSet ranks_;
  absl::flat_hash_map<BlockKey, RankSet::iterator> index_;
  absl::flat_hash_map<BlockKey, Remembered> history_;
  std::list<BlockKey> history_order_;  // Front: evicted longest ago.
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_LFU_POLICY_H_
