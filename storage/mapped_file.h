// A read-only memory mapping of a whole file.
//
// Used while every weight is resident in RAM (the page cache backs it, so
// several processes share one copy). Owns the mapping; unmaps on destruction.
// Reading the bytes is thread-safe. If another process truncates the file
// while mapped, touching the lost pages raises SIGBUS: the offload tier, which
// reads with pread/io_uring instead, is the path that survives that.
#ifndef STRATA_STORAGE_MAPPED_FILE_H_
#define STRATA_STORAGE_MAPPED_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace strata {

class MappedFile {
 public:
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, uint64_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_;
  uint64_t size_;
};

}  // namespace strata

#endif  // STRATA_STORAGE_MAPPED_FILE_H_
