#include "moe/gate_predictor.h"

#include "cpu/activations.h"
#include "cpu/norm.h"

namespace strata::moe {

void GatePredictor::Probabilities(int64_t target_layer, const float* residual,
                                  std::vector<float>* probs) {
  probs->clear();
  if (residual == nullptr || config_.routers == nullptr) return;
  absl::StatusOr<RouterSource::Router> router = config_.routers->GetRouter(target_layer);
  if (!router.ok()) return;
  normed_.resize(config_.n_embd);
  cpu::RmsNorm(residual, router->norm.f32(), config_.n_embd, config_.rms_eps, normed_.data());
  probs->resize(config_.n_expert);
  cpu::MatMul(router->gate_inp, normed_.data(), 1, probs->data(), &act_, /*pool=*/nullptr);
  cpu::Softmax(probs->data(), config_.n_expert);
}

void GatePredictor::Predict(int64_t target_layer, const float* residual,
                            std::vector<ScoredExpert>* out) {
  std::vector<float> probs;
  Probabilities(target_layer, residual, &probs);
  out->clear();
  if (!probs.empty()) RankScores(probs, out);
}

}  // namespace strata::moe
