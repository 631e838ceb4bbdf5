// Least-squares scale (and offset) fitting for the weight quantizers.
//
// A quantizer picks, for each group of N values, a scale s (and for the
// asymmetric formats an offset o) and integer levels q so that s * q (+ o) is
// close to x. Rounding x / s to the nearest level for one fixed s is not the
// best choice: for the levels that s produces, a different s fits better, and
// a slightly different s produces different levels. These helpers try a small
// grid of candidate level spacings around the naive one, refit s (and o) to
// each candidate's levels by least squares, and keep the candidate with the
// smallest squared error. Cost is O(kCandidates * N) per group with fixed trip
// counts, and the inner loops vectorise: float sums use kLanes independent
// partial sums, so no reassociation is needed (sums of small integer levels
// are exact in float anyway).
//
// Callers quantize the returned scale (to F16 or to a sub-block code) and then
// recompute the levels for the quantized scale, so only s and o are returned.
// The templates live in scale_search.cc (compiled on their own, which also
// keeps GCC from losing their vectorisation when inlined into large callers).
// Pure functions, thread-safe.
#ifndef STRATA_CPU_REFERENCE_INTERNAL_SCALE_SEARCH_H_
#define STRATA_CPU_REFERENCE_INTERNAL_SCALE_SEARCH_H_

#include <cstdint>

namespace strata::cpu::reference {

// Groups whose largest magnitude is below this are treated as all zeros.
inline constexpr float kTinyGroup = 1e-15f;

// The candidate spacings are nmax + kCandidateStep * k for k in
// [-kCandidateRadius, kCandidateRadius], i.e. up to one level wider or
// narrower than mapping the extreme value exactly onto the extreme level.
// Halving the step (21 candidates) improves Gaussian NMSE by under 0.5% at
// 1.7x the cost; 7 candidates lose ~1% on Q4_K.
inline constexpr int kCandidateRadius = 5;
inline constexpr float kCandidateStep = 0.2f;

inline constexpr int kLanes = 8;

inline float LaneSum(const float (&lanes)[kLanes]) {
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
         ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

// Fits x ≈ s * q with integer q in [-nmax, nmax - 1] and returns s (0 for an
// all-zero group). The format's one extra negative level is used for the
// largest-magnitude value (whatever its sign): s takes the opposite sign, so
// that value maps to -nmax. The sign of s therefore varies between groups.
// Instantiated for N = 16 and 32. x must be finite.
template <int N>
float FitSymmetric(const float* x, int nmax);

struct AffineFit {
  float scale = 0.0f;
  float offset = 0.0f;
};

// Fits x ≈ s * q + o with integer q in [0, nmax]. With `nonpositive_offset`
// the fit keeps o <= 0, as the K-quants need (they store -o as an unsigned
// code times a shared positive dmin). A constant group gets s = 0 and o equal
// to the constant (or to min(constant, 0) under the constraint, with s > 0).
// Instantiated for N = 16 and 32. x must be finite.
template <int N>
AffineFit FitAffine(const float* x, int nmax, bool nonpositive_offset);

}  // namespace strata::cpu::reference

#endif  // STRATA_CPU_REFERENCE_INTERNAL_SCALE_SEARCH_H_
