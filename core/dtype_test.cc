#include "core/dtype.h"

#include "core/quant_blocks.h"
#include "gtest/gtest.h"

namespace strata {
namespace {

TEST(DTypeTest, SizesMatchBlockStructs) {
  EXPECT_EQ(GetDTypeInfo(DType::kQ4_0).type_size, sizeof(BlockQ4_0));
  EXPECT_EQ(GetDTypeInfo(DType::kQ4_1).type_size, sizeof(BlockQ4_1));
  EXPECT_EQ(GetDTypeInfo(DType::kQ5_0).type_size, sizeof(BlockQ5_0));
  EXPECT_EQ(GetDTypeInfo(DType::kQ5_1).type_size, sizeof(BlockQ5_1));
  EXPECT_EQ(GetDTypeInfo(DType::kQ8_0).type_size, sizeof(BlockQ8_0));
  EXPECT_EQ(GetDTypeInfo(DType::kQ8_1).type_size, sizeof(BlockQ8_1));
  EXPECT_EQ(GetDTypeInfo(DType::kQ2_K).type_size, sizeof(BlockQ2_K));
  EXPECT_EQ(GetDTypeInfo(DType::kQ3_K).type_size, sizeof(BlockQ3_K));
  EXPECT_EQ(GetDTypeInfo(DType::kQ4_K).type_size, sizeof(BlockQ4_K));
  EXPECT_EQ(GetDTypeInfo(DType::kQ5_K).type_size, sizeof(BlockQ5_K));
  EXPECT_EQ(GetDTypeInfo(DType::kQ6_K).type_size, sizeof(BlockQ6_K));
  EXPECT_EQ(GetDTypeInfo(DType::kQ8_K).type_size, sizeof(BlockQ8_K));
  EXPECT_EQ(RowBytes(DType::kQ4_K, 4096), 16 * 144);
  EXPECT_EQ(RowBytes(DType::kF16, 10), 20);
}

TEST(DTypeTest, ParsesNamesCaseInsensitively) {
  EXPECT_EQ(*ParseDType("Q4_K"), DType::kQ4_K);
  EXPECT_EQ(*ParseDType("q8_0"), DType::kQ8_0);
  EXPECT_EQ(*ParseDType("BF16"), DType::kBF16);
  EXPECT_FALSE(ParseDType("q4_z").ok());
  EXPECT_EQ(FindDTypeInfo(4), nullptr);  // Removed from ggml long ago.
  EXPECT_EQ(FindDTypeInfo(1000), nullptr);
}

}  // namespace
}  // namespace strata
