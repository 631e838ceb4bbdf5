#include "offload/arena.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace strata::offload {

absl::StatusOr<std::unique_ptr<Arena>> Arena::Create(uint64_t bytes, uint64_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("arena alignment ", alignment));
  }
  const uint64_t capacity = bytes / alignment * alignment;
  uint8_t* base = nullptr;
  if (capacity > 0) {
    void* p = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot reserve ", capacity, " bytes for the RAM tier: ", std::strerror(errno)));
    }
    ::madvise(p, capacity, MADV_HUGEPAGE);
    // Fault the whole region in now, once: O_DIRECT reads into untouched
    // pages pay the first-touch cost (0.5-3 GB/s here) on the critical path.
    if (::madvise(p, capacity, MADV_POPULATE_WRITE) != 0) {
      for (uint64_t off = 0; off < capacity; off += 4096) static_cast<uint8_t*>(p)[off] = 0;
    }
    base = static_cast<uint8_t*>(p);
  }
  auto arena = std::unique_ptr<Arena>(new Arena(base, capacity, alignment));
  if (capacity > 0) arena->free_.emplace(0, capacity);
  return arena;
}

Arena::~Arena() {
  if (base_ != nullptr) ::munmap(base_, capacity_);
}

std::optional<uint64_t> Arena::Allocate(uint64_t bytes) {
  const uint64_t size = Rounded(std::max<uint64_t>(bytes, 1));
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < size) continue;
    const uint64_t offset = it->first;
    const uint64_t rest = it->second - size;
    free_.erase(it);
    if (rest > 0) free_.emplace(offset + size, rest);
    used_ += size;
    return offset;
  }
  return std::nullopt;
}

void Arena::Free(uint64_t offset, uint64_t bytes) {
  uint64_t size = Rounded(std::max<uint64_t>(bytes, 1));
  used_ -= size;
  uint64_t start = offset;
  auto next = free_.lower_bound(offset);
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == offset) {
      start = prev->first;
      size += prev->second;
      free_.erase(prev);
    }
  }
  if (next != free_.end() && offset + Rounded(std::max<uint64_t>(bytes, 1)) == next->first) {
    size += next->second;
    free_.erase(next);
  }
  free_.emplace(start, size);
}

uint64_t Arena::largest_free() const {
  uint64_t best = 0;
  for (const auto& [offset, size] : free_) best = std::max(best, size);
  return best;
}

}  // namespace strata::offload
