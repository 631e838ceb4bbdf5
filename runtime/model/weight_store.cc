#include "runtime/model/weight_store.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "cpu/quant_kernels.h"
#include "offload/eviction_policy.h"

namespace strata {
namespace {

constexpr uint64_t kAlignment = 4096;

absl::StatusOr<std::unique_ptr<BlockReader>> OpenReader(const std::string& path,
                                                        const WeightStoreOptions& options) {
  return options.open_reader ? options.open_reader(path, options.io)
                             : BlockReader::Open(path, options.io);
}

absl::StatusOr<std::unique_ptr<offload::BlockCache>> MakeCache(const std::string& path,
                                                               const WeightStoreOptions& options,
                                                               uint64_t capacity,
                                                               uint64_t slot_bytes) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<BlockReader> reader, OpenReader(path, options));
  // Both caches get prefetches (experts; layers and routers): with a reader
  // of their own, on their own thread, demand reads never queue behind them.
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<BlockReader> prefetch_reader, OpenReader(path, options));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<offload::EvictionPolicy> policy,
                          offload::MakeEvictionPolicy(options.cache_policy));
  return offload::BlockCache::Create(std::move(reader), capacity, std::move(policy), slot_bytes,
                                     std::move(prefetch_reader));
}

TensorView Resolve(const offload::PinnedBlock& block, const TensorView& t) {
  return t.file_offset == 0 ? t : block.Resolve(t);
}

}  // namespace

uint64_t AlignedBlockBytes(const offload::BlockDesc& desc, uint64_t alignment) {
  uint64_t total = 0;
  for (const offload::FileRange& r : desc.ranges) {
    const uint64_t start = r.offset / alignment * alignment;
    const uint64_t end = (r.offset + r.length + alignment - 1) / alignment * alignment;
    total += end - start;
  }
  return total;
}

absl::StatusOr<std::unique_ptr<WeightStore>> WeightStore::Create(
    const std::string& path, const HParams& hp, const ModelWeights& unresolved,
    const WeightBlocks& blocks, const WeightStoreOptions& options) {
  auto store = std::unique_ptr<WeightStore>(new WeightStore(hp, unresolved));
  STRATA_ASSIGN_OR_RETURN(store->dense_,
                          MakeCache(path, options, options.dense_cache_bytes, /*slot_bytes=*/0));
  for (const offload::BlockDesc& d : blocks.dense) {
    STRATA_ASSIGN_OR_RETURN(offload::BlockKey key, store->dense_->Register(d));
    store->dense_keys_.push_back(key);
  }
  STRATA_ASSIGN_OR_RETURN(store->output_key_, store->dense_->Register(blocks.output));

  uint64_t slot = 0;
  for (const auto& layer : blocks.experts) {
    for (const offload::BlockDesc& d : layer)
      slot = std::max(slot, AlignedBlockBytes(d, kAlignment));
  }
  if (slot > 0) {
    STRATA_ASSIGN_OR_RETURN(store->experts_,
                            MakeCache(path, options, options.expert_cache_bytes, slot));
    for (const auto& layer : blocks.experts) {
      std::vector<offload::BlockKey> keys;
      for (const offload::BlockDesc& d : layer) {
        STRATA_ASSIGN_OR_RETURN(offload::BlockKey key, store->experts_->Register(d));
        keys.push_back(key);
      }
      store->expert_keys_.push_back(std::move(keys));
    }
  }

  for (const offload::BlockDesc& d : blocks.embedding) {
    STRATA_ASSIGN_OR_RETURN(offload::BlockKey key, store->dense_->Register(d));
    store->embedding_keys_.push_back(key);
  }
  store->rows_per_embedding_block_ = blocks.rows_per_embedding_block;
  for (const offload::BlockDesc& d : blocks.routers) {
    STRATA_ASSIGN_OR_RETURN(offload::BlockKey key, store->dense_->Register(d));
    store->router_keys_.push_back(key);
  }
  return store;
}

absl::StatusOr<PinnedLayer> WeightStore::PinLayer(int64_t il) {
  PinnedLayer layer;
  STRATA_ASSIGN_OR_RETURN(layer.block, dense_->Pin(dense_keys_[il]));
  const LayerWeights& u = w_.layers[il];
  LayerWeights& r = layer.weights;
  r = u;
  for (auto [dst, src] : {std::pair{&r.attn_norm, &u.attn_norm},
                          {&r.wq, &u.wq},
                          {&r.wk, &u.wk},
                          {&r.wv, &u.wv},
                          {&r.wo, &u.wo},
                          {&r.bq, &u.bq},
                          {&r.bk, &u.bk},
                          {&r.bv, &u.bv},
                          {&r.bo, &u.bo},
                          {&r.q_norm, &u.q_norm},
                          {&r.k_norm, &u.k_norm},
                          {&r.ffn_norm, &u.ffn_norm},
                          {&r.ffn_gate, &u.ffn_gate},
                          {&r.ffn_up, &u.ffn_up},
                          {&r.ffn_down, &u.ffn_down},
                          {&r.ffn_gate_inp, &u.ffn_gate_inp}}) {
    *dst = Resolve(layer.block, *src);
  }
  layer.rope_freqs = Resolve(layer.block, w_.rope_freqs);
  return layer;
}

