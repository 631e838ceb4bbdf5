#include "runtime/kv_block_table.h"

#include <algorithm>
#include <cassert>

namespace strata {

KvBlockTable::KvBlockTable(int n_seq, int64_t page_tokens, int64_t max_pages)
    : page_tokens_(page_tokens),
      max_pages_(max_pages),
      indptr_(n_seq + 1, 0),
      last_page_len_(n_seq, 0),
      length_(n_seq, 0) {
  free_.reserve(max_pages);
  // Lowest ids first: a fresh cache fills the spill file from its start.
  for (int64_t p = max_pages - 1; p >= 0; --p) free_.push_back(static_cast<int32_t>(p));
}

absl::Span<const int32_t> KvBlockTable::pages(int seq) const {
  return absl::MakeConstSpan(indices_.data() + indptr_[seq], indptr_[seq + 1] - indptr_[seq]);
}

std::vector<int32_t> KvBlockTable::NewPagesFor(int seq, int64_t length) const {
  const int64_t have = indptr_[seq + 1] - indptr_[seq];
  const int64_t need = PagesFor(length) - have;
  if (need <= 0 || need > free_pages()) return {};
  return std::vector<int32_t>(free_.rbegin(), free_.rbegin() + need);
}

void KvBlockTable::Grow(int seq, int64_t length, absl::Span<const int32_t> new_pages) {
  assert(length >= length_[seq]);
  const auto at = indices_.begin() + indptr_[seq + 1];
  indices_.insert(at, new_pages.begin(), new_pages.end());
  for (size_t s = seq + 1; s < indptr_.size(); ++s) {
    indptr_[s] += static_cast<int32_t>(new_pages.size());
  }
  for (int32_t page : new_pages) {
    assert(!free_.empty() && free_.back() == page);
    (void)page;
    free_.pop_back();
  }
  SetLength(seq, length);
}

std::vector<int32_t> KvBlockTable::Shrink(int seq, int64_t length) {
  assert(length <= length_[seq]);
  const int64_t keep = PagesFor(length);
  const auto first = indices_.begin() + indptr_[seq] + keep;
  const auto last = indices_.begin() + indptr_[seq + 1];
  std::vector<int32_t> released(first, last);
  indices_.erase(first, last);
  for (size_t s = seq + 1; s < indptr_.size(); ++s) {
    indptr_[s] -= static_cast<int32_t>(released.size());
  }
  // Back on the free list so that the lowest id is reused first.
  for (auto it = released.rbegin(); it != released.rend(); ++it) free_.push_back(*it);
  std::sort(free_.begin(), free_.end(), std::greater<int32_t>());
  SetLength(seq, length);
  return released;
}

void KvBlockTable::SetLength(int seq, int64_t length) {
  length_[seq] = length;
  const int64_t in_last = length % page_tokens_;
  last_page_len_[seq] = static_cast<int32_t>(length == 0    ? 0
                                             : in_last == 0 ? page_tokens_
                                                            : in_last);
}

}  // namespace strata
