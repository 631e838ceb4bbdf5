#include "storage/spill_file.h"

#include <fcntl.h>
#include <liburing.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/aligned_buffer.h"
#include "storage/internal/block_io.h"

namespace strata {
namespace {

constexpr uint64_t kDirectAlignment = internal::kDirectIoAlignment;

bool IsMediaError(int err) { return err == EIO || err == ENODATA || err == EBADMSG; }

// Reads kept in flight by ReadMany.
constexpr unsigned kQueueDepth = 32;

class PosixSpillFile final : public SpillFile {
 public:
  PosixSpillFile(std::string path, internal::ScopedFd fd, bool direct)
      : path_(std::move(path)), fd_(std::move(fd)), direct_(direct) {
    // Without a ring (seccomp, old kernels) ReadMany reads one at a time.
    ring_ready_ = io_uring_queue_init(kQueueDepth, &ring_, 0) == 0;
  }
  ~PosixSpillFile() override {
    if (ring_ready_) io_uring_queue_exit(&ring_);
  }

  absl::Status ReadMany(absl::Span<const SpillRead> reads) override {
    if (!ring_ready_ || reads.size() < 2) return SpillFile::ReadMany(reads);
    for (const SpillRead& r : reads) {
      STRATA_RETURN_IF_ERROR(CheckAligned("read", r.offset, r.data, r.length));
    }
    absl::Status first_error;
    for (size_t begin = 0; begin < reads.size(); begin += kQueueDepth) {
      const size_t count = std::min<size_t>(kQueueDepth, reads.size() - begin);
      for (size_t i = 0; i < count; ++i) {
        const SpillRead& r = reads[begin + i];
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        io_uring_prep_read(sqe, fd_.get(), r.data, static_cast<unsigned>(r.length), r.offset);
        io_uring_sqe_set_data64(sqe, begin + i);
      }
      size_t submitted = 0;
      while (submitted < count) {
        const int n = io_uring_submit(&ring_);
        if (n == -EINTR || n == -EAGAIN) continue;
        if (n <= 0) break;
        submitted += static_cast<size_t>(n);
      }
      // Every submitted read is reaped before we return: the kernel must be
      // done with the buffers.
      for (size_t done = 0; done < submitted;) {
        io_uring_cqe* cqe = nullptr;
        const int ret = io_uring_wait_cqe(&ring_, &cqe);
        if (ret == -EINTR) continue;
        if (ret < 0) {
          // Cannot reap: the ring is unusable from here on.
          ring_ready_ = false;
          return SpillIoError(path_, "read", 0, 0, -ret);
        }
        const SpillRead& r = reads[io_uring_cqe_get_data64(cqe)];
        const int res = cqe->res;
        io_uring_cqe_seen(&ring_, cqe);
        ++done;
        // A short, interrupted or failed read is redone synchronously,
        // where Read() decides what it means.
        if (res != static_cast<int>(r.length) && first_error.ok()) {
          first_error = Read(r.offset, r.data, r.length);
        }
      }
      if (submitted < count) {
        // The ring refused the rest; never use it again (the unsubmitted
        // entries stay in it, harmlessly, until it is torn down).
        ring_ready_ = false;
        for (size_t i = submitted; i < count && first_error.ok(); ++i) {
          const SpillRead& r = reads[begin + i];
          first_error = Read(r.offset, r.data, r.length);
        }
      }
      if (!first_error.ok()) return first_error;
    }
    return absl::OkStatus();
  }

  absl::Status Write(uint64_t offset, const void* data, uint64_t length) override {
    STRATA_RETURN_IF_ERROR(CheckAligned("write", offset, data, length));
    const auto* p = static_cast<const uint8_t*>(data);
    uint64_t done = 0;
    while (done < length) {
      const ssize_t n =
          ::pwrite(fd_.get(), p + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return SpillIoError(path_, "write", offset + done, length - done, errno);
      }
      if (n == 0) return SpillIoError(path_, "write", offset + done, length - done, ENOSPC);
      // A short write means the device filled up part-way; the next call
      // reports why (ENOSPC). O_DIRECT resumes on a block boundary.
      const uint64_t advance = direct_
                                   ? static_cast<uint64_t>(n) / kDirectAlignment * kDirectAlignment
                                   : static_cast<uint64_t>(n);
      if (advance == 0) return SpillIoError(path_, "write", offset + done, length - done, ENOSPC);
      done += advance;
    }
    return absl::OkStatus();
  }

  absl::Status Read(uint64_t offset, void* data, uint64_t length) override {
    STRATA_RETURN_IF_ERROR(CheckAligned("read", offset, data, length));
    auto* p = static_cast<uint8_t*>(data);
    uint64_t done = 0;
    while (done < length) {
      const ssize_t n =
          ::pread(fd_.get(), p + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return SpillIoError(path_, "read", offset + done, length - done, errno);
      }
      if (n == 0) return SpillIoError(path_, "read", offset + done, length - done, 0);
      done += static_cast<uint64_t>(n);
    }
    return absl::OkStatus();
  }

