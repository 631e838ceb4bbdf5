#include "storage/gguf_file.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace strata {
namespace {

constexpr size_t kReadChunk = 1 << 20;
constexpr int kMaxArrayDepth = 8;
constexpr uint64_t kMaxStringBytes = 1ull << 30;
constexpr uint64_t kMaxTensorNameBytes = 1024;

}  // namespace

// Sequential reader over a RandomAccessFile with a chunk buffer; every error
// carries the path and the offset where the bad field starts.
class GgufParser {
 public:
  explicit GgufParser(const RandomAccessFile& file) : file_(file), size_(file.size()) {}

  absl::StatusOr<std::unique_ptr<GgufFile>> Parse();

 private:
  uint64_t remaining() const { return size_ - pos_; }

  absl::Status Error(uint64_t at, absl::string_view what) const {
    return absl::DataLossError(absl::StrCat(file_.path(), ": ", what, " at offset ", at));
  }

  absl::Status Read(void* dst, uint64_t n) {
    if (n > remaining()) {
      return Error(pos_, absl::StrCat("file is truncated: needs ", n, " more bytes, ", remaining(),
                                      " left"));
    }
    auto* out = static_cast<uint8_t*>(dst);
    while (n > 0) {
      if (pos_ >= buf_start_ + buf_.size() || pos_ < buf_start_) {
        const uint64_t len = std::min<uint64_t>(kReadChunk, size_ - pos_);
        buf_.resize(len);
        STRATA_RETURN_IF_ERROR(file_.ReadExact(pos_, len, buf_.data()));
        buf_start_ = pos_;
      }
      const uint64_t in_buf = buf_start_ + buf_.size() - pos_;
      const uint64_t take = std::min(n, in_buf);
      std::memcpy(out, buf_.data() + (pos_ - buf_start_), take);
      out += take;
      pos_ += take;
      n -= take;
    }
    return absl::OkStatus();
  }

  template <typename T>
  absl::StatusOr<T> ReadPod() {
    T v;
    STRATA_RETURN_IF_ERROR(Read(&v, sizeof(T)));
    return v;
  }

  absl::StatusOr<std::string> ReadString(uint64_t max_bytes) {
    const uint64_t at = pos_;
    STRATA_ASSIGN_OR_RETURN(uint64_t len, ReadPod<uint64_t>());
    if (len > remaining()) {
      return Error(at, absl::StrCat("string length ", len, " exceeds the ", remaining(),
                                    " bytes left in the file"));
    }
    if (len > max_bytes) return Error(at, absl::StrCat("string length ", len, " is absurd"));
    std::string s(len, '\0');
    STRATA_RETURN_IF_ERROR(Read(s.data(), len));
    return s;
  }

  absl::StatusOr<GgufValue> ReadValue(uint32_t raw_type, int depth);

  const RandomAccessFile& file_;
  const uint64_t size_;
  uint64_t pos_ = 0;
  std::vector<uint8_t> buf_;
  uint64_t buf_start_ = 0;
};

