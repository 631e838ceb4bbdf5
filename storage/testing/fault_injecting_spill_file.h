// A SpillFile that injects write and read faults into a real one, for tests —
// the spill-side counterpart of FaultInjectingBlockReader.
//
// It wraps a real SpillFile (Create() makes one with SpillFile::Create) and
// forwards every call, except that:
//   SetCapacity(bytes): a write ending past `bytes` fails with ENOSPC, as on a
//     full disk (what was written before stays readable);
//   FailWrites(err, times) / FailReads(err, times): the next `times` writes or
//     reads (-1: all) fail with `err` (EIO: a media error);
//   ClearFaults() removes them all.
// Errors are made with SpillIoError(), so callers see exactly the Status (and
// message) a real failure gives. Counters tell a test what was moved.
//
// Owns the real file. Thread-safe (the settings may change from any thread).
#ifndef STRATA_STORAGE_TESTING_FAULT_INJECTING_SPILL_FILE_H_
#define STRATA_STORAGE_TESTING_FAULT_INJECTING_SPILL_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/spill_file.h"

namespace strata::testing {

class FaultInjectingSpillFile : public SpillFileWrapper {
 public:
  struct Counters {
    int64_t writes = 0;  // Successful ones.
    int64_t reads = 0;
    uint64_t bytes_written = 0;
    uint64_t bytes_read = 0;
    int64_t injected_write_errors = 0;
    int64_t injected_read_errors = 0;
  };

  static absl::StatusOr<std::unique_ptr<FaultInjectingSpillFile>> Create(const std::string& dir,
                                                                         bool direct_io = true);
  explicit FaultInjectingSpillFile(std::unique_ptr<SpillFile> target);

  absl::Status Write(uint64_t offset, const void* data, uint64_t length) override;
  absl::Status Read(uint64_t offset, void* data, uint64_t length) override;
  // With read faults set, reads one at a time through Read (so they apply);
  // otherwise the real file's batched path runs.
  absl::Status ReadMany(absl::Span<const SpillRead> reads) override;

  void SetCapacity(uint64_t bytes);
  void FailWrites(int error_number, int times = -1);
  void FailReads(int error_number, int times = -1);
  void ClearFaults();
  Counters counters() const;

 private:
  std::unique_ptr<SpillFile> owned_;
  mutable absl::Mutex mu_;
  uint64_t capacity_ ABSL_GUARDED_BY(mu_) = UINT64_MAX;
  int write_error_ ABSL_GUARDED_BY(mu_) = 0;
  int write_times_ ABSL_GUARDED_BY(mu_) = 0;
  int read_error_ ABSL_GUARDED_BY(mu_) = 0;
  int read_times_ ABSL_GUARDED_BY(mu_) = 0;
  Counters counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::testing

#endif  // STRATA_STORAGE_TESTING_FAULT_INJECTING_SPILL_FILE_H_
