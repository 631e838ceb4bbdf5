#include "runtime/sampling/penalties.h"

#include <algorithm>

namespace strata::sampling {

PenaltiesSampler::PenaltiesSampler(int32_t n_vocab, int32_t last_n, float repeat, float frequency,
                                   float presence)
    : repeat_(repeat),
      frequency_(frequency),
      presence_(presence),
      active_(last_n > 0 && (repeat != 1.0f || frequency != 0.0f || presence != 0.0f)),
      window_(active_ ? static_cast<size_t>(last_n) : 0),
      counts_(active_ ? static_cast<size_t>(std::max(n_vocab, 0)) : 0) {
  distinct_.reserve(window_.size());
}

int32_t PenaltiesSampler::CountInWindow(int32_t token) const {
  return InVocab(token) ? counts_[static_cast<size_t>(token)] : 0;
}

void PenaltiesSampler::Accept(int32_t token) {
  if (!active_) return;
  if (window_size_ == window_.size()) {
    const int32_t evicted = window_[window_next_];
    if (InVocab(evicted) && --counts_[static_cast<size_t>(evicted)] == 0) {
      // The window is short (64 by default), so a linear find is cheaper than an index.
      auto it = std::find(distinct_.begin(), distinct_.end(), evicted);
      *it = distinct_.back();
      distinct_.pop_back();
    }
  } else {
    ++window_size_;
  }
  window_[window_next_] = token;
  window_next_ = (window_next_ + 1) % window_.size();
  if (InVocab(token) && counts_[static_cast<size_t>(token)]++ == 0) distinct_.push_back(token);
}

void PenaltiesSampler::Reset() {
  for (int32_t token : distinct_) counts_[static_cast<size_t>(token)] = 0;
  distinct_.clear();
  window_next_ = 0;
  window_size_ = 0;
}

float PenaltiesSampler::Penalize(float logit, int32_t count) const {
  logit = logit <= 0.0f ? logit * repeat_ : logit / repeat_;
  return logit - (static_cast<float>(count) * frequency_ + presence_);
}

void PenaltiesSampler::Apply(Candidates& candidates) {
  if (!active_ || distinct_.empty() || candidates.data.empty()) return;
  std::vector<TokenData>& data = candidates.data;

  // Fast path: right after FillCandidates, data[id].id == id, so only the (at most last_n)
  // penalised entries need touching instead of a hash or table probe per vocabulary entry.
  const bool identity_layout = std::all_of(distinct_.begin(), distinct_.end(), [&](int32_t t) {
    return static_cast<size_t>(t) < data.size() && data[static_cast<size_t>(t)].id == t;
  });
  if (identity_layout) {
    for (int32_t t : distinct_) {
      TokenData& entry = data[static_cast<size_t>(t)];
      entry.logit = Penalize(entry.logit, counts_[static_cast<size_t>(t)]);
    }
  } else {
    for (TokenData& entry : data) {
      const int32_t count = CountInWindow(entry.id);
      if (count > 0) entry.logit = Penalize(entry.logit, count);
    }
  }
  candidates.sorted = false;
}

}  // namespace strata::sampling
