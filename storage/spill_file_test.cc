// The KV spill file: unnamed, O_DIRECT where the file system allows it,
// round trips, alignment checks, and the errors a full disk or a failing
// device give — injected, and (where this process may mount) on a real
// 64 KiB tmpfs.
#include "storage/spill_file.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "storage/aligned_buffer.h"
#include "storage/testing/fault_injecting_spill_file.h"
#include "tests/support/fixtures.h"

namespace strata {
namespace {

using ::strata::testing::FaultInjectingSpillFile;

std::string Dir() { return ::strata::testing::ScratchDir(); }

AlignedBuffer Filled(uint64_t size, uint8_t value) {
  auto buffer = AlignedBuffer::Allocate(size);
  EXPECT_TRUE(buffer.ok());
  std::memset(buffer->data(), value, size);
  return *std::move(buffer);
}

TEST(SpillFileTest, RoundTripsBlocksAtAnyOffsetAndLeavesNoFile) {
  const size_t files_before = std::distance(std::filesystem::directory_iterator(Dir()), {});
  auto file = SpillFile::Create(Dir());
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE((*file)->mode() == "O_DIRECT" || (*file)->mode() == "buffered");
  const AlignedBuffer a = Filled(8192, 0x11);
  const AlignedBuffer b = Filled(4096, 0x22);
  ASSERT_TRUE((*file)->Write(3 * 4096, a.data(), a.size()).ok());
  ASSERT_TRUE((*file)->Write(10 * 4096, b.data(), b.size()).ok());
  AlignedBuffer back = Filled(8192, 0);
  ASSERT_TRUE((*file)->Read(3 * 4096, back.data(), back.size()).ok());
  EXPECT_EQ(std::memcmp(back.data(), a.data(), a.size()), 0);
  ASSERT_TRUE((*file)->Read(10 * 4096, back.data(), 4096).ok());
  EXPECT_EQ(std::memcmp(back.data(), b.data(), b.size()), 0);
  // Overwrite in place.
  const AlignedBuffer c = Filled(4096, 0x33);
  ASSERT_TRUE((*file)->Write(3 * 4096, c.data(), c.size()).ok());
  ASSERT_TRUE((*file)->Read(3 * 4096, back.data(), 4096).ok());
  EXPECT_EQ(back.data()[0], 0x33);
  (*file)->Discard(3 * 4096, 8192);
  // The file is unnamed: nothing new in the directory.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(Dir()), {}), files_before);
}

TEST(SpillFileTest, ReadManyReadsEveryBlockInAnyBatchSize) {
  auto file = SpillFile::Create(Dir());
  ASSERT_TRUE(file.ok());
  constexpr int kBlocks = 70;  // More than one io_uring batch.
  for (int i = 0; i < kBlocks; ++i) {
    const AlignedBuffer block = Filled(4096, static_cast<uint8_t>(i + 1));
    ASSERT_TRUE((*file)->Write(static_cast<uint64_t>(2 * i) * 4096, block.data(), 4096).ok());
  }
  AlignedBuffer back = Filled(kBlocks * 4096, 0);
  std::vector<SpillRead> reads;
  for (int i = kBlocks - 1; i >= 0; --i) {  // Out of file order.
    reads.push_back({static_cast<uint64_t>(2 * i) * 4096, back.data() + i * 4096, 4096});
  }
  ASSERT_TRUE((*file)->ReadMany(reads).ok());
  for (int i = 0; i < kBlocks; ++i) {
    EXPECT_EQ(back.data()[i * 4096], i + 1) << i;
    EXPECT_EQ(back.data()[i * 4096 + 4095], i + 1) << i;
  }
  // A read past the end fails the batch, after the others completed.
  reads.push_back({uint64_t{1} << 30, back.data(), 4096});
  EXPECT_TRUE(absl::IsDataLoss((*file)->ReadMany(reads)));
}

TEST(SpillFileTest, ReadingPastTheEndIsDataLoss) {
  auto file = SpillFile::Create(Dir());
  ASSERT_TRUE(file.ok());
  AlignedBuffer buffer = Filled(4096, 0);
  const absl::Status s = (*file)->Read(1 << 20, buffer.data(), buffer.size());
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "ended early")) << s;
}

TEST(SpillFileTest, DirectIoRejectsMisalignedRequests) {
  auto file = SpillFile::Create(Dir());
  ASSERT_TRUE(file.ok());
  if ((*file)->mode() != "O_DIRECT") GTEST_SKIP() << "no O_DIRECT in " << Dir();
  AlignedBuffer buffer = Filled(8192, 0);
  EXPECT_TRUE(absl::IsInvalidArgument((*file)->Write(100, buffer.data(), 4096)));
  EXPECT_TRUE(absl::IsInvalidArgument((*file)->Write(0, buffer.data(), 100)));
  EXPECT_TRUE(absl::IsInvalidArgument((*file)->Write(0, buffer.data() + 8, 4096)));
}

