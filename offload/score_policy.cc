#include "offload/score_policy.h"

#include <cmath>

namespace strata::offload {

void ScorePolicy::Update(RankSet::iterator& it, bool touch, const double* score) {
  auto node = ranks_.extract(it);
  Rank& r = node.value();
  if (touch) {
    r.used = true;
    r.last_use = ++clock_;
  }
  if (score != nullptr) r.score = *score;
  it = ranks_.insert(std::move(node)).position;
}

void ScorePolicy::OnInsert(BlockKey key, int64_t bytes, bool prefetched) {
  if (auto it = index_.find(key); it != index_.end()) {  // Already resident: a use.
    Update(it->second, /*touch=*/true, nullptr);
    return;
  }
  index_[key] = ranks_.insert(Rank{!prefetched, kDefaultScore, ++clock_, key}).first;
}

void ScorePolicy::OnAccess(BlockKey key) {
  if (auto it = index_.find(key); it != index_.end()) Update(it->second, /*touch=*/true, nullptr);
}

void ScorePolicy::OnRemove(BlockKey key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  ranks_.erase(it->second);
  index_.erase(it);
}

void ScorePolicy::SetScore(BlockKey key, double score) {
  if (std::isnan(score)) return;  // NaN would break the order.
  if (auto it = index_.find(key); it != index_.end()) Update(it->second, /*touch=*/false, &score);
}

std::optional<BlockKey> ScorePolicy::PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) {
  for (const Rank& r : ranks_) {
    if (evictable(r.key)) return r.key;
  }
  return std::nullopt;
}

}  // namespace strata::offload
