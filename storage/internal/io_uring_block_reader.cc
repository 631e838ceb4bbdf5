#include "storage/internal/io_uring_block_reader.h"

#include <fcntl.h>
#include <liburing.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/aligned_buffer.h"

namespace strata::internal {
namespace {

class IoUringBlockReader final : public BlockReader {
 public:
  IoUringBlockReader(std::string path, OpenedFile file, const BlockReaderOptions& options)
      : path_(std::move(path)),
        fd_(std::move(file.fd)),
        file_size_(file.size),
        direct_(options.direct_io),
        alignment_(options.direct_io ? kDirectIoAlignment : 1),
        piece_bytes_(PieceBytes(options, alignment_)),
        queue_depth_(static_cast<unsigned>(options.queue_depth)),
        slots_(queue_depth_),
        busy_(queue_depth_, false) {}

  ~IoUringBlockReader() override {
    // Every ReadAll reaps what it issued, so nothing the kernel could still
    // write is pending here; exiting the ring also unregisters the file.
    if (ring_ready_) io_uring_queue_exit(&ring_);
  }

  // Sets up the ring and registers the file.
  absl::Status Init() {
    io_uring_params params{};
    // COOP_TASKRUN (5.19+): completions are processed when we enter the
    // kernel anyway, instead of interrupting the task. SUBMIT_ALL: one bad SQE
    // does not stop the rest of a batch. Older kernels reject both: retry bare.
    params.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL;
    int ret = io_uring_queue_init_params(queue_depth_, &ring_, &params);
    if (ret == -EINVAL) {
      params = io_uring_params{};
      ret = io_uring_queue_init_params(queue_depth_, &ring_, &params);
    }
    if (ret < 0) {
      return absl::UnavailableError(absl::StrCat("io_uring_setup: ", std::strerror(-ret)));
    }
    ring_ready_ = true;
    // A registered file saves an fget/fput per read; without it (old kernels,
    // RLIMIT_NOFILE games) plain fds still work.
    const int fd = fd_.get();
    fixed_file_ = io_uring_register_files(&ring_, &fd, 1) == 0;
    return absl::OkStatus();
  }

  void set_hooks(ReadHooks* hooks) { hooks_ = hooks; }

  absl::Status ReadAll(absl::Span<const ReadRequest> requests) override {
    if (!broken_.ok()) return broken_;
    STRATA_RETURN_IF_ERROR(ValidateRequests(path_, requests, alignment_, file_size_));
    PieceSplitter splitter(requests, piece_bytes_, file_size_);
    error_ = absl::OkStatus();
    free_slots_.clear();
    for (uint32_t slot = queue_depth_; slot-- > 0;) free_slots_.push_back(slot);
    bool more = true;
    int transient_failures = 0;
    for (;;) {
      while (error_.ok() && more && !free_slots_.empty()) {
        const uint32_t slot = free_slots_.back();
        if (!splitter.Next(&slots_[slot])) {
          more = false;
          break;
        }
        free_slots_.pop_back();
        Issue(slot);
      }
      if (in_flight_ == 0) break;
      // Submits what is queued and waits for at least one completion.
      const int ret = io_uring_submit_and_wait(&ring_, 1);
      if (ret == -EAGAIN || ret == -EBUSY) {
        // The kernel is short of request memory, or completions are backed up:
        // reap what we can, and back off if there is nothing to reap.
        if (++transient_failures > kMaxRetries) {
          Break(ret);
          break;
        }
        if (io_uring_cq_ready(&ring_) == 0) {
          const timespec pause{0, 1000 * 1000};
          nanosleep(&pause, nullptr);
        }
      } else if (ret < 0 && ret != -EINTR) {
        Break(ret);
        break;
      } else {
        transient_failures = 0;
      }
      Reap();
    }
    if (!broken_.ok()) Drain();
    return error_;
  }

  absl::string_view mode() const override { return direct_ ? "io_uring+O_DIRECT" : "io_uring"; }
  const std::string& path() const override { return path_; }
  uint64_t file_size() const override { return file_size_; }
  uint64_t alignment() const override { return alignment_; }

 private:
  // Queues a read of the rest of slot's piece (submitted by the next
  // io_uring_submit_and_wait).
  void Issue(uint32_t slot) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      // Cannot happen: at most queue_depth reads are queued or in flight and
      // the submission queue has at least queue_depth entries.
      if (error_.ok()) {
        error_ = absl::InternalError(absl::StrCat(path_, ": io_uring submission queue full"));
      }
      free_slots_.push_back(slot);
      return;
    }
    const Piece& p = slots_[slot];
    if (fixed_file_) {
      io_uring_prep_read(sqe, 0, p.next_dst(), static_cast<unsigned>(p.next_length()),
                         p.next_offset());
      sqe->flags |= IOSQE_FIXED_FILE;
    } else {
      io_uring_prep_read(sqe, fd_.get(), p.next_dst(), static_cast<unsigned>(p.next_length()),
                         p.next_offset());
    }
    io_uring_sqe_set_data64(sqe, slot);
    ++in_flight_;
    busy_[slot] = true;
    if (hooks_ != nullptr) hooks_->OnIssue(p.next_offset(), p.next_length(), p.next_dst());
  }

