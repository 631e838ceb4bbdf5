#include "storage/internal/pread_block_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "core/status_macros.h"

namespace strata::internal {
namespace {

class PreadBlockReader final : public BlockReader {
 public:
  PreadBlockReader(std::string path, OpenedFile file, const BlockReaderOptions& options,
                   ReadHooks* hooks)
      : path_(std::move(path)),
        fd_(std::move(file.fd)),
        file_size_(file.size),
        piece_bytes_(PieceBytes(options, 1)),
        hooks_(hooks) {}

  absl::Status ReadAll(absl::Span<const ReadRequest> requests) override {
    STRATA_RETURN_IF_ERROR(ValidateRequests(path_, requests, 1, file_size_));
    absl::Status status = ReadPieces(requests);
    // Then whatever large folios the pieces left behind (on error too).
    for (const ReadRequest& r : requests) {
      if (r.length > 0) DropFromPageCache(r.offset, r.offset + r.length, /*whole=*/true);
    }
    return status;
  }

  absl::string_view mode() const override { return "pread"; }
  const std::string& path() const override { return path_; }
  uint64_t file_size() const override { return file_size_; }
  uint64_t alignment() const override { return 1; }

 private:
  absl::Status ReadPieces(absl::Span<const ReadRequest> requests) {
    PieceSplitter splitter(requests, piece_bytes_, file_size_);
    Piece piece;
    while (splitter.Next(&piece)) {
      for (;;) {
        if (hooks_ != nullptr) {
          hooks_->OnIssue(piece.next_offset(), piece.next_length(), piece.next_dst());
        }
        const ssize_t got = ::pread(fd_.get(), piece.next_dst(), piece.next_length(),
                                    static_cast<off_t>(piece.next_offset()));
        int64_t result = got < 0 ? -int64_t{errno} : int64_t{got};
        if (hooks_ != nullptr) {
          result = hooks_->OnComplete(piece.next_offset(), piece.next_length(), piece.next_dst(),
                                      result);
        }
        absl::Status error;
        const ReadOutcome outcome = ApplyReadResult(piece, result, 1, path_, &error);
        if (outcome == ReadOutcome::kFailed) return error;
        if (outcome == ReadOutcome::kDone) break;
      }
      // Bound the page cache held during a long request: drop the folios
      // that end inside what was read so far.
      DropFromPageCache(piece.offset, piece.offset + piece.file_bytes, /*whole=*/false);
    }
    return absl::OkStatus();
  }

  // DONTNEED skips any folio it does not cover entirely, and the page cache
  // uses large folios (up to 2 MiB, naturally aligned; a 4 KiB-granular drop
  // of a file written in big chunks drops nothing). So round to 2 MiB:
  // outward (`whole`: every folio touching [begin, end), neighbours included,
  // which at worst are read again), or with the end rounded down (only folios
  // that end before `end`, so a sequential read does not drop what it is
  // about to read).
  void DropFromPageCache(uint64_t begin, uint64_t end, bool whole) {
    constexpr uint64_t kMaxFolio = 2 << 20;
    const uint64_t from = begin / kMaxFolio * kMaxFolio;
    const uint64_t to =
        whole ? (end + kMaxFolio - 1) / kMaxFolio * kMaxFolio : end / kMaxFolio * kMaxFolio;
    if (to <= from) return;
    // Advice: failure changes nothing but memory use.
    (void)::posix_fadvise(fd_.get(), static_cast<off_t>(from), static_cast<off_t>(to - from),
                          POSIX_FADV_DONTNEED);
  }

  const std::string path_;
  const ScopedFd fd_;
  const uint64_t file_size_;
  const uint64_t piece_bytes_;
  ReadHooks* const hooks_;
};

}  // namespace

std::unique_ptr<BlockReader> NewPreadBlockReader(std::string path, OpenedFile file,
                                                 const BlockReaderOptions& options,
                                                 ReadHooks* hooks) {
  return std::make_unique<PreadBlockReader>(std::move(path), std::move(file), options, hooks);
}

}  // namespace strata::internal