absl::StatusOr<GgufValue> GgufParser::ReadValue(uint32_t raw_type, int depth) {
  const uint64_t at = pos_;
  if (raw_type > static_cast<uint32_t>(GgufType::kFloat64)) {
    return Error(at, absl::StrCat("unknown metadata value type ", raw_type));
  }
  const auto type = static_cast<GgufType>(raw_type);
  switch (type) {
    case GgufType::kUint8: {
      STRATA_ASSIGN_OR_RETURN(uint8_t v, ReadPod<uint8_t>());
      return GgufValue::Uint(type, v);
    }
    case GgufType::kInt8: {
      STRATA_ASSIGN_OR_RETURN(int8_t v, ReadPod<int8_t>());
      return GgufValue::Int(type, v);
    }
    case GgufType::kUint16: {
      STRATA_ASSIGN_OR_RETURN(uint16_t v, ReadPod<uint16_t>());
      return GgufValue::Uint(type, v);
    }
    case GgufType::kInt16: {
      STRATA_ASSIGN_OR_RETURN(int16_t v, ReadPod<int16_t>());
      return GgufValue::Int(type, v);
    }
    case GgufType::kUint32: {
      STRATA_ASSIGN_OR_RETURN(uint32_t v, ReadPod<uint32_t>());
      return GgufValue::Uint(type, v);
    }
    case GgufType::kInt32: {
      STRATA_ASSIGN_OR_RETURN(int32_t v, ReadPod<int32_t>());
      return GgufValue::Int(type, v);
    }
    case GgufType::kUint64: {
      STRATA_ASSIGN_OR_RETURN(uint64_t v, ReadPod<uint64_t>());
      return GgufValue::Uint(type, v);
    }
    case GgufType::kInt64: {
      STRATA_ASSIGN_OR_RETURN(int64_t v, ReadPod<int64_t>());
      return GgufValue::Int(type, v);
    }
    case GgufType::kFloat32: {
      STRATA_ASSIGN_OR_RETURN(float v, ReadPod<float>());
      return GgufValue::F32(v);
    }
    case GgufType::kFloat64: {
      STRATA_ASSIGN_OR_RETURN(double v, ReadPod<double>());
      return GgufValue::F64(v);
    }
    case GgufType::kBool: {
      STRATA_ASSIGN_OR_RETURN(uint8_t v, ReadPod<uint8_t>());
      if (v > 1) return Error(at, absl::StrCat("bool value ", int{v}, " is neither 0 nor 1"));
      return GgufValue::Bool(v != 0);
    }
    case GgufType::kString: {
      STRATA_ASSIGN_OR_RETURN(std::string s, ReadString(kMaxStringBytes));
      return GgufValue::String(std::move(s));
    }
    case GgufType::kArray: {
      if (depth >= kMaxArrayDepth) {
        return Error(at, absl::StrCat("arrays nested deeper than ", kMaxArrayDepth));
      }
      STRATA_ASSIGN_OR_RETURN(uint32_t element_raw, ReadPod<uint32_t>());
      const uint64_t count_at = pos_;
      STRATA_ASSIGN_OR_RETURN(uint64_t count, ReadPod<uint64_t>());
      if (element_raw > static_cast<uint32_t>(GgufType::kFloat64)) {
        return Error(at, absl::StrCat("unknown array element type ", element_raw));
      }
      const auto element_type = static_cast<GgufType>(element_raw);
      // Strings take at least their 8-byte length, arrays at least 12 bytes.
      uint64_t min_size = GgufScalarSize(element_type);
      if (element_type == GgufType::kString) min_size = 8;
      if (element_type == GgufType::kArray) min_size = 12;
      if (count > remaining() / min_size) {
        return Error(count_at,
                     absl::StrCat("array of ", count, " ", GgufTypeName(element_type),
                                  " elements cannot fit in the ", remaining(), " bytes left"));
      }
      GgufArray array;
      array.element_type = element_type;
      array.elements.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        STRATA_ASSIGN_OR_RETURN(GgufValue v, ReadValue(element_raw, depth + 1));
        array.elements.push_back(std::move(v));
      }
      return GgufValue::Array(std::move(array));
    }
  }
  return Error(at, "unreachable value type");
}

