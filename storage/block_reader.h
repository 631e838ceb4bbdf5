// Batched reads of byte ranges of one file into caller-provided buffers.
//
// A BlockReader is how weights stream from NVMe into the RAM tier: a caller
// hands it many (offset, length, destination) requests and it keeps up to
// `queue_depth` reads in flight until every byte has arrived. BlockReader::Open
// picks the implementation: io_uring with O_DIRECT (the default: no page-cache
// copy of what the RAM tier already holds), or plain pread followed by
// POSIX_FADV_DONTNEED on what it read, when io_uring or O_DIRECT is unavailable
// (seccomp sandboxes, file systems without O_DIRECT, old kernels). The fallback
// is reported once per process on stderr and always through mode().
//
// With O_DIRECT every request's offset, length and destination address must be
// multiples of alignment() (4096). GGUF tensors are only 32-byte aligned: read
// EnclosingAlignedRange() of a tensor into an AlignedBuffer and point into it.
//
// Ownership: the reader owns its file descriptor (and io_uring ring); callers
// own the destination buffers, which must stay valid until ReadAll returns.
// When ReadAll returns, with success or an error, no read is in flight, so the
// buffers may be freed or reused at once.
//
// Thread-compatible: one thread at a time may call ReadAll (callers
// serialize); mode(), path(), file_size() and alignment() are thread-safe.
// Different readers, even of the same file, are independent.
#ifndef STRATA_STORAGE_BLOCK_READER_H_
#define STRATA_STORAGE_BLOCK_READER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace strata {

// Read `length` bytes at file offset `offset` into `dst`.
struct ReadRequest {
  uint64_t offset = 0;
  uint64_t length = 0;
  void* dst = nullptr;
};

struct BlockReaderOptions {
  // Try io_uring first; false means pread (no automatic upgrade).
  bool use_io_uring = true;
  // Open with O_DIRECT, bypassing the page cache (io_uring reader only; the
  // pread fallback is buffered and drops what it read from the cache).
  bool direct_io = true;
  // Reads in flight at once, in [1, 4096].
  int queue_depth = 16;
  // Requests are split into reads of at most this many bytes (rounded down to
  // alignment(), at least one block), in [1, 1 GiB].
  uint64_t max_request_bytes = 1 << 20;
};

class BlockReader {
 public:
  // Opens `path` for reading. Errors: NotFound (no such file), InvalidArgument
  // (not a regular file, or options out of range), Unavailable (cannot open).
  // io_uring or O_DIRECT being unavailable is not an error: the reader falls
  // back to pread, prints `strata: io_uring unavailable (<why>); using pread`
  // once per process, and says "pread" in mode().
  static absl::StatusOr<std::unique_ptr<BlockReader>> Open(const std::string& path,
                                                           const BlockReaderOptions& options);

  virtual ~BlockReader();

  // Reads every request completely, in any order: each is split into reads of
  // at most max_request_bytes, with up to queue_depth reads in flight. Returns
  // when all are done or, after the first error, as soon as the reads already
  // in flight have completed (nothing is left in flight; after an error the
  // destinations hold unspecified bytes). A request may end past the end of the
  // file by less than alignment() bytes (the aligned range enclosing the file's
  // last bytes); those bytes are zero-filled. Requests of length 0 are ignored.
  //
  // Errors, each naming the path and offset:
  //   InvalidArgument: a request is misaligned (O_DIRECT), has no destination,
  //     or extends past the end of the file; nothing is read.
  //   DataLoss: EIO (or another media error), or the file ended early (it was
  //     truncated while open).
  //   Unavailable: any other I/O error.
  virtual absl::Status ReadAll(absl::Span<const ReadRequest> requests) = 0;

  // "io_uring+O_DIRECT", "io_uring" (buffered) or "pread".
  virtual absl::string_view mode() const = 0;
  virtual const std::string& path() const = 0;
  // The size when the file was opened.
  virtual uint64_t file_size() const = 0;
  // What requests' offset, length and dst must be multiples of: 4096 with
  // O_DIRECT, else 1.
  virtual uint64_t alignment() const = 0;
};

// Forwards every call to `target` (not owned): subclass and override to
// intercept one (LevelDB's EnvWrapper pattern).
class BlockReaderWrapper : public BlockReader {
 public:
  explicit BlockReaderWrapper(BlockReader* target) : target_(target) {}
  absl::Status ReadAll(absl::Span<const ReadRequest> requests) override {
    return target_->ReadAll(requests);
  }
  absl::string_view mode() const override { return target_->mode(); }
  const std::string& path() const override { return target_->path(); }
  uint64_t file_size() const override { return target_->file_size(); }
  uint64_t alignment() const override { return target_->alignment(); }

  BlockReader* target() const { return target_; }

 private:
  BlockReader* target_;
};

// An aligned range of the file enclosing a wanted one: read `length` bytes at
// `offset` into an aligned buffer; the wanted bytes start `skip` bytes in.
struct AlignedRange {
  uint64_t offset = 0;  // The wanted offset rounded down to the alignment.
  uint64_t length = 0;  // A multiple of the alignment (0 for an empty range).
  uint64_t skip = 0;    // wanted offset - offset, < alignment.
};

// The smallest `alignment`-aligned range enclosing [offset, offset + length).
// Its end is rounded up even past the end of the file, by less than one block
// (O_DIRECT reads whole blocks; ReadAll zero-fills past EOF), and never beyond
// the file's last block. InvalidArgument if the wanted range is not inside
// [0, file_size) or `alignment` is not a power of two.
absl::StatusOr<AlignedRange> EnclosingAlignedRange(uint64_t offset, uint64_t length,
                                                   uint64_t alignment, uint64_t file_size);

// The same, with `reader`'s alignment and file size.
absl::StatusOr<AlignedRange> EnclosingAlignedRange(const BlockReader& reader, uint64_t offset,
                                                   uint64_t length);

}  // namespace strata

#endif  // STRATA_STORAGE_BLOCK_READER_H_
