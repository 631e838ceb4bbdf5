#include "storage/block_reader.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/aligned_buffer.h"
#include "storage/testing/fault_injecting_block_reader.h"
#include "storage/testing/test_files.h"
#include "tests/support/fixtures.h"

namespace strata {
namespace {

using ::strata::testing::DirectIoUringWorks;
using ::strata::testing::FaultInjectingBlockReader;
using ::strata::testing::PreadBytes;
using ::strata::testing::RandomBytes;
using ::strata::testing::ScratchDir;
using ::strata::testing::WriteWholeFile;
using ::testing::HasSubstr;

constexpr uint64_t kMiB = 1 << 20;
// Not a multiple of 4096: the last block is partial.
constexpr uint64_t kFileSize = 8 * kMiB + 12345;

enum class Mode { kIoUring, kPread };

std::string ModeName(const ::testing::TestParamInfo<Mode>& info) {
  return info.param == Mode::kIoUring ? "IoUring" : "Pread";
}

BlockReaderOptions OptionsFor(Mode mode) {
  BlockReaderOptions options;
  options.use_io_uring = mode == Mode::kIoUring;
  return options;
}

// A wanted byte range (not aligned) and what a reader returned for it.
struct Range {
  uint64_t offset;
  uint64_t length;
};

// Reads every range the way the offload cache will: the aligned range
// enclosing it into an AlignedBuffer, all in one ReadAll. Returns the wanted
// bytes of each, and checks that bytes past EOF in a buffer are zero.
absl::StatusOr<std::vector<std::string>> ReadRanges(BlockReader& reader,
                                                    const std::vector<Range>& ranges) {
  std::vector<AlignedBuffer> buffers;
  std::vector<AlignedRange> aligned;
  std::vector<ReadRequest> requests;
  for (const Range& r : ranges) {
    auto range = EnclosingAlignedRange(reader, r.offset, r.length);
    if (!range.ok()) return range.status();
    auto buffer = AlignedBuffer::Allocate(range->length);
    if (!buffer.ok()) return buffer.status();
    requests.push_back({range->offset, range->length, buffer->data()});
    aligned.push_back(*range);
    buffers.push_back(*std::move(buffer));
  }
  if (absl::Status s = reader.ReadAll(requests); !s.ok()) return s;
  std::vector<std::string> out;
  for (size_t i = 0; i < ranges.size(); ++i) {
    const char* base = reinterpret_cast<const char*>(buffers[i].data());
    out.emplace_back(base + aligned[i].skip, ranges[i].length);
    for (uint64_t b = aligned[i].offset + aligned[i].length; b-- > reader.file_size();) {
      if (base[b - aligned[i].offset] != 0) {
        return absl::InternalError(absl::StrCat("byte ", b, " past EOF is not zero"));
      }
    }
  }
  return out;
}

class BlockReaderTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) {
      if (c == '/') c = '_';  // "Test/IoUring"
    }
    path_ = ScratchDir() + "/" + name + ".bin";
    bytes_ = RandomBytes(kFileSize, 42);
    ASSERT_TRUE(WriteWholeFile(path_, bytes_)) << path_;
  }

  // Opens path_ and checks that the reader is the one this machine supports.
  std::unique_ptr<FaultInjectingBlockReader> Open(const BlockReaderOptions& options) {
    auto reader = FaultInjectingBlockReader::Open(path_, options);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return nullptr;
    if (!options.use_io_uring) {
      EXPECT_EQ((*reader)->mode(), "pread");
      EXPECT_EQ((*reader)->alignment(), 1u);
    } else if (DirectIoUringWorks(path_)) {
      EXPECT_EQ((*reader)->mode(), "io_uring+O_DIRECT");
      EXPECT_EQ((*reader)->alignment(), 4096u);
    }
    EXPECT_EQ((*reader)->file_size(), kFileSize);
    EXPECT_EQ((*reader)->path(), path_);
    return *std::move(reader);
  }

  void ExpectRangesRead(BlockReader& reader, const std::vector<Range>& ranges) {
    auto got = ReadRanges(reader, ranges);
    ASSERT_TRUE(got.ok()) << got.status();
    for (size_t i = 0; i < ranges.size(); ++i) {
      // Compare with a plain pread of the same bytes (and with what we wrote).
      const std::string want = PreadBytes(path_, ranges[i].offset, ranges[i].length);
      ASSERT_EQ(want, bytes_.substr(ranges[i].offset, ranges[i].length));
      ASSERT_TRUE((*got)[i] == want)
          << "range " << i << ": " << ranges[i].length << " bytes at offset " << ranges[i].offset;
    }
  }

  std::string path_;
  std::string bytes_;
};