absl::StatusOr<std::unique_ptr<GgufFile>> GgufParser::Parse() {
  auto out = std::unique_ptr<GgufFile>(new GgufFile());
  out->path_ = file_.path();
  out->file_size_ = size_;

  if (size_ == 0) return absl::DataLossError(absl::StrCat(file_.path(), ": file is empty"));
  if (size_ < 4) return Error(0, "file is too short to be GGUF");
  STRATA_ASSIGN_OR_RETURN(uint32_t magic, ReadPod<uint32_t>());
  if (magic != kGgufMagic) {
    return absl::InvalidArgumentError(absl::StrCat(file_.path(), ": not a GGUF file (bad magic 0x",
                                                   absl::Hex(magic, absl::kZeroPad8),
                                                   " at offset 0)"));
  }
  STRATA_ASSIGN_OR_RETURN(uint32_t version, ReadPod<uint32_t>());
  if (version == 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_.path(), ": GGUF version 1 is obsolete and not supported (offset 4)"));
  }
  if (version != 2 && version != 3) {
    const bool byteswapped = (version & 0xffff) == 0 && (version >> 16) != 0;
    return absl::InvalidArgumentError(
        absl::StrCat(file_.path(), ": unsupported GGUF version ", version, " at offset 4",
                     byteswapped ? " (a big-endian file?)" : " (supported: 2, 3)"));
  }
  out->version_ = version;

  const uint64_t tensor_count_at = pos_;
  STRATA_ASSIGN_OR_RETURN(uint64_t tensor_count, ReadPod<uint64_t>());
  const uint64_t kv_count_at = pos_;
  STRATA_ASSIGN_OR_RETURN(uint64_t kv_count, ReadPod<uint64_t>());
  // Smallest encodings: a key/value is 8 + 4 + 1 bytes, a tensor info 8 + 4 + 4 + 8.
  if (kv_count > remaining() / 13) {
    return Error(kv_count_at, absl::StrCat("metadata count ", kv_count, " is absurd for a ", size_,
                                           "-byte file"));
  }
  if (tensor_count > remaining() / 24) {
    return Error(tensor_count_at, absl::StrCat("tensor count ", tensor_count, " is absurd for a ",
                                               size_, "-byte file"));
  }

  out->metadata_.reserve(kv_count);
  for (uint64_t i = 0; i < kv_count; ++i) {
    const uint64_t key_at = pos_;
    STRATA_ASSIGN_OR_RETURN(std::string key, ReadString(kMaxStringBytes));
    STRATA_ASSIGN_OR_RETURN(uint32_t raw_type, ReadPod<uint32_t>());
    STRATA_ASSIGN_OR_RETURN(GgufValue value, ReadValue(raw_type, 0));
    if (!out->metadata_index_.emplace(key, out->metadata_.size()).second) {
      return Error(key_at, absl::StrCat("duplicate metadata key '", key, "'"));
    }
    out->metadata_.emplace_back(std::move(key), std::move(value));
  }

  if (const GgufValue* alignment = out->Find("general.alignment")) {
    auto a = alignment->AsUint();
    if (!a.ok() || *a == 0 || (*a & (*a - 1)) != 0 || *a > (1u << 30)) {
      return absl::DataLossError(absl::StrCat(file_.path(), ": general.alignment ",
                                              alignment->DebugString(), " is not a power of two"));
    }
    out->alignment_ = *a;
  }

  out->tensors_.reserve(tensor_count);
  for (uint64_t i = 0; i < tensor_count; ++i) {
    const uint64_t info_at = pos_;
    GgufTensorInfo t;
    STRATA_ASSIGN_OR_RETURN(t.name, ReadString(kMaxTensorNameBytes));
    STRATA_ASSIGN_OR_RETURN(uint32_t n_dims, ReadPod<uint32_t>());
    if (n_dims > kMaxDims) {
      return Error(info_at, absl::StrCat("tensor '", t.name, "' has ", n_dims,
                                         " dimensions (at most ", kMaxDims, ")"));
    }
    t.n_dims = static_cast<int>(n_dims);
    int64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      STRATA_ASSIGN_OR_RETURN(uint64_t ne, ReadPod<uint64_t>());
      if (ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          (ne != 0 && static_cast<uint64_t>(elements) >
                          static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / ne)) {
        return Error(info_at, absl::StrCat("tensor '", t.name, "' has an absurd shape"));
      }
      t.ne[d] = static_cast<int64_t>(ne);
      elements *= t.ne[d];
    }
    const uint64_t type_at = pos_;
    STRATA_ASSIGN_OR_RETURN(uint32_t raw_type, ReadPod<uint32_t>());
    const DTypeInfo* info = FindDTypeInfo(raw_type);
    if (info == nullptr) {
      return Error(type_at, absl::StrCat("tensor '", t.name, "' has unknown type id ", raw_type));
    }
    t.type = static_cast<DType>(raw_type);
    if (t.ne[0] % info->block_size != 0) {
      return Error(info_at,
                   absl::StrCat("tensor '", t.name, "' of type ", info->name, " has row length ",
                                t.ne[0], ", not a multiple of its block size ", info->block_size));
    }
    const uint64_t offset_at = pos_;
    STRATA_ASSIGN_OR_RETURN(t.offset, ReadPod<uint64_t>());
    if (t.offset % out->alignment_ != 0) {
      return Error(offset_at,
                   absl::StrCat("tensor '", t.name, "' data offset ", t.offset,
                                " is not a multiple of the alignment ", out->alignment_));
    }
    // elements <= INT64_MAX and type_size <= 292 per >= 1 element: fits in 128 bits;
    // check in two steps to stay in 64.
    const uint64_t blocks = static_cast<uint64_t>(elements) / info->block_size;
    if (blocks > std::numeric_limits<uint64_t>::max() / info->type_size) {
      return Error(info_at, absl::StrCat("tensor '", t.name, "' is absurdly large"));
    }
    t.size_bytes = blocks * info->type_size;
    if (!out->tensor_index_.emplace(t.name, out->tensors_.size()).second) {
      return Error(info_at, absl::StrCat("duplicate tensor name '", t.name, "'"));
    }
    out->tensors_.push_back(std::move(t));
  }

  const uint64_t header_end = pos_;
  const uint64_t align = out->alignment_;
  out->data_offset_ = (header_end + align - 1) / align * align;
  if (tensor_count > 0 && out->data_offset_ > size_) {
    return Error(header_end, "file is truncated before its tensor data");
  }
  const uint64_t data_bytes = size_ >= out->data_offset_ ? size_ - out->data_offset_ : 0;

  std::vector<const GgufTensorInfo*> by_offset;
  by_offset.reserve(out->tensors_.size());
  for (GgufTensorInfo& t : out->tensors_) {
    if (t.offset > data_bytes || t.size_bytes > data_bytes - t.offset) {
      return absl::DataLossError(absl::StrCat(
          file_.path(), ": tensor '", t.name, "' occupies bytes [", out->data_offset_ + t.offset,
          ", ", out->data_offset_ + t.offset + t.size_bytes, ") but the file ends at offset ",
          size_, " (truncated?)"));
    }
    t.file_offset = out->data_offset_ + t.offset;
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensorInfo* a, const GgufTensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensorInfo& prev = *by_offset[i - 1];
    const GgufTensorInfo& next = *by_offset[i];
    if (prev.size_bytes > 0 && next.size_bytes > 0 && prev.offset + prev.size_bytes > next.offset) {
      return absl::DataLossError(absl::StrCat(file_.path(), ": tensors '", prev.name, "' and '",
                                              next.name, "' overlap at offset ", next.file_offset));
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<GgufFile>> GgufFile::Read(const RandomAccessFile& file) {
  return GgufParser(file).Parse();
}

absl::StatusOr<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, OpenPosixFile(path));
  return Read(*file);
}

