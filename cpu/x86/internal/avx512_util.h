// Helpers of the AVX-512 kernels (cpu/x86/avx512_*.cc): F16 loads and the
// float reductions in the exact orders of the reference kernels.
//
// Included only by translation units compiled with the AVX-512 flags of
// cpu/CMakeLists.txt; internal linkage on purpose (see tile_driver.h).
#ifndef STRATA_CPU_X86_INTERNAL_AVX512_UTIL_H_
#define STRATA_CPU_X86_INTERNAL_AVX512_UTIL_H_

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace strata::cpu::x86 {
namespace {  // NOLINT(build/namespaces): per-ISA copies, see tile_driver.h.

// F16 -> F32 is exact, so the F16C instruction equals the reference's
// conversion for every input.
inline float Half(uint16_t h) { return _cvtsh_ss(h); }

// hsum_float_8 (the reference's SumAccLanes):
// ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)).
inline float SumLanes8(__m256 acc) {
  __m128 r = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
}

// (m0 + m2) + (m1 + m3): the Q4_K mins reduction.
inline float SumLanes4(__m128 r) {
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
}

// _mm512_reduce_add_ps's order (the reference's Reduce16): halves added
// pairwise, 16 -> 8 -> 4 -> 2 -> 1, spelled out so no library version can
// change it.
inline float Reduce16(__m512 v) {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}

// Sum of eight int32 lanes (exact in any order).
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

// The low and high 256-bit halves of a 16-lane int32 vector, added: turns a
// zmm of two 32-element groups' lane sums into the eight lanes.
inline __m256i FoldHalves(__m512i v) {
  return _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
}

// 32 bytes from two 16-byte halves (lo at bytes 0..15).
inline __m512i Join256(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

inline uint32_t LoadU32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace
}  // namespace strata::cpu::x86

#endif  // STRATA_CPU_X86_INTERNAL_AVX512_UTIL_H_
