#include "storage/testing/fault_injecting_block_reader.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "core/status_macros.h"
#include "storage/internal/block_io.h"

namespace strata::testing {

class FaultInjectingBlockReader::Faults : public internal::ReadHooks {
 public:
  struct ErrorRange {
    uint64_t begin;
    uint64_t end;
    int error_number;
    int times;  // Reads left to fail; -1: every one.
  };

  void OnIssue(uint64_t offset, uint64_t length, void* dst) override {
    absl::MutexLock lock(&mu_);
    ++counters_.issued;
    counters_.max_in_flight = std::max(counters_.max_in_flight, counters_.in_flight());
  }

  int64_t OnComplete(uint64_t offset, uint64_t length, void* dst, int64_t result) override {
    absl::MutexLock lock(&mu_);
    // The kernel is done with this read either way, so it is no longer in
    // flight when the fault is noted.
    ++counters_.completed;
    if (result < 0) return result;
    if (error_ && error_->times != 0 && offset < error_->end && error_->begin < offset + length) {
      if (error_->times > 0) --error_->times;
      ++counters_.injected_errors;
      NoteFault();
      return -error_->error_number;
    }
    if (truncate_at_ && offset + static_cast<uint64_t>(result) > *truncate_at_) {
      ++counters_.injected_truncations;
      NoteFault();
      result = offset >= *truncate_at_ ? 0 : static_cast<int64_t>(*truncate_at_ - offset);
    }
    if (max_bytes_ > 0 && static_cast<uint64_t>(result) > max_bytes_) {
      ++counters_.injected_short_reads;
      NoteFault();
      // Scribble over what the read brought past the limit: only a re-read
      // puts the right bytes there.
      std::memset(static_cast<uint8_t*>(dst) + max_bytes_, 0xA5, result - max_bytes_);
      result = static_cast<int64_t>(max_bytes_);
    }
    return result;
  }

  absl::Mutex mu_;
  std::optional<ErrorRange> error_ ABSL_GUARDED_BY(mu_);
  std::optional<uint64_t> truncate_at_ ABSL_GUARDED_BY(mu_);
  uint64_t max_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  Counters counters_ ABSL_GUARDED_BY(mu_);

 private:
  void NoteFault() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (counters_.in_flight_at_first_fault < 0) {
      counters_.in_flight_at_first_fault = counters_.in_flight();
    }
  }
};

absl::StatusOr<std::unique_ptr<FaultInjectingBlockReader>> FaultInjectingBlockReader::Open(
    const std::string& path, const BlockReaderOptions& options) {
  auto faults = std::make_unique<Faults>();
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<BlockReader> target,
                          internal::OpenBlockReader(path, options, faults.get()));
  return std::unique_ptr<FaultInjectingBlockReader>(
      new FaultInjectingBlockReader(std::move(faults), std::move(target)));
}

FaultInjectingBlockReader::FaultInjectingBlockReader(std::unique_ptr<Faults> faults,
                                                     std::unique_ptr<BlockReader> target)
    : BlockReaderWrapper(target.get()), faults_(std::move(faults)), target_(std::move(target)) {}

FaultInjectingBlockReader::~FaultInjectingBlockReader() = default;

void FaultInjectingBlockReader::InjectError(uint64_t begin, uint64_t end, int error_number,
                                            int times) {
  absl::MutexLock lock(&faults_->mu_);
  faults_->error_ = Faults::ErrorRange{begin, end, error_number, times};
}

void FaultInjectingBlockReader::LimitBytesPerRead(uint64_t max_bytes) {
  absl::MutexLock lock(&faults_->mu_);
  faults_->max_bytes_ = max_bytes;
}

void FaultInjectingBlockReader::SimulateTruncation(uint64_t size) {
  absl::MutexLock lock(&faults_->mu_);
  faults_->truncate_at_ = size;
}

void FaultInjectingBlockReader::ClearFaults() {
  absl::MutexLock lock(&faults_->mu_);
  faults_->error_.reset();
  faults_->truncate_at_.reset();
  faults_->max_bytes_ = 0;
}

FaultInjectingBlockReader::Counters FaultInjectingBlockReader::counters() const {
  absl::MutexLock lock(&faults_->mu_);
  return faults_->counters_;
}

void FaultInjectingBlockReader::ResetCounters() {
  absl::MutexLock lock(&faults_->mu_);
  faults_->counters_ = Counters{};
}

}  // namespace strata::testing
