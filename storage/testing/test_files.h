// Helpers for storage tests that need real files: random contents, a plain
// pread of the same bytes to compare a reader against, and whether io_uring
// with O_DIRECT works in a directory (so a test can insist that the reader
// really used it there). Header-only; not thread-safe beyond what the OS gives.
#ifndef STRATA_STORAGE_TESTING_TEST_FILES_H_
#define STRATA_STORAGE_TESTING_TEST_FILES_H_

#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

namespace strata::testing {

inline std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(n, '\0');
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t v = rng();
    for (int b = 0; b < 8; ++b) bytes[i + b] = static_cast<char>(v >> (8 * b));
  }
  for (; i < n; ++i) bytes[i] = static_cast<char>(rng());
  return bytes;
}

// Writes `bytes` to `path` and fsyncs it (POSIX_FADV_DONTNEED drops only
// clean pages). False on any error.
inline bool WriteWholeFile(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  const bool ok = ::fsync(fd) == 0;
  return ::close(fd) == 0 && ok;
}

// The reference: `length` bytes at `offset` read with plain pread through a
// fresh descriptor (shorter at EOF; empty on error).
inline std::string PreadBytes(const std::string& path, uint64_t offset, uint64_t length) {
  std::string out(length, '\0');
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd, out.data() + done, length - done, offset + done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

// True if this process can set up an io_uring and open `file` with O_DIRECT,
// i.e. BlockReader::Open must not fall back for it.
inline bool DirectIoUringWorks(const std::string& file) {
  io_uring ring;
  if (io_uring_queue_init(4, &ring, 0) != 0) return false;
  io_uring_queue_exit(&ring);
  const int fd = ::open(file.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

}  // namespace strata::testing

#endif  // STRATA_STORAGE_TESTING_TEST_FILES_H_
