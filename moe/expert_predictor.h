// Route prediction: which experts the coming layers will use.
//
// While layer L computes, a predictor ranks the experts of layer L+1 (and
// further) so that the tier can read the likely ones before they are needed.
// Predictors see the routing of every layer as it happens (Observe) and, for
// the gate predictor, the residual stream and the future layers' routers.
// Each is a class behind this interface (one per file); `combined` mixes
// them. Predictors never influence what is computed, only what is read early.
// Not thread-safe: one per sequence, called from the forward pass.
#ifndef STRATA_MOE_EXPERT_PREDICTOR_H_
#define STRATA_MOE_EXPERT_PREDICTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/tensor.h"
#include "moe/popularity_profile.h"

namespace strata::moe {

struct ScoredExpert {
  int32_t expert;
  float score;  // Higher is more likely; comparable within one prediction.
};

// The routers of the model's layers, for the gate predictor.
class RouterSource {
 public:
  // A layer's router input norm and router matrix, resolved and pinned while
  // `keep_alive` lives.
  struct Router {
    TensorView norm;      // [n_embd] F32 (ffn_norm)
    TensorView gate_inp;  // [n_embd, n_expert]
    std::shared_ptr<void> keep_alive;
  };
  virtual ~RouterSource() = default;
  // nullopt-like: an error means "no prediction for this layer now" (e.g. the
  // router is not resident and reading it would stall).
  virtual absl::StatusOr<Router> GetRouter(int64_t layer) = 0;
};

struct PredictorConfig {
  int64_t n_layer = 0;
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  int64_t n_embd = 0;
  float rms_eps = 1e-6f;
  RouterSource* routers = nullptr;                // gate, combined
  const PopularityProfile* popularity = nullptr;  // popularity, combined (optional)
};

class ExpertPredictor {
 public:
  virtual ~ExpertPredictor() = default;
  virtual absl::string_view name() const = 0;
  // One token's experts at `layer`, as routed.
  virtual void Observe(int64_t layer, absl::Span<const int32_t> experts) {}
  // Ranks experts of `target_layer` (best first; at most n_expert entries).
  // `residual` is the last token's residual stream after the attention of
  // the layer just routed, or nullptr when there is none (a new token).
  virtual void Predict(int64_t target_layer, const float* residual,
                       std::vector<ScoredExpert>* out) = 0;
};

// "gate", "temporal", "popularity" or "combined"; InvalidArgument otherwise.
absl::StatusOr<std::unique_ptr<ExpertPredictor>> MakeExpertPredictor(absl::string_view name,
                                                                     const PredictorConfig& config);
// Every name --predictor accepts, "off" first.
std::vector<std::string> PredictorNames();

// Sorts `scores` (one per expert) into a ranked list.
void RankScores(absl::Span<const float> scores, std::vector<ScoredExpert>* out);

}  // namespace strata::moe

#endif  // STRATA_MOE_EXPERT_PREDICTOR_H_
