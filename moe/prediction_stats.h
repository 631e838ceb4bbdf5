// How good route prediction was, per layer: recall (the share of routed
// experts that had been predicted) and precision (the share of predicted
// experts that were routed). Plain accumulators.
#ifndef STRATA_MOE_PREDICTION_STATS_H_
#define STRATA_MOE_PREDICTION_STATS_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace strata::moe {

struct LayerPredictionStats {
  uint64_t predictions = 0;  // Token-layers scored.
  uint64_t predicted = 0;    // Σ |predicted set|
  uint64_t routed = 0;       // Σ |routed set|
  uint64_t correct = 0;      // Σ |predicted ∩ routed|

  double recall() const { return routed ? static_cast<double>(correct) / routed : 0.0; }
  double precision() const { return predicted ? static_cast<double>(correct) / predicted : 0.0; }
};

class PredictionStats {
 public:
  explicit PredictionStats(int64_t n_layer) : layers_(n_layer) {}
  // Scores one prediction for `layer` against the experts actually routed.
  void Record(int64_t layer, absl::Span<const int32_t> predicted, absl::Span<const int32_t> routed);
  const std::vector<LayerPredictionStats>& layers() const { return layers_; }
  LayerPredictionStats total() const;

 private:
  std::vector<LayerPredictionStats> layers_;
};

}  // namespace strata::moe

#endif  // STRATA_MOE_PREDICTION_STATS_H_
