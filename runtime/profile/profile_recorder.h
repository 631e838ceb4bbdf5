// Records what a run did, for `strata profile`: every routing decision, the
// compute time of each layer, every block read and every stall on one, and
// samples of the RAM tier's occupancy — with wall-clock times relative to the
// start of the recording.
//
// It is both a ForwardHooks (installed on the inference context) and an
// offload::IoObserver (installed on the weight store). Thread-safe: the I/O
// threads and the forward pass call in concurrently.
#ifndef STRATA_RUNTIME_PROFILE_PROFILE_RECORDER_H_
#define STRATA_RUNTIME_PROFILE_PROFILE_RECORDER_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "moe/popularity_profile.h"
#include "offload/io_observer.h"
#include "runtime/forward/forward_hooks.h"
#include "runtime/model/model.h"

namespace strata {

struct RoutingRecord {
  int32_t turn;
  bool decode;
  int64_t token;  // Position within the turn.
  int32_t layer;
  int32_t expert;
  float weight;
};

struct SpanRecord {
  double start_us;
  double end_us;
  int32_t layer;
  int64_t token;  // Position of the batch's last token.
  int64_t n_tokens;
};

struct ReadRecord {
  double start_us;
  double end_us;
  offload::BlockClass block_class;
  int32_t layer;
  bool prefetch;
  int blocks;
  uint64_t bytes;
};

struct StallRecord {
  double start_us;
  double end_us;
  offload::BlockClass block_class;
  int32_t layer;
};

struct OccupancySample {
  double time_us;
  uint64_t resident_bytes;
};

class ProfileRecorder : public ForwardHooks, public offload::IoObserver {
 public:
  explicit ProfileRecorder(const Model& model);

  // The prompt index the next batches belong to.
  void BeginTurn(int32_t turn);

  void OnBatchBegin(int64_t pos0, int64_t n_tokens) override;
  void OnLayerBegin(int64_t layer) override;
  void OnLayerEnd(int64_t layer) override;
  void OnRouted(int64_t layer, int64_t pos, const moe::TokenRoute& route, const float* residual,
                bool last) override;
  void OnRead(offload::BlockClass block_class, int32_t layer, bool prefetch, int blocks,
              uint64_t bytes, Clock::time_point start, Clock::time_point end) override;
  void OnStall(offload::BlockClass block_class, int32_t layer, Clock::time_point start,
               Clock::time_point end) override;

  // Copies of what was recorded so far.
  std::vector<RoutingRecord> routing() const;
  std::vector<SpanRecord> compute() const;
  std::vector<ReadRecord> reads() const;
  std::vector<StallRecord> stalls() const;
  std::vector<OccupancySample> occupancy() const;
  moe::PopularityProfile popularity() const;
  double elapsed_us() const { return Micros(Clock::now()); }

 private:
  double Micros(Clock::time_point t) const {
    return std::chrono::duration<double, std::micro>(t - origin_).count();
  }

  const Model& model_;
  const Clock::time_point origin_;
  mutable std::mutex mutex_;
  int32_t turn_ ABSL_GUARDED_BY(mutex_) = 0;
  bool decode_ ABSL_GUARDED_BY(mutex_) = false;
  int64_t batch_last_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t batch_tokens_ ABSL_GUARDED_BY(mutex_) = 0;
  double layer_start_us_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<RoutingRecord> routing_ ABSL_GUARDED_BY(mutex_);
  std::vector<SpanRecord> compute_ ABSL_GUARDED_BY(mutex_);
  std::vector<ReadRecord> reads_ ABSL_GUARDED_BY(mutex_);
  std::vector<StallRecord> stalls_ ABSL_GUARDED_BY(mutex_);
  std::vector<OccupancySample> occupancy_ ABSL_GUARDED_BY(mutex_);
  moe::PopularityProfile popularity_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace strata

#endif  // STRATA_RUNTIME_PROFILE_PROFILE_RECORDER_H_
