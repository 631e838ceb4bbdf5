#include "runtime/prefetch/expert_prefetcher.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace strata {

// The gate predictor's view of the routers: a router that is not resident
// (OnLayerBegin prefetches the next ones) is reported unavailable, so
// prediction never stalls.
class ExpertPrefetcher::StoreRouters : public moe::RouterSource {
 public:
  explicit StoreRouters(WeightStore& store) : store_(store) {}
  absl::StatusOr<Router> GetRouter(int64_t layer) override {
    if (!store_.IsRouterResident(layer)) return absl::UnavailableError("router not resident");
    auto pinned = std::make_shared<PinnedRouter>();
    STRATA_ASSIGN_OR_RETURN(*pinned, store_.PinRouter(layer));
    Router r;
    r.norm = pinned->norm;
    r.gate_inp = pinned->gate_inp;
    r.keep_alive = pinned;
    return r;
  }

 private:
  WeightStore& store_;
};

ExpertPrefetcher::ExpertPrefetcher(const Model& model, const PrefetchOptions& options)
    : model_(model),
      options_(options),
      n_layer_(model.hparams().n_layer),
      stats_(model.hparams().n_layer),
      pending_(model.hparams().n_layer) {}

ExpertPrefetcher::~ExpertPrefetcher() = default;

absl::StatusOr<std::unique_ptr<ExpertPrefetcher>> ExpertPrefetcher::Create(
    const Model& model, const PrefetchOptions& options) {
  const HParams& hp = model.hparams();
  if (options.predictor != "off" && !hp.is_moe()) {
    return absl::InvalidArgumentError("--predictor needs a mixture-of-experts model");
  }
  if (options.predictor == "off") return std::unique_ptr<ExpertPrefetcher>();
  if (options.lookahead < 1 || options.lookahead > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("prefetch lookahead must be 1 or 2, got ", options.lookahead));
  }
  if (options.margin < 0) {
    return absl::InvalidArgumentError(absl::StrCat("prefetch margin must be >= 0"));
  }
  auto prefetcher = std::unique_ptr<ExpertPrefetcher>(new ExpertPrefetcher(model, options));
  prefetcher->routers_ = std::make_unique<StoreRouters>(model.store());
  moe::PredictorConfig config;
  config.n_layer = hp.n_layer;
  config.n_expert = hp.n_expert;
  config.n_expert_used = hp.n_expert_used;
  config.n_embd = hp.n_embd;
  config.rms_eps = hp.rms_eps;
  config.routers = prefetcher->routers_.get();
  config.popularity = options.popularity;
  STRATA_ASSIGN_OR_RETURN(prefetcher->predictor_,
                          moe::MakeExpertPredictor(options.predictor, config));

  const uint64_t slot = std::max<uint64_t>(model.store().expert_slot_bytes(), 1);
  const uint64_t budget = options.max_prefetch_bytes > 0
                              ? options.max_prefetch_bytes
                              : model.store().stats().cache_capacity_bytes / 4;
  int64_t n = std::min<int64_t>(hp.n_expert, hp.n_expert_used + options.margin);
  n = std::min<int64_t>(n, static_cast<int64_t>(budget / slot));
  prefetcher->max_experts_ = std::max<int64_t>(n, 1);
  return prefetcher;
}

void ExpertPrefetcher::OnBatchBegin(int64_t pos0, int64_t n_tokens) {
  decoding_ = n_tokens == 1;
  token_ = pos0 + n_tokens - 1;
}

void ExpertPrefetcher::OnLayerBegin(int64_t layer) {
  if (!decoding_) return;
  WeightStore& store = model_.store();
  // Prefetches for steps that have run are useless now.
  store.CancelPrefetchesBefore(Step(token_, layer));
  const int64_t next = layer + 1 < n_layer_ ? layer + 1 : 0;
  const int64_t next_token = layer + 1 < n_layer_ ? token_ : token_ + 1;
  store.PrefetchLayer(next, Step(next_token, next));
  for (int d = 1; d <= options_.lookahead; ++d) {
    const int64_t target = layer + d;
    if (target < n_layer_) store.PrefetchRouter(target, Step(token_, target));
  }
}

void ExpertPrefetcher::PredictAndPrefetch(int64_t token, int64_t layer, const float* residual) {
  predictor_->Predict(layer, residual, &ranked_);
  std::vector<int32_t>& predicted = pending_[layer];
  predicted.clear();
  for (const moe::ScoredExpert& s : ranked_) {
    if (static_cast<int64_t>(predicted.size()) >= max_experts_) break;
    predicted.push_back(s.expert);
  }
  if (!predicted.empty()) model_.store().PrefetchExperts(layer, predicted, Step(token, layer));
}

void ExpertPrefetcher::OnRouted(int64_t layer, int64_t pos, const moe::TokenRoute& route,
                                const float* residual, bool last) {
  predictor_->Observe(layer, route.experts);
  if (!last) return;
  if (!pending_[layer].empty()) {
    stats_.Record(layer, pending_[layer], route.experts);
    pending_[layer].clear();
  }
  for (int d = 1; d <= options_.lookahead; ++d) {
    const int64_t target = layer + d;
    if (target < n_layer_) {
      PredictAndPrefetch(pos, target, residual);
    } else {
      // The next token's first layers: no residual yet, history only.
      PredictAndPrefetch(pos + 1, target - n_layer_, nullptr);
    }
  }
}

}  // namespace strata
