// Next-layer gate prediction: apply layer L+n's router to the residual
// stream available at layer L. Residual streams change slowly from layer to
// layer, so the future router, fed today's state (normalised with the future
// layer's own router-input norm), ranks tomorrow's experts well — the idea of
// pre-gated MoE. Costs one n_embd × n_expert product per predicted layer.
#ifndef STRATA_MOE_GATE_PREDICTOR_H_
#define STRATA_MOE_GATE_PREDICTOR_H_

#include <vector>

#include "cpu/matmul.h"
#include "moe/expert_predictor.h"

namespace strata::moe {

class GatePredictor : public ExpertPredictor {
 public:
  explicit GatePredictor(const PredictorConfig& config) : config_(config) {}
  absl::string_view name() const override { return "gate"; }
  void Predict(int64_t target_layer, const float* residual,
               std::vector<ScoredExpert>* out) override;

  // The router's probabilities for `target_layer` (empty when unavailable).
  void Probabilities(int64_t target_layer, const float* residual, std::vector<float>* probs);

 private:
  PredictorConfig config_;
  std::vector<float> normed_;
  cpu::QuantizedActivations act_;
};

}  // namespace strata::moe

#endif  // STRATA_MOE_GATE_PREDICTOR_H_
