#include "storage/gguf_file.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "storage/testing/sample_gguf.h"
#include "tests/support/fixtures.h"

namespace strata {
namespace {

using ::strata::testing::SampleGgufBytes;

absl::StatusOr<std::unique_ptr<GgufFile>> ReadBytes(const std::string& bytes) {
  auto file = NewInMemoryFile("test.gguf", bytes);
  return GgufFile::Read(*file);
}

template <typename T>
void Poke(std::string* bytes, size_t offset, T value) {
  std::memcpy(bytes->data() + offset, &value, sizeof(T));
}

TEST(GgufFileTest, ReadsSample) {
  auto g = ReadBytes(SampleGgufBytes());
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ((*g)->tensors().size(), 3u);
  EXPECT_EQ(*(*g)->GetUint("llama.block_count"), 2u);
  EXPECT_EQ((*(*g)->GetArray("tokenizer.ggml.tokens"))->elements.size(), 3u);
  EXPECT_EQ((*g)->FindTensor("q4k")->size_bytes, 144u);
}

TEST(GgufFileTest, TypedGettersNameTheKey) {
  auto g = ReadBytes(SampleGgufBytes());
  ASSERT_TRUE(g.ok());
  auto missing = (*g)->GetUint("llama.nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "llama.nope"));
  auto wrong = (*g)->GetUint("general.architecture");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(wrong.status().message(), "general.architecture"));
  EXPECT_EQ(*(*g)->GetUintOr("llama.nope", 7), 7u);
  EXPECT_FALSE((*g)->GetUintOr("general.architecture", 7).ok());
}

TEST(GgufFileTest, BadMagicIsInvalidArgument) {
  std::string bytes = SampleGgufBytes();
  bytes[0] = 'X';
  auto g = ReadBytes(bytes);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(g.status().message(), "not a GGUF file"));
}

TEST(GgufFileTest, UnknownVersionIsRejected) {
  for (uint32_t version : {0u, 1u, 4u, 0x03000000u}) {
    std::string bytes = SampleGgufBytes();
    Poke<uint32_t>(&bytes, 4, version);
    auto g = ReadBytes(bytes);
    EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument) << version;
    EXPECT_TRUE(absl::StrContains(g.status().message(), "version")) << g.status();
  }
}

TEST(GgufFileTest, EmptyFileIsDataLoss) {
  auto g = ReadBytes("");
  EXPECT_EQ(g.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(g.status().message(), "empty"));
}

TEST(GgufFileTest, EveryTruncationIsAnErrorWithAnOffset) {
  const std::string bytes = SampleGgufBytes();
  // Padding after the last tensor is optional; everything before its end is not.
  auto whole = ReadBytes(bytes);
  ASSERT_TRUE(whole.ok());
  uint64_t data_end = 0;
  for (const GgufTensorInfo& t : (*whole)->tensors()) {
    data_end = std::max(data_end, t.file_offset + t.size_bytes);
  }
  EXPECT_TRUE(ReadBytes(bytes.substr(0, data_end)).ok());
  for (size_t len = 1; len < data_end; ++len) {
    auto g = ReadBytes(bytes.substr(0, len));
    ASSERT_FALSE(g.ok()) << "truncated to " << len << " bytes was accepted";
    EXPECT_TRUE(g.status().code() == absl::StatusCode::kDataLoss ||
                g.status().code() == absl::StatusCode::kInvalidArgument)
        << g.status();
    EXPECT_TRUE(absl::StrContains(g.status().message(), "test.gguf")) << g.status();
    EXPECT_TRUE(absl::StrContains(g.status().message(), "offset")) << g.status();
  }
}

TEST(GgufFileTest, AbsurdCountsAreRejectedBeforeAllocating) {
  std::string bytes = SampleGgufBytes();
  Poke<uint64_t>(&bytes, 8, 1ull << 62);  // tensor_count
  auto g = ReadBytes(bytes);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(g.status().message(), "absurd")) << g.status();

  bytes = SampleGgufBytes();
  Poke<uint64_t>(&bytes, 16, 1ull << 62);  // kv_count
  g = ReadBytes(bytes);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kDataLoss);
}

