// Which KV pages hold which positions: a block table in CSR form, as
// FlashInfer's paged_kv_t (include/flashinfer/page.cuh) keeps it.
//
// Sequence s owns pages indices[indptr[s] .. indptr[s + 1]), in position
// order: position p of s lives in page indices[indptr[s] + p / page_tokens]
// at row p % page_tokens, and last_page_len[s] rows of its last page are
// used. A page id names one block per layer (runtime/kv_cache.h turns
// (page, layer) into a KV-pool key), as vLLM's block ids do. Page ids come
// from a free list of max_pages ids, lowest first, and go back to it when a
// sequence shrinks.
//
// Growing is split for plan/apply: NewPagesFor() says, without changing
// anything, which ids a sequence would take to reach a length; Grow() then
// takes exactly those. The arrays are what a device kernel would be handed
// (int32, as in page.cuh). Plain data; not thread-safe.
#ifndef STRATA_RUNTIME_KV_BLOCK_TABLE_H_
#define STRATA_RUNTIME_KV_BLOCK_TABLE_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace strata {

class KvBlockTable {
 public:
  KvBlockTable(int n_seq, int64_t page_tokens, int64_t max_pages);

  int n_seq() const { return static_cast<int>(length_.size()); }
  int64_t page_tokens() const { return page_tokens_; }
  int64_t max_pages() const { return max_pages_; }
  int64_t free_pages() const { return static_cast<int64_t>(free_.size()); }

  // Tokens in sequence `seq`.
  int64_t length(int seq) const { return length_[seq]; }
  absl::Span<const int32_t> pages(int seq) const;
  // The page holding position `pos` of `seq` (pos < length(seq)).
  int32_t page_of(int seq, int64_t pos) const { return pages(seq)[pos / page_tokens_]; }
  // Pages needed for `length` tokens.
  int64_t PagesFor(int64_t length) const { return (length + page_tokens_ - 1) / page_tokens_; }

  // The page ids `seq` would take to hold `length` tokens (empty when it
  // has enough, or when the free list cannot supply them: check the size).
  // No side effects.
  std::vector<int32_t> NewPagesFor(int seq, int64_t length) const;
  // Sets `seq`'s length to `length` >= length(seq), appending `new_pages`,
  // which must be NewPagesFor(seq, length).
  void Grow(int seq, int64_t length, absl::Span<const int32_t> new_pages);
  // Sets `seq`'s length to `length` <= length(seq); returns the pages it no
  // longer uses (back on the free list).
  std::vector<int32_t> Shrink(int seq, int64_t length);

  const std::vector<int32_t>& indptr() const { return indptr_; }
  const std::vector<int32_t>& indices() const { return indices_; }
  const std::vector<int32_t>& last_page_len() const { return last_page_len_; }

 private:
  void SetLength(int seq, int64_t length);

  int64_t page_tokens_;
  int64_t max_pages_;
  std::vector<int32_t> indptr_;         // [n_seq + 1]
  std::vector<int32_t> indices_;        // [indptr_.back()]
  std::vector<int32_t> last_page_len_;  // [n_seq]
  std::vector<int64_t> length_;         // [n_seq] tokens
  std::vector<int32_t> free_;           // Free page ids; back() is taken first.
};

}  // namespace strata

#endif  // STRATA_RUNTIME_KV_BLOCK_TABLE_H_