INSTANTIATE_TEST_SUITE_P(Modes, BlockReaderTest, ::testing::Values(Mode::kIoUring, Mode::kPread),
                         ModeName);

TEST(ScratchDirTest, IsOnARealDiskNotTmpfs) {
  // The io_uring tests exercise O_DIRECT on a disk only if the scratch files
  // are on one: they live under the build directory, not in /tmp, which may be
  // a tmpfs. A build directory on tmpfs is legitimate, so say so and skip.
  struct statfs fs;
  ASSERT_EQ(::statfs(ScratchDir().c_str(), &fs), 0);
  if (fs.f_type == TMPFS_MAGIC) {
    GTEST_SKIP() << ScratchDir() << " is on tmpfs: O_DIRECT was not tested on a disk";
  }
}

TEST_P(BlockReaderTest, ReadsRandomRangesLikePread) {
  auto reader = Open(OptionsFor(GetParam()));
  ASSERT_NE(reader, nullptr);
  std::mt19937_64 rng(7);
  std::vector<Range> ranges = {
      {0, 1},
      {0, kFileSize},                  // The whole file: the last block is partial.
      {kFileSize - 1, 1},              // The last byte.
      {kFileSize - 5000, 5000},        // Ends at EOF inside a block.
      {4096 * 3 + 32, 5000},           // A GGUF-style 32-byte-aligned tensor.
      {2 * kMiB - 100, 3 * kMiB + 7},  // Longer than max_request_bytes.
      {12345, 0},                      // Empty.
  };
  for (int i = 0; i < 200; ++i) {
    const uint64_t length = 1 + rng() % (i % 4 == 0 ? 2 * kMiB : 64 * 1024);
    ranges.push_back({rng() % (kFileSize - length + 1), length});
  }
  ExpectRangesRead(*reader, ranges);
  EXPECT_EQ(reader->counters().in_flight(), 0);
}

TEST_P(BlockReaderTest, QueueDepthLargerThanRequestCount) {
  BlockReaderOptions options = OptionsFor(GetParam());
  options.queue_depth = 32;
  auto reader = Open(options);
  ASSERT_NE(reader, nullptr);
  reader->ResetCounters();
  ExpectRangesRead(*reader, {{0, 4096}, {kMiB, 100000}, {5 * kMiB + 3, 70000}});
  const auto counters = reader->counters();
  EXPECT_EQ(counters.in_flight(), 0);
  EXPECT_EQ(counters.issued, 3);
  EXPECT_EQ(counters.max_in_flight, GetParam() == Mode::kIoUring ? 3 : 1);
}

TEST_P(BlockReaderTest, QueueDepthMuchSmallerThanRequestCount) {
  BlockReaderOptions options = OptionsFor(GetParam());
  options.queue_depth = 2;
  auto reader = Open(options);
  ASSERT_NE(reader, nullptr);
  reader->ResetCounters();
  std::mt19937_64 rng(11);
  std::vector<Range> ranges;
  for (int i = 0; i < 500; ++i) {
    const uint64_t length = 1 + rng() % 65536;
    ranges.push_back({rng() % (kFileSize - length + 1), length});
  }
  ExpectRangesRead(*reader, ranges);
  const auto counters = reader->counters();
  EXPECT_EQ(counters.in_flight(), 0);
  EXPECT_GE(counters.issued, 500);
  EXPECT_EQ(counters.max_in_flight, GetParam() == Mode::kIoUring ? 2 : 1);
}

