// A scratch file that evicted blocks are written to and read back from: the
// NVMe tier of the paged KV cache (the write path beside BlockReader's reads).
//
// SpillFile::Create makes an unnamed file in a directory (O_TMPFILE, or a
// named file unlinked at once where O_TMPFILE is unsupported), so nothing is
// left behind however the process ends. It is opened with O_DIRECT: spilled
// blocks must not linger in the page cache, which would keep them in RAM and
// defeat the budget that made us spill them. Where O_DIRECT is refused
// (tmpfs before Linux 6.6, some network file systems), the file is used
// buffered, and mode() says so. Writes use pwrite and reads pread, retried on
// EINTR and resumed after short transfers (a spill is one block, already in
// an aligned buffer); ReadMany, which brings back a layer's spilled blocks at
// once, keeps up to 32 reads in flight with io_uring where the kernel allows
// it, so their latencies overlap.
//
// Errors name the directory, the operation and the offset (SpillIoError):
// ENOSPC / EDQUOT → ResourceExhausted ("disk full"), EIO and other media
// errors → DataLoss, anything else → Unavailable. After a failed Write the
// slot's bytes on disk are undefined: callers keep their RAM copy until a
// write succeeds.
//
// With O_DIRECT, every offset, length and buffer address must be a multiple of
// alignment() (4096); callers size and align their buffers with it.
//
// Ownership: the file owns its descriptor; callers own the buffers.
// Thread-compatible: one caller at a time (the KV pool serialises).
#ifndef STRATA_STORAGE_SPILL_FILE_H_
#define STRATA_STORAGE_SPILL_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace strata {

// One read of ReadMany: `length` bytes at `offset` into `data`.
struct SpillRead {
  uint64_t offset = 0;
  void* data = nullptr;
  uint64_t length = 0;
};

class SpillFile {
 public:
  // Creates the spill file in `dir` (which must exist). NotFound for a
  // missing directory, Unavailable when no file can be created there.
  static absl::StatusOr<std::unique_ptr<SpillFile>> Create(const std::string& dir,
                                                           bool direct_io = true);

  virtual ~SpillFile();

  // Writes `length` bytes at `offset` (growing the file as needed).
  virtual absl::Status Write(uint64_t offset, const void* data, uint64_t length) = 0;
  // Reads `length` bytes at `offset`; DataLoss if the file ends first.
  virtual absl::Status Read(uint64_t offset, void* data, uint64_t length) = 0;
  // Every read, in any order; returns the first error once none is in flight
  // (the buffers may then be reused). The default reads one at a time.
  virtual absl::Status ReadMany(absl::Span<const SpillRead> reads);
  // Gives the disk space of [offset, offset + length) back (best effort: a
  // hole is punched where the file system supports it).
  virtual void Discard(uint64_t offset, uint64_t length) = 0;

  // "O_DIRECT" or "buffered".
  virtual absl::string_view mode() const = 0;
  // The directory and how the file is named there, for messages.
  virtual const std::string& path() const = 0;
  // What offsets, lengths and buffer addresses must be multiples of.
  virtual uint64_t alignment() const = 0;
};

// Forwards every call to `target` (not owned): subclass and override one to
// intercept it (LevelDB's EnvWrapper pattern, as BlockReaderWrapper).
class SpillFileWrapper : public SpillFile {
 public:
  explicit SpillFileWrapper(SpillFile* target) : target_(target) {}
  absl::Status Write(uint64_t offset, const void* data, uint64_t length) override {
    return target_->Write(offset, data, length);
  }
  absl::Status Read(uint64_t offset, void* data, uint64_t length) override {
    return target_->Read(offset, data, length);
  }
  absl::Status ReadMany(absl::Span<const SpillRead> reads) override {
    return target_->ReadMany(reads);
  }
  void Discard(uint64_t offset, uint64_t length) override { target_->Discard(offset, length); }
  absl::string_view mode() const override { return target_->mode(); }
  const std::string& path() const override { return target_->path(); }
  uint64_t alignment() const override { return target_->alignment(); }

  SpillFile* target() const { return target_; }

 private:
  SpillFile* target_;
};

// The Status an errno from `op` ("write" or "read") of `length` bytes at
// `offset` becomes; 0 means the file ended early (DataLoss). The real file
// and the test doubles share it, so a test sees the very message users see.
absl::Status SpillIoError(absl::string_view path, absl::string_view op, uint64_t offset,
                          uint64_t length, int err);

}  // namespace strata

#endif  // STRATA_STORAGE_SPILL_FILE_H_
