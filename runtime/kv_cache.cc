#include "runtime/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/fp16.h"
#include "core/status_macros.h"

namespace strata {
namespace {

constexpr uint64_t kSlotAlignment = 4096;
constexpr char kDefaultSpillDir[] = "/var/tmp";  // Disk-backed by convention, unlike /tmp.

// KV budgets of small models are KiB-sized: say so rather than "0.2 MiB".
std::string Mib(uint64_t bytes) {
  if (bytes < (uint64_t{1} << 20)) return absl::StrFormat("%.1f KiB", bytes / 1024.0);
  return absl::StrFormat("%.1f MiB", bytes / 1048576.0);
}

struct Geometry {
  int64_t block_tokens = 0;
  int64_t max_pages = 0;
  int64_t block_values = 0;  // K and V values of one block.
  uint64_t slot_bytes = 0;
  uint64_t full_blocks = 0;
  uint64_t capacity_blocks = 0;

  bool spills() const { return capacity_blocks < full_blocks; }
};

absl::StatusOr<Geometry> GeometryFor(const HParams& hp, int64_t n_ctx,
                                     const KvCacheOptions& options) {
  if (n_ctx <= 0) return absl::InvalidArgumentError(absl::StrCat("bad context size ", n_ctx));
  if (options.block_tokens <= 0 || options.block_tokens > 65536) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV block size must be in [1, 65536] tokens, got ", options.block_tokens));
  }
  int64_t max_k = 0;
  int64_t max_v = 0;
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    max_k = std::max(max_k, hp.kv_dim_k(il));
    max_v = std::max(max_v, hp.kv_dim_v(il));
  }
  Geometry g;
  g.block_tokens = options.block_tokens;
  g.max_pages = (n_ctx + g.block_tokens - 1) / g.block_tokens;
  g.block_values = g.block_tokens * (max_k + max_v);
  g.slot_bytes =
      (static_cast<uint64_t>(g.block_values * KvTypeBytes(options.type)) + kSlotAlignment - 1) /
      kSlotAlignment * kSlotAlignment;
  g.full_blocks = static_cast<uint64_t>(g.max_pages) * hp.n_layer;
  g.capacity_blocks = g.full_blocks;
  if (options.ram_budget_bytes > 0) {
    g.capacity_blocks = std::min(g.full_blocks, options.ram_budget_bytes / g.slot_bytes);
  }
  return g;
}

}  // namespace

void KvLayerView::StoreRow(int64_t pos, const float* k, const float* v) const {
  if (type_ == KvType::kF32) {
    std::memcpy(k_row(pos), k, k_dim_ * sizeof(float));
    std::memcpy(v_row(pos), v, v_dim_ * sizeof(float));
    return;
  }
  uint16_t* k16 = static_cast<uint16_t*>(k_row(pos));
  uint16_t* v16 = static_cast<uint16_t*>(v_row(pos));
  for (int64_t i = 0; i < k_dim_; ++i) k16[i] = Fp32ToFp16(k[i]);
  for (int64_t i = 0; i < v_dim_; ++i) v16[i] = Fp32ToFp16(v[i]);
}

void KvLayerView::LoadRow(int64_t pos, float* k, float* v) const {
  if (type_ == KvType::kF32) {
    std::memcpy(k, k_row(pos), k_dim_ * sizeof(float));
    std::memcpy(v, v_row(pos), v_dim_ * sizeof(float));
    return;
  }
  const uint16_t* k16 = static_cast<const uint16_t*>(k_row(pos));
  const uint16_t* v16 = static_cast<const uint16_t*>(v_row(pos));
  for (int64_t i = 0; i < k_dim_; ++i) k[i] = Fp16ToFp32(k16[i]);
  for (int64_t i = 0; i < v_dim_; ++i) v[i] = Fp16ToFp32(v16[i]);
}

int64_t KvCache::BytesFor(const HParams& hp, int64_t n_ctx, const KvCacheOptions& options) {
  absl::StatusOr<Geometry> g = GeometryFor(hp, n_ctx, options);
  if (!g.ok()) return 0;
  uint64_t bytes = g->capacity_blocks * g->slot_bytes;
  if (g->spills()) {
    bytes += KvSpillStore::StagingBytes(options.spill_type, g->block_values, options.type);
  }
  return static_cast<int64_t>(bytes);
}