TEST(GgufFileTest, HugeStringAndArrayLengthsAreRejected) {
  std::string bytes = SampleGgufBytes();
  // The first key's length field sits right after the 24-byte header.
  Poke<uint64_t>(&bytes, 24, 1ull << 40);
  auto g = ReadBytes(bytes);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(g.status().message(), "offset 24")) << g.status();

  bytes = SampleGgufBytes();
  const size_t at = bytes.find("tokenizer.ggml.tokens");
  ASSERT_NE(at, std::string::npos);
  // key, then u32 value type (array), u32 element type, u64 count.
  Poke<uint64_t>(&bytes, at + 21 + 8, 1ull << 50);
  g = ReadBytes(bytes);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(g.status().message(), "array")) << g.status();
}

// Locates the tensor info of `name`: returns the offset of its n_dims field.
size_t TensorInfoAt(const std::string& bytes, const std::string& name) {
  std::string needle(8, '\0');
  const uint64_t len = name.size();
  std::memcpy(needle.data(), &len, 8);
  needle += name;
  const size_t at = bytes.rfind(needle);
  return at + needle.size();
}

TEST(GgufFileTest, UnknownTensorTypeIsRejected) {
  std::string bytes = SampleGgufBytes();
  const size_t at = TensorInfoAt(bytes, "q8");  // n_dims=2, ne[2], then type.
  Poke<uint32_t>(&bytes, at + 4 + 16, 77);
  auto g = ReadBytes(bytes);
  EXPECT_FALSE(g.ok());
  EXPECT_TRUE(absl::StrContains(g.status().message(), "unknown type id 77")) << g.status();
}

TEST(GgufFileTest, TooManyDimensionsAreRejected) {
  std::string bytes = SampleGgufBytes();
  Poke<uint32_t>(&bytes, TensorInfoAt(bytes, "f32"), 9);
  auto g = ReadBytes(bytes);
  EXPECT_FALSE(g.ok());
  EXPECT_TRUE(absl::StrContains(g.status().message(), "dimensions")) << g.status();
}

TEST(GgufFileTest, OverlappingTensorsAreRejected) {
  std::string bytes = SampleGgufBytes();
  const size_t at = TensorInfoAt(bytes, "q8");  // n_dims, ne[2], type, offset.
  Poke<uint64_t>(&bytes, at + 4 + 16 + 4, 32);  // Inside "f32" (64 bytes at 0).
  auto g = ReadBytes(bytes);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(g.status().message(), "overlap")) << g.status();
}

TEST(GgufFileTest, MisalignedOrOutOfRangeOffsetsAreRejected) {
  std::string bytes = SampleGgufBytes();
  const size_t at = TensorInfoAt(bytes, "q4k");  // n_dims=1, ne[1], type, offset.
  Poke<uint64_t>(&bytes, at + 4 + 8 + 4, 3);
  EXPECT_FALSE(ReadBytes(bytes).ok());
  Poke<uint64_t>(&bytes, at + 4 + 8 + 4, 1ull << 40);
  auto g = ReadBytes(bytes);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(g.status().message(), "truncated")) << g.status();
}

TEST(GgufFileTest, BadAlignmentIsRejected) {
  GgufWriter w;
  w.Set("general.alignment", GgufValue::U32(48));
  std::string bytes;
  ASSERT_TRUE(w.Begin(std::make_unique<StringSink>(&bytes)).ok());
  ASSERT_TRUE(w.Finish().ok());
  auto g = ReadBytes(bytes);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(g.status().message(), "alignment")) << g.status();
}

TEST(GgufFileTest, OpenReportsMissingFilesAndDirectories) {
  auto g = GgufFile::Open("/nonexistent/model.gguf");
  EXPECT_EQ(g.status().code(), absl::StatusCode::kNotFound);
  g = GgufFile::Open(::testing::TempDir());
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(g.status().message(), "directory"));
}

TEST(GgufFileTest, ReadsEveryFixtureFile) {
  const std::string dir = ::strata::testing::FixturesDir();
  STRATA_REQUIRE_PATH(dir + "/models");
  int count = 0;
  for (const std::string sub : {"/models", "/tokenizer"}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir + sub)) {
      if (entry.path().extension() != ".gguf") continue;
      auto g = GgufFile::Open(entry.path().string());
      ASSERT_TRUE(g.ok()) << g.status();
      EXPECT_TRUE((*g)->Find("general.architecture") != nullptr) << entry.path();
      ++count;
    }
  }
  EXPECT_GE(count, 23);
}

}  // namespace
}  // namespace strata
