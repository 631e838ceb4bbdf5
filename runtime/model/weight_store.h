// Where a model's weights live while it runs: every read of weight bytes by
// the forward pass goes through a pinned block handle from here.
//
// Two RAM-tier caches back it, each a BlockCache with its own arena: one for
// the dense blocks (per-layer attention/router/FFN weights, the output
// matrix), which are few, large and used by every token; and one for expert
// blocks, whose arena is cut into equal slots (the largest expert's size), so
// that any free slot fits any expert and fragmentation can never make a
// fitting budget fail. Token embedding rows are read individually into a small
// staging buffer, and the two small global vectors (final norm, RoPE factors)
// are resident for the model's lifetime. Everything is read from the model
// file with the storage/ BlockReader (io_uring + O_DIRECT when available).
//
// Thread-safety: Pin* may be called from any thread (the caches lock);
// ReadEmbeddingRows from one thread at a time.
#ifndef STRATA_RUNTIME_MODEL_WEIGHT_STORE_H_
#define STRATA_RUNTIME_MODEL_WEIGHT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "offload/block_cache.h"
#include "offload/tier_stats.h"
#include "runtime/model/hparams.h"
#include "runtime/model/weight_blocks.h"
#include "runtime/model/weights.h"
#include "storage/aligned_buffer.h"
#include "storage/block_reader.h"

namespace strata {

struct WeightStoreOptions {
  uint64_t dense_cache_bytes = 0;
  uint64_t expert_cache_bytes = 0;
  std::string cache_policy = "lru";
  BlockReaderOptions io;
  // Opens the store's readers (three: dense cache, expert cache, embedding
  // rows); BlockReader::Open when empty. Tests inject faults through it.
  std::function<absl::StatusOr<std::unique_ptr<BlockReader>>(const std::string& path,
                                                             const BlockReaderOptions& options)>
      open_reader;
};

// A layer's dense weights, resolved to memory, pinned while this lives.
struct PinnedLayer {
  offload::PinnedBlock block;
  LayerWeights weights;
};

// One expert's three matrices, resolved, pinned while this lives.
struct PinnedExpert {
  offload::PinnedBlock block;
  TensorView gate;  // [n_embd, n_ff_exp]
  TensorView up;    // [n_embd, n_ff_exp]
  TensorView down;  // [n_ff_exp, n_embd]
};

struct PinnedOutput {
  offload::PinnedBlock block;
  TensorView output;  // [n_embd, n_vocab]
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
  // out[t] = token_embd row tokens[t] as floats ([n, n_embd]).
  absl::Status ReadEmbeddingRows(absl::Span<const int32_t> tokens, float* out);

  const float* output_norm() const { return output_norm_.data(); }
  // Per-pair RoPE factors, or nullptr.
  const float* rope_freqs() const { return rope_freqs_.empty() ? nullptr : rope_freqs_.data(); }

  // Both caches and the embedding reads, merged.
  offload::TierStats stats() const;
  absl::string_view io_mode() const { return dense_->reader_mode(); }
  // Bytes this store holds in RAM at most: both arenas and the staging buffer.
  uint64_t reserved_bytes() const;

 private:
  WeightStore(const HParams& hp, const ModelWeights& unresolved) : hp_(hp), w_(unresolved) {}

  const HParams& hp_;
  const ModelWeights& w_;  // Views carry file offsets only.
  std::unique_ptr<offload::BlockCache> dense_;
  std::unique_ptr<offload::BlockCache> experts_;
  std::vector<offload::BlockKey> dense_keys_;                // [n_layer]
  std::vector<std::vector<offload::BlockKey>> expert_keys_;  // [n_layer][n_expert]
  offload::BlockKey output_key_ = 0;

  std::unique_ptr<BlockReader> row_reader_;  // Embedding rows and globals.
  AlignedBuffer staging_;
  std::vector<float> output_norm_;
  std::vector<float> rope_freqs_;
  mutable std::mutex embedding_mutex_;
  offload::ClassCounters embedding_reads_;  // Guarded by embedding_mutex_.
};

// Arena bytes a block needs when read with `alignment` (its ranges rounded
// out to whole aligned blocks).
uint64_t AlignedBlockBytes(const offload::BlockDesc& desc, uint64_t alignment);

}  // namespace strata

#endif  // STRATA_RUNTIME_MODEL_WEIGHT_STORE_H_
