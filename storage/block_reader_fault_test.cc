// Fault tests for BlockReader, through FaultInjectingBlockReader (faults at the
// completion of real reads) and a real ftruncate of an open file.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/aligned_buffer.h"
#include "storage/block_reader.h"
#include "storage/testing/fault_injecting_block_reader.h"
#include "storage/testing/test_files.h"
#include "tests/support/fixtures.h"

namespace strata {
namespace {

using ::strata::testing::DirectIoUringWorks;
using ::strata::testing::FaultInjectingBlockReader;
using ::strata::testing::RandomBytes;
using ::strata::testing::ScratchDir;
using ::strata::testing::WriteWholeFile;
using ::testing::HasSubstr;

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kFileSize = 16 * kMiB;

enum class Mode { kIoUring, kPread };

class BlockReaderFaultTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    path_ = ScratchDir() + "/" + name + ".bin";
    bytes_ = RandomBytes(kFileSize, 99);
    ASSERT_TRUE(WriteWholeFile(path_, bytes_)) << path_;
  }

  std::unique_ptr<FaultInjectingBlockReader> Open(int queue_depth) {
    BlockReaderOptions options;
    options.use_io_uring = GetParam() == Mode::kIoUring;
    options.queue_depth = queue_depth;
    auto reader = FaultInjectingBlockReader::Open(path_, options);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return nullptr;
    if (options.use_io_uring && DirectIoUringWorks(path_)) {
      EXPECT_EQ((*reader)->mode(), "io_uring+O_DIRECT");
    }
    (*reader)->ResetCounters();
    return *std::move(reader);
  }

  // The whole file as `n` equal aligned requests into one buffer.
  std::vector<ReadRequest> WholeFile(AlignedBuffer& buffer, int n) {
    std::vector<ReadRequest> requests;
    const uint64_t each = kFileSize / n;
    for (int i = 0; i < n; ++i) requests.push_back({i * each, each, buffer.data() + i * each});
    return requests;
  }

  bool BufferHoldsFile(const AlignedBuffer& buffer) {
    return std::memcmp(buffer.data(), bytes_.data(), kFileSize) == 0;
  }

  std::string path_;
  std::string bytes_;
};

INSTANTIATE_TEST_SUITE_P(Modes, BlockReaderFaultTest,
                         ::testing::Values(Mode::kIoUring, Mode::kPread),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return info.param == Mode::kIoUring ? "IoUring" : "Pread";
                         });

TEST_P(BlockReaderFaultTest, EioBecomesDataLossNamingPathAndOffsetWithNothingLeftInFlight) {
  auto reader = Open(/*queue_depth=*/16);
  ASSERT_NE(reader, nullptr);
  auto buffer = AlignedBuffer::Allocate(kFileSize);
  ASSERT_TRUE(buffer.ok());
  // 64 requests of 256 KiB; the one at 9 MiB has a bad sector 4 KiB in.
  const std::vector<ReadRequest> requests = WholeFile(*buffer, 64);
  reader->InjectError(9 * kMiB + 4096, 9 * kMiB + 4097, EIO);
  const absl::Status status = reader->ReadAll(requests);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr(path_));
  EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("offset ", 9 * kMiB)));
  EXPECT_THAT(status.message(), HasSubstr("Input/output error"));

  const auto counters = reader->counters();
  EXPECT_EQ(counters.injected_errors, 1);
  EXPECT_EQ(counters.in_flight(), 0) << "ReadAll returned with reads in flight";
  if (GetParam() == Mode::kIoUring) {
    // The error arrived while other reads were in flight, and those were
    // reaped before ReadAll returned, not abandoned.
    EXPECT_GT(counters.in_flight_at_first_fault, 0);
  }
  // Nothing writes into the buffer after ReadAll returned.
  std::memset(buffer->data(), 0x5A, kFileSize);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (uint64_t i = 0; i < kFileSize; i += 512) ASSERT_EQ(buffer->data()[i], 0x5A) << i;

  // The reader is still usable (no stale completions in its ring).
  reader->ClearFaults();
  ASSERT_TRUE(reader->ReadAll(requests).ok());
  EXPECT_TRUE(BufferHoldsFile(*buffer));
  EXPECT_EQ(reader->counters().in_flight(), 0);
}

TEST_P(BlockReaderFaultTest, OtherErrorsBecomeUnavailable) {
  auto reader = Open(8);
  ASSERT_NE(reader, nullptr);
  auto buffer = AlignedBuffer::Allocate(kFileSize);
  ASSERT_TRUE(buffer.ok());
  reader->InjectError(0, kFileSize, ENOMEM);
  const absl::Status status = reader->ReadAll(WholeFile(*buffer, 16));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr(path_));
  EXPECT_EQ(reader->counters().in_flight(), 0);
}