int64_t KvCache::MinBytesFor(const HParams& hp, int64_t n_ctx, const KvCacheOptions& options) {
  absl::StatusOr<Geometry> g = GeometryFor(hp, n_ctx, options);
  if (!g.ok()) return 0;
  return static_cast<int64_t>(static_cast<uint64_t>(g->max_pages) * g->slot_bytes);
}

absl::StatusOr<std::unique_ptr<KvCache>> KvCache::Create(const HParams& hp, int64_t n_ctx,
                                                         const KvCacheOptions& options) {
  STRATA_ASSIGN_OR_RETURN(Geometry g, GeometryFor(hp, n_ctx, options));
  if (g.capacity_blocks < static_cast<uint64_t>(g.max_pages)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the KV budget of ", Mib(options.ram_budget_bytes), " is too small for a context of ",
        n_ctx, ": attention over one layer needs all its ", g.max_pages, " blocks of ",
        g.block_tokens, " positions at once, at least ", Mib(g.max_pages * g.slot_bytes), " (",
        g.max_pages * g.slot_bytes, " bytes); raise --kv-budget or lower -c"));
  }
  auto cache =
      std::unique_ptr<KvCache>(new KvCache(n_ctx, options.type, g.block_tokens, g.max_pages));
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    cache->k_dim_.push_back(hp.kv_dim_k(il));
    cache->v_dim_.push_back(hp.kv_dim_v(il));
  }
  cache->budget_bytes_ = g.capacity_blocks * g.slot_bytes;
  std::unique_ptr<offload::KvBlockBacking> backing;
  if (g.spills()) {
    const std::string dir = options.spill_dir.empty() ? kDefaultSpillDir : options.spill_dir;
    std::unique_ptr<SpillFile> file;
    if (options.open_spill_file) {
      STRATA_ASSIGN_OR_RETURN(file, options.open_spill_file(dir));
    } else {
      STRATA_ASSIGN_OR_RETURN(file, SpillFile::Create(dir));
    }
    STRATA_ASSIGN_OR_RETURN(backing, KvSpillStore::Create(std::move(file), options.spill_type,
                                                          g.block_values, options.type));
  }
  STRATA_ASSIGN_OR_RETURN(cache->pool_,
                          offload::KvBlockPool::Create(
                              static_cast<uint64_t>(g.block_values * KvTypeBytes(options.type)),
                              g.capacity_blocks, std::move(backing)));
  return cache;
}

absl::StatusOr<KvPlan> KvCache::Prepare(int64_t n_tokens) const {
  if (n_tokens <= 0) return absl::InvalidArgumentError("no tokens to place in the KV cache");
  const int64_t length = n_used() + n_tokens;
  if (length > n_ctx_) {
    return absl::OutOfRangeError(absl::StrCat("context full: ", n_used(), " cached + ", n_tokens,
                                              " new tokens exceed the context size ", n_ctx_));
  }
  KvPlan plan;
  plan.pos0 = n_used();
  plan.n_tokens = n_tokens;
  plan.new_pages = table_.NewPagesFor(0, length);
  const int64_t needed = table_.PagesFor(length) - static_cast<int64_t>(table_.pages(0).size());
  if (static_cast<int64_t>(plan.new_pages.size()) != std::max<int64_t>(needed, 0)) {
    return absl::ResourceExhaustedError("no free KV pages left");  // n_ctx bounds the pages.
  }
  return plan;
}

void KvCache::Apply(const KvPlan& plan) {
  table_.Grow(0, plan.pos0 + plan.n_tokens, plan.new_pages);
}

void KvCache::Rollback(const KvPlan& plan) { Truncate(plan.pos0); }

void KvCache::Truncate(int64_t n) {
  if (n >= n_used()) return;
  const std::vector<int32_t> released = table_.Shrink(0, std::max<int64_t>(n, 0));
  DropPages(released);
}

