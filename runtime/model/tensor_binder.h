// Looks up a model's tensors by name and checks their shapes and types.
//
// A missing required tensor is NotFound naming it; a wrong shape is
// InvalidArgument with both shapes; a type Strata cannot compute with is
// Unimplemented. Small 1-D tensors (norms, biases, router weights) must be
// F32, as llama.cpp writes them. Not thread-safe; used once while loading.
#ifndef STRATA_RUNTIME_MODEL_TENSOR_BINDER_H_
#define STRATA_RUNTIME_MODEL_TENSOR_BINDER_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "storage/gguf_file.h"

namespace strata {

class TensorBinder {
 public:
  // Views it returns carry the tensor's file offset, not its bytes: the
  // WeightStore resolves them when their block is pinned.
  explicit TensorBinder(const GgufFile& gguf) : gguf_(gguf) {}

  // Binds `name` with the given shape (trailing dims omitted = 1).
  absl::StatusOr<TensorView> Require(const std::string& name, std::array<int64_t, 3> ne) const;
  // As Require, but an absent tensor yields an empty view.
  absl::StatusOr<TensorView> Optional(const std::string& name, std::array<int64_t, 3> ne) const;

  // "blk.<layer>.<suffix>".
  static std::string LayerName(int64_t layer, const char* suffix);

 private:
  absl::StatusOr<TensorView> Bind(const GgufTensorInfo& info, std::array<int64_t, 3> ne) const;

  const GgufFile& gguf_;
};

}  // namespace strata

#endif  // STRATA_RUNTIME_MODEL_TENSOR_BINDER_H_
