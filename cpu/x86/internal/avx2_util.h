// Helpers of the AVX2 kernels (cpu/x86/avx2_*.cc): F16 loads, the float
// reductions in the exact orders of the reference kernels, and llama.cpp's
// AVX2 building blocks for integer dot products.
//
// Included only by translation units compiled with -mavx2 -mfma -mf16c
// (cpu/CMakeLists.txt); internal linkage on purpose (see tile_driver.h).
#ifndef STRATA_CPU_X86_INTERNAL_AVX2_UTIL_H_
#define STRATA_CPU_X86_INTERNAL_AVX2_UTIL_H_

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace strata::cpu::x86 {
namespace {  // NOLINT(build/namespaces): per-ISA copies, see tile_driver.h.

inline float Half(uint16_t h) { return _cvtsh_ss(h); }

// hsum_float_8: ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)).
inline float SumLanes8(__m256 acc) {
  __m128 r = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
}

// (m0 + m2) + (m1 + m3).
inline float SumLanes4(__m128 r) {
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
}

// The reference's 16-lane Reduce16 with the lanes in two ymm registers
// (lo = lanes 0..7, hi = lanes 8..15): halves added pairwise.
inline float Reduce16(__m256 lo, __m256 hi) {
  const __m256 h = _mm256_add_ps(lo, hi);
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}

inline int32_t SumI32x8(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

inline int32_t SumI32x4(__m128i s) {
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// Eight int32 lanes of sum(u[i] * s[i]) over each group of four bytes, u
// unsigned and s signed, when no pair sum leaves int16 (true for u <= 127,
// or u <= 128 and s >= -127).
inline __m256i DotLanes(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// Spreads 32 bits to 32 bytes: 0xFF where the bit is set (llama.cpp's
// bytes_from_bits_32).
inline __m256i BytesFromBits(uint32_t bits) {
  const __m256i shuffle = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                            0x0101010101010101, 0x0000000000000000);
  __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)), shuffle);
  bytes = _mm256_or_si256(bytes, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
  return _mm256_cmpeq_epi8(bytes, _mm256_set1_epi64x(-1));
}

inline uint32_t LoadU32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline __m256i Load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i Load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

}  // namespace
}  // namespace strata::cpu::x86

#endif  // STRATA_CPU_X86_INTERNAL_AVX2_UTIL_H_
