// Writes GGUF files (version 3, or 2 on request), streaming tensor data.
//
// Usage: set metadata and declare every tensor first, then Begin() writes the
// header with all offsets computed, then the tensors' bytes are appended in
// declaration order with Append() (any number of chunks per tensor), and
// Finish() pads and commits. Only the header is ever held in memory, so
// multi-GB models stream straight to disk.
//
// Writing to a path goes to "<path>.tmp" and renames on Finish(), so a crash
// or error never leaves a half-written file under the final name. Alignment
// follows `general.alignment` when set, else 32. Not thread-safe.
#ifndef STRATA_STORAGE_GGUF_WRITER_H_
#define STRATA_STORAGE_GGUF_WRITER_H_

#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/dtype.h"
#include "core/tensor.h"
#include "storage/gguf_file.h"
#include "storage/gguf_value.h"

namespace strata {

// Where the writer's bytes go.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual absl::Status Write(absl::string_view bytes) = 0;
  virtual absl::Status Close() = 0;
};

class GgufWriter {
 public:
  explicit GgufWriter(uint32_t version = 3) : version_(version) {}
  ~GgufWriter();

  // Adds or replaces a metadata entry (replacing keeps its position).
  void Set(std::string key, GgufValue value);
  // Declares a tensor; data follows in declaration order after Begin().
  absl::Status AddTensor(std::string name, DType type, std::array<int64_t, kMaxDims> ne,
                         int n_dims);

  // Copies all metadata and tensor declarations of `file` (for round trips).
  absl::Status CopyLayoutFrom(const GgufFile& file);

  // Starts writing to `path` (via "<path>.tmp") or to a custom sink.
  absl::Status Begin(const std::string& path);
  absl::Status Begin(std::unique_ptr<ByteSink> sink);
  // Appends bytes of the current tensor, moving on to the next when full.
  absl::Status Append(absl::string_view bytes);
  // Checks every tensor got all its bytes, closes and (for paths) renames.
  absl::Status Finish();

  // The header alone (magic through tensor infos and padding).
  std::string SerializeHeader() const;
  uint64_t alignment() const;
  // Total size of the file that Finish() will produce.
  uint64_t FileSize() const;
  // Bytes of tensor `index` as it will be written.
  uint64_t TensorBytes(size_t index) const { return tensors_[index].size_bytes; }
  size_t tensor_count() const { return tensors_.size(); }

 private:
  struct Tensor {
    std::string name;
    DType type;
    std::array<int64_t, kMaxDims> ne;
    int n_dims;
    uint64_t size_bytes;
    uint64_t offset = 0;
  };
  void ComputeOffsets();
  absl::Status WritePadding(uint64_t bytes);
  void Abort();

  uint32_t version_;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<Tensor> tensors_;

  std::unique_ptr<ByteSink> sink_;
  std::string final_path_;
  std::string temp_path_;
  size_t current_ = 0;  // Tensor being appended.
  uint64_t current_written_ = 0;
  bool begun_ = false;
};

// A ByteSink that appends to a string (tests and in-memory round trips).
class StringSink : public ByteSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  absl::Status Write(absl::string_view bytes) override {
    out_->append(bytes.data(), bytes.size());
    return absl::OkStatus();
  }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  std::string* out_;
};

// Opens a buffered file sink at `path` (created/truncated).
absl::StatusOr<std::unique_ptr<ByteSink>> OpenFileSink(const std::string& path);

}  // namespace strata

#endif  // STRATA_STORAGE_GGUF_WRITER_H_
