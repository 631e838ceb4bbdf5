// Dequantization of hand-built blocks: pins every format's bit layout.
//
// Each test fills one block with chosen bytes and checks a few elements whose
// values are worked out by hand in the comments, then every element against
// the layout as core/quant_blocks.h describes it.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/dtype.h"
#include "core/fp16.h"
#include "core/quant_blocks.h"
#include "cpu/quant_kernels.h"
#include "cpu/reference/internal/quant_math.h"
#include "cpu/reference/testing/quant_test_util.h"
#include "gtest/gtest.h"

namespace strata::cpu {
namespace {

template <typename Block>
std::vector<float> DequantizeBlock(DType type, const Block& block) {
  const int64_t n = GetDTypeInfo(type).block_size;
  EXPECT_EQ(static_cast<int64_t>(sizeof(Block)), GetDTypeInfo(type).type_size);
  std::vector<float> out(static_cast<size_t>(n));
  FindReferenceKernels(type)->to_float(&block, out.data(), n);
  return out;
}

TEST(KnownBlocksTest, Q4_0) {
  BlockQ4_0 b;
  b.d = Fp32ToFp16(0.5f);
  // Low nibbles 0..15 are elements 0..15, high nibbles 15..0 elements 16..31.
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const std::vector<float> y = DequantizeBlock(DType::kQ4_0, b);
  EXPECT_EQ(y[0], -4.0f);   // 0.5 * (0 - 8)
  EXPECT_EQ(y[15], 3.5f);   // 0.5 * (15 - 8)
  EXPECT_EQ(y[16], 3.5f);   // high nibble of qs[0] = 15
  EXPECT_EQ(y[31], -4.0f);  // high nibble of qs[15] = 0
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.5f * (j - 8)) << j;
    EXPECT_EQ(y[j + 16], 0.5f * (7 - j)) << j;
  }
}

TEST(KnownBlocksTest, Q4_1) {
  BlockQ4_1 b;
  b.d = Fp32ToFp16(0.25f);
  b.m = Fp32ToFp16(-1.0f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const std::vector<float> y = DequantizeBlock(DType::kQ4_1, b);
  EXPECT_EQ(y[0], -1.0f);   // 0.25 * 0 - 1
  EXPECT_EQ(y[15], 2.75f);  // 0.25 * 15 - 1
  EXPECT_EQ(y[16], 2.75f);
  EXPECT_EQ(y[31], -1.0f);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.25f * j - 1.0f) << j;
    EXPECT_EQ(y[j + 16], 0.25f * (15 - j) - 1.0f) << j;
  }
}

// qh = 0xF00F00A5 little-endian: bytes A5 00 0F F0. Bit j is element j's
// fifth bit: elements 0, 2, 5, 7 (0xA5), 16..19 and 28..31 have it.
constexpr uint8_t kQh[4] = {0xA5, 0x00, 0x0F, 0xF0};

int FifthBit(int j) { return (kQh[j / 8] >> (j % 8)) & 1; }

TEST(KnownBlocksTest, Q5_0) {
  BlockQ5_0 b;
  b.d = Fp32ToFp16(1.0f);
  std::memcpy(b.qh, kQh, 4);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const std::vector<float> y = DequantizeBlock(DType::kQ5_0, b);
  EXPECT_EQ(y[0], 0.0f);    // (0 | 16) - 16
  EXPECT_EQ(y[1], -15.0f);  // (1 | 0) - 16
  EXPECT_EQ(y[7], 7.0f);    // (7 | 16) - 16
  EXPECT_EQ(y[16], 15.0f);  // (15 | 16) - 16, high nibble of qs[0]
  EXPECT_EQ(y[20], -5.0f);  // (11 | 0) - 16
  EXPECT_EQ(y[31], 0.0f);   // (0 | 16) - 16
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], static_cast<float>((j | (FifthBit(j) << 4)) - 16)) << j;
    EXPECT_EQ(y[j + 16], static_cast<float>(((15 - j) | (FifthBit(j + 16) << 4)) - 16)) << j;
  }
}

TEST(KnownBlocksTest, Q5_1) {
  BlockQ5_1 b;
  b.d = Fp32ToFp16(0.5f);
  b.m = Fp32ToFp16(2.0f);
  std::memcpy(b.qh, kQh, 4);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const std::vector<float> y = DequantizeBlock(DType::kQ5_1, b);
  EXPECT_EQ(y[0], 10.0f);   // 0.5 * 16 + 2
  EXPECT_EQ(y[1], 2.5f);    // 0.5 * 1 + 2
  EXPECT_EQ(y[16], 17.5f);  // 0.5 * 31 + 2
  for (int j = 0; j < 32; ++j) {
    const int nib = j < 16 ? j : 31 - j;
    EXPECT_EQ(y[j], 0.5f * (nib | (FifthBit(j) << 4)) + 2.0f) << j;
  }
}

