// The least-squares scale searches declared in scale_search.h. Pure
// functions, thread-safe.
#include "cpu/reference/internal/scale_search.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "cpu/reference/internal/quant_math.h"

namespace strata::cpu::reference {

template <int N>
float FitSymmetric(const float* __restrict x, int nmax) {
  static_assert(N % kLanes == 0);
  float amax = 0.0f;
  float max = 0.0f;
  for (int i = 0; i < N; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kTinyGroup) return 0.0f;

  float best_scale = -max / static_cast<float>(nmax);
  float best_score = -1.0f;
  for (int k = -kCandidateRadius; k <= kCandidateRadius; ++k) {
    const float iscale = -(static_cast<float>(nmax) + kCandidateStep * k) / max;
    float sum_xq[kLanes] = {};
    float sum_qq[kLanes] = {};  // Small integers: exact in float.
    for (int i = 0; i < N; i += kLanes) {
      for (int l = 0; l < kLanes; ++l) {
        // |iscale * x| <= nmax + 1: in range for RoundClampInt.
        const float q = static_cast<float>(RoundClampInt(iscale * x[i + l], -nmax, nmax - 1));
        sum_xq[l] += x[i + l] * q;
        sum_qq[l] += q * q;
      }
    }
    const float qq = LaneSum(sum_qq);
    if (qq == 0.0f) continue;
    const float xq = LaneSum(sum_xq);
    // For the least-squares s = xq / qq the error is sum x^2 - xq^2 / qq.
    const float score = xq * xq / qq;
    if (score > best_score) {
      best_score = score;
      best_scale = xq / qq;
    }
  }
  return best_scale;
}

template <int N>
AffineFit FitAffine(const float* __restrict x, int nmax, bool nonpositive_offset) {
  static_assert(N % kLanes == 0);
  float min = x[0];
  float max = x[0];
  float sum_x_lanes[kLanes] = {};
  float sum_xx_lanes[kLanes] = {};
  for (int i = 0; i < N; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      min = std::min(min, x[i + l]);
      max = std::max(max, x[i + l]);
      sum_x_lanes[l] += x[i + l];
      sum_xx_lanes[l] += x[i + l] * x[i + l];
    }
  }
  if (nonpositive_offset) min = std::min(min, 0.0f);
  if (!(max - min > kTinyGroup)) return {0.0f, min};

  const float n = static_cast<float>(N);
  const float sum_x = LaneSum(sum_x_lanes);
  const float sum_xx = LaneSum(sum_xx_lanes);
  const float range = max - min;
  const float hi = static_cast<float>(nmax);
  AffineFit best = {range / hi, min};
  float best_err = INFINITY;
  for (int k = -kCandidateRadius; k <= kCandidateRadius; ++k) {
    const float iscale = (hi + kCandidateStep * k) / range;
    // Sums of small integers (q, q^2) are exact in float.
    float sum_xq_lanes[kLanes] = {};
    float sum_q_lanes[kLanes] = {};
    float sum_qq_lanes[kLanes] = {};
    for (int i = 0; i < N; i += kLanes) {
      for (int l = 0; l < kLanes; ++l) {
        // 0 <= (x - min) * iscale <= nmax + 1: in range for RoundClampInt.
        const float q = static_cast<float>(RoundClampInt((x[i + l] - min) * iscale, 0, nmax));
        sum_xq_lanes[l] += x[i + l] * q;
        sum_q_lanes[l] += q;
        sum_qq_lanes[l] += q * q;
      }
    }
    const float sq = LaneSum(sum_q_lanes);
    const float sqq = LaneSum(sum_qq_lanes);
    const float sxq = LaneSum(sum_xq_lanes);
    const float det = n * sqq - sq * sq;
    if (!(det > 0.0f)) continue;  // All levels equal: no slope to fit.
    float s = (n * sxq - sum_x * sq) / det;
    float o = (sqq * sum_x - sq * sxq) / det;
    if (nonpositive_offset && o > 0.0f) {
      // The error is convex in (s, o): the constrained optimum is on o = 0.
      o = 0.0f;
      s = sxq / sqq;
    }
    // sum (s q + o - x)^2, expanded; the terms are O(sum x^2) and the error
    // is a few per mille of that, so float keeps enough digits to rank.
    const float err =
        sum_xx + s * s * sqq + n * o * o - 2.0f * s * sxq - 2.0f * o * sum_x + 2.0f * s * o * sq;
    if (err < best_err) {
      best_err = err;
      best = {s, o};
    }
  }
  return best;
}

template float FitSymmetric<16>(const float* x, int nmax);
template float FitSymmetric<32>(const float* x, int nmax);
template AffineFit FitAffine<16>(const float* x, int nmax, bool nonpositive_offset);
template AffineFit FitAffine<32>(const float* x, int nmax, bool nonpositive_offset);

}  // namespace strata::cpu::reference