TEST_P(BlockReaderFaultTest, TransientErrorsAreRetriedButNotForever) {
  auto reader = Open(8);
  ASSERT_NE(reader, nullptr);
  auto buffer = AlignedBuffer::Allocate(kFileSize);
  ASSERT_TRUE(buffer.ok());
  // A read that fails with EAGAIN a few times, then succeeds.
  reader->InjectError(3 * kMiB, 3 * kMiB + 1, EAGAIN, /*times=*/3);
  ASSERT_TRUE(reader->ReadAll(WholeFile(*buffer, 16)).ok());
  EXPECT_TRUE(BufferHoldsFile(*buffer));
  EXPECT_EQ(reader->counters().injected_errors, 3);
  // One that always does.
  reader->InjectError(3 * kMiB, 3 * kMiB + 1, EAGAIN);
  const absl::Status status = reader->ReadAll(WholeFile(*buffer, 16));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("offset ", 3 * kMiB)));
  EXPECT_EQ(reader->counters().in_flight(), 0);
}

TEST_P(BlockReaderFaultTest, ShortReadsAreResubmittedForTheRemainder) {
  auto reader = Open(8);
  ASSERT_NE(reader, nullptr);
  // Not a multiple of 4096: with O_DIRECT the reader must re-read the partial
  // block; the fault scribbles over everything past the limit.
  reader->LimitBytesPerRead(GetParam() == Mode::kIoUring ? 3 * 4096 + 100 : 1000);
  std::mt19937_64 rng(5);
  std::vector<AlignedBuffer> buffers;
  std::vector<ReadRequest> requests;
  std::vector<std::pair<uint64_t, uint64_t>> wanted;
  for (int i = 0; i < 40; ++i) {
    const uint64_t length = 1 + rng() % (256 * 1024);
    const uint64_t offset = rng() % (kFileSize - length + 1);
    auto range = EnclosingAlignedRange(*reader, offset, length);
    ASSERT_TRUE(range.ok());
    auto buffer = AlignedBuffer::Allocate(range->length);
    ASSERT_TRUE(buffer.ok());
    requests.push_back({range->offset, range->length, buffer->data()});
    wanted.push_back({offset, range->skip});
    buffers.push_back(*std::move(buffer));
  }
  ASSERT_TRUE(reader->ReadAll(requests).ok());
  for (size_t i = 0; i < requests.size(); ++i) {
    ASSERT_EQ(
        std::memcmp(buffers[i].data(), bytes_.data() + requests[i].offset, requests[i].length), 0)
        << "request " << i;
  }
  const auto counters = reader->counters();
  EXPECT_GT(counters.injected_short_reads, 40);
  EXPECT_GT(counters.issued, 400);  // Every request took many resubmissions.
  EXPECT_EQ(counters.in_flight(), 0);
}

TEST_P(BlockReaderFaultTest, SimulatedTruncationBecomesDataLoss) {
  auto reader = Open(16);
  ASSERT_NE(reader, nullptr);
  auto buffer = AlignedBuffer::Allocate(kFileSize);
  ASSERT_TRUE(buffer.ok());
  reader->SimulateTruncation(5 * kMiB + 100);
  const absl::Status status = reader->ReadAll(WholeFile(*buffer, 16));
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr(path_));
  EXPECT_THAT(status.message(), HasSubstr("file ended at offset"));
  EXPECT_GT(reader->counters().injected_truncations, 0);
  EXPECT_EQ(reader->counters().in_flight(), 0);
}

TEST_P(BlockReaderFaultTest, FileTruncatedWhileOpenBecomesDataLoss) {
  // A copy, truncated for real while the reader has it open.
  const std::string copy = path_ + ".copy";
  ASSERT_TRUE(WriteWholeFile(copy, bytes_));
  BlockReaderOptions options;
  options.use_io_uring = GetParam() == Mode::kIoUring;
  auto reader = FaultInjectingBlockReader::Open(copy, options);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto buffer = AlignedBuffer::Allocate(kFileSize);
  ASSERT_TRUE(buffer.ok());
  const uint64_t new_size = 6 * kMiB + 1000;  // Inside a block.
  const int fd = ::open(copy.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(new_size)), 0);
  ::close(fd);

  // What is left still reads.
  ASSERT_TRUE((*reader)->ReadAll({ReadRequest{0, 6 * kMiB, buffer->data()}}).ok());
  EXPECT_EQ(std::memcmp(buffer->data(), bytes_.data(), 6 * kMiB), 0);

  const absl::Status status = (*reader)->ReadAll(WholeFile(*buffer, 16));
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr(copy));
  EXPECT_THAT(status.message(), HasSubstr("file ended at offset"));
  EXPECT_EQ((*reader)->counters().in_flight(), 0);
  // Only the block straddling the new end, or a read past it, can fail.
  const std::string message(status.message());
  std::smatch match;
  ASSERT_TRUE(std::regex_search(message, match, std::regex("file ended at offset ([0-9]+)")));
  const uint64_t offset = std::stoull(match[1]);
  EXPECT_GE(offset, new_size / 4096 * 4096) << message;
}

}  // namespace
}  // namespace strata