TEST(KnownBlocksTest, Q8_0AndQ8_1) {
  BlockQ8_0 b0;
  BlockQ8_1 b1;
  b0.d = b1.d = Fp32ToFp16(0.25f);
  b1.s = Fp32ToFp16(123.0f);  // Not used by dequantization.
  const int8_t codes[4] = {-128, -1, 0, 127};
  for (int j = 0; j < 32; ++j) b0.qs[j] = b1.qs[j] = codes[j % 4];
  const std::vector<float> y0 = DequantizeBlock(DType::kQ8_0, b0);
  const std::vector<float> y1 = DequantizeBlock(DType::kQ8_1, b1);
  const float expected[4] = {-32.0f, -0.25f, 0.0f, 31.75f};
  for (int j = 0; j < 32; ++j) {
    EXPECT_EQ(y0[j], expected[j % 4]) << j;
    EXPECT_EQ(y1[j], expected[j % 4]) << j;
  }
}

TEST(KnownBlocksTest, Q8_K) {
  BlockQ8_K b;
  b.d = -0.5f;
  for (int j = 0; j < 256; ++j) b.qs[j] = static_cast<int8_t>(j - 128);
  for (int j = 0; j < 16; ++j) b.bsums[j] = 0;  // Not used by dequantization.
  const std::vector<float> y = DequantizeBlock(DType::kQ8_K, b);
  EXPECT_EQ(y[0], 64.0f);
  EXPECT_EQ(y[255], -63.5f);
  for (int j = 0; j < 256; ++j) EXPECT_EQ(y[j], -0.5f * (j - 128)) << j;
}

// Every qs byte 0b11'10'01'00: bit pair s holds code s, so element
// 128n + 32s + l has 2-bit code s.
constexpr uint8_t kTwoBitRamp = 0xE4;

TEST(KnownBlocksTest, Q2_K) {
  BlockQ2_K b;
  b.d = Fp32ToFp16(0.5f);
  b.dmin = Fp32ToFp16(2.0f);
  for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<uint8_t>(j | (1 << 4));  // scale j, min 1
  std::memset(b.qs, kTwoBitRamp, sizeof(b.qs));
  const std::vector<float> y = DequantizeBlock(DType::kQ2_K, b);
  EXPECT_EQ(y[0], -2.0f);    // sub 0: 0.5 * 0 * 0 - 2 * 1
  EXPECT_EQ(y[40], -1.0f);   // sub 2, code 1: 0.5 * 2 * 1 - 2
  EXPECT_EQ(y[200], 10.0f);  // 200 = 128 + 64 + 8: sub 12, code 2: 0.5 * 12 * 2 - 2
  EXPECT_EQ(y[255], 20.5f);  // sub 15, code 3: 0.5 * 15 * 3 - 2
  for (int e = 0; e < 256; ++e) {
    const int code = (e % 128) / 32;
    EXPECT_EQ(y[e], 0.5f * (e / 16) * code - 2.0f) << e;
  }
}

TEST(KnownBlocksTest, Q3_K) {
  BlockQ3_K b;
  b.d = Fp32ToFp16(0.25f);
  // Sub-block scales j - 8 (-8..7), stored biased by 32: 24..39. Low nibbles:
  // sub-block j < 8 in the low half of byte j (24..31 -> 8..15), sub-block
  // j >= 8 in the high half of byte j - 8 (32..39 -> 0..7). Top 2 bits: 1 for
  // j < 8, 2 for j >= 8, at bit pair j / 4 of byte 8 + j % 4: 0b10'10'01'01.
  for (int k = 0; k < 8; ++k) b.scales[k] = static_cast<uint8_t>((k + 8) | (k << 4));
  for (int k = 8; k < 12; ++k) b.scales[k] = 0xA5;
  std::memset(b.qs, kTwoBitRamp, sizeof(b.qs));
  // hmask bit t of byte l covers element 32t + l: set for the first half
  // (no -4), clear for the second half (-4).
  std::memset(b.hmask, 0x0F, sizeof(b.hmask));
  const std::vector<float> y = DequantizeBlock(DType::kQ3_K, b);
  EXPECT_EQ(y[0], 0.0f);      // sub 0 (scale -8), code 0
  EXPECT_EQ(y[40], -1.5f);    // sub 2 (scale -6), code 1: 0.25 * -6 * 1
  EXPECT_EQ(y[200], -2.0f);   // sub 12 (scale 4), code 2 - 4: 0.25 * 4 * -2
  EXPECT_EQ(y[255], -1.75f);  // sub 15 (scale 7), code 3 - 4: 0.25 * 7 * -1
  for (int e = 0; e < 256; ++e) {
    const int code = (e % 128) / 32 - (e < 128 ? 0 : 4);
    EXPECT_EQ(y[e], 0.25f * (e / 16 - 8) * code) << e;
  }
}

