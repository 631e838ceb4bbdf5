#include "storage/internal/block_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace strata::internal {
namespace {

bool IsMediaError(int err) {
  // EUCLEAN: a file system checksum mismatch (btrfs, xfs metadata).
  return err == EIO || err == ENODATA || err == EBADMSG || err == EUCLEAN;
}

}  // namespace

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<OpenedFile> OpenRegularFile(const std::string& path, int extra_flags,
                                           int* open_errno) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | extra_flags);
  if (fd < 0) {
    const int err = errno;
    if (open_errno != nullptr) *open_errno = err;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::UnavailableError(absl::StrCat(path, ": cannot open: ", std::strerror(err)));
  }
  OpenedFile file{ScopedFd(fd), 0};
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return absl::UnavailableError(absl::StrCat(path, ": cannot stat: ", std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, not a model file"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  file.size = static_cast<uint64_t>(st.st_size);
  return file;
}

absl::Status ValidateOptions(const BlockReaderOptions& options) {
  if (options.queue_depth < 1 || options.queue_depth > kMaxQueueDepth) {
    return absl::InvalidArgumentError(absl::StrCat("BlockReader: queue_depth ", options.queue_depth,
                                                   " is not in [1, ", kMaxQueueDepth, "]"));
  }
  if (options.max_request_bytes < 1 || options.max_request_bytes > kMaxReadBytes) {
    return absl::InvalidArgumentError(absl::StrCat("BlockReader: max_request_bytes ",
                                                   options.max_request_bytes, " is not in [1, ",
                                                   kMaxReadBytes, "]"));
  }
  return absl::OkStatus();
}

uint64_t PieceBytes(const BlockReaderOptions& options, uint64_t alignment) {
  const uint64_t rounded = options.max_request_bytes / alignment * alignment;
  return std::max(rounded, alignment);
}

absl::Status ValidateRequests(absl::string_view path, absl::Span<const ReadRequest> requests,
                              uint64_t alignment, uint64_t file_size) {
  // Reads may run into the file's last block past EOF (zero-filled).
  const uint64_t limit = file_size % alignment == 0 || file_size > UINT64_MAX - alignment
                             ? file_size
                             : file_size + (alignment - file_size % alignment);
  for (size_t i = 0; i < requests.size(); ++i) {
    const ReadRequest& r = requests[i];
    if (r.length == 0) continue;
    if (r.dst == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": read request ", i, " (", r.length,
                                                     " bytes at offset ", r.offset,
                                                     ") has no destination"));
    }
    if (r.offset > limit || r.length > limit - r.offset) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": read request ", i, " (", r.length, " bytes at offset ", r.offset,
                       ") extends past the end of the file (size ", file_size, ")"));
    }
    if (alignment > 1 && (r.offset % alignment != 0 || r.length % alignment != 0 ||
                          reinterpret_cast<uintptr_t>(r.dst) % alignment != 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": read request ", i, " (", r.length, " bytes at offset ", r.offset, " into ",
          absl::Hex(reinterpret_cast<uintptr_t>(r.dst)), ") is not aligned to ", alignment,
          " bytes as O_DIRECT requires; read EnclosingAlignedRange() into an AlignedBuffer"));
    }
  }
  return absl::OkStatus();
}

bool PieceSplitter::Next(Piece* piece) {
  while (index_ < requests_.size() && within_ >= requests_[index_].length) {
    ++index_;
    within_ = 0;
  }
  if (index_ == requests_.size()) return false;
  const ReadRequest& r = requests_[index_];
  const uint64_t length = std::min(piece_bytes_, r.length - within_);
  *piece = Piece{};
  piece->offset = r.offset + within_;
  piece->length = length;
  piece->file_bytes =
      piece->offset >= file_size_ ? 0 : std::min(length, file_size_ - piece->offset);
  piece->dst = static_cast<uint8_t*>(r.dst) + within_;
  within_ += length;
  return true;
}

ReadOutcome ApplyReadResult(Piece& piece, int64_t result, uint64_t alignment,
                            absl::string_view path, absl::Status* error) {
  if (result < 0) {
    const int err = static_cast<int>(-result);
    if ((err == EINTR || err == EAGAIN) && ++piece.retries <= kMaxRetries) {
      return ReadOutcome::kResubmit;
    }
    const std::string message =
        absl::StrCat(path, ": read error at offset ", piece.next_offset(), " (",
                     piece.next_length(), " bytes): ", std::strerror(err));
    *error = IsMediaError(err) ? absl::DataLossError(message) : absl::UnavailableError(message);
    return ReadOutcome::kFailed;
  }
  piece.retries = 0;
  const uint64_t got = std::min(static_cast<uint64_t>(result), piece.next_length());
  if (piece.done + got >= piece.file_bytes) {
    // Whatever lies past the size at open (a block's tail past EOF, or bytes
    // of a file that grew) reads as zeros, whatever the device sent.
    std::memset(piece.dst + piece.file_bytes, 0, piece.length - piece.file_bytes);
    piece.done = piece.length;
    return ReadOutcome::kDone;
  }
  // O_DIRECT reads start on a block: re-read the partial block. Less than a
  // whole block (or nothing) before the expected end means EOF came early.
  const uint64_t advance = got / alignment * alignment;
  if (advance == 0) {
    *error = absl::DataLossError(
        absl::StrCat(path, ": file ended at offset ", piece.next_offset() + got, ", before offset ",
                     piece.offset + piece.file_bytes, " (truncated while open?)"));
    return ReadOutcome::kFailed;
  }
  piece.done += advance;
  return ReadOutcome::kResubmit;
}

}  // namespace strata::internal