  // Handles every completion available now.
  void Reap() {
    unsigned head;
    io_uring_cqe* cqe;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      Complete(static_cast<uint32_t>(io_uring_cqe_get_data64(cqe)), cqe->res);
    }
    io_uring_cq_advance(&ring_, seen);
  }

  void Complete(uint32_t slot, int64_t result) {
    --in_flight_;
    busy_[slot] = false;
    Piece& p = slots_[slot];
    if (hooks_ != nullptr) {
      result = hooks_->OnComplete(p.next_offset(), p.next_length(), p.next_dst(), result);
    }
    if (!error_.ok()) {  // Draining after an error: drop the result.
      free_slots_.push_back(slot);
      return;
    }
    absl::Status error;
    switch (ApplyReadResult(p, result, alignment_, path_, &error)) {
      case ReadOutcome::kDone:
        free_slots_.push_back(slot);
        break;
      case ReadOutcome::kResubmit:
        Issue(slot);
        break;
      case ReadOutcome::kFailed:
        error_ = std::move(error);
        free_slots_.push_back(slot);
        break;
    }
  }

  // The ring refused a submission for good: fail this and every later ReadAll.
  void Break(int ret) {
    broken_ = absl::UnavailableError(
        absl::StrCat(path_, ": io_uring_submit: ", std::strerror(-ret), " (reader unusable)"));
    if (error_.ok()) error_ = broken_;
  }

  // After Break: waits for the reads the kernel already took (it may still
  // write into the caller's buffers). Reads still in the submission queue were
  // never seen by the kernel and never will be (a broken reader submits no
  // more), so they are completed here as cancelled.
  void Drain() {
    while (in_flight_ > io_uring_sq_ready(&ring_)) {
      io_uring_cqe* cqe;
      const int ret = io_uring_wait_cqe(&ring_, &cqe);  // Waits without submitting.
      if (ret < 0 && ret != -EINTR) break;
      Reap();
    }
    for (uint32_t slot = 0; slot < queue_depth_; ++slot) {
      if (busy_[slot]) Complete(slot, -ECANCELED);
    }
  }

  const std::string path_;
  const ScopedFd fd_;
  const uint64_t file_size_;
  const bool direct_;
  const uint64_t alignment_;
  const uint64_t piece_bytes_;
  const unsigned queue_depth_;
  io_uring ring_{};
  bool ring_ready_ = false;
  bool fixed_file_ = false;
  ReadHooks* hooks_ = nullptr;

  // State of the current ReadAll.
  std::vector<Piece> slots_;  // [queue_depth]; user_data of an SQE is its slot.
  std::vector<bool> busy_;    // [queue_depth]; slot has a read queued or in flight.
  std::vector<uint32_t> free_slots_;
  unsigned in_flight_ = 0;  // Reads queued or in flight whose completion is not reaped.
  absl::Status error_;      // The first error of the current ReadAll.
  absl::Status broken_;     // Set once the ring fails; returned by every later ReadAll.
};

}  // namespace

absl::StatusOr<std::unique_ptr<BlockReader>> OpenIoUringBlockReader(
    const std::string& path, const BlockReaderOptions& options, ReadHooks* hooks) {
  STRATA_RETURN_IF_ERROR(ValidateOptions(options));
  auto file = OpenRegularFile(path, options.direct_io ? O_DIRECT : 0);
  if (!file.ok()) {
    return absl::UnavailableError(absl::StrCat(
        options.direct_io ? "open with O_DIRECT: " : "open: ", file.status().message()));
  }
  auto reader = std::make_unique<IoUringBlockReader>(path, *std::move(file), options);
  STRATA_RETURN_IF_ERROR(reader->Init());
  // Some file systems accept O_DIRECT at open and refuse the reads (EINVAL),
  // and a sandbox may allow io_uring_setup but not io_uring_enter: one real
  // read tells.
  if (reader->file_size() > 0) {
    STRATA_ASSIGN_OR_RETURN(AlignedBuffer probe,
                            AlignedBuffer::Allocate(kDirectIoAlignment, kDirectIoAlignment));
    const uint64_t length =
        options.direct_io ? kDirectIoAlignment : std::min(kDirectIoAlignment, reader->file_size());
    const absl::Status status = reader->ReadAll({ReadRequest{0, length, probe.data()}});
    if (!status.ok()) {
      return absl::UnavailableError(absl::StrCat("probe read: ", status.message()));
    }
  }
  reader->set_hooks(hooks);
  return std::unique_ptr<BlockReader>(std::move(reader));
}

}  // namespace strata::internal
