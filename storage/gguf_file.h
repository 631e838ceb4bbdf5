// A parsed GGUF file: metadata, tensor infos and where tensor data lives.
//
// GgufFile::Read parses and validates everything the header claims against
// the real file size before anything uses it: magic, version (2 and 3),
// counts, string and array lengths, nesting depth, duplicate keys and tensor
// names, general.alignment, tensor types and shapes, and that every tensor's
// bytes lie inside the file without overlapping another's. A bad file gives a
// DataLoss or InvalidArgument status naming the path and byte offset; it never
// crashes. Tensor data is not read here: callers map or stream it using
// GgufTensorInfo::file_offset.
//
// Immutable after Read; safe to share between threads.
#ifndef STRATA_STORAGE_GGUF_FILE_H_
#define STRATA_STORAGE_GGUF_FILE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/dtype.h"
#include "core/tensor.h"
#include "storage/gguf_value.h"
#include "storage/random_access_file.h"

namespace strata {

inline constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" little-endian.
inline constexpr uint64_t kGgufDefaultAlignment = 32;

struct GgufTensorInfo {
  std::string name;
  int n_dims = 0;
  std::array<int64_t, kMaxDims> ne = {1, 1, 1, 1};
  DType type = DType::kF32;
  uint64_t offset = 0;       // From the start of the data section, as stored.
  uint64_t file_offset = 0;  // Absolute position in the file.
  uint64_t size_bytes = 0;

  int64_t elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

class GgufFile {
 public:
  // Parses `file`; the returned object does not keep a reference to it.
  static absl::StatusOr<std::unique_ptr<GgufFile>> Read(const RandomAccessFile& file);
  // Opens `path` and parses it.
  static absl::StatusOr<std::unique_ptr<GgufFile>> Open(const std::string& path);

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return file_size_; }

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  const GgufValue* Find(absl::string_view key) const;

  // Typed getters. NotFound names the key when absent; a present value of the
  // wrong type is InvalidArgument naming the key.
  absl::StatusOr<std::string> GetString(absl::string_view key) const;
  absl::StatusOr<uint64_t> GetUint(absl::string_view key) const;
  absl::StatusOr<double> GetFloat(absl::string_view key) const;
  absl::StatusOr<bool> GetBool(absl::string_view key) const;
  absl::StatusOr<const GgufArray*> GetArray(absl::string_view key) const;
  // As above, but an absent key yields `fallback` (a mistyped one is still an error).
  absl::StatusOr<uint64_t> GetUintOr(absl::string_view key, uint64_t fallback) const;
  absl::StatusOr<double> GetFloatOr(absl::string_view key, double fallback) const;
  absl::StatusOr<bool> GetBoolOr(absl::string_view key, bool fallback) const;
  absl::StatusOr<std::string> GetStringOr(absl::string_view key, std::string fallback) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* FindTensor(absl::string_view name) const;

 private:
  friend class GgufParser;
  GgufFile() = default;

  std::string path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = kGgufDefaultAlignment;
  uint64_t data_offset_ = 0;
  uint64_t file_size_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  absl::flat_hash_map<std::string, size_t> metadata_index_;
  std::vector<GgufTensorInfo> tensors_;
  absl::flat_hash_map<std::string, size_t> tensor_index_;
};

}  // namespace strata

#endif  // STRATA_STORAGE_GGUF_FILE_H_
