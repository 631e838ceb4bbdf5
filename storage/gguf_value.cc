#include "storage/gguf_value.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace strata {

absl::string_view GgufTypeName(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
      return "u8";
    case GgufType::kInt8:
      return "i8";
    case GgufType::kUint16:
      return "u16";
    case GgufType::kInt16:
      return "i16";
    case GgufType::kUint32:
      return "u32";
    case GgufType::kInt32:
      return "i32";
    case GgufType::kFloat32:
      return "f32";
    case GgufType::kBool:
      return "bool";
    case GgufType::kString:
      return "string";
    case GgufType::kArray:
      return "array";
    case GgufType::kUint64:
      return "u64";
    case GgufType::kInt64:
      return "i64";
    case GgufType::kFloat64:
      return "f64";
  }
  return "?";
}

int GgufScalarSize(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool:
      return 1;
    case GgufType::kUint16:
    case GgufType::kInt16:
      return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32:
      return 4;
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64:
      return 8;
    case GgufType::kString:
    case GgufType::kArray:
      return 0;
  }
  return 0;
}

GgufValue GgufValue::StringArray(const std::vector<std::string>& values) {
  GgufArray array{GgufType::kString, {}};
  array.elements.reserve(values.size());
  for (const std::string& v : values) array.elements.push_back(String(v));
  return Array(std::move(array));
}

GgufValue GgufValue::F32Array(const std::vector<float>& values) {
  GgufArray array{GgufType::kFloat32, {}};
  array.elements.reserve(values.size());
  for (float v : values) array.elements.push_back(F32(v));
  return Array(std::move(array));
}

GgufValue GgufValue::I32Array(const std::vector<int32_t>& values) {
  GgufArray array{GgufType::kInt32, {}};
  array.elements.reserve(values.size());
  for (int32_t v : values) array.elements.push_back(I32(v));
  return Array(std::move(array));
}

bool GgufValue::is_integer() const {
  return std::holds_alternative<uint64_t>(storage_) || std::holds_alternative<int64_t>(storage_);
}

absl::StatusOr<uint64_t> GgufValue::AsUint() const {
  if (const auto* u = std::get_if<uint64_t>(&storage_)) return *u;
  if (const auto* i = std::get_if<int64_t>(&storage_)) {
    if (*i >= 0) return static_cast<uint64_t>(*i);
    return absl::InvalidArgumentError(
        absl::StrCat("negative value ", *i, " where a count is expected"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("expected an integer, found ", GgufTypeName(type_)));
}

absl::StatusOr<int64_t> GgufValue::AsInt() const {
  if (const auto* i = std::get_if<int64_t>(&storage_)) return *i;
  if (const auto* u = std::get_if<uint64_t>(&storage_)) {
    if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(*u);
    }
    return absl::InvalidArgumentError(absl::StrCat("value ", *u, " out of range"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("expected an integer, found ", GgufTypeName(type_)));
}

absl::StatusOr<double> GgufValue::AsFloat() const {
  if (const auto* d = std::get_if<double>(&storage_)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&storage_)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<int64_t>(&storage_)) return static_cast<double>(*i);
  return absl::InvalidArgumentError(absl::StrCat("expected a number, found ", GgufTypeName(type_)));
}

absl::StatusOr<bool> GgufValue::AsBool() const {
  if (const auto* b = std::get_if<bool>(&storage_)) return *b;
  return absl::InvalidArgumentError(absl::StrCat("expected a bool, found ", GgufTypeName(type_)));
}

absl::StatusOr<absl::string_view> GgufValue::AsString() const {
  if (const auto* s = std::get_if<std::string>(&storage_)) return absl::string_view(*s);
  return absl::InvalidArgumentError(absl::StrCat("expected a string, found ", GgufTypeName(type_)));
}

absl::StatusOr<const GgufArray*> GgufValue::AsArray() const {
  if (const auto* a = std::get_if<std::shared_ptr<const GgufArray>>(&storage_)) return a->get();
  return absl::InvalidArgumentError(absl::StrCat("expected an array, found ", GgufTypeName(type_)));
}

std::string GgufValue::DebugString() const {
  return std::visit(
      [this](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          std::string shown = v.size() > 60 ? v.substr(0, 57) + "..." : v;
          for (char& c : shown) {
            if (c == '\n') c = ' ';
          }
          return absl::StrCat("\"", shown, "\"");
        } else if constexpr (std::is_same_v<T, std::shared_ptr<const GgufArray>>) {
          return absl::StrCat("[", GgufTypeName(v->element_type), " x ", v->elements.size(), "]");
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else {
          return absl::StrCat(v);
        }
      },
      storage_);
}

}  // namespace strata
