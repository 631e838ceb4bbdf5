// Metadata values of a GGUF file.
//
// A GGUF key/value pair holds one of 13 value types; arrays hold elements of
// one type, possibly arrays themselves. GgufValue keeps the on-disk type so a
// file read and written again is byte-identical, and offers typed accessors
// that convert between integer widths (files disagree on u32 vs i32 vs u64
// for the same key). Plain value type: copyable, not synchronized.
#ifndef STRATA_STORAGE_GGUF_VALUE_H_
#define STRATA_STORAGE_GGUF_VALUE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata {

// On-disk value type ids of GGUF.
enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

absl::string_view GgufTypeName(GgufType type);
// Bytes of a scalar of this type on disk; 0 for string and array.
int GgufScalarSize(GgufType type);

class GgufValue;

struct GgufArray {
  GgufType element_type = GgufType::kUint8;
  std::vector<GgufValue> elements;
};

class GgufValue {
 public:
  using Storage =
      std::variant<uint64_t, int64_t, double, bool, std::string, std::shared_ptr<const GgufArray>>;

  GgufValue() : type_(GgufType::kUint8), storage_(uint64_t{0}) {}

  static GgufValue Uint(GgufType type, uint64_t v) { return GgufValue(type, v); }
  static GgufValue Int(GgufType type, int64_t v) { return GgufValue(type, v); }
  static GgufValue U8(uint8_t v) { return Uint(GgufType::kUint8, v); }
  static GgufValue U32(uint32_t v) { return Uint(GgufType::kUint32, v); }
  static GgufValue U64(uint64_t v) { return Uint(GgufType::kUint64, v); }
  static GgufValue I32(int32_t v) { return Int(GgufType::kInt32, v); }
  static GgufValue F32(float v) { return GgufValue(GgufType::kFloat32, static_cast<double>(v)); }
  static GgufValue F64(double v) { return GgufValue(GgufType::kFloat64, v); }
  static GgufValue Bool(bool v) { return GgufValue(GgufType::kBool, v); }
  static GgufValue String(std::string v) { return GgufValue(GgufType::kString, std::move(v)); }
  static GgufValue Array(GgufArray array) {
    return GgufValue(GgufType::kArray, std::make_shared<const GgufArray>(std::move(array)));
  }
  static GgufValue StringArray(const std::vector<std::string>& values);
  static GgufValue F32Array(const std::vector<float>& values);
  static GgufValue I32Array(const std::vector<int32_t>& values);

  GgufType type() const { return type_; }
  bool is_integer() const;
  bool is_float() const { return type_ == GgufType::kFloat32 || type_ == GgufType::kFloat64; }

  // Converting accessors: InvalidArgument when the stored type does not fit.
  absl::StatusOr<uint64_t> AsUint() const;
  absl::StatusOr<int64_t> AsInt() const;
  absl::StatusOr<double> AsFloat() const;  // Accepts integers too.
  absl::StatusOr<bool> AsBool() const;
  absl::StatusOr<absl::string_view> AsString() const;
  absl::StatusOr<const GgufArray*> AsArray() const;

  // Raw storage, for the writer and for printing.
  const Storage& storage() const { return storage_; }

  // Short human-readable form ("u32 4096", "[string × 151936]").
  std::string DebugString() const;

 private:
  template <typename T>
  GgufValue(GgufType type, T v) : type_(type), storage_(std::move(v)) {}

  GgufType type_;
  Storage storage_;
};

}  // namespace strata

#endif  // STRATA_STORAGE_GGUF_VALUE_H_