  void Discard(uint64_t offset, uint64_t length) override {
    if (length == 0) return;
    // Advice-like: a file system without hole punching keeps the bytes.
    (void)::fallocate(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      static_cast<off_t>(offset), static_cast<off_t>(length));
  }

  absl::string_view mode() const override { return direct_ ? "O_DIRECT" : "buffered"; }
  const std::string& path() const override { return path_; }
  uint64_t alignment() const override { return direct_ ? kDirectAlignment : 1; }

  // O_DIRECT can be accepted by open(2) and still refused by the first
  // transfer (EINVAL): try one block, and fall back to buffered I/O if so.
  absl::Status Probe() {
    if (!direct_) return absl::OkStatus();
    STRATA_ASSIGN_OR_RETURN(AlignedBuffer block, AlignedBuffer::Allocate(kDirectAlignment));
    std::memset(block.data(), 0, block.size());
    if (::pwrite(fd_.get(), block.data(), block.size(), 0) == static_cast<ssize_t>(block.size())) {
      return absl::OkStatus();
    }
    const int err = errno;
    if (err != EINVAL) return SpillIoError(path_, "write", 0, block.size(), err);
    const int flags = ::fcntl(fd_.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd_.get(), F_SETFL, flags & ~O_DIRECT) != 0) {
      return SpillIoError(path_, "fcntl", 0, 0, errno);
    }
    direct_ = false;
    return absl::OkStatus();
  }

 private:
  absl::Status CheckAligned(absl::string_view op, uint64_t offset, const void* data,
                            uint64_t length) const {
    if (!direct_) return absl::OkStatus();
    if (offset % kDirectAlignment != 0 || length % kDirectAlignment != 0 ||
        reinterpret_cast<uintptr_t>(data) % kDirectAlignment != 0) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": ", op, " of ", length,
                                                     " bytes at offset ", offset,
                                                     " is not aligned to ", kDirectAlignment));
    }
    return absl::OkStatus();
  }

  const std::string path_;
  const internal::ScopedFd fd_;
  bool direct_;
  io_uring ring_{};
  bool ring_ready_ = false;
};

// An unnamed file in `dir`: O_TMPFILE where the file system has it, else a
// named one removed at once.
absl::StatusOr<internal::ScopedFd> OpenUnnamed(const std::string& dir, int flags) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC | flags, 0600);
  if (fd >= 0) return internal::ScopedFd(fd);
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    return SpillIoError(dir, "create", 0, 0, errno);
  }
  std::string name = dir + "/strata-kv-spill-XXXXXX";
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return SpillIoError(dir, "create", 0, 0, errno);
  ::unlink(name.c_str());
  internal::ScopedFd owned(fd);
  if (flags != 0) {
    const int current = ::fcntl(fd, F_GETFL);
    if (current < 0 || ::fcntl(fd, F_SETFL, current | flags) != 0) {
      return absl::InvalidArgumentError("O_DIRECT refused");
    }
  }
  return owned;
}

}  // namespace

SpillFile::~SpillFile() = default;

absl::Status SpillFile::ReadMany(absl::Span<const SpillRead> reads) {
  for (const SpillRead& r : reads) STRATA_RETURN_IF_ERROR(Read(r.offset, r.data, r.length));
  return absl::OkStatus();
}

absl::Status SpillIoError(absl::string_view path, absl::string_view op, uint64_t offset,
                          uint64_t length, int err) {
  const std::string where =
      length > 0 ? absl::StrCat(" (", length, " bytes at offset ", offset, ")") : "";
  if (err == 0) {
    return absl::DataLossError(
        absl::StrCat("KV spill file in ", path, ": ", op, where, ": the file ended early"));
  }
  const std::string what =
      absl::StrCat("KV spill file in ", path, ": ", op, where, " failed: ", std::strerror(err));
  if (err == ENOSPC || err == EDQUOT) {
    return absl::ResourceExhaustedError(absl::StrCat(what, " (disk full)"));
  }
  if (IsMediaError(err)) return absl::DataLossError(what);
  return absl::UnavailableError(what);
}

absl::StatusOr<std::unique_ptr<SpillFile>> SpillFile::Create(const std::string& dir,
                                                             bool direct_io) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("KV spill directory ", dir, ": ", std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV spill directory ", dir, ": not a directory"));
  }
  const std::string name = absl::StrCat(dir, " (unnamed file)");
  if (direct_io) {
    absl::StatusOr<internal::ScopedFd> fd = OpenUnnamed(dir, O_DIRECT);
    if (fd.ok()) {
      auto file = std::make_unique<PosixSpillFile>(name, *std::move(fd), /*direct=*/true);
      STRATA_RETURN_IF_ERROR(file->Probe());
      return file;
    }
  }
  STRATA_ASSIGN_OR_RETURN(internal::ScopedFd fd, OpenUnnamed(dir, 0));
  return std::make_unique<PosixSpillFile>(name, std::move(fd), /*direct=*/false);
}

}  // namespace strata
