#include "storage/aligned_buffer.h"

#include <cstdint>
#include <cstring>
#include <utility>

#include "gtest/gtest.h"

namespace strata {
namespace {

TEST(AlignedBufferTest, SmallBuffersAreAlignedAndWritable) {
  auto buffer = AlignedBuffer::Allocate(10000);
  ASSERT_TRUE(buffer.ok()) << buffer.status();
  EXPECT_EQ(buffer->size(), 10000u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer->data()) % 4096, 0u);
  EXPECT_EQ(buffer->reserved_bytes(), 12288u);
  EXPECT_FALSE(buffer->huge_page_advised());
  std::memset(buffer->data(), 0x5A, buffer->size());
  EXPECT_EQ(buffer->data()[9999], 0x5A);
}

TEST(AlignedBufferTest, LargeBuffersAreHugePageAlignedMappings) {
  const uint64_t size = 5 * AlignedBuffer::kHugePageBytes + 100;
  auto buffer = AlignedBuffer::Allocate(size);
  ASSERT_TRUE(buffer.ok()) << buffer.status();
  EXPECT_EQ(buffer->size(), size);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer->data()) % AlignedBuffer::kHugePageBytes, 0u);
  EXPECT_EQ(buffer->reserved_bytes(), 6 * AlignedBuffer::kHugePageBytes);
  std::memset(buffer->data(), 0x11, buffer->size());
  EXPECT_EQ(buffer->data()[size - 1], 0x11);
}

TEST(AlignedBufferTest, HonoursLargerAlignments) {
  for (uint64_t alignment : {uint64_t{64}, uint64_t{1} << 16, uint64_t{4} << 20}) {
    for (uint64_t size : {uint64_t{1}, uint64_t{3} << 20}) {
      auto buffer = AlignedBuffer::Allocate(size, alignment);
      ASSERT_TRUE(buffer.ok()) << buffer.status();
      EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer->data()) % alignment, 0u)
          << size << " bytes aligned to " << alignment;
    }
  }
}

TEST(AlignedBufferTest, MovesLeaveTheSourceEmpty) {
  auto a = AlignedBuffer::Allocate(3 << 20);
  ASSERT_TRUE(a.ok());
  uint8_t* data = a->data();
  AlignedBuffer b = *std::move(a);
  EXPECT_EQ(b.data(), data);
  EXPECT_TRUE(a->empty());
  EXPECT_EQ(a->data(), nullptr);
  AlignedBuffer c;
  c = std::move(b);
  EXPECT_EQ(c.data(), data);
  EXPECT_EQ(c.size(), 3u << 20);
  EXPECT_TRUE(b.empty());
  c = AlignedBuffer();  // Releases the mapping.
  EXPECT_TRUE(c.empty());
}

TEST(AlignedBufferTest, EmptyAndInvalidRequests) {
  auto empty = AlignedBuffer::Allocate(0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(AlignedBuffer::Allocate(100, 3000).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AlignedBuffer::Allocate(100, 2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AlignedBuffer::Allocate(uint64_t{1} << 62).status().code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace strata
