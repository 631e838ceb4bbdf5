// The pread fallback BlockReader (private to storage/; use BlockReader::Open).
//
// Reads each piece with a blocking pread(2), one at a time (queue_depth is
// not used: there is one read in flight), through the page cache, then drops
// what it read (POSIX_FADV_DONTNEED, rounded out to the 2 MiB large folios the
// page cache may use) so the RAM tier's copy is the only one. Used when
// io_uring or O_DIRECT is unavailable, or when options.use_io_uring is false;
// alignment() is 1. Owns its file descriptor. Thread-compatible, like every
// BlockReader.
#ifndef STRATA_STORAGE_INTERNAL_PREAD_BLOCK_READER_H_
#define STRATA_STORAGE_INTERNAL_PREAD_BLOCK_READER_H_

#include <memory>
#include <string>

#include "storage/block_reader.h"
#include "storage/internal/block_io.h"

namespace strata::internal {

// Takes ownership of `file` (opened without O_DIRECT). `hooks` may be null.
std::unique_ptr<BlockReader> NewPreadBlockReader(std::string path, OpenedFile file,
                                                 const BlockReaderOptions& options,
                                                 ReadHooks* hooks);

}  // namespace strata::internal

#endif  // STRATA_STORAGE_INTERNAL_PREAD_BLOCK_READER_H_