TEST_P(BlockReaderTest, SplitsRequestsLargerThanMaxRequestBytes) {
  BlockReaderOptions options = OptionsFor(GetParam());
  options.max_request_bytes = 100000;  // Not a multiple of 4096: O_DIRECT pieces are 98304.
  options.queue_depth = 4;
  auto reader = Open(options);
  ASSERT_NE(reader, nullptr);
  reader->ResetCounters();
  // One 3 MiB + 4 KiB request, block-aligned so O_DIRECT reads it as is.
  const Range range{kMiB, 3 * kMiB + 4096};
  ExpectRangesRead(*reader, {range});
  const uint64_t piece = reader->alignment() == 1 ? 100000 : 98304;
  const auto counters = reader->counters();
  EXPECT_EQ(counters.issued, static_cast<int64_t>((range.length + piece - 1) / piece));
  EXPECT_EQ(counters.in_flight(), 0);
  if (GetParam() == Mode::kIoUring) {
    EXPECT_EQ(counters.max_in_flight, 4);
  }
}

TEST_P(BlockReaderTest, ReadsOfLengthZeroAndEmptyBatchesSucceed) {
  auto reader = Open(OptionsFor(GetParam()));
  ASSERT_NE(reader, nullptr);
  EXPECT_TRUE(reader->ReadAll({}).ok());
  EXPECT_TRUE(reader->ReadAll({ReadRequest{4096, 0, nullptr}}).ok());
}

TEST_P(BlockReaderTest, RejectsRequestsPastTheEndOrWithoutDestination) {
  auto reader = Open(OptionsFor(GetParam()));
  ASSERT_NE(reader, nullptr);
  reader->ResetCounters();
  auto buffer = AlignedBuffer::Allocate(3 * 4096);
  ASSERT_TRUE(buffer.ok());
  // The file's last block ends at RoundUp(kFileSize, alignment).
  const uint64_t end =
      (kFileSize + reader->alignment() - 1) / reader->alignment() * reader->alignment();
  for (const ReadRequest& bad :
       {ReadRequest{end, 4096, buffer->data()}, ReadRequest{end - 4096, 8192, buffer->data()},
        ReadRequest{4096, 4096, nullptr}}) {
    const absl::Status s = reader->ReadAll({ReadRequest{0, 4096, buffer->data()}, bad});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr(path_));
  }
  EXPECT_EQ(reader->counters().issued, 0);  // Nothing is read from an invalid batch.
}

TEST(IoUringBlockReaderTest, RejectsUnalignedRequestsWithInvalidArgument) {
  const std::string path = ScratchDir() + "/unaligned.bin";
  ASSERT_TRUE(WriteWholeFile(path, RandomBytes(64 * 1024, 3)));
  if (!DirectIoUringWorks(path)) GTEST_SKIP() << "no io_uring + O_DIRECT here";
  auto reader = FaultInjectingBlockReader::Open(path, BlockReaderOptions{});
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_EQ((*reader)->mode(), "io_uring+O_DIRECT");
  auto buffer = AlignedBuffer::Allocate(4 * 4096);
  ASSERT_TRUE(buffer.ok());
  uint8_t* dst = buffer->data();
  for (const ReadRequest& bad : {ReadRequest{32, 4096, dst}, ReadRequest{4096, 4000, dst},
                                 ReadRequest{4096, 4096, dst + 32}}) {
    const absl::Status s = (*reader)->ReadAll({ReadRequest{0, 4096, dst + 4096}, bad});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr(path));
    EXPECT_THAT(s.message(), HasSubstr("aligned"));
  }
  EXPECT_EQ((*reader)->counters().issued, 0);
  // The same bytes through the helper: read the enclosing range, point into it.
  auto range = EnclosingAlignedRange(**reader, 32, 4096);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->offset, 0u);
  EXPECT_EQ(range->length, 8192u);
  EXPECT_EQ(range->skip, 32u);
  ASSERT_TRUE((*reader)->ReadAll({ReadRequest{range->offset, range->length, dst}}).ok());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(dst) + range->skip, 4096),
            PreadBytes(path, 32, 4096));
}

TEST(EnclosingAlignedRangeTest, RoundsOutwardAndStaysInTheLastBlock) {
  auto r = EnclosingAlignedRange(4096 * 3 + 32, 5000, 4096, 100000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->offset, 4096u * 3);
  EXPECT_EQ(r->skip, 32u);
  EXPECT_EQ(r->length, 8192u);  // [12288, 20480) encloses [12320, 17320).

  // Ends at an unaligned EOF: rounded up into the last (partial) block only.
  r = EnclosingAlignedRange(99000, 1000, 4096, 100000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->offset, 98304u);
  EXPECT_EQ(r->length, 4096u);
  EXPECT_EQ(r->skip, 696u);

  // Already aligned: unchanged.
  r = EnclosingAlignedRange(8192, 4096, 4096, 100000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->offset, 8192u);
  EXPECT_EQ(r->length, 4096u);
  EXPECT_EQ(r->skip, 0u);

  // Alignment 1 (pread): the range itself.
  r = EnclosingAlignedRange(12345, 678, 1, 100000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->offset, 12345u);
  EXPECT_EQ(r->length, 678u);
  EXPECT_EQ(r->skip, 0u);

  r = EnclosingAlignedRange(5000, 0, 4096, 100000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->length, 0u);
}

