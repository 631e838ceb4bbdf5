// Rotary position embedding (RoPE).
//
// Two pairings exist: kAdjacent rotates (x[2i], x[2i+1]) — llama, deepseek2;
// kNeox rotates (x[i], x[i + n_rot/2]) — qwen2/qwen3 and GPT-NeoX. The angle of
// pair i at position p is p * freq_scale * base^(-2i/n_rot) / factor[i]
// (factor from an optional `rope_freqs` tensor, as Llama 3.1 ships). As in
// ggml, the per-pair frequency is built by repeated multiplication, which keeps
// us bit-close to llama.cpp. Dimensions past n_rot pass through unchanged.
// Pure functions; RopeTable is immutable after construction.
#ifndef STRATA_CPU_ROPE_H_
#define STRATA_CPU_ROPE_H_

#include <cstdint>
#include <vector>

namespace strata::cpu {

enum class RopeMode { kAdjacent, kNeox };

struct RopeParams {
  int n_rot = 0;
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;
  RopeMode mode = RopeMode::kAdjacent;
  const float* freq_factors = nullptr;  // [n_rot / 2] or nullptr.
};

// cos/sin of every pair's angle at one position: [n_rot / 2] each.
void RopeAngles(const RopeParams& p, int64_t pos, float* cos_out, float* sin_out);

// Rotates `n_heads` heads of `head_dim` floats each, laid out back to back.
void ApplyRope(const RopeParams& p, const float* cos_t, const float* sin_t, float* x, int n_heads,
               int head_dim);

}  // namespace strata::cpu

#endif  // STRATA_CPU_ROPE_H_