void KvCache::DropPages(absl::Span<const int32_t> pages) {
  for (int32_t page : pages) {
    for (int64_t il = 0; il < n_layer(); ++il) pool_->Drop(Key(page, il));
  }
}

absl::StatusOr<KvLayerView> KvCache::PinLayer(int64_t il, int64_t begin, int64_t end,
                                              int64_t write_begin) {
  const int64_t bt = block_tokens();
  const absl::Span<const int32_t> pages = table_.pages(0);
  const int64_t first = begin / bt;
  const int64_t last = std::min<int64_t>(table_.PagesFor(end), pages.size());
  std::vector<offload::KvPinRequest> requests;
  requests.reserve(last - first);
  for (int64_t p = first; p < last; ++p) {
    const bool written = (p + 1) * bt > write_begin && p * bt < end;
    requests.push_back({Key(pages[p], il), written});
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<offload::PinnedKvBlock> pins, pool_->Pin(requests));
  KvLayerView view;
  view.type_ = type_;
  view.first_page_ = first;
  view.block_tokens_ = bt;
  view.k_dim_ = k_dim_[il];
  view.v_dim_ = v_dim_[il];
  for (const offload::PinnedKvBlock& pin : pins) {
    if (type_ == KvType::kF16) {
      uint16_t* block = reinterpret_cast<uint16_t*>(pin.data());
      view.k_pages_f16_.push_back(block);
      view.v_pages_f16_.push_back(block + bt * k_dim_[il]);
    } else {
      float* block = reinterpret_cast<float*>(pin.data());
      view.k_pages_.push_back(block);
      view.v_pages_.push_back(block + bt * k_dim_[il]);
    }
  }
  view.pins_ = std::move(pins);
  return view;
}

absl::Status KvCache::ForEachPage(
    int64_t il, int64_t pos0, int64_t n, bool write,
    absl::FunctionRef<void(const KvLayerView&, int64_t, int64_t)> fn) {
  if (pos0 < 0 || n < 0 || pos0 + n > n_used()) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV rows [", pos0, ", ", pos0 + n, ") are not all cached (", n_used(), ")"));
  }
  const int64_t bt = block_tokens();
  for (int64_t pos = pos0; pos < pos0 + n;) {
    const int64_t page_end = std::min(pos0 + n, (pos / bt + 1) * bt);
    STRATA_ASSIGN_OR_RETURN(KvLayerView view, PinLayer(il, pos, page_end, write ? pos : INT64_MAX));
    fn(view, pos, page_end);
    pos = page_end;
  }
  return absl::OkStatus();
}

absl::Status KvCache::ReadRows(int64_t il, int64_t pos0, int64_t n, float* k, float* v) {
  const int64_t kd = k_dim_[il];
  const int64_t vd = v_dim_[il];
  return ForEachPage(il, pos0, n, /*write=*/false,
                     [&](const KvLayerView& view, int64_t begin, int64_t end) {
                       for (int64_t pos = begin; pos < end; ++pos) {
                         view.LoadRow(pos, k + (pos - pos0) * kd, v + (pos - pos0) * vd);
                       }
                     });
}

absl::Status KvCache::WriteRows(int64_t il, int64_t pos0, int64_t n, const float* k,
                                const float* v) {
  const int64_t kd = k_dim_[il];
  const int64_t vd = v_dim_[il];
  return ForEachPage(il, pos0, n, /*write=*/true,
                     [&](const KvLayerView& view, int64_t begin, int64_t end) {
                       for (int64_t pos = begin; pos < end; ++pos) {
                         view.StoreRow(pos, k + (pos - pos0) * kd, v + (pos - pos0) * vd);
                       }
                     });
}

KvCacheStats KvCache::stats() const {
  KvCacheStats s;
  s.pool = pool_->stats();
  s.type = type_;
  s.n_used = n_used();
  s.pages_used = static_cast<int64_t>(table_.pages(0).size());
  s.max_pages = table_.max_pages();
  s.block_tokens = block_tokens();
  s.budget_bytes = budget_bytes_;
  s.spill = pool_->backing_description();
  return s;
}

}  // namespace strata
