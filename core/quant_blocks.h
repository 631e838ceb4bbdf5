// Block layouts of the quantized formats, byte-compatible with GGUF files.
//
// Each struct is one block of `kBlock...` consecutive elements of a row. A
// quantized row of n elements is n / block_size such structs back to back.
// Half-precision fields are raw uint16_t F16 bits (core/fp16.h converts).
// The K-quants group 256 elements into a super-block with 8 or 16 sub-blocks
// whose scales are themselves quantized; the comments give the decoding rule.
#ifndef STRATA_CORE_QUANT_BLOCKS_H_
#define STRATA_CORE_QUANT_BLOCKS_H_

#include <cstdint>

namespace strata {

inline constexpr int kQK4_0 = 32;
inline constexpr int kQK4_1 = 32;
inline constexpr int kQK5_0 = 32;
inline constexpr int kQK5_1 = 32;
inline constexpr int kQK8_0 = 32;
inline constexpr int kQK8_1 = 32;
inline constexpr int kQK_K = 256;        // Super-block size of the K-quants.
inline constexpr int kKScaleBytes = 12;  // Packed 6-bit scales/mins of Q4_K/Q5_K.

// x[i] = d * (q[i] - 8); element j in the low nibble of qs[j], element j+16
// in the high nibble of qs[j].
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK4_0 / 2];
};

// x[i] = d * q[i] + m; nibbles as in Q4_0.
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK4_1 / 2];
};

// x[i] = d * (q[i] - 16); the 5th bit of element j is bit j of qh (little-endian).
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK5_0 / 2];
};

// x[i] = d * q[i] + m; 5th bits as in Q5_0.
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK5_1 / 2];
};

// x[i] = d * qs[i].
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK8_0];
};

// Activation format paired with Q4_1/Q5_1: s = d * sum(qs) lets the dot
// product fold in the weights' offset m without touching elements.
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[kQK8_1];
};

// 16 sub-blocks of 16: x = d * (scales[j] & 15) * q - dmin * (scales[j] >> 4),
// q 2-bit. qs[l + 32*n] holds, at bit pair 2*s, element 128*n + 32*s + l.
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  uint16_t d;
  uint16_t dmin;
};

// 16 sub-blocks of 16, 6-bit signed scales packed into 12 bytes (minus 32):
// x = d * scale * (q - (hmask bit set ? 0 : 4)), q the 2 low bits.
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  uint16_t d;
};

// 8 sub-blocks of 32 with 6-bit scale and min packed into 12 bytes:
// x = d * sc[j] * q - dmin * m[j], q 4-bit. Sub-blocks 2n and 2n+1 share
// qs[32n .. 32n+31] as low and high nibbles.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQK_K / 2];
};

// As Q4_K with a 5th bit: bit j of qh[l] is the high bit of element 32*j + l.
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};

// 16 sub-blocks of 16 with int8 scales: x = d * scales[j] * (q - 32), q 6-bit
// (4 low bits in ql, 2 high bits in qh).
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};

// Activation format paired with the K-quants: float scale, and the sums of
// each group of 16 quants so the weights' mins fold in cheaply.
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

}  // namespace strata

#endif  // STRATA_CORE_QUANT_BLOCKS_H_
