// Where a model's weights live while it runs: every read of weight bytes by
// the forward pass goes through a pinned block handle from here.
//
// Two RAM-tier caches back it, each a BlockCache with its own arena: one for
// the dense blocks (per-layer attention/router/FFN weights, the output matrix
// and final norm, the token-embedding blocks), which are used by every token;
// and one for expert blocks, whose arena is cut into equal slots (the largest
// expert's size), so that any free slot fits any expert and fragmentation can
// never make a fitting budget fail. Misses are read from the model file with
// the storage/ BlockReader (io_uring + O_DIRECT when available) straight into
// the arenas; there is no other copy of any weight in RAM. Each cache has two
// readers of the file, one for demand reads and one for prefetches, each on
// its own I/O thread.
//
// Thread-safety: every method may be called from any thread (the caches lock).
#ifndef STRATA_RUNTIME_MODEL_WEIGHT_STORE_H_
#define STRATA_RUNTIME_MODEL_WEIGHT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "offload/block_cache.h"
#include "offload/tier_stats.h"
#include "runtime/model/hparams.h"
#include "runtime/model/weight_blocks.h"
#include "runtime/model/weights.h"
#include "storage/block_reader.h"

namespace strata {

struct WeightStoreOptions {
  uint64_t dense_cache_bytes = 0;
  uint64_t expert_cache_bytes = 0;
  std::string cache_policy = "lru";
  BlockReaderOptions io;
  // Opens the store's readers (two per cache: demand and prefetch);
  // BlockReader::Open when empty. Tests inject faults through it.
  std::function<absl::StatusOr<std::unique_ptr<BlockReader>>(const std::string& path,
                                                             const BlockReaderOptions& options)>
      open_reader;
};

// A layer's dense weights, resolved to memory, pinned while this lives.
struct PinnedLayer {
  offload::PinnedBlock block;
  LayerWeights weights;
  TensorView rope_freqs;  // [n_rot / 2] F32, the model's RoPE factors, or empty.
};

// One expert's three matrices, resolved, pinned while this lives.
struct PinnedExpert {
  offload::PinnedBlock block;
  TensorView gate;  // [n_embd, n_ff_exp]
  TensorView up;    // [n_embd, n_ff_exp]
  TensorView down;  // [n_ff_exp, n_embd]
};

// A layer's router input norm and router matrix, pinned while this lives.
struct PinnedRouter {
  offload::PinnedBlock block;
  TensorView norm;      // [n_embd] F32
  TensorView gate_inp;  // [n_embd, n_expert]
};

struct PinnedOutput {
  offload::PinnedBlock block;
  TensorView output;       // [n_embd, n_vocab]
  TensorView output_norm;  // [n_embd] F32
};

class WeightStore {
 public:
  static absl::StatusOr<std::unique_ptr<WeightStore>> Create(const std::string& path,
                                                             const HParams& hp,
                                                             const ModelWeights& unresolved,
                                                             const WeightBlocks& blocks,
                                                             const WeightStoreOptions& options);

  absl::StatusOr<PinnedLayer> PinLayer(int64_t il);
  // Pins the given experts of layer il, reading the missing ones in one batch.
  absl::StatusOr<std::vector<PinnedExpert>> PinExperts(int64_t il,
                                                       absl::Span<const int32_t> experts);
  absl::StatusOr<PinnedOutput> PinOutput();
  absl::StatusOr<PinnedRouter> PinRouter(int64_t il);

  // Asynchronous reads (they return at once; a later Pin waits only for what
  // has not landed yet). Request: demand reads for experts about to be used.
  void RequestExperts(int64_t il, absl::Span<const int32_t> experts);
  bool IsExpertResident(int64_t il, int32_t expert) const;
  bool IsRouterResident(int64_t il) const;
  // Prefetch: speculative reads, dropped by CancelPrefetchesBefore(step) when
  // `step` (a monotone position in the token × layer sequence) has passed.
  void PrefetchExperts(int64_t il, absl::Span<const int32_t> experts, int64_t step);
  void PrefetchLayer(int64_t il, int64_t step);
  void PrefetchRouter(int64_t il, int64_t step);
  void CancelPrefetchesBefore(int64_t step);
  void SetObserver(offload::IoObserver* observer);
  // Bytes of one expert slot (0 for dense models).
  uint64_t expert_slot_bytes() const { return experts_ ? experts_->ResidentBytes(0) : 0; }
  // out[t] = token_embd row tokens[t] as floats ([n, n_embd]), pinning each
  // embedding block in turn.
  absl::Status EmbedTokens(absl::Span<const int32_t> tokens, float* out);

  // Both caches, merged.
  offload::TierStats stats() const;
  absl::string_view io_mode() const { return dense_->reader_mode(); }

 private:
  WeightStore(const HParams& hp, const ModelWeights& unresolved) : hp_(hp), w_(unresolved) {}

  const HParams& hp_;
  const ModelWeights& w_;  // Views carry file offsets only.
  std::unique_ptr<offload::BlockCache> dense_;
  std::unique_ptr<offload::BlockCache> experts_;
  std::vector<offload::BlockKey> dense_keys_;                // [n_layer]
  std::vector<std::vector<offload::BlockKey>> expert_keys_;  // [n_layer][n_expert]
  offload::BlockKey output_key_ = 0;
  std::vector<offload::BlockKey> embedding_keys_;
  std::vector<offload::BlockKey> router_keys_;  // [n_layer] for MoE
  int64_t rows_per_embedding_block_ = 1;
};

// Arena bytes a block needs when read with `alignment` (its ranges rounded
// out to whole aligned blocks).
uint64_t AlignedBlockBytes(const offload::BlockDesc& desc, uint64_t alignment);

}  // namespace strata

#endif  // STRATA_RUNTIME_MODEL_WEIGHT_STORE_H_
