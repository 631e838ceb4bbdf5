// A non-owning view of a tensor's bytes with its type and shape.
//
// Shapes use ggml's order: ne[0] is the row length (contiguous), ne[1] the
// number of rows, ne[2] e.g. the expert index. Rows are stored back to back,
// each RowBytes(type, ne[0]) long. The view does not own `data`; whoever made
// it (a mapped file, an offload block) keeps the bytes alive.
#ifndef STRATA_CORE_TENSOR_H_
#define STRATA_CORE_TENSOR_H_

#include <array>
#include <cstdint>
#include <string>

#include "core/dtype.h"

namespace strata {

inline constexpr int kMaxDims = 4;

struct TensorView {
  DType type = DType::kF32;
  std::array<int64_t, kMaxDims> ne = {1, 1, 1, 1};
  const uint8_t* data = nullptr;
  // Where the bytes live in the model file (0: not bound from a file). Views
  // of tiered weights carry only this until a pinned block resolves `data`.
  uint64_t file_offset = 0;

  int64_t row_bytes() const { return RowBytes(type, ne[0]); }
  int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
  int64_t elements() const { return ne[0] * rows(); }
  int64_t bytes() const { return row_bytes() * rows(); }
  const uint8_t* row(int64_t i) const { return data + i * row_bytes(); }
  // The 2-D matrix [ne[1], ne[0]] at index i2 of dimension 2 (e.g. one expert).
  TensorView Slice2(int64_t i2) const {
    TensorView v = *this;
    v.ne = {ne[0], ne[1], 1, 1};
    const int64_t offset = i2 * ne[1] * row_bytes();
    if (data != nullptr) v.data = data + offset;
    if (file_offset != 0) v.file_offset = file_offset + offset;
    return v;
  }
  const float* f32() const { return reinterpret_cast<const float*>(data); }
};

// "[64, 8192]" — for messages and `inspect`.
std::string ShapeString(const std::array<int64_t, kMaxDims>& ne, int n_dims);

}  // namespace strata

#endif  // STRATA_CORE_TENSOR_H_
