#include "storage/block_reader.h"

#include <atomic>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/internal/block_io.h"
#include "storage/internal/io_uring_block_reader.h"
#include "storage/internal/pread_block_reader.h"

namespace strata {
namespace {

bool IsPowerOfTwo(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

// One line per process, however many files fall back: the reason is the same
// for all of them (the sandbox, the kernel, the file system).
void ReportFallbackOnce(absl::string_view reason) {
  static std::atomic<bool> reported{false};
  if (reported.exchange(true)) return;
  const std::string line =
      absl::StrCat("strata: io_uring unavailable (", reason, "); using pread\n");
  std::fputs(line.c_str(), stderr);
}

}  // namespace

BlockReader::~BlockReader() = default;

absl::StatusOr<std::unique_ptr<BlockReader>> BlockReader::Open(const std::string& path,
                                                               const BlockReaderOptions& options) {
  return internal::OpenBlockReader(path, options, nullptr);
}

namespace internal {

absl::StatusOr<std::unique_ptr<BlockReader>> OpenBlockReader(const std::string& path,
                                                             const BlockReaderOptions& options,
                                                             ReadHooks* hooks) {
  STRATA_RETURN_IF_ERROR(ValidateOptions(options));
  // Errors any reader would hit (no such file, a directory) are reported as
  // such, not as a fallback; this buffered fd also serves the pread reader.
  STRATA_ASSIGN_OR_RETURN(OpenedFile file, OpenRegularFile(path, 0));
  if (options.use_io_uring) {
    auto reader = OpenIoUringBlockReader(path, options, hooks);
    if (reader.ok()) return reader;
    ReportFallbackOnce(reader.status().message());
  }
  return NewPreadBlockReader(path, std::move(file), options, hooks);
}

}  // namespace internal

absl::StatusOr<AlignedRange> EnclosingAlignedRange(uint64_t offset, uint64_t length,
                                                   uint64_t alignment, uint64_t file_size) {
  if (!IsPowerOfTwo(alignment)) {
    return absl::InvalidArgumentError(
        absl::StrCat("EnclosingAlignedRange: alignment ", alignment, " is not a power of two"));
  }
  if (offset > file_size || length > file_size - offset) {
    return absl::InvalidArgumentError(
        absl::StrCat("EnclosingAlignedRange: ", length, " bytes at offset ", offset,
                     " are not inside the file (size ", file_size, ")"));
  }
  AlignedRange range;
  range.offset = offset & ~(alignment - 1);
  range.skip = offset - range.offset;
  if (length > 0) {
    // end <= file_size, so rounding up stays within the file's last block.
    const uint64_t end = offset + length;
    const uint64_t aligned_end = end % alignment == 0 ? end : end + (alignment - end % alignment);
    range.length = aligned_end - range.offset;
  }
  return range;
}

absl::StatusOr<AlignedRange> EnclosingAlignedRange(const BlockReader& reader, uint64_t offset,
                                                   uint64_t length) {
  return EnclosingAlignedRange(offset, length, reader.alignment(), reader.file_size());
}

}  // namespace strata
