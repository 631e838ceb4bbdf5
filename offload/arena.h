// A fixed region of memory that resident blocks are carved from.
//
// The RAM tier reserves its whole budget once (an anonymous mapping advised
// for 2 MiB huge pages and faulted in up front) and places blocks in it with a first-fit allocator
// that coalesces freed neighbours. Memory is reused, never returned to the
// kernel while the arena lives: touching fresh pages costs 0.5–3 GB/s here,
// so paying it once per page matters, and RSS can never exceed the region.
// Offsets are aligned to `alignment` (4096 for O_DIRECT). Not thread-safe:
// the owning cache serialises calls.
#ifndef STRATA_OFFLOAD_ARENA_H_
#define STRATA_OFFLOAD_ARENA_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"

namespace strata::offload {

class Arena {
 public:
  static absl::StatusOr<std::unique_ptr<Arena>> Create(uint64_t bytes, uint64_t alignment);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Offset of a free range of `bytes` (rounded up to the alignment), or
  // nullopt when no free range is large enough (evict, then retry).
  std::optional<uint64_t> Allocate(uint64_t bytes);
  // Returns a range obtained from Allocate with the same `bytes`.
  void Free(uint64_t offset, uint64_t bytes);

  uint8_t* at(uint64_t offset) const { return base_ + offset; }
  uint64_t capacity() const { return capacity_; }
  uint64_t used() const { return used_; }
  uint64_t largest_free() const;
  uint64_t Rounded(uint64_t bytes) const {
    return (bytes + alignment_ - 1) / alignment_ * alignment_;
  }

 private:
  Arena(uint8_t* base, uint64_t capacity, uint64_t alignment)
      : base_(base), capacity_(capacity), alignment_(alignment) {}

  uint8_t* base_;
  uint64_t capacity_;
  uint64_t alignment_;
  uint64_t used_ = 0;
  std::map<uint64_t, uint64_t> free_;  // offset -> size, non-adjacent ranges.
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_ARENA_H_
