// The io_uring BlockReader (private to storage/; use BlockReader::Open).
//
// Keeps one ring of queue_depth entries for the reader's lifetime, with the
// file registered (IOSQE_FIXED_FILE) and, by default, opened with O_DIRECT.
// ReadAll keeps up to queue_depth reads in flight, resubmits short reads for
// their remainder, and after an error stops issuing and reaps every read still
// in flight before it returns. Interrupt-driven completions: no IOPOLL (virtio
// and most consumer setups have no poll queues) and no SQPOLL (a spinning
// kernel thread is a core we do not have). Owns its fd and ring.
// Thread-compatible, like every BlockReader; not SINGLE_ISSUER, since
// successive callers may be different threads.
#ifndef STRATA_STORAGE_INTERNAL_IO_URING_BLOCK_READER_H_
#define STRATA_STORAGE_INTERNAL_IO_URING_BLOCK_READER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/block_reader.h"
#include "storage/internal/block_io.h"

namespace strata::internal {

// Opens `path` (O_DIRECT when options.direct_io), sets up the ring, registers
// the file and reads its first block as a probe. Returns Unavailable with the
// reason when any of that fails (no io_uring, seccomp, a file system without
// O_DIRECT, memlock limits): BlockReader::Open then falls back to pread.
// `hooks` (may be null) is installed after the probe.
absl::StatusOr<std::unique_ptr<BlockReader>> OpenIoUringBlockReader(
    const std::string& path, const BlockReaderOptions& options, ReadHooks* hooks);

}  // namespace strata::internal

#endif  // STRATA_STORAGE_INTERNAL_IO_URING_BLOCK_READER_H_
