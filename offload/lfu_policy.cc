#include "offload/lfu_policy.h"

#include <cmath>
#include <utility>
#include <vector>

namespace strata::offload {
namespace {

// Weights grow by 2 per half-life; rescaling at 2^256 keeps every sum of
// weights (at most 2^64 uses times the largest weight) far from overflow.
constexpr double kRescaleAbove = 0x1p256;

}  // namespace

LfuPolicy::LfuPolicy(Options options) : options_(options) {
  if (options_.half_life_uses > 0) {
    growth_ = std::exp2(1.0 / static_cast<double>(options_.half_life_uses));
  }
  if (options_.history_limit < 0) options_.history_limit = 0;
}

absl::string_view LfuPolicy::name() const {
  return options_.half_life_uses > 0 ? "lfu-aging" : "lfu";
}

double LfuPolicy::NextUseWeight() {
  ++use_clock_;
  if (growth_ == 1) return 1;
  // Rescale before handing out a weight, so the caller's view of the stored
  // counts (and of ranks_'s iterators) stays valid after this call.
  if (weight_ > kRescaleAbove) Rescale();
  const double w = weight_;
  weight_ *= growth_;
  return w;
}

void LfuPolicy::Rescale() {
  // Dividing every count by the same power of two is exact (short of
  // underflow), so the order and the ties are kept and the set can be
  // rebuilt front to back.
  int exponent = 0;
  std::frexp(weight_, &exponent);
  const double scale = std::ldexp(1.0, exponent - 1);
  std::vector<Rank> ranks(ranks_.begin(), ranks_.end());
  ranks_.clear();
  for (Rank& r : ranks) {
    r.count /= scale;
    index_[r.key] = ranks_.insert(ranks_.end(), r);
  }
  for (auto& [key, remembered] : history_) remembered.count /= scale;
  weight_ /= scale;
}

void LfuPolicy::Remember(BlockKey key, double count) {
  if (options_.history_limit == 0) return;
  auto [it, inserted] = history_.try_emplace(key);
  if (!inserted) history_order_.erase(it->second.order);
  it->second.count = count;
  it->second.order = history_order_.insert(history_order_.end(), key);
  while (static_cast<int64_t>(history_.size()) > options_.history_limit) {
    history_.erase(history_order_.front());
    history_order_.pop_front();
  }
}

void LfuPolicy::OnInsert(BlockKey key, int64_t bytes, bool prefetched) {
  if (index_.contains(key)) {  // Already resident: treat as a use.
    OnAccess(key);
    return;
  }
  const double w = NextUseWeight();
  double count = w;
  if (auto h = history_.find(key); h != history_.end()) {
    count += h->second.count;
    history_order_.erase(h->second.order);
    history_.erase(h);
  }
  index_[key] = ranks_.insert(Rank{count, use_clock_, key}).first;
}

void LfuPolicy::OnAccess(BlockKey key) {
  if (!index_.contains(key)) return;
  const double w = NextUseWeight();
  auto it = index_.find(key);
  auto node = ranks_.extract(it->second);
  node.value().count += w;
  node.value().last_use = use_clock_;
  it->second = ranks_.insert(std::move(node)).position;
}

void LfuPolicy::OnRemove(BlockKey key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  Remember(key, it->second->count);
  ranks_.erase(it->second);
  index_.erase(it);
}

std::optional<BlockKey> LfuPolicy::PickVictim(absl::FunctionRef<bool(BlockKey)> evictable) {
  for (const Rank& r : ranks_) {
    if (evictable(r.key)) return r.key;
  }
  return std::nullopt;
}

double LfuPolicy::Count(BlockKey key) const {
  // The latest use weighed weight_ / growth_: that is one use now.
  const double unit = weight_ / growth_;
  if (auto it = index_.find(key); it != index_.end()) return it->second->count / unit;
  if (auto h = history_.find(key); h != history_.end()) return h->second.count / unit;
  return 0;
}

}  // namespace strata::offload
