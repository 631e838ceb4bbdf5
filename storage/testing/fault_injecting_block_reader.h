// A BlockReader that injects I/O faults into a real one, for tests — the
// counterpart of LevelDB's FaultInjectionTestEnv.
//
// Open() opens a real reader exactly as BlockReader::Open does (io_uring with
// O_DIRECT, or the pread fallback) with hooks at the point where each read
// completes, and forwards every call to it. The faults rewrite a completed
// read's result before the reader sees it, so the reader's own error handling,
// drain and short-read resubmission run; nothing is mocked:
//   InjectError(begin, end, err, times): reads overlapping [begin, end) fail
//     with -err (EIO: a media error; EAGAIN: transient), every time or `times`
//     times.
//   LimitBytesPerRead(n): each read returns at most n bytes (a short read); the
//     destination bytes past n are scribbled over, so a reader that did not
//     read them again would return wrong data.
//   SimulateTruncation(size): reads see the file as if it ended at `size`.
// Counters of reads issued and completed tell a test whether anything was left
// in flight when ReadAll returned, and how deep the queue got.
//
// Owns the real reader. Thread-compatible like any BlockReader; the fault
// settings and counters may be changed and read from any thread.
#ifndef STRATA_STORAGE_TESTING_FAULT_INJECTING_BLOCK_READER_H_
#define STRATA_STORAGE_TESTING_FAULT_INJECTING_BLOCK_READER_H_

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/block_reader.h"

namespace strata::testing {

class FaultInjectingBlockReader : public BlockReaderWrapper {
 public:
  struct Counters {
    int64_t issued = 0;     // Reads queued (resubmissions included).
    int64_t completed = 0;  // Reads whose completion the reader handled.
    int64_t max_in_flight = 0;
    int64_t injected_errors = 0;
    int64_t injected_short_reads = 0;
    int64_t injected_truncations = 0;
    // Reads still in flight when the first fault was injected (-1: none yet).
    int64_t in_flight_at_first_fault = -1;

    int64_t in_flight() const { return issued - completed; }
  };

  static absl::StatusOr<std::unique_ptr<FaultInjectingBlockReader>> Open(
      const std::string& path, const BlockReaderOptions& options);
  ~FaultInjectingBlockReader() override;

  // The next `times` reads overlapping [begin, end) fail (-1: all of them).
  void InjectError(uint64_t begin, uint64_t end, int error_number = EIO, int times = -1);
  // 0 removes the limit.
  void LimitBytesPerRead(uint64_t max_bytes);
  void SimulateTruncation(uint64_t size);
  void ClearFaults();

  Counters counters() const;
  void ResetCounters();

 private:
  class Faults;
  FaultInjectingBlockReader(std::unique_ptr<Faults> faults, std::unique_ptr<BlockReader> target);

  std::unique_ptr<Faults> faults_;  // Declared first: outlives target_, which calls it.
  std::unique_ptr<BlockReader> target_;
};

}  // namespace strata::testing

#endif  // STRATA_STORAGE_TESTING_FAULT_INJECTING_BLOCK_READER_H_