TEST(EnclosingAlignedRangeTest, RejectsRangesOutsideTheFileAndBadAlignments) {
  EXPECT_EQ(EnclosingAlignedRange(99000, 1001, 4096, 100000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EnclosingAlignedRange(100001, 0, 4096, 100000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EnclosingAlignedRange(UINT64_MAX, 2, 4096, 100000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EnclosingAlignedRange(0, 1, 3000, 100000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EnclosingAlignedRange(0, 1, 0, 100000).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BlockReaderOpenTest, ReportsMissingFilesDirectoriesAndBadOptions) {
  auto missing = BlockReader::Open(ScratchDir() + "/does_not_exist.bin", {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("does_not_exist.bin"));
  EXPECT_EQ(BlockReader::Open(ScratchDir(), {}).status().code(),
            absl::StatusCode::kInvalidArgument);

  const std::string path = ScratchDir() + "/options.bin";
  ASSERT_TRUE(WriteWholeFile(path, "x"));
  BlockReaderOptions options;
  options.queue_depth = 0;
  EXPECT_EQ(BlockReader::Open(path, options).status().code(), absl::StatusCode::kInvalidArgument);
  options = {};
  options.max_request_bytes = 0;
  EXPECT_EQ(BlockReader::Open(path, options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BlockReaderOpenTest, EmptyFile) {
  const std::string path = ScratchDir() + "/empty.bin";
  ASSERT_TRUE(WriteWholeFile(path, ""));
  auto reader = BlockReader::Open(path, {});
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->file_size(), 0u);
  EXPECT_TRUE((*reader)->ReadAll({}).ok());
  char byte;
  EXPECT_EQ((*reader)->ReadAll({ReadRequest{0, 1, &byte}}).code(),
            absl::StatusCode::kInvalidArgument);
}

// Pages of [offset, offset + length) of `path` in the page cache.
int64_t ResidentPages(const std::string& path, uint64_t length) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return -1;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> vec((length + page - 1) / page);
  int64_t resident = -1;
  if (::mincore(map, length, vec.data()) == 0) {
    resident = 0;
    for (unsigned char v : vec) resident += v & 1;
  }
  ::munmap(map, length);
  return resident;
}

TEST(PreadBlockReaderTest, DropsWhatItReadFromThePageCache) {
  const std::string path = ScratchDir() + "/dontneed.bin";
  const std::string bytes = RandomBytes(4 * kMiB, 5);
  ASSERT_TRUE(WriteWholeFile(path, bytes));
  ASSERT_EQ(PreadBytes(path, 0, bytes.size()), bytes);  // Now cached.
  ASSERT_GT(ResidentPages(path, bytes.size()), 0);
  BlockReaderOptions options;
  options.use_io_uring = false;
  auto reader = BlockReader::Open(path, options);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::string got(bytes.size(), '\0');
  ASSERT_TRUE((*reader)->ReadAll({ReadRequest{0, bytes.size(), got.data()}}).ok());
  EXPECT_TRUE(got == bytes);
  EXPECT_EQ(ResidentPages(path, bytes.size()), 0);
}

// Falling back to pread.

TEST(BlockReaderFallbackTest, TmpfsFileReadsCorrectly) {
  struct statfs fs;
  if (::statfs("/dev/shm", &fs) != 0 || fs.f_type != TMPFS_MAGIC) {
    GTEST_SKIP() << "/dev/shm is not a tmpfs here";
  }
  const std::string path = "/dev/shm/strata_block_reader_test_" + std::to_string(::getpid());
  const std::string bytes = RandomBytes(kMiB + 777, 9);
  ASSERT_TRUE(WriteWholeFile(path, bytes));
  auto reader = BlockReader::Open(path, {});
  ASSERT_TRUE(reader.ok()) << reader.status();
  // tmpfs accepts O_DIRECT since Linux 6.6; before that Open falls back.
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECT);
  const bool direct_ok = fd >= 0;
  if (fd >= 0) ::close(fd);
  EXPECT_EQ((*reader)->mode(),
            direct_ok && DirectIoUringWorks(path) ? "io_uring+O_DIRECT" : "pread");
  auto got = ReadRanges(**reader, {{0, bytes.size()}, {1000, 5000}, {bytes.size() - 10, 10}});
  std::filesystem::remove(path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE((*got)[0] == bytes);
  EXPECT_EQ((*got)[1], bytes.substr(1000, 5000));
  EXPECT_EQ((*got)[2], bytes.substr(bytes.size() - 10));
}

// Installs a seccomp filter on this process making io_uring_setup fail with
// ENOSYS (as Docker's default profile does) and/or openat with O_DIRECT fail
// with EINVAL (as a file system without direct I/O does). False if refused.
bool DenyInThisProcess(bool deny_io_uring, bool deny_o_direct) {
  std::vector<sock_filter> f = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
  };
  if (deny_io_uring) {
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1));
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
  }
  if (deny_o_direct) {
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 3));
    // The low 32 bits of the flags argument (little-endian).
    f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[2])));
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_DIRECT, 0, 1));
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL));
  }
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  sock_fprog prog{static_cast<unsigned short>(f.size()), f.data()};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

