#include "storage/testing/fault_injecting_spill_file.h"

#include <cerrno>
#include <utility>

#include "core/status_macros.h"

namespace strata::testing {
namespace {

// Consumes one use of an injected fault; true if this call should fail.
bool Take(int error, int* times) {
  if (error == 0 || *times == 0) return false;
  if (*times > 0) --*times;
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FaultInjectingSpillFile>> FaultInjectingSpillFile::Create(
    const std::string& dir, bool direct_io) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<SpillFile> file, SpillFile::Create(dir, direct_io));
  return std::make_unique<FaultInjectingSpillFile>(std::move(file));
}

FaultInjectingSpillFile::FaultInjectingSpillFile(std::unique_ptr<SpillFile> target)
    : SpillFileWrapper(target.get()), owned_(std::move(target)) {}

absl::Status FaultInjectingSpillFile::Write(uint64_t offset, const void* data, uint64_t length) {
  {
    absl::MutexLock lock(&mu_);
    if (Take(write_error_, &write_times_)) {
      ++counters_.injected_write_errors;
      return SpillIoError(path(), "write", offset, length, write_error_);
    }
    if (offset + length > capacity_) {
      ++counters_.injected_write_errors;
      return SpillIoError(path(), "write", offset, length, ENOSPC);
    }
  }
  STRATA_RETURN_IF_ERROR(SpillFileWrapper::Write(offset, data, length));
  absl::MutexLock lock(&mu_);
  ++counters_.writes;
  counters_.bytes_written += length;
  return absl::OkStatus();
}

absl::Status FaultInjectingSpillFile::Read(uint64_t offset, void* data, uint64_t length) {
  {
    absl::MutexLock lock(&mu_);
    if (Take(read_error_, &read_times_)) {
      ++counters_.injected_read_errors;
      return SpillIoError(path(), "read", offset, length, read_error_);
    }
  }
  STRATA_RETURN_IF_ERROR(SpillFileWrapper::Read(offset, data, length));
  absl::MutexLock lock(&mu_);
  ++counters_.reads;
  counters_.bytes_read += length;
  return absl::OkStatus();
}

absl::Status FaultInjectingSpillFile::ReadMany(absl::Span<const SpillRead> reads) {
  bool faulty;
  {
    absl::MutexLock lock(&mu_);
    faulty = read_error_ != 0 && read_times_ != 0;
  }
  if (faulty) return SpillFile::ReadMany(reads);
  STRATA_RETURN_IF_ERROR(SpillFileWrapper::ReadMany(reads));
  absl::MutexLock lock(&mu_);
  for (const SpillRead& r : reads) {
    ++counters_.reads;
    counters_.bytes_read += r.length;
  }
  return absl::OkStatus();
}

void FaultInjectingSpillFile::SetCapacity(uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  capacity_ = bytes;
}

void FaultInjectingSpillFile::FailWrites(int error_number, int times) {
  absl::MutexLock lock(&mu_);
  write_error_ = error_number;
  write_times_ = times;
}

void FaultInjectingSpillFile::FailReads(int error_number, int times) {
  absl::MutexLock lock(&mu_);
  read_error_ = error_number;
  read_times_ = times;
}

void FaultInjectingSpillFile::ClearFaults() {
  absl::MutexLock lock(&mu_);
  capacity_ = UINT64_MAX;
  write_error_ = read_error_ = 0;
  write_times_ = read_times_ = 0;
}

FaultInjectingSpillFile::Counters FaultInjectingSpillFile::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

}  // namespace strata::testing
