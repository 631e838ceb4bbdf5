#include "moe/prediction_stats.h"

#include <algorithm>

namespace strata::moe {

void PredictionStats::Record(int64_t layer, absl::Span<const int32_t> predicted,
                             absl::Span<const int32_t> routed) {
  LayerPredictionStats& s = layers_[layer];
  ++s.predictions;
  s.predicted += predicted.size();
  s.routed += routed.size();
  for (int32_t e : routed) {
    if (std::find(predicted.begin(), predicted.end(), e) != predicted.end()) ++s.correct;
  }
}

LayerPredictionStats PredictionStats::total() const {
  LayerPredictionStats t;
  for (const LayerPredictionStats& s : layers_) {
    t.predictions += s.predictions;
    t.predicted += s.predicted;
    t.routed += s.routed;
    t.correct += s.correct;
  }
  return t;
}

}  // namespace strata::moe
