// The paged key/value cache of one sequence, in F32 or F16 (KvCacheOptions::
// type, --kv-type). F32 keeps our logits bit-identical to llama.cpp's
// fixture outputs (made with an F32 cache); F16 is llama.cpp's default cache
// type, half the memory, and rows are rounded to nearest-even when written.
//
// Positions are grouped into pages of `block_tokens` positions; a page holds,
// per layer, one KV block: K rows [block_tokens, n_head_kv * head_dim_k] then
// V rows [block_tokens, n_head_kv * head_dim_v], row-major by position, the
// layout the contiguous cache had (so attention reads identical values and
// stays bit-identical to llama.cpp). A CSR block table (kv_block_table.h)
// maps positions to pages; the blocks live in an offload/ KvBlockPool, the
// KV class of the tiered memory manager, with key page × n_layer + layer.
//
// Budget and spill: with KvCacheOptions::ram_budget_bytes 0 the pool holds
// the whole context and nothing spills. With a smaller budget (--kv-budget)
// the pool holds that many blocks and evicts the rest to an unnamed spill
// file (O_DIRECT) in `spill_dir`, encoded as `spill_type`; blocks are read
// back before attention needs them. Attention over one layer pins all that
// layer's pages at once, so the budget must hold one layer's pages for the
// full context (MinBytesFor): a smaller one is refused at Create.
//
// Plan/apply (llama.cpp's llama-memory.h): Prepare(n) decides where a batch
// of n tokens goes — which free pages it takes — with no side effects and
// fails cleanly if it cannot; Apply(plan) commits the placement (the table
// grows, n_used advances); if the forward pass then fails, Rollback(plan)
// drops the batch's new pages and restores n_used, so a failed batch leaves
// the cache exactly as before (rows it wrote past n_used into an existing
// page are beyond n_used, hence invisible, and overwritten later).
//
// Not thread-safe: the forward pass uses it from one thread (its kernels
// write distinct rows of pinned blocks from the pool's threads).
#ifndef STRATA_RUNTIME_KV_CACHE_H_
#define STRATA_RUNTIME_KV_CACHE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "offload/kv_block_pool.h"
#include "runtime/kv_block_table.h"
#include "runtime/kv_spill.h"
#include "runtime/model/hparams.h"
#include "storage/spill_file.h"

namespace strata {

struct KvCacheOptions {
  KvType type = KvType::kF32;     // Element type of the K and V rows.
  int64_t block_tokens = 32;      // Positions per block (per layer).
  uint64_t ram_budget_bytes = 0;  // 0: room for the whole context (no spill).
  KvSpillType spill_type = KvSpillType::kF32;
  std::string spill_dir;  // Where the unnamed spill file goes; "" = /var/tmp.
  // Opens the spill file; SpillFile::Create when empty. Tests inject faults
  // through it.
  std::function<absl::StatusOr<std::unique_ptr<SpillFile>>(const std::string& dir)> open_spill_file;
};

// Where a batch goes: made by Prepare, committed by Apply.
struct KvPlan {
  int64_t pos0 = 0;                // The batch's first position (n_used before it).
  int64_t n_tokens = 0;            // Positions it adds.
  std::vector<int32_t> new_pages;  // Page ids it takes from the free list.
};

// One layer's pinned blocks covering a range of positions: row pointers for
// writing, page pointers for the attention kernel. Unpins on destruction.
class KvLayerView {
 public:
  KvLayerView() = default;
  KvLayerView(KvLayerView&&) = default;
  KvLayerView& operator=(KvLayerView&&) = default;

  KvType type() const { return type_; }
  // Row `pos` as stored: [k_stride()] / [v_stride()] values of type().
  void* k_row(int64_t pos) const {
    return Page(k_pages_, k_pages_f16_, pos) + (pos % block_tokens_) * k_dim_ * KvTypeBytes(type_);
  }
  void* v_row(int64_t pos) const {
    return Page(v_pages_, v_pages_f16_, pos) + (pos % block_tokens_) * v_dim_ * KvTypeBytes(type_);
  }
  // Stores F32 rows k [k_stride()] and v [v_stride()] at `pos`, rounded to
  // nearest-even in an F16 cache (ggml's FP32 -> FP16).
  void StoreRow(int64_t pos, const float* k, const float* v) const;
  // Loads row `pos` as F32 (exact in either type).
  void LoadRow(int64_t pos, float* k, float* v) const;
  // Pages from the first pinned one: [n_pages] pointers to K / V row 0, in
  // an F32 cache (k_pages, v_pages) or an F16 one (k_pages_f16, v_pages_f16);
  // the other pair is empty.
  const float* const* k_pages() const { return k_pages_.data(); }
  const float* const* v_pages() const { return v_pages_.data(); }
  const uint16_t* const* k_pages_f16() const { return k_pages_f16_.data(); }
  const uint16_t* const* v_pages_f16() const { return v_pages_f16_.data(); }
  int64_t block_tokens() const { return block_tokens_; }
  int64_t k_stride() const { return k_dim_; }
  int64_t v_stride() const { return v_dim_; }

