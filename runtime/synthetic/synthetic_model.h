// Synthetic GGUF models for tests, demos and benchmarks (`strata make-model`).
//
// A SyntheticModelSpec gives an architecture's shape; WriteSyntheticModel
// writes a complete, loadable GGUF file with the built-in BPE vocabulary and
// seeded random weights: matrices ~ N(0, 1/fan_in), norms near 1, routers
// wider so that routing is decisive. Weights are generated and quantized row
// by row in parallel and streamed to disk, so multi-GB models never sit in
// RAM; each row's values depend only on (seed, tensor, row), so the file is
// identical whatever the thread count.
#ifndef STRATA_RUNTIME_SYNTHETIC_SYNTHETIC_MODEL_H_
#define STRATA_RUNTIME_SYNTHETIC_SYNTHETIC_MODEL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/dtype.h"

namespace strata {

struct SyntheticModelSpec {
  std::string arch = "qwen3moe";  // llama | qwen2 | qwen3 | qwen3moe
  std::string name = "strata-synthetic";
  int64_t n_embd = 64;
  int64_t n_layer = 2;
  int64_t n_head = 4;
  int64_t n_head_kv = 2;
  int64_t head_dim = 16;
  int64_t n_ff = 0;      // Dense FFN width (dense models).
  int64_t n_expert = 0;  // 0: dense.
  int64_t n_expert_used = 0;
  int64_t n_ff_exp = 0;  // Width of one expert.
  int64_t n_vocab = 1024;
  int64_t n_ctx_train = 4096;
  float rope_freq_base = 10000.0f;
  float rms_eps = 1e-6f;
  DType type = DType::kQ8_0;  // Of the 2-D weights; 1-D tensors and routers stay F32.
  uint64_t seed = 42;
  bool tied_output = false;
};

// The preset the demo (`strata run` without -m) uses.
inline constexpr absl::string_view kDefaultPreset = "small";

// Presets: "tiny" (tests), "small" (the demo), "qwen3-30b-a3b" and
// "mixtral-8x7b" (the real models' shapes with fewer layers by default).
absl::StatusOr<SyntheticModelSpec> PresetSpec(absl::string_view preset);
std::vector<std::string> PresetNames();

// InvalidArgument describing the first inconsistency.
absl::Status ValidateSpec(const SyntheticModelSpec& spec);

struct SyntheticModelStats {
  int64_t bytes = 0;
  int64_t tensors = 0;
  double seconds = 0;
};

// Writes the model to `path` (atomically: via "<path>.tmp"). `n_threads` 0
// uses every CPU. `progress`, if set, is called with (bytes written, total).
absl::StatusOr<SyntheticModelStats> WriteSyntheticModel(
    const SyntheticModelSpec& spec, const std::string& path, int n_threads,
    const std::function<void(int64_t, int64_t)>& progress = nullptr);

}  // namespace strata

#endif  // STRATA_RUNTIME_SYNTHETIC_SYNTHETIC_MODEL_H_
