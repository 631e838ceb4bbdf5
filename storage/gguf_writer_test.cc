#include "storage/gguf_writer.h"

#include <string>

#include "gtest/gtest.h"
#include "storage/gguf_file.h"

namespace strata {
namespace {

// Every value type, including arrays of arrays, survives write → read → write
// byte for byte.
TEST(GgufWriterTest, RoundTripsEveryValueTypeByteForByte) {
  GgufWriter w;
  w.Set("general.architecture", GgufValue::String("llama"));
  w.Set("u8", GgufValue::Uint(GgufType::kUint8, 200));
  w.Set("i8", GgufValue::Int(GgufType::kInt8, -100));
  w.Set("u16", GgufValue::Uint(GgufType::kUint16, 60000));
  w.Set("i16", GgufValue::Int(GgufType::kInt16, -30000));
  w.Set("u32", GgufValue::U32(4000000000u));
  w.Set("i32", GgufValue::I32(-2000000000));
  w.Set("u64", GgufValue::U64(1ull << 60));
  w.Set("i64", GgufValue::Int(GgufType::kInt64, -(1ll << 60)));
  w.Set("f32", GgufValue::F32(0.1f));
  w.Set("f64", GgufValue::F64(0.1));
  w.Set("bool", GgufValue::Bool(true));
  w.Set("empty_string", GgufValue::String(""));
  w.Set("strings", GgufValue::StringArray({"a", "", "ccc"}));
  w.Set("floats", GgufValue::F32Array({1.5f, -2.25f}));
  GgufArray inner1{GgufType::kInt32, {GgufValue::I32(1), GgufValue::I32(2)}};
  GgufArray inner2{GgufType::kInt32, {}};
  GgufArray outer{GgufType::kArray, {GgufValue::Array(inner1), GgufValue::Array(inner2)}};
  w.Set("nested", GgufValue::Array(outer));
  ASSERT_TRUE(w.AddTensor("a", DType::kF32, {3, 2, 1, 1}, 2).ok());
  ASSERT_TRUE(w.AddTensor("b", DType::kQ8_0, {64, 1, 1, 1}, 1).ok());

  std::string bytes;
  ASSERT_TRUE(w.Begin(std::make_unique<StringSink>(&bytes)).ok());
  std::string a_data(24, '\x11');
  std::string b_data(68, '\x22');
  ASSERT_TRUE(w.Append(a_data.substr(0, 10)).ok());
  ASSERT_TRUE(w.Append(a_data.substr(10) + b_data).ok());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(bytes.size(), w.FileSize());

  auto file = NewInMemoryFile("mem.gguf", bytes);
  auto gguf = GgufFile::Read(*file);
  ASSERT_TRUE(gguf.ok()) << gguf.status();
  const GgufFile& g = **gguf;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(*g.GetString("general.architecture"), "llama");
  EXPECT_EQ(*g.GetUint("u8"), 200u);
  EXPECT_EQ(*g.Find("i8")->AsInt(), -100);
  EXPECT_EQ(*g.GetUint("u16"), 60000u);
  EXPECT_EQ(*g.Find("i16")->AsInt(), -30000);
  EXPECT_EQ(*g.GetUint("u32"), 4000000000u);
  EXPECT_EQ(*g.Find("i32")->AsInt(), -2000000000);
  EXPECT_EQ(*g.GetUint("u64"), 1ull << 60);
  EXPECT_EQ(*g.Find("i64")->AsInt(), -(1ll << 60));
  EXPECT_EQ(*g.GetFloat("f32"), static_cast<double>(0.1f));
  EXPECT_EQ(*g.GetFloat("f64"), 0.1);
  EXPECT_TRUE(*g.GetBool("bool"));
  EXPECT_EQ(*g.GetString("empty_string"), "");
  const GgufArray* nested = *g.GetArray("nested");
  ASSERT_EQ(nested->elements.size(), 2u);
  const GgufArray* first = *nested->elements[0].AsArray();
  EXPECT_EQ(*first->elements[1].AsInt(), 2);
  EXPECT_TRUE((*nested->elements[1].AsArray())->elements.empty());
  ASSERT_EQ(g.tensors().size(), 2u);
  const GgufTensorInfo* b = g.FindTensor("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->type, DType::kQ8_0);
  EXPECT_EQ(b->size_bytes, 68u);
  EXPECT_EQ(b->file_offset % 32, 0u);
  EXPECT_EQ(bytes.substr(b->file_offset, 68), b_data);
  EXPECT_EQ(bytes.substr(g.FindTensor("a")->file_offset, 24), a_data);

  // Write again from what was read: identical bytes.
  GgufWriter again;
  ASSERT_TRUE(again.CopyLayoutFrom(g).ok());
  std::string bytes2;
  ASSERT_TRUE(again.Begin(std::make_unique<StringSink>(&bytes2)).ok());
  ASSERT_TRUE(again.Append(a_data).ok());
  ASSERT_TRUE(again.Append(b_data).ok());
  ASSERT_TRUE(again.Finish().ok());
  EXPECT_EQ(bytes, bytes2);
}

TEST(GgufWriterTest, HonoursGeneralAlignmentAndVersion2) {
  GgufWriter w(2);
  w.Set("general.alignment", GgufValue::U32(64));
  ASSERT_TRUE(w.AddTensor("x", DType::kF16, {5, 1, 1, 1}, 1).ok());
  ASSERT_TRUE(w.AddTensor("y", DType::kF16, {7, 1, 1, 1}, 1).ok());
  std::string bytes;
  ASSERT_TRUE(w.Begin(std::make_unique<StringSink>(&bytes)).ok());
  ASSERT_TRUE(w.Append(std::string(10 + 14, 'x')).ok());
  ASSERT_TRUE(w.Finish().ok());
  auto file = NewInMemoryFile("mem.gguf", bytes);
  auto g = GgufFile::Read(*file);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ((*g)->version(), 2u);
  EXPECT_EQ((*g)->alignment(), 64u);
  EXPECT_EQ((*g)->FindTensor("y")->offset, 64u);
  EXPECT_EQ((*g)->data_offset() % 64, 0u);
}

TEST(GgufWriterTest, RejectsBadDeclarationsAndMissingData) {
  GgufWriter w;
  EXPECT_FALSE(w.AddTensor("q", DType::kQ4_K, {100, 1, 1, 1}, 1).ok());  // Not a block multiple.
  ASSERT_TRUE(w.AddTensor("t", DType::kF32, {4, 1, 1, 1}, 1).ok());
  EXPECT_FALSE(w.AddTensor("t", DType::kF32, {4, 1, 1, 1}, 1).ok());  // Duplicate.
  std::string bytes;
  ASSERT_TRUE(w.Begin(std::make_unique<StringSink>(&bytes)).ok());
  ASSERT_TRUE(w.Append(std::string(8, 'a')).ok());
  EXPECT_FALSE(w.Finish().ok());  // Only half of the tensor was written.
}

TEST(GgufWriterTest, FileIsOnlyVisibleAfterFinish) {
  const std::string path = ::testing::TempDir() + "/writer_commit.gguf";
  std::remove(path.c_str());
  {
    GgufWriter w;
    ASSERT_TRUE(w.AddTensor("t", DType::kF32, {4, 1, 1, 1}, 1).ok());
    ASSERT_TRUE(w.Begin(path).ok());
    ASSERT_TRUE(w.Append(std::string(4, 'a')).ok());
    // Destroyed without Finish: nothing appears under the final name.
  }
  EXPECT_FALSE(OpenPosixFile(path).ok());
  EXPECT_FALSE(OpenPosixFile(path + ".tmp").ok());
  GgufWriter w;
  ASSERT_TRUE(w.AddTensor("t", DType::kF32, {4, 1, 1, 1}, 1).ok());
  ASSERT_TRUE(w.Begin(path).ok());
  ASSERT_TRUE(w.Append(std::string(16, 'a')).ok());
  ASSERT_TRUE(w.Finish().ok());
  auto g = GgufFile::Open(path);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ((*g)->tensors().size(), 1u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace strata