// Q4_K/Q5_K sub-block scales and mins, with values >= 16 in sub-blocks 4..7
// so that the top bits stored in bytes 0..7 matter.
constexpr int kK4Scales[8] = {1, 2, 3, 4, 17, 33, 49, 63};
constexpr int kK4Mins[8] = {0, 5, 10, 15, 20, 40, 60, 63};
// Worked out by hand from the layout (see UnpackScaleMinK4):
//   bytes 0..3:  scale[j] | (scale[j+4] >> 4) << 6 = 1|64, 2|128, 3|192, 4|192
//   bytes 4..7:  min[j] | (min[j+4] >> 4) << 6     = 0|64, 5|128, 10|192, 15|192
//   bytes 8..11: (scale[j+4] & 15) | (min[j+4] & 15) << 4 = 1|64, 1|128, 1|192, 15|240
constexpr uint8_t kK4Packed[12] = {65, 130, 195, 196, 64, 133, 202, 207, 65, 129, 193, 255};

// qs[32p + l] = (l & 15) | (15 - (l & 15)) << 4: element 64p + l has code
// l & 15 and element 64p + 32 + l has code 15 - (l & 15).
void FillK4Nibbles(uint8_t* qs) {
  for (int p = 0; p < 4; ++p) {
    for (int l = 0; l < 32; ++l)
      qs[32 * p + l] = static_cast<uint8_t>((l & 15) | ((15 - (l & 15)) << 4));
  }
}

int K4Code(int e) {
  const int l = e % 32;
  return (e % 64) < 32 ? (l & 15) : 15 - (l & 15);
}

TEST(KnownBlocksTest, K4ScalePackingMatchesHandPackedBytes) {
  uint8_t packed[12];
  reference::PackScalesMinsK4(kK4Scales, kK4Mins, packed);
  for (int k = 0; k < 12; ++k) EXPECT_EQ(packed[k], kK4Packed[k]) << k;
}

TEST(KnownBlocksTest, Q4_K) {
  BlockQ4_K b;
  b.d = Fp32ToFp16(0.5f);
  b.dmin = Fp32ToFp16(0.25f);
  std::memcpy(b.scales, kK4Packed, 12);
  FillK4Nibbles(b.qs);
  const std::vector<float> y = DequantizeBlock(DType::kQ4_K, b);
  EXPECT_EQ(y[0], 0.0f);       // sub 0 (1, 0), code 0
  EXPECT_EQ(y[33], 12.75f);    // sub 1 (2, 5), high nibble, l = 1 -> 14: 0.5*2*14 - 0.25*5
  EXPECT_EQ(y[130], 12.0f);    // sub 4 (17, 20), low nibble, code 2: 0.5*17*2 - 0.25*20
  EXPECT_EQ(y[200], 181.0f);   // sub 6 (49, 60), low nibble, code 8: 0.5*49*8 - 0.25*60
  EXPECT_EQ(y[255], -15.75f);  // sub 7 (63, 63), high nibble, code 0: -0.25*63
  for (int e = 0; e < 256; ++e) {
    EXPECT_EQ(y[e], 0.5f * kK4Scales[e / 32] * K4Code(e) - 0.25f * kK4Mins[e / 32]) << e;
  }
}

TEST(KnownBlocksTest, Q5_K) {
  BlockQ5_K b;
  b.d = Fp32ToFp16(0.5f);
  b.dmin = Fp32ToFp16(0.25f);
  std::memcpy(b.scales, kK4Packed, 12);
  FillK4Nibbles(b.qs);
  // Bit j of qh[l] is the fifth bit of element 32j + l: sub-blocks 4..7 get
  // it everywhere, and element 5 (bit 0 of qh[5]) too.
  std::memset(b.qh, 0xF0, sizeof(b.qh));
  b.qh[5] |= 0x01;
  const std::vector<float> y = DequantizeBlock(DType::kQ5_K, b);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[5], 10.5f);      // sub 0 (1, 0), code 5 + 16: 0.5*1*21
  EXPECT_EQ(y[33], 12.75f);    // as in Q4_K
  EXPECT_EQ(y[130], 148.0f);   // code 2 + 16: 0.5*17*18 - 5
  EXPECT_EQ(y[255], 488.25f);  // code 0 + 16: 0.5*63*16 - 15.75
  for (int e = 0; e < 256; ++e) {
    const int code = K4Code(e) + ((e >= 128 || e == 5) ? 16 : 0);
    EXPECT_EQ(y[e], 0.5f * kK4Scales[e / 32] * code - 0.25f * kK4Mins[e / 32]) << e;
  }
}

