// A hook that sees every read the tier issues and every wait a computation
// spends on one, with wall-clock times: `strata profile` turns these into a
// Chrome trace timeline. Implementations must be thread-safe (the I/O threads
// of every cache and the compute thread call in; a cache calls in under its
// lock, so calls from one cache never overlap) and cheap.
#ifndef STRATA_OFFLOAD_IO_OBSERVER_H_
#define STRATA_OFFLOAD_IO_OBSERVER_H_

#include <chrono>
#include <cstdint>

#include "offload/block.h"

namespace strata::offload {

class IoObserver {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~IoObserver() = default;
  // One batch of block reads: `blocks` blocks, `bytes` in all.
  virtual void OnRead(BlockClass block_class, int32_t layer, bool prefetch, int blocks,
                      uint64_t bytes, Clock::time_point start, Clock::time_point end) = 0;
  // A computation waited for a block still being read.
  virtual void OnStall(BlockClass block_class, int32_t layer, Clock::time_point start,
                       Clock::time_point end) = 0;
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_IO_OBSERVER_H_