 private:
  friend class KvCache;
  uint8_t* Page(const std::vector<float*>& f32, const std::vector<uint16_t*>& f16,
                int64_t pos) const {
    const int64_t i = pos / block_tokens_ - first_page_;
    return type_ == KvType::kF16 ? reinterpret_cast<uint8_t*>(f16[i])
                                 : reinterpret_cast<uint8_t*>(f32[i]);
  }

  std::vector<offload::PinnedKvBlock> pins_;
  KvType type_ = KvType::kF32;
  std::vector<float*> k_pages_;  // F32 cache.
  std::vector<float*> v_pages_;
  std::vector<uint16_t*> k_pages_f16_;  // F16 cache.
  std::vector<uint16_t*> v_pages_f16_;
  int64_t first_page_ = 0;
  int64_t block_tokens_ = 1;
  int64_t k_dim_ = 0;
  int64_t v_dim_ = 0;
};

struct KvCacheStats {
  offload::KvPoolStats pool;
  KvType type = KvType::kF32;
  int64_t n_used = 0;
  int64_t pages_used = 0;
  int64_t max_pages = 0;
  int64_t block_tokens = 0;
  uint64_t budget_bytes = 0;  // What the pool may hold.
  std::string spill;          // The spill store, e.g. "f16 in /x (O_DIRECT)"; "" if none.
};

class KvCache {
 public:
  static absl::StatusOr<std::unique_ptr<KvCache>> Create(const HParams& hp, int64_t n_ctx,
                                                         const KvCacheOptions& options);
  // RAM the cache may use for `n_ctx` positions with `options` (its pool and
  // staging buffer), for the memory plan.
  static int64_t BytesFor(const HParams& hp, int64_t n_ctx, const KvCacheOptions& options);
  // The smallest ram_budget_bytes that can run `n_ctx` positions: one
  // layer's blocks for the whole context.
  static int64_t MinBytesFor(const HParams& hp, int64_t n_ctx, const KvCacheOptions& options);

  int64_t n_ctx() const { return n_ctx_; }
  KvType type() const { return type_; }
  // Positions [0, n_used) hold valid entries.
  int64_t n_used() const { return table_.length(0); }
  int64_t block_tokens() const { return table_.page_tokens(); }
  int64_t n_layer() const { return static_cast<int64_t>(k_dim_.size()); }
  int64_t k_dim(int64_t il) const { return k_dim_[il]; }
  int64_t v_dim(int64_t il) const { return v_dim_[il]; }
  const KvBlockTable& block_table() const { return table_; }

  // Plan/apply (see the file comment). Prepare: OutOfRange when the batch
  // would overflow the context.
  absl::StatusOr<KvPlan> Prepare(int64_t n_tokens) const;
  void Apply(const KvPlan& plan);
  // Undoes the last Apply (only that one).
  void Rollback(const KvPlan& plan);

  // Forgets positions >= n (n <= n_used), giving their pages back.
  void Truncate(int64_t n);

  // Pins layer il's blocks covering positions [begin, end) (< n_used after
  // Apply), reading spilled ones back; those covering [write_begin, end)
  // are marked written. Errors come from the pool (budget, spill I/O).
  absl::StatusOr<KvLayerView> PinLayer(int64_t il, int64_t begin, int64_t end, int64_t write_begin);

  // Copies rows [pos0, pos0 + n) of layer il out (k: [n, k_dim(il)], v:
  // [n, v_dim(il)]) or in, as F32 whatever the cache type (exact out of an
  // F16 cache; rounded to nearest-even into one); [pos0, pos0 + n) must be
  // below n_used. For saving and restoring a session; page by page, so any
  // budget works.
  absl::Status ReadRows(int64_t il, int64_t pos0, int64_t n, float* k, float* v);
  absl::Status WriteRows(int64_t il, int64_t pos0, int64_t n, const float* k, const float* v);

  KvCacheStats stats() const;

 private:
  KvCache(int64_t n_ctx, KvType type, int64_t block_tokens, int64_t max_pages)
      : n_ctx_(n_ctx), type_(type), table_(1, block_tokens, max_pages) {}

  offload::BlockKey Key(int32_t page, int64_t il) const {
    return static_cast<offload::BlockKey>(page) * k_dim_.size() + il;
  }
  void DropPages(absl::Span<const int32_t> pages);
  // Pins layer il's rows [pos0, pos0 + n) one page at a time and calls
  // fn(view, first position, end position) for each.
  absl::Status ForEachPage(int64_t il, int64_t pos0, int64_t n, bool write,
                           absl::FunctionRef<void(const KvLayerView&, int64_t, int64_t)> fn);

  int64_t n_ctx_;
  KvType type_;
  KvBlockTable table_;
  std::vector<int64_t> k_dim_;  // [n_layer]
  std::vector<int64_t> v_dim_;  // [n_layer]
  uint64_t budget_bytes_ = 0;
  std::unique_ptr<offload::KvBlockPool> pool_;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_KV_CACHE_H_
