// Positional reads from a file, in the spirit of LevelDB's Env.
//
// A RandomAccessFile reads byte ranges at absolute offsets. Implementations:
// a POSIX one (pread), an in-memory one (tests, fuzzing), and a wrapper that
// forwards every call so a test can override one (fault injection). The
// io_uring/O_DIRECT reader used for weight streaming builds on the same
// interface. All methods are const and thread-safe: they keep no cursor.
#ifndef STRATA_STORAGE_RANDOM_ACCESS_FILE_H_
#define STRATA_STORAGE_RANDOM_ACCESS_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata {

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;

  // Path (or a descriptive name for in-memory files), used in error messages.
  virtual const std::string& path() const = 0;
  virtual uint64_t size() const = 0;
  // Reads exactly `n` bytes at `offset` into `dst`. Reading past the end is a
  // DataLoss error naming the path and offset; I/O errors likewise.
  virtual absl::Status ReadExact(uint64_t offset, size_t n, void* dst) const = 0;
};

// Opens a regular file for pread. NotFound if it does not exist,
// InvalidArgument if it is a directory or not a regular file.
absl::StatusOr<std::unique_ptr<RandomAccessFile>> OpenPosixFile(const std::string& path);

// A file whose contents are `bytes` (copied), named `name`.
std::unique_ptr<RandomAccessFile> NewInMemoryFile(std::string name, std::string bytes);

// Forwards every call to `target` (not owned); subclass and override to
// inject faults.
class RandomAccessFileWrapper : public RandomAccessFile {
 public:
  explicit RandomAccessFileWrapper(const RandomAccessFile* target) : target_(target) {}
  const std::string& path() const override { return target_->path(); }
  uint64_t size() const override { return target_->size(); }
  absl::Status ReadExact(uint64_t offset, size_t n, void* dst) const override {
    return target_->ReadExact(offset, n, dst);
  }

 private:
  const RandomAccessFile* target_;
};

}  // namespace strata

#endif  // STRATA_STORAGE_RANDOM_ACCESS_FILE_H_