TEST(SpillFileTest, BufferedModeTakesAnyRange) {
  auto file = SpillFile::Create(Dir(), /*direct_io=*/false);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->mode(), "buffered");
  EXPECT_EQ((*file)->alignment(), 1u);
  const std::string bytes = "kv rows";
  ASSERT_TRUE((*file)->Write(13, bytes.data(), bytes.size()).ok());
  std::string back(bytes.size(), '\0');
  ASSERT_TRUE((*file)->Read(13, back.data(), back.size()).ok());
  EXPECT_EQ(back, bytes);
}

TEST(SpillFileTest, MissingDirectoryIsNotFound) {
  auto file = SpillFile::Create(Dir() + "/no/such/dir");
  EXPECT_TRUE(absl::IsNotFound(file.status())) << file.status();
}

TEST(SpillFileTest, ErrnoMapsToTheDocumentedCodes) {
  EXPECT_TRUE(absl::IsResourceExhausted(SpillIoError("d", "write", 0, 4096, ENOSPC)));
  EXPECT_TRUE(absl::IsResourceExhausted(SpillIoError("d", "write", 0, 4096, EDQUOT)));
  EXPECT_TRUE(absl::IsDataLoss(SpillIoError("d", "read", 0, 4096, EIO)));
  EXPECT_TRUE(absl::IsUnavailable(SpillIoError("d", "read", 0, 4096, EBADF)));
  const absl::Status full = SpillIoError("/spill", "write", 8192, 4096, ENOSPC);
  EXPECT_TRUE(absl::StrContains(full.message(), "/spill")) << full;
  EXPECT_TRUE(absl::StrContains(full.message(), "offset 8192")) << full;
  EXPECT_TRUE(absl::StrContains(full.message(), "disk full")) << full;
}

TEST(FaultInjectingSpillFileTest, CapacityActsAsAFullDisk) {
  auto file = FaultInjectingSpillFile::Create(Dir());
  ASSERT_TRUE(file.ok());
  (*file)->SetCapacity(3 * 4096);
  const AlignedBuffer block = Filled(4096, 7);
  EXPECT_TRUE((*file)->Write(0, block.data(), 4096).ok());
  EXPECT_TRUE((*file)->Write(2 * 4096, block.data(), 4096).ok());
  const absl::Status s = (*file)->Write(3 * 4096, block.data(), 4096);
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  // What was written before stays readable.
  AlignedBuffer back = Filled(4096, 0);
  ASSERT_TRUE((*file)->Read(2 * 4096, back.data(), 4096).ok());
  EXPECT_EQ(back.data()[100], 7);
  (*file)->FailReads(EIO, 1);
  EXPECT_TRUE(absl::IsDataLoss((*file)->Read(0, back.data(), 4096)));
  EXPECT_TRUE((*file)->Read(0, back.data(), 4096).ok());  // Only once.
  (*file)->FailReads(EIO, 1);
  const std::vector<SpillRead> batch = {{0, back.data(), 4096}, {4096 * 2, back.data(), 4096}};
  EXPECT_TRUE(absl::IsDataLoss((*file)->ReadMany(batch)));
  EXPECT_TRUE((*file)->ReadMany(batch).ok());
  (*file)->ClearFaults();
  EXPECT_TRUE((*file)->Write(3 * 4096, block.data(), 4096).ok());
  const auto c = (*file)->counters();
  EXPECT_EQ(c.writes, 3);
  EXPECT_EQ(c.injected_write_errors, 1);
  EXPECT_EQ(c.injected_read_errors, 2);
}

// The real thing: a 64 KiB tmpfs fills up and pwrite reports ENOSPC. Needs
// CAP_SYS_ADMIN; skipped otherwise.
TEST(SpillFileTest, RealTinyTmpfsFillsUpWithResourceExhausted) {
  const std::string mount_point = Dir() + "/tiny_tmpfs";
  std::filesystem::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  auto file = SpillFile::Create(mount_point);
  ASSERT_TRUE(file.ok()) << file.status();
  const AlignedBuffer block = Filled(4096, 9);
  absl::Status s;
  int written = 0;
  for (; written < 64 && s.ok(); ++written) {
    s = (*file)->Write(static_cast<uint64_t>(written) * 4096, block.data(), 4096);
  }
  EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "disk full")) << s;
  EXPECT_LE(written, 17);
  // Earlier blocks read back intact.
  AlignedBuffer back = Filled(4096, 0);
  ASSERT_TRUE((*file)->Read(0, back.data(), 4096).ok());
  EXPECT_EQ(back.data()[4095], 9);
}

}  // namespace
}  // namespace strata
