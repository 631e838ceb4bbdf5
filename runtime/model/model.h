// A loaded model: hyper-parameters, bound weights, tokenizer, and the
// forward pass of its architecture.
//
// Model::Load parses and validates the GGUF file, reads the hyper-parameters,
// builds the tokenizer, and binds every tensor the architecture needs
// (clear NotFound/InvalidArgument/Unimplemented errors otherwise). The Model
// owns the weight memory; it is immutable after loading and may be shared by
// several inference contexts.
#ifndef STRATA_RUNTIME_MODEL_MODEL_H_
#define STRATA_RUNTIME_MODEL_MODEL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "offload/resident_weights.h"
#include "runtime/model/hparams.h"
#include "runtime/model/weights.h"
#include "runtime/tokenizer/tokenizer.h"
#include "storage/gguf_file.h"

namespace strata {

struct ArchDescriptor;

class Model {
 public:
  static absl::StatusOr<std::unique_ptr<Model>> Load(const std::string& path);

  const HParams& hparams() const { return hparams_; }
  const ModelWeights& weights() const { return weights_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const GgufFile& gguf() const { return *gguf_; }
  const ArchDescriptor& arch() const { return *arch_; }
  const std::string& path() const { return gguf_->path(); }

  // Bytes of all tensors in the file.
  int64_t total_weight_bytes() const;
  // Bytes of weights one decoded token reads: everything but the unused
  // experts and all but one row of the token embedding.
  int64_t active_bytes_per_token() const;

 private:
  Model() = default;

  std::unique_ptr<GgufFile> gguf_;
  std::unique_ptr<ResidentWeights> memory_;
  std::unique_ptr<Tokenizer> tokenizer_;
  const ArchDescriptor* arch_ = nullptr;
  HParams hparams_;
  ModelWeights weights_;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_MODEL_MODEL_H_