const GgufValue* GgufFile::Find(absl::string_view key) const {
  auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufTensorInfo* GgufFile::FindTensor(absl::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

template <typename T>
absl::StatusOr<T> Typed(const GgufFile& file, absl::string_view key, const GgufValue* v,
                        absl::StatusOr<T> converted) {
  if (!converted.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.path(), ": metadata key '", key, "': ", converted.status().message()));
  }
  return converted;
}

absl::Status Missing(const GgufFile& file, absl::string_view key) {
  return absl::NotFoundError(absl::StrCat(file.path(), ": missing metadata key '", key, "'"));
}

}  // namespace

absl::StatusOr<std::string> GgufFile::GetString(absl::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  STRATA_ASSIGN_OR_RETURN(absl::string_view s, Typed(*this, key, v, v->AsString()));
  return std::string(s);
}

absl::StatusOr<uint64_t> GgufFile::GetUint(absl::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  return Typed(*this, key, v, v->AsUint());
}

absl::StatusOr<double> GgufFile::GetFloat(absl::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  return Typed(*this, key, v, v->AsFloat());
}

absl::StatusOr<bool> GgufFile::GetBool(absl::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  return Typed(*this, key, v, v->AsBool());
}

absl::StatusOr<const GgufArray*> GgufFile::GetArray(absl::string_view key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  return Typed(*this, key, v, v->AsArray());
}

absl::StatusOr<uint64_t> GgufFile::GetUintOr(absl::string_view key, uint64_t fallback) const {
  return Find(key) == nullptr ? absl::StatusOr<uint64_t>(fallback) : GetUint(key);
}

absl::StatusOr<double> GgufFile::GetFloatOr(absl::string_view key, double fallback) const {
  return Find(key) == nullptr ? absl::StatusOr<double>(fallback) : GetFloat(key);
}

absl::StatusOr<bool> GgufFile::GetBoolOr(absl::string_view key, bool fallback) const {
  return Find(key) == nullptr ? absl::StatusOr<bool>(fallback) : GetBool(key);
}

absl::StatusOr<std::string> GgufFile::GetStringOr(absl::string_view key,
                                                  std::string fallback) const {
  return Find(key) == nullptr ? absl::StatusOr<std::string>(std::move(fallback)) : GetString(key);
}

}  // namespace strata
