#include "moe/trace_prefetcher.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace strata::moe {

TraceShape ShapeOfTrace(const offload::RoutingTrace& trace) {
  TraceShape shape;
  shape.n_layer = trace.n_layer;
  std::map<std::tuple<int32_t, int32_t, int32_t>, int64_t> per_token_layer;
  for (const offload::RoutingAccess& a : trace.accesses) {
    shape.n_expert = std::max<int64_t>(shape.n_expert, a.expert + 1);
    const int64_t n = ++per_token_layer[{a.turn, a.token, a.layer}];
    shape.n_expert_used = std::max(shape.n_expert_used, n);
  }
  return shape;
}

TracePrefetcher::TracePrefetcher(const TraceShape& shape, int64_t margin)
    : shape_(shape), margin_(margin), stats_(shape.n_layer) {}

absl::StatusOr<std::unique_ptr<TracePrefetcher>> TracePrefetcher::Create(
    absl::string_view predictor, const TraceShape& shape, int64_t margin,
    const PopularityProfile* popularity) {
  if (predictor == "gate") {
    return absl::InvalidArgumentError(
        "the gate predictor needs the model's hidden states, which a routing trace does not "
        "hold: use temporal, popularity or combined");
  }
  if (margin < 0) return absl::InvalidArgumentError("the prefetch margin must be >= 0");
  auto prefetcher = std::unique_ptr<TracePrefetcher>(new TracePrefetcher(shape, margin));
  PredictorConfig config;
  config.n_layer = shape.n_layer;
  config.n_expert = shape.n_expert;
  config.n_expert_used = shape.n_expert_used;
  config.popularity = popularity;
  STRATA_ASSIGN_OR_RETURN(prefetcher->predictor_, MakeExpertPredictor(predictor, config));
  return prefetcher;
}

void TracePrefetcher::Before(const offload::AccessBatch& batch,
                             std::vector<offload::BlockKey>* keys) {
  predicted_.clear();
  if (!batch.decode) return;
  predictor_->Predict(batch.layer, /*residual=*/nullptr, &ranked_);
  const int64_t n = std::min<int64_t>(shape_.n_expert, shape_.n_expert_used + margin_);
  for (const ScoredExpert& s : ranked_) {
    if (static_cast<int64_t>(predicted_.size()) >= n) break;
    predicted_.push_back(s.expert);
    keys->push_back(offload::ExpertKey(batch.layer, s.expert));
  }
}

void TracePrefetcher::After(const offload::AccessBatch& batch) {
  experts_.clear();
  for (offload::BlockKey key : batch.keys) experts_.push_back(offload::KeyExpert(key));
  if (batch.decode) stats_.Record(batch.layer, predicted_, experts_);
  predictor_->Observe(batch.layer, experts_);
}

}  // namespace strata::moe
