#include "core/fp16.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace strata {
namespace {

TEST(Fp16Test, RoundTripsEveryHalfValue) {
  // Every finite half converts to float and back to the same bits.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint16_t bits = static_cast<uint16_t>(h);
    const float f = Fp16ToFp32(bits);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(Fp16ToFp32(Fp32ToFp16(f))));
      continue;
    }
    EXPECT_EQ(Fp32ToFp16(f), bits) << "half bits " << h;
  }
}

TEST(Fp16Test, KnownValues) {
  EXPECT_EQ(Fp32ToFp16(1.0f), 0x3c00);
  EXPECT_EQ(Fp32ToFp16(-2.0f), 0xc000);
  EXPECT_EQ(Fp32ToFp16(65504.0f), 0x7bff);
  EXPECT_EQ(Fp32ToFp16(65520.0f), 0x7c00);            // Rounds up to infinity.
  EXPECT_EQ(Fp32ToFp16(5.9604645e-08f), 0x0001);      // Smallest subnormal.
  EXPECT_EQ(Fp32ToFp16(2.9802322e-08f), 0x0000);      // Half of it: ties to even (0).
  EXPECT_EQ(Fp32ToFp16(1.0f + 1.0f / 2048), 0x3c00);  // Tie rounds to even.
  EXPECT_EQ(Fp32ToFp16(1.0f + 3.0f / 2048), 0x3c02);  // Tie rounds to even (up).
  EXPECT_FLOAT_EQ(Fp16ToFp32(0x3555), 0.33325195f);
}

TEST(Fp16Test, MidpointsRoundToNearestEven) {
  // Between consecutive halves a and b, the float midpoint goes to the even one
  // and anything off the midpoint goes to the nearer one.
  for (uint32_t h = 0x0001; h < 0x7bff; h += 7) {
    const float a = Fp16ToFp32(static_cast<uint16_t>(h));
    const float b = Fp16ToFp32(static_cast<uint16_t>(h + 1));
    const float mid = 0.5f * (a + b);
    const uint16_t even = (h & 1) ? static_cast<uint16_t>(h + 1) : static_cast<uint16_t>(h);
    EXPECT_EQ(Fp32ToFp16(mid), even) << h;
    EXPECT_EQ(Fp32ToFp16(std::nextafter(mid, a)), h) << h;
    EXPECT_EQ(Fp32ToFp16(std::nextafter(mid, b)), h + 1) << h;
  }
}

TEST(Bf16Test, RoundsToNearestEvenAndKeepsNaN) {
  EXPECT_EQ(Fp32ToBf16(1.0f), 0x3f80);
  EXPECT_FLOAT_EQ(Bf16ToFp32(0x3f80), 1.0f);
  EXPECT_EQ(Fp32ToBf16(BitsToFloat(0x3f808000u)), 0x3f80);  // Tie to even.
  EXPECT_EQ(Fp32ToBf16(BitsToFloat(0x3f818000u)), 0x3f82);  // Tie to even (up).
  EXPECT_EQ(Fp32ToBf16(BitsToFloat(0x3f808001u)), 0x3f81);
  EXPECT_TRUE(std::isnan(Bf16ToFp32(Fp32ToBf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isinf(Bf16ToFp32(Fp32ToBf16(std::numeric_limits<float>::infinity()))));
}

}  // namespace
}  // namespace strata
