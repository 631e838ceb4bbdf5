#include "runtime/profile/profile_recorder.h"

namespace strata {

ProfileRecorder::ProfileRecorder(const Model& model)
    : model_(model),
      origin_(Clock::now()),
      popularity_(model.hparams().n_layer, std::max<int64_t>(model.hparams().n_expert, 1)) {}

void ProfileRecorder::BeginTurn(int32_t turn) {
  std::lock_guard<std::mutex> lock(mutex_);
  turn_ = turn;
}

void ProfileRecorder::OnBatchBegin(int64_t pos0, int64_t n_tokens) {
  std::lock_guard<std::mutex> lock(mutex_);
  // A turn's first batch is its prompt; single tokens after it are decoded.
  decode_ = n_tokens == 1 && pos0 > 0;
  batch_last_ = pos0 + n_tokens - 1;
  batch_tokens_ = n_tokens;
}

void ProfileRecorder::OnLayerBegin(int64_t layer) {
  std::lock_guard<std::mutex> lock(mutex_);
  layer_start_us_ = Micros(Clock::now());
}

void ProfileRecorder::OnLayerEnd(int64_t layer) {
  const uint64_t resident = model_.store().stats().resident_bytes;
  std::lock_guard<std::mutex> lock(mutex_);
  const double now = Micros(Clock::now());
  compute_.push_back(
      {layer_start_us_, now, static_cast<int32_t>(layer), batch_last_, batch_tokens_});
  occupancy_.push_back({now, resident});
}

void ProfileRecorder::OnRouted(int64_t layer, int64_t pos, const moe::TokenRoute& route,
                               const float*, bool) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t s = 0; s < route.experts.size(); ++s) {
    routing_.push_back(
        {turn_, decode_, pos, static_cast<int32_t>(layer), route.experts[s], route.weights[s]});
  }
  popularity_.Add(layer, route.experts);
}

void ProfileRecorder::OnRead(offload::BlockClass block_class, int32_t layer, bool prefetch,
                             int blocks, uint64_t bytes, Clock::time_point start,
                             Clock::time_point end) {
  std::lock_guard<std::mutex> lock(mutex_);
  reads_.push_back({Micros(start), Micros(end), block_class, layer, prefetch, blocks, bytes});
}

void ProfileRecorder::OnStall(offload::BlockClass block_class, int32_t layer,
                              Clock::time_point start, Clock::time_point end) {
  std::lock_guard<std::mutex> lock(mutex_);
  stalls_.push_back({Micros(start), Micros(end), block_class, layer});
}

std::vector<RoutingRecord> ProfileRecorder::routing() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return routing_;
}
std::vector<SpanRecord> ProfileRecorder::compute() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return compute_;
}
std::vector<ReadRecord> ProfileRecorder::reads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reads_;
}
std::vector<StallRecord> ProfileRecorder::stalls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stalls_;
}
std::vector<OccupancySample> ProfileRecorder::occupancy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return occupancy_;
}
moe::PopularityProfile ProfileRecorder::popularity() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return popularity_;
}

}  // namespace strata
