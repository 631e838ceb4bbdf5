#include "core/tensor.h"

#include "absl/strings/str_cat.h"

namespace strata {

std::string ShapeString(const std::array<int64_t, kMaxDims>& ne, int n_dims) {
  std::string out = "[";
  for (int i = 0; i < n_dims; ++i) absl::StrAppend(&out, i ? ", " : "", ne[i]);
  out += "]";
  return out;
}

}  // namespace strata
