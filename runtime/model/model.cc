#include "runtime/model/model.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/models/arch.h"

namespace strata {

absl::StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& path) {
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
  STRATA_ASSIGN_OR_RETURN(model->memory_, ResidentWeights::Open(gguf));
  model->arch_ = &GetArch(model->hparams_.arch);
  const TensorBinder binder(gguf, model->memory_->base());
  STRATA_RETURN_IF_ERROR(model->arch_->bind(model->hparams_, binder, &model->weights_));
  return model;
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
