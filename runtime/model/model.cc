#include "runtime/model/model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/models/arch.h"

namespace strata {
namespace {

// What the caches are planned with: O_DIRECT reads whole 4 KiB blocks.
constexpr uint64_t kPlanAlignment = 4096;

}  // namespace

absl::StatusOr<std::unique_ptr<Model>> Model::Open(const std::string& path) {
  auto model = std::unique_ptr<Model>(new Model());
  STRATA_ASSIGN_OR_RETURN(model->gguf_, GgufFile::Open(path));
  const GgufFile& gguf = *model->gguf_;
  STRATA_ASSIGN_OR_RETURN(model->hparams_, ReadHParams(gguf));
  STRATA_ASSIGN_OR_RETURN(model->tokenizer_, Tokenizer::FromGguf(gguf));
  if (model->tokenizer_->n_vocab() != model->hparams_.n_vocab) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the tokenizer has ", model->tokenizer_->n_vocab(),
                     " tokens but the model ", model->hparams_.n_vocab));
  }
  model->arch_ = &GetArch(model->hparams_.arch);
  const TensorBinder binder(gguf);
  STRATA_RETURN_IF_ERROR(model->arch_->bind(model->hparams_, binder, &model->weights_));
  model->blocks_ = BuildWeightBlocks(model->hparams_, model->weights_);
  return model;
}

absl::StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Open(path));
  const WeightMemory memory = model->weight_memory();
  WeightStoreOptions options;
  options.dense_cache_bytes = memory.all_dense_bytes;
  options.expert_cache_bytes = memory.all_expert_bytes;
  STRATA_RETURN_IF_ERROR(model->AttachWeights(options));
  return model;
}

absl::Status Model::AttachWeights(const WeightStoreOptions& options) {
  STRATA_ASSIGN_OR_RETURN(store_,
                          WeightStore::Create(path(), hparams_, weights_, blocks_, options));
  return absl::OkStatus();
}

WeightMemory Model::weight_memory() const {
  WeightMemory m;
  for (const offload::BlockDesc& d : blocks_.dense) {
    const uint64_t bytes = AlignedBlockBytes(d, kPlanAlignment);
    m.min_dense_bytes = std::max(m.min_dense_bytes, bytes);
    m.all_dense_bytes += bytes;
  }
  const uint64_t output = AlignedBlockBytes(blocks_.output, kPlanAlignment);
  m.min_dense_bytes = std::max(m.min_dense_bytes, output);
  m.all_dense_bytes += output;
  for (const offload::BlockDesc& d : blocks_.routers) {
    m.all_dense_bytes += AlignedBlockBytes(d, kPlanAlignment);
  }
  for (const offload::BlockDesc& d : blocks_.embedding) {
    const uint64_t bytes = AlignedBlockBytes(d, kPlanAlignment);
    m.min_dense_bytes = std::max(m.min_dense_bytes, bytes);
    m.all_dense_bytes += bytes;
  }
  uint64_t experts = 0;
  for (const auto& layer : blocks_.experts) {
    for (const offload::BlockDesc& d : layer) {
      m.expert_slot_bytes = std::max(m.expert_slot_bytes, AlignedBlockBytes(d, kPlanAlignment));
      ++experts;
    }
  }
  m.min_expert_bytes = m.expert_slot_bytes * static_cast<uint64_t>(hparams_.n_expert_used);
  m.all_expert_bytes = m.expert_slot_bytes * experts;
  return m;
}

int64_t Model::total_weight_bytes() const {
  int64_t total = 0;
  for (const GgufTensorInfo& t : gguf_->tensors()) total += static_cast<int64_t>(t.size_bytes);
  return total;
}

int64_t Model::active_bytes_per_token() const {
  int64_t active = total_weight_bytes();
  // A token reads one row of the embedding — unless the output matrix is the
  // embedding, which is then read whole anyway.
  if (!weights_.output_tied) {
    active -= weights_.token_embd.bytes() - weights_.token_embd.row_bytes();
  }
  if (hparams_.is_moe()) {
    const int64_t unused = hparams_.n_expert - hparams_.n_expert_used;
    for (const LayerWeights& l : weights_.layers) {
      const int64_t experts =
          l.ffn_gate_exps.bytes() + l.ffn_up_exps.bytes() + l.ffn_down_exps.bytes();
      active -= experts / hparams_.n_expert * unused;
    }
  }
  return active;
}

}  // namespace strata
