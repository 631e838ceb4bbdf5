// Element types of tensors as stored in GGUF files, with their block layout
// sizes. Values equal ggml's `ggml_type` ids, because that is what a GGUF
// tensor info stores on disk.
//
// A quantized type packs `block_size` consecutive elements of a row into
// `type_size` bytes (see core/quant_blocks.h). Pure data, thread-safe.
#ifndef STRATA_CORE_DTYPE_H_
#define STRATA_CORE_DTYPE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

struct DTypeInfo {
  absl::string_view name;  // As ggml and llama.cpp print it, e.g. "q4_K".
  int64_t block_size;      // Elements per block (1 for plain types).
  int64_t type_size;       // Bytes per block.
  bool quantized;
  // True when Strata can compute with this type (dequantize and dot).
  bool supported;
};

// Info for a known type; nullptr for an id that is not a ggml type.
const DTypeInfo* FindDTypeInfo(uint32_t ggml_type_id);

// Info for a valid DType value (never fails for enum members).
const DTypeInfo& GetDTypeInfo(DType type);

inline absl::string_view DTypeName(DType type) { return GetDTypeInfo(type).name; }

// Parses a type name as users write it ("q4_k", "Q4_K", "f16", "bf16").
absl::StatusOr<DType> ParseDType(absl::string_view name);

// Bytes of a row of `n` elements. `n` must be a multiple of the block size
// (callers validate shapes first; see RowSizeChecked).
inline int64_t RowBytes(DType type, int64_t n) {
  const DTypeInfo& info = GetDTypeInfo(type);
  return n / info.block_size * info.type_size;
}

}  // namespace strata

#endif  // STRATA_CORE_DTYPE_H_
