#include "core/dtype.h"

#include <array>
#include <cctype>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace strata {
namespace {

struct Entry {
  DType type;
  DTypeInfo info;
};

// Sizes follow the GGUF block layouts (core/quant_blocks.h static_asserts the
// ones we compute with). Types marked unsupported can still be inspected.
constexpr std::array<Entry, 32> kTypes = {{
    {DType::kF32, {"f32", 1, 4, false, true}},
    {DType::kF16, {"f16", 1, 2, false, true}},
    {DType::kQ4_0, {"q4_0", 32, 18, true, true}},
    {DType::kQ4_1, {"q4_1", 32, 20, true, true}},
    {DType::kQ5_0, {"q5_0", 32, 22, true, true}},
    {DType::kQ5_1, {"q5_1", 32, 24, true, true}},
    {DType::kQ8_0, {"q8_0", 32, 34, true, true}},
    {DType::kQ8_1, {"q8_1", 32, 36, true, true}},
    {DType::kQ2_K, {"q2_K", 256, 84, true, true}},
    {DType::kQ3_K, {"q3_K", 256, 110, true, true}},
    {DType::kQ4_K, {"q4_K", 256, 144, true, true}},
    {DType::kQ5_K, {"q5_K", 256, 176, true, true}},
    {DType::kQ6_K, {"q6_K", 256, 210, true, true}},
    {DType::kQ8_K, {"q8_K", 256, 292, true, true}},
    {DType::kIQ2_XXS, {"iq2_xxs", 256, 66, true, false}},
    {DType::kIQ2_XS, {"iq2_xs", 256, 74, true, false}},
    {DType::kIQ3_XXS, {"iq3_xxs", 256, 98, true, false}},
    {DType::kIQ1_S, {"iq1_s", 256, 50, true, false}},
    {DType::kIQ4_NL, {"iq4_nl", 32, 18, true, false}},
    {DType::kIQ3_S, {"iq3_s", 256, 110, true, false}},
    {DType::kIQ2_S, {"iq2_s", 256, 82, true, false}},
    {DType::kIQ4_XS, {"iq4_xs", 256, 136, true, false}},
    {DType::kI8, {"i8", 1, 1, false, false}},
    {DType::kI16, {"i16", 1, 2, false, false}},
    {DType::kI32, {"i32", 1, 4, false, false}},
    {DType::kI64, {"i64", 1, 8, false, false}},
    {DType::kF64, {"f64", 1, 8, false, false}},
    {DType::kIQ1_M, {"iq1_m", 256, 56, true, false}},
    {DType::kBF16, {"bf16", 1, 2, false, true}},
    {DType::kTQ1_0, {"tq1_0", 256, 54, true, false}},
    {DType::kTQ2_0, {"tq2_0", 256, 66, true, false}},
    {DType::kMXFP4, {"mxfp4", 32, 17, true, false}},
}};

}  // namespace

const DTypeInfo* FindDTypeInfo(uint32_t ggml_type_id) {
  for (const Entry& e : kTypes) {
    if (static_cast<uint32_t>(e.type) == ggml_type_id) return &e.info;
  }
  return nullptr;
}

const DTypeInfo& GetDTypeInfo(DType type) {
  const DTypeInfo* info = FindDTypeInfo(static_cast<uint32_t>(type));
  // Every enumerator has an entry; a miss is a bug in this file.
  if (info == nullptr) __builtin_trap();
  return *info;
}

absl::StatusOr<DType> ParseDType(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  std::vector<std::string> names;
  for (const Entry& e : kTypes) {
    if (absl::AsciiStrToLower(e.info.name) == lower) return e.type;
    names.emplace_back(e.info.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown tensor type '", name, "' (known: ", absl::StrJoin(names, ", "), ")"));
}

}  // namespace strata