absl::StatusOr<std::vector<PinnedExpert>> WeightStore::PinExperts(
    int64_t il, absl::Span<const int32_t> experts) {
  std::vector<offload::BlockKey> keys;
  keys.reserve(experts.size());
  for (int32_t e : experts) keys.push_back(expert_keys_[il][e]);
  STRATA_ASSIGN_OR_RETURN(std::vector<offload::PinnedBlock> blocks, experts_->PinMany(keys));
  const LayerWeights& u = w_.layers[il];
  std::vector<PinnedExpert> pinned(experts.size());
  for (size_t i = 0; i < experts.size(); ++i) {
    pinned[i].block = std::move(blocks[i]);
    pinned[i].gate = pinned[i].block.Resolve(u.ffn_gate_exps.Slice2(experts[i]));
    pinned[i].up = pinned[i].block.Resolve(u.ffn_up_exps.Slice2(experts[i]));
    pinned[i].down = pinned[i].block.Resolve(u.ffn_down_exps.Slice2(experts[i]));
  }
  return pinned;
}

absl::StatusOr<PinnedOutput> WeightStore::PinOutput() {
  PinnedOutput out;
  STRATA_ASSIGN_OR_RETURN(out.block, dense_->Pin(output_key_));
  out.output = out.block.Resolve(w_.output);
  out.output_norm = out.block.Resolve(w_.output_norm);
  return out;
}

absl::StatusOr<PinnedRouter> WeightStore::PinRouter(int64_t il) {
  PinnedRouter router;
  STRATA_ASSIGN_OR_RETURN(router.block, dense_->Pin(router_keys_[il]));
  router.norm = router.block.Resolve(w_.layers[il].ffn_norm);
  router.gate_inp = router.block.Resolve(w_.layers[il].ffn_gate_inp);
  return router;
}

void WeightStore::RequestExperts(int64_t il, absl::Span<const int32_t> experts) {
  std::vector<offload::BlockKey> keys;
  for (int32_t e : experts) keys.push_back(expert_keys_[il][e]);
  experts_->Request(keys);
}

bool WeightStore::IsExpertResident(int64_t il, int32_t expert) const {
  return experts_->IsResident(expert_keys_[il][expert]);
}

bool WeightStore::IsRouterResident(int64_t il) const {
  return !router_keys_.empty() && dense_->IsResident(router_keys_[il]);
}

void WeightStore::PrefetchExperts(int64_t il, absl::Span<const int32_t> experts, int64_t step) {
  std::vector<offload::BlockKey> keys;
  for (int32_t e : experts) keys.push_back(expert_keys_[il][e]);
  experts_->Prefetch(keys, step);
}

void WeightStore::PrefetchLayer(int64_t il, int64_t step) {
  dense_->Prefetch(absl::MakeConstSpan(&dense_keys_[il], 1), step);
}

void WeightStore::PrefetchRouter(int64_t il, int64_t step) {
  if (!router_keys_.empty()) dense_->Prefetch(absl::MakeConstSpan(&router_keys_[il], 1), step);
}

void WeightStore::CancelPrefetchesBefore(int64_t step) {
  dense_->CancelPrefetchesBefore(step);
  if (experts_) experts_->CancelPrefetchesBefore(step);
}

void WeightStore::SetObserver(offload::IoObserver* observer) {
  dense_->SetObserver(observer);
  if (experts_) experts_->SetObserver(observer);
}

absl::Status WeightStore::EmbedTokens(absl::Span<const int32_t> tokens, float* out) {
  const TensorView& embd = w_.token_embd;
  const cpu::QuantKernels& kernels = *cpu::FindReferenceKernels(embd.type);
  // One block pinned at a time, so the smallest budget suffices; a batch's
  // tokens that share a block are served by one pin.
  std::vector<bool> done(tokens.size(), false);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (done[i]) continue;
    const int64_t chunk = tokens[i] / rows_per_embedding_block_;
    STRATA_ASSIGN_OR_RETURN(offload::PinnedBlock block, dense_->Pin(embedding_keys_[chunk]));
    for (size_t j = i; j < tokens.size(); ++j) {
      if (done[j] || tokens[j] / rows_per_embedding_block_ != chunk) continue;
      const uint64_t offset =
          embd.file_offset + static_cast<uint64_t>(tokens[j]) * embd.row_bytes();
      kernels.to_float(block.Locate(offset), out + j * embd.ne[0], embd.ne[0]);
      done[j] = true;
    }
  }
  return absl::OkStatus();
}

offload::TierStats WeightStore::stats() const {
  offload::TierStats total = dense_->stats();
  if (experts_ != nullptr) {
    const offload::TierStats e = experts_->stats();
    for (int c = 0; c < offload::kBlockClassCount; ++c) total.by_class[c].Add(e.by_class[c]);
    total.prefetch.Add(e.prefetch);
    total.expert_by_layer = e.expert_by_layer;
    total.io_busy_seconds += e.io_busy_seconds;
    total.io_idle_seconds += e.io_idle_seconds;
    total.cache_capacity_bytes += e.cache_capacity_bytes;
    total.resident_bytes += e.resident_bytes;
    // Each cache's peak is bounded by its arena; their sum bounds the total.
    total.peak_resident_bytes += e.peak_resident_bytes;
    total.read_requests += e.read_requests;
  }
  return total;
}

}  // namespace strata
