// S3-FIFO eviction (Yang et al., "FIFO queues are all you need for cache
// eviction", SOSP 2023): a small FIFO that filters one-hit wonders, a main
// FIFO with 2-bit frequencies and reinsertion, and a ghost FIFO of keys
// recently evicted from the small queue.
//
// - A new block enters the small queue S with frequency 0 — unless its key is
//   in the ghost queue G (it was evicted from S recently and came back), then
//   it goes straight to the main queue M. A prefetched block always enters S:
//   a speculative load must earn its place in M with a hit.
// - A hit raises the block's frequency by one, capped at 3. Nothing moves.
// - Eviction takes from S while S holds at least `small_fraction` of the
//   capacity (by bytes), else from M. From S: the oldest block is promoted to
//   M (frequency reset to 0) if it was hit `move_to_main_threshold` times
//   since it entered S, otherwise it is the victim; when it is removed its key
//   enters G. From M: the oldest block with frequency > 0 is reinserted at the
//   new end with its frequency decreased by one; the first one at 0 is the
//   victim.
// - G holds keys, not data, up to `ghost_fraction` of the capacity in the
//   bytes those blocks had; the oldest ghosts are forgotten first.
//
// Capacity: the owning cache passes its byte budget with SetCapacity() (once
// after creation and whenever the budget changes; the replay does the same).
// Until then the policy uses the bytes currently resident, which is the
// budget whenever the cache is full enough to evict.
//
// Cost: O(1) per operation, amortised: every promotion or reinsertion in
// PickVictim() is paid for by an earlier hit. PickVictim() also walks past
// non-evictable blocks, O(number of pinned blocks) in the common case; only
// when almost nothing in M is evictable can it take a few passes over M.
// Not thread-safe (see eviction_policy.h).
#ifndef STRATA_OFFLOAD_S3FIFO_POLICY_H_
#define STRATA_OFFLOAD_S3FIFO_POLICY_H_

#include <cstdint>
#include <list>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "offload/eviction_policy.h"

namespace strata::offload {

class S3FifoPolicy final : public EvictionPolicy {
 public:
  struct Options {
    double small_fraction = 0.10;    // Of the capacity, by bytes.
    double ghost_fraction = 0.90;    // Of the capacity, in the ghosts' bytes.
    int move_to_main_threshold = 1;  // Hits in S that earn a move to M.
  };

  S3FifoPolicy() : S3FifoPolicy(Options{}) {}
  explicit S3FifoPolicy(Options options) : options_(options) {}

  absl::string_view name() const override { return "s3fifo"; }
  void OnInsert(BlockKey key, int64_t bytes, bool prefetched) override;
  void OnAccess(BlockKey key) override;
  void OnRemove(BlockKey key) override;
  std::optional<BlockKey> PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) override;
  void SetCapacity(int64_t bytes) override;

  // Introspection for tests and stats.
  bool InSmall(BlockKey key) const;
  bool InMain(BlockKey key) const;
  bool InGhost(BlockKey key) const { return ghost_.contains(key); }
  int Frequency(BlockKey key) const;
  int64_t small_bytes() const { return small_bytes_; }
  int64_t main_bytes() const { return main_bytes_; }
  int64_t ghost_bytes() const { return ghost_bytes_; }

 private:
  using Queue = std::list<BlockKey>;  // Front: oldest (the eviction end).
  struct Entry {
    int64_t bytes = 0;
    uint8_t freq = 0;  // 0..3.
    bool in_main = false;
    Queue::iterator pos;
  };
  using GhostQueue = std::list<std::pair<BlockKey, int64_t>>;  // Front: oldest.

  int64_t Capacity() const;
  std::optional<BlockKey> PickFromSmall(absl::FunctionRef<bool(BlockKey)> evictable);
  std::optional<BlockKey> PickFromMain(absl::FunctionRef<bool(BlockKey)> evictable);
  void AddGhost(BlockKey key, int64_t bytes);
  void TrimGhosts();

  Options options_;
  int64_t capacity_ = 0;  // 0: not set, use the resident bytes.
  Queue small_, main_;
  int64_t small_bytes_ = 0, main_bytes_ = 0;
  absl::flat_hash_map<BlockKey, Entry> entries_;
  GhostQueue ghost_order_;
  absl::flat_hash_map<BlockKey, GhostQueue::iterator> ghost_;
  int64_t ghost_bytes_ = 0;
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_S3FIFO_POLICY_H_
