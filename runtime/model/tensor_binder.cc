#include "runtime/model/tensor_binder.h"

#include "absl/strings/str_cat.h"
#include "cpu/quant_kernels.h"

namespace strata {

std::string TensorBinder::LayerName(int64_t layer, const char* suffix) {
  return absl::StrCat("blk.", layer, ".", suffix);
}

absl::StatusOr<TensorView> TensorBinder::Bind(const GgufTensorInfo& info,
                                              std::array<int64_t, 3> ne) const {
  const std::array<int64_t, kMaxDims> want = {ne[0], ne[1], ne[2], 1};
  if (info.ne != want) {
    int n_dims = ne[2] != 1 ? 3 : (ne[1] != 1 ? 2 : 1);
    return absl::InvalidArgumentError(
        absl::StrCat(gguf_.path(), ": tensor '", info.name, "' has shape ",
                     ShapeString(info.ne, info.n_dims), ", expected ", ShapeString(want, n_dims)));
  }
  const bool vector_like = ne[1] == 1 && ne[2] == 1;
  if (vector_like && info.type != DType::kF32) {
    return absl::UnimplementedError(absl::StrCat(gguf_.path(), ": tensor '", info.name,
                                                 "' has type ", DTypeName(info.type),
                                                 "; Strata expects F32 for 1-D tensors"));
  }
  const cpu::QuantKernels* kernels = cpu::FindReferenceKernels(info.type);
  if (kernels == nullptr || kernels->vec_dot == nullptr || !GetDTypeInfo(info.type).supported) {
    return absl::UnimplementedError(absl::StrCat(gguf_.path(), ": tensor '", info.name,
                                                 "' has type ", DTypeName(info.type),
                                                 ", which Strata cannot compute with yet"));
  }
  TensorView view;
  view.type = info.type;
  view.ne = info.ne;
  view.file_offset = info.file_offset;
  return view;
}

absl::StatusOr<TensorView> TensorBinder::Require(const std::string& name,
                                                 std::array<int64_t, 3> ne) const {
  const GgufTensorInfo* info = gguf_.FindTensor(name);
  if (info == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(gguf_.path(), ": required tensor '", name, "' is missing"));
  }
  return Bind(*info, ne);
}

absl::StatusOr<TensorView> TensorBinder::Optional(const std::string& name,
                                                  std::array<int64_t, 3> ne) const {
  const GgufTensorInfo* info = gguf_.FindTensor(name);
  if (info == nullptr) return TensorView{};
  return Bind(*info, ne);
}

}  // namespace strata