// Runs in a death-test child: denies, opens two readers, checks they fell back
// to pread with correct data and that stderr got exactly one fallback line,
// then echoes that line to stderr and exits 0 (else prints why and exits 1).
[[noreturn]] void OpenTwiceUnderSeccomp(bool deny_io_uring, bool deny_o_direct) {
  const std::string path = ScratchDir() + "/seccomp.bin";
  const std::string bytes = RandomBytes(100000, 13);
  if (!WriteWholeFile(path, bytes)) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
  if (!DenyInThisProcess(deny_io_uring, deny_o_direct)) {
    std::fprintf(stderr, "seccomp refused: %s\n", std::strerror(errno));
    std::exit(1);
  }
  const std::string log = ScratchDir() + "/stderr.txt";
  std::fflush(stderr);
  const int saved = ::dup(2);
  FILE* capture = std::freopen(log.c_str(), "w", stderr);
  std::string failure;
  for (int i = 0; i < 2 && failure.empty() && capture != nullptr; ++i) {
    auto reader = BlockReader::Open(path, {});
    if (!reader.ok()) {
      failure = std::string(reader.status().message());
    } else if ((*reader)->mode() != "pread") {
      failure = "mode " + std::string((*reader)->mode());
    } else {
      std::string got(bytes.size(), '\0');
      if (!(*reader)->ReadAll({ReadRequest{0, bytes.size(), got.data()}}).ok() || got != bytes) {
        failure = "wrong data";
      }
    }
  }
  std::fflush(stderr);
  ::dup2(saved, 2);
  std::ifstream in(log);
  std::stringstream captured;
  captured << in.rdbuf();
  const std::string text = captured.str();
  int lines = 0;
  for (char c : text) lines += c == '\n';
  if (failure.empty() && (lines != 1 || text.rfind("strata: io_uring unavailable (", 0) != 0)) {
    failure = "expected one fallback line on stderr, got: " + text;
  }
  if (!failure.empty()) {
    ::dprintf(2, "%s\n", failure.c_str());
    std::exit(1);
  }
  ::dprintf(2, "%s", text.c_str());
  std::exit(0);
}

TEST(BlockReaderFallbackDeathTest, IoUringDeniedBySeccompFallsBackToPreadOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(OpenTwiceUnderSeccomp(/*deny_io_uring=*/true, /*deny_o_direct=*/false),
              ::testing::ExitedWithCode(0),
              "strata: io_uring unavailable \\(io_uring_setup: Function not implemented\\); "
              "using pread");
}

TEST(BlockReaderFallbackDeathTest, ODirectRefusedFallsBackToPreadOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(OpenTwiceUnderSeccomp(/*deny_io_uring=*/false, /*deny_o_direct=*/true),
              ::testing::ExitedWithCode(0),
              "strata: io_uring unavailable \\(open with O_DIRECT: .*Invalid argument\\); "
              "using pread");
}

}  // namespace
}  // namespace strata