TEST(KnownBlocksTest, Q6_K) {
  BlockQ6_K b;
  b.d = Fp32ToFp16(0.5f);
  for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(j - 8);
  b.scales[14] = -128;
  for (int k = 0; k < 128; ++k) b.ql[k] = static_cast<uint8_t>(k);
  // Bit pair s of qh[32n + l] is the top 2 bits of element 128n + 32s + l.
  std::memset(b.qh, kTwoBitRamp, sizeof(b.qh));
  const std::vector<float> y = DequantizeBlock(DType::kQ6_K, b);
  EXPECT_EQ(y[0], 128.0f);      // ql[0] low = 0, top 0: code -32; scale -8: 0.5*-8*-32
  EXPECT_EQ(y[37], 33.0f);      // ql[37] low = 5, top 1: 21 - 32 = -11; scale -6
  EXPECT_EQ(y[200], 8.0f);      // 128 + 64 + 8: ql[72] high = 4, top 2: 36 - 32; scale 4
  EXPECT_EQ(y[230], -1408.0f);  // 128 + 96 + 6: ql[102] high = 6, top 3: 54 - 32; scale -128
  EXPECT_EQ(y[255], 80.5f);     // ql[127] high = 7, top 3: 55 - 32 = 23; scale 7
  for (int e = 0; e < 256; ++e) {
    const int n = e / 128;
    const int s = (e % 128) / 32;
    const int l = e % 32;
    const uint8_t byte = b.ql[64 * n + 32 * (s % 2) + l];
    const int low = s < 2 ? (byte & 15) : (byte >> 4);
    EXPECT_EQ(y[e], 0.5f * b.scales[e / 16] * ((low | (s << 4)) - 32)) << e;
  }
}

TEST(KnownBlocksTest, F16MatchesCoreConversionForAllHalves) {
  std::vector<uint16_t> halves(65536);
  for (int i = 0; i < 65536; ++i) halves[i] = static_cast<uint16_t>(i);
  std::vector<float> y(65536);
  FindReferenceKernels(DType::kF16)->to_float(halves.data(), y.data(), 65536);
  for (int i = 0; i < 65536; ++i) {
    const float expected = Fp16ToFp32(static_cast<uint16_t>(i));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(y[i])) << i;
    } else {
      EXPECT_EQ(FloatBits(y[i]), FloatBits(expected)) << i;
    }
  }
}

TEST(KnownBlocksTest, BF16IsTheTopHalfOfAFloat) {
  const uint16_t raw[4] = {0x3F80, 0xC000, 0x0001, 0x7F80};  // 1, -2, tiny, +Inf
  float y[4];
  FindReferenceKernels(DType::kBF16)->to_float(raw, y, 4);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -2.0f);
  EXPECT_EQ(FloatBits(y[2]), 0x00010000u);
  EXPECT_TRUE(std::isinf(y[3]));
}

TEST(KnownBlocksTest, TableCoversTheSupportedTypes) {
  const DType with_dot[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ4_1,
                            DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kQ2_K, DType::kQ3_K,
                            DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};
  for (DType t : with_dot) {
    const QuantKernels* k = FindReferenceKernels(t);
    ASSERT_NE(k, nullptr) << DTypeName(t);
    EXPECT_EQ(k->type, t);
    EXPECT_NE(k->to_float, nullptr) << DTypeName(t);
    EXPECT_NE(k->from_float, nullptr) << DTypeName(t);
    EXPECT_NE(k->vec_dot, nullptr) << DTypeName(t);
    // The activation format can always be produced.
    const QuantKernels* act = FindReferenceKernels(k->vec_dot_type);
    ASSERT_NE(act, nullptr) << DTypeName(t);
    EXPECT_NE(act->from_float, nullptr) << DTypeName(t);
  }
  for (DType t : {DType::kQ8_1, DType::kQ8_K}) {
    ASSERT_NE(FindReferenceKernels(t), nullptr);
    EXPECT_EQ(FindReferenceKernels(t)->vec_dot, nullptr);
  }
  EXPECT_EQ(FindReferenceKernels(DType::kQ4_0)->vec_dot_type, DType::kQ8_0);
  EXPECT_EQ(FindReferenceKernels(DType::kQ5_1)->vec_dot_type, DType::kQ8_1);
  EXPECT_EQ(FindReferenceKernels(DType::kQ4_K)->vec_dot_type, DType::kQ8_K);
  EXPECT_EQ(FindReferenceKernels(DType::kF16)->vec_dot_type, DType::kF16);
  EXPECT_EQ(FindReferenceKernels(DType::kIQ2_XXS), nullptr);
  EXPECT_EQ(FindReferenceKernels(DType::kI32), nullptr);
}

}  // namespace
}  // namespace strata::cpu
