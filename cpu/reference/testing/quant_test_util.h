// Test helpers for the quantized-format kernels: seeded random rows, error
// metrics and whole-row quantize/dequantize through a kernel table entry.
//
// For tests only (header-only, links nothing). Functions are pure apart from
// the seeded generators they create; thread-compatible.
#ifndef STRATA_CPU_REFERENCE_TESTING_QUANT_TEST_UTIL_H_
#define STRATA_CPU_REFERENCE_TESTING_QUANT_TEST_UTIL_H_

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "cpu/quant_kernels.h"

namespace strata::cpu::quant_test {

// n samples of N(mean, stddev^2) from a fixed seed.
inline std::vector<float> NormalRow(int64_t n, uint32_t seed, float stddev = 1.0f,
                                    float mean = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(mean, stddev);
  std::vector<float> row(static_cast<size_t>(n));
  for (float& x : row) x = dist(rng);
  return row;
}

// Normalised mean squared error sum (a - b)^2 / sum b^2, b the reference.
inline double Nmse(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0.0;
  double den = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    num += diff * diff;
    den += static_cast<double>(b[i]) * static_cast<double>(b[i]);
  }
  return den > 0.0 ? num / den : num;
}

inline bool AllFinite(const std::vector<float>& v) {
  for (float x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

inline double DotDouble(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

inline double Norm2(const std::vector<float>& a) { return std::sqrt(DotDouble(a, a)); }

// The kernels for `type`, which the caller has checked exist.
inline const QuantKernels& Kernels(DType type) { return *FindReferenceKernels(type); }

// Encodes `x` (a whole number of blocks) with type's from_float. The buffer
// starts filled with `fill` so tests can check that every byte is written.
inline std::vector<uint8_t> Quantize(DType type, const std::vector<float>& x, uint8_t fill = 0xA5) {
  std::vector<uint8_t> bytes(static_cast<size_t>(RowBytes(type, static_cast<int64_t>(x.size()))),
                             fill);
  Kernels(type).from_float(x.data(), bytes.data(), static_cast<int64_t>(x.size()));
  return bytes;
}

inline std::vector<float> Dequantize(DType type, const std::vector<uint8_t>& bytes, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  Kernels(type).to_float(bytes.data(), out.data(), n);
  return out;
}

inline std::vector<float> RoundTrip(DType type, const std::vector<float>& x) {
  return Dequantize(type, Quantize(type, x), static_cast<int64_t>(x.size()));
}

}  // namespace strata::cpu::quant_test

#endif  // STRATA_CPU_REFERENCE_TESTING_QUANT_TEST_UTIL_H_
