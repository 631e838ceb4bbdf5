#include "storage/aligned_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace strata {
namespace {

bool IsPowerOfTwo(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

// Rounds up to a multiple of `a` (a power of two); false on overflow.
bool RoundUp(uint64_t x, uint64_t a, uint64_t* out) {
  if (x > UINT64_MAX - (a - 1)) return false;
  *out = (x + a - 1) & ~(a - 1);
  return true;
}

}  // namespace

absl::StatusOr<AlignedBuffer> AlignedBuffer::Allocate(uint64_t size, uint64_t alignment) {
  if (!IsPowerOfTwo(alignment) || alignment < alignof(void*)) {
    return absl::InvalidArgumentError(absl::StrCat("AlignedBuffer: alignment ", alignment,
                                                   " is not a power of two >= ", alignof(void*)));
  }
  AlignedBuffer buffer;
  if (size == 0) return buffer;

  if (size < kHugePageBytes && alignment <= kHugePageBytes) {
    uint64_t rounded = 0;
    if (!RoundUp(size, alignment, &rounded)) {
      return absl::ResourceExhaustedError(absl::StrCat("AlignedBuffer: ", size, " bytes"));
    }
    void* p = std::aligned_alloc(alignment, rounded);
    if (p == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("AlignedBuffer: cannot allocate ", rounded, " bytes"));
    }
    buffer.data_ = static_cast<uint8_t*>(p);
    buffer.size_ = size;
    buffer.reserved_ = rounded;
    return buffer;
  }

  // Map enough to carve out a region aligned to max(2 MiB, alignment), then
  // unmap the slack on both sides: THP needs 2 MiB-aligned extents.
  const uint64_t align = alignment > kHugePageBytes ? alignment : kHugePageBytes;
  uint64_t length = 0;
  if (!RoundUp(size, kHugePageBytes, &length) || length > UINT64_MAX - align) {
    return absl::ResourceExhaustedError(absl::StrCat("AlignedBuffer: ", size, " bytes"));
  }
  const uint64_t mapped = length + align;
  void* base = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("AlignedBuffer: cannot map ", mapped, " bytes: ", std::strerror(errno)));
  }
  const uintptr_t start = reinterpret_cast<uintptr_t>(base);
  const uintptr_t aligned = (start + align - 1) & ~static_cast<uintptr_t>(align - 1);
  const uint64_t head = aligned - start;
  const uint64_t tail = mapped - head - length;
  if (head > 0) ::munmap(base, head);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + length), tail);
  buffer.data_ = reinterpret_cast<uint8_t*>(aligned);
  buffer.size_ = size;
  buffer.reserved_ = length;
  buffer.mapped_ = true;
  // Advice only: with THP disabled ("never") this fails and small pages serve.
  buffer.huge_page_advised_ = ::madvise(buffer.data_, length, MADV_HUGEPAGE) == 0;
  return buffer;
}

AlignedBuffer::AlignedBuffer(AlignedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      reserved_(std::exchange(other.reserved_, 0)),
      mapped_(std::exchange(other.mapped_, false)),
      huge_page_advised_(std::exchange(other.huge_page_advised_, false)) {}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    reserved_ = std::exchange(other.reserved_, 0);
    mapped_ = std::exchange(other.mapped_, false);
    huge_page_advised_ = std::exchange(other.huge_page_advised_, false);
  }
  return *this;
}

AlignedBuffer::~AlignedBuffer() { Release(); }

void AlignedBuffer::Release() {
  if (data_ == nullptr) return;
  if (mapped_) {
    ::munmap(data_, reserved_);
  } else {
    std::free(data_);
  }
  data_ = nullptr;
  size_ = 0;
  reserved_ = 0;
  mapped_ = false;
  huge_page_advised_ = false;
}

}  // namespace strata
