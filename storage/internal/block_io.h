// Machinery shared by the BlockReader implementations (private to storage/).
//
// Both readers turn requests into pieces (one read syscall or SQE each, at most
// max_request_bytes) with PieceSplitter, and apply every read's result with
// ApplyReadResult, so EOF, short reads, retries and errno → Status are decided
// in one place. ReadHooks is the testing seam: the fault-injecting reader
// (storage/testing/) sees each read as it is issued and rewrites its result as
// it completes, so the real resubmission and drain code is what tests exercise.
//
// Everything here is single-threaded per reader, like ReadAll.
#ifndef STRATA_STORAGE_INTERNAL_BLOCK_IO_H_
#define STRATA_STORAGE_INTERNAL_BLOCK_IO_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/block_reader.h"

namespace strata::internal {

inline constexpr uint64_t kDirectIoAlignment = 4096;
inline constexpr uint64_t kMaxReadBytes = uint64_t{1} << 30;  // Fits a CQE's int32 result.
inline constexpr int kMaxQueueDepth = 4096;
// EINTR/EAGAIN results retried on one piece before giving up.
inline constexpr int kMaxRetries = 64;

// Owns a file descriptor.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.release()) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd();

  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

struct OpenedFile {
  ScopedFd fd;
  uint64_t size = 0;
};

// open(2)s a regular file with O_RDONLY | O_CLOEXEC | `extra_flags`. NotFound,
// InvalidArgument (directory, not a regular file) or Unavailable (any other
// failure, with strerror; `*open_errno` receives errno when non-null).
absl::StatusOr<OpenedFile> OpenRegularFile(const std::string& path, int extra_flags,
                                           int* open_errno = nullptr);

// InvalidArgument unless queue_depth and max_request_bytes are in range.
absl::Status ValidateOptions(const BlockReaderOptions& options);

// Bytes per piece: max_request_bytes rounded down to `alignment`, at least one
// block.
uint64_t PieceBytes(const BlockReaderOptions& options, uint64_t alignment);

// InvalidArgument (naming `path` and the request) unless every non-empty
// request has a destination, lies within [0, RoundUp(file_size, alignment))
// and, for alignment > 1, has offset, length and dst aligned.
absl::Status ValidateRequests(absl::string_view path, absl::Span<const ReadRequest> requests,
                              uint64_t alignment, uint64_t file_size);

// One read's worth of a request, and how far it has got.
struct Piece {
  uint64_t offset = 0;      // File offset of the piece's first byte.
  uint64_t length = 0;      // Bytes of dst it fills.
  uint64_t file_bytes = 0;  // Of those, how many lie before EOF (the rest are zeroed).
  uint8_t* dst = nullptr;
  uint64_t done = 0;  // Bytes already read; the next read is [offset + done, offset + length).
  int retries = 0;    // Consecutive EINTR/EAGAIN results.

  uint64_t next_offset() const { return offset + done; }
  uint64_t next_length() const { return length - done; }
  uint8_t* next_dst() const { return dst + done; }
};

// Yields the pieces of `requests` in order, skipping empty requests.
class PieceSplitter {
 public:
  PieceSplitter(absl::Span<const ReadRequest> requests, uint64_t piece_bytes, uint64_t file_size)
      : requests_(requests), piece_bytes_(piece_bytes), file_size_(file_size) {}
  // False when there are no more pieces.
  bool Next(Piece* piece);

 private:
  absl::Span<const ReadRequest> requests_;
  uint64_t piece_bytes_;
  uint64_t file_size_;
  size_t index_ = 0;     // Current request.
  uint64_t within_ = 0;  // Bytes of it already handed out.
};

enum class ReadOutcome {
  kDone,      // The piece is complete (bytes past EOF zeroed).
  kResubmit,  // Read [next_offset, next_offset + next_length) again.
  kFailed,    // *error says why.
};

// Applies one read's result (bytes read, or -errno) to `piece`. A short read
// advances by the bytes read (rounded down to `alignment`, since an O_DIRECT
// read must start on a block) and asks for the remainder; a read that returns
// 0, or less than one block with O_DIRECT, before the piece's end-of-file
// bytes is the file ending early (DataLoss); EIO and other media errors are
// DataLoss, EINTR/EAGAIN are retried, anything else is Unavailable.
ReadOutcome ApplyReadResult(Piece& piece, int64_t result, uint64_t alignment,
                            absl::string_view path, absl::Status* error);

// The testing seam (see the file comment). Called on the thread running
// ReadAll; a reader calls OnIssue when it queues a read and OnComplete exactly
// once per issued read, before it returns from ReadAll.
class ReadHooks {
 public:
  virtual ~ReadHooks() = default;
  virtual void OnIssue(uint64_t offset, uint64_t length, void* dst) {}
  // `result` is what the kernel returned (bytes or -errno); the reader acts on
  // the returned value instead. May overwrite the `length` bytes at `dst`.
  virtual int64_t OnComplete(uint64_t offset, uint64_t length, void* dst, int64_t result) {
    return result;
  }
};

// BlockReader::Open with `hooks` (not owned; must outlive the reader, may be
// null) installed in whichever implementation is chosen.
absl::StatusOr<std::unique_ptr<BlockReader>> OpenBlockReader(const std::string& path,
                                                             const BlockReaderOptions& options,
                                                             ReadHooks* hooks);

}  // namespace strata::internal

#endif  // STRATA_STORAGE_INTERNAL_BLOCK_IO_H_
