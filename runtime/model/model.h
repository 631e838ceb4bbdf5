// A loaded model: hyper-parameters, tensor bindings, tokenizer, the forward
// pass of its architecture, and the store its weights stream through.
//
// Loading has two steps. Model::Open parses and validates the GGUF file,
// reads the hyper-parameters, builds the tokenizer, binds every tensor the
// architecture needs (clear NotFound / InvalidArgument / Unimplemented errors)
// and plans its offload blocks — without reading any weights. AttachWeights
// then creates the WeightStore with the RAM budget the caller planned (see
// runtime/memory_plan.h). Model::Load does both with room for every weight.
// The Model is immutable afterwards (the store locks internally) and may be
// shared by several inference contexts.
#ifndef STRATA_RUNTIME_MODEL_MODEL_H_
#define STRATA_RUNTIME_MODEL_MODEL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/model/hparams.h"
#include "runtime/model/weight_blocks.h"
#include "runtime/model/weight_store.h"
#include "runtime/model/weights.h"
#include "runtime/tokenizer/tokenizer.h"
#include "storage/gguf_file.h"

namespace strata {

struct ArchDescriptor;

// How much RAM the weight caches need.
struct WeightMemory {
  uint64_t min_dense_bytes = 0;   // The largest dense, output or embedding block.
  uint64_t min_expert_bytes = 0;  // n_expert_used expert slots.
  uint64_t all_dense_bytes = 0;   // Every dense, output and embedding block.
  uint64_t all_expert_bytes = 0;  // Every expert, one slot each.
  uint64_t expert_slot_bytes = 0;
};

class Model {
 public:
  static absl::StatusOr<std::unique_ptr<Model>> Open(const std::string& path);
  // Open + AttachWeights with room for every weight (the whole model in RAM).
  static absl::StatusOr<std::unique_ptr<Model>> Load(const std::string& path);

  absl::Status AttachWeights(const WeightStoreOptions& options);

  const HParams& hparams() const { return hparams_; }
  // Bindings: views carry file offsets; resolve them through store().
  const ModelWeights& weights() const { return weights_; }
  const WeightBlocks& blocks() const { return blocks_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const GgufFile& gguf() const { return *gguf_; }
  const ArchDescriptor& arch() const { return *arch_; }
  const std::string& path() const { return gguf_->path(); }
  // Requires AttachWeights.
  WeightStore& store() const { return *store_; }
  bool has_store() const { return store_ != nullptr; }

  WeightMemory weight_memory() const;
  // Bytes of all tensors in the file.
  int64_t total_weight_bytes() const;
  // Bytes of weights one decoded token reads: everything but the unused
  // experts and all but one row of the token embedding.
  int64_t active_bytes_per_token() const;

 private:
  Model() = default;

  std::unique_ptr<GgufFile> gguf_;
  std::unique_ptr<Tokenizer> tokenizer_;
  const ArchDescriptor* arch_ = nullptr;
  HParams hparams_;
  ModelWeights weights_;
  WeightBlocks blocks_;
  std::unique_ptr<WeightStore> store_;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_MODEL_MODEL_H_
