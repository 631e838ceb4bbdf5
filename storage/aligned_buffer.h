// Aligned host memory for O_DIRECT reads, advised to use huge pages.
//
// An AlignedBuffer owns `size` bytes whose address is a multiple of the
// requested alignment (4096 by default: what O_DIRECT needs). Buffers of 2 MiB
// or more are anonymous mappings aligned to 2 MiB and advised MADV_HUGEPAGE, so
// transparent huge pages can back expert-sized blocks (fewer TLB misses, faster
// page pinning for the kernel's direct I/O); smaller ones come from
// aligned_alloc. The memory is not initialized and not pre-faulted.
//
// Move-only; a moved-from buffer is empty. Not synchronized: share it between
// threads as you would a std::vector.
#ifndef STRATA_STORAGE_ALIGNED_BUFFER_H_
#define STRATA_STORAGE_ALIGNED_BUFFER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace strata {

class AlignedBuffer {
 public:
  // Buffers at least this large are mmap'ed and advised MADV_HUGEPAGE.
  static constexpr uint64_t kHugePageBytes = 2 << 20;

  // Allocates `size` bytes aligned to `alignment` (a power of two, at least
  // alignof(void*)). InvalidArgument for a bad alignment, ResourceExhausted if
  // the memory cannot be had. A size of 0 gives an empty buffer.
  static absl::StatusOr<AlignedBuffer> Allocate(uint64_t size, uint64_t alignment = 4096);

  AlignedBuffer() = default;
  AlignedBuffer(AlignedBuffer&& other) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  absl::Span<uint8_t> span() { return absl::MakeSpan(data_, size_); }
  absl::Span<const uint8_t> span() const { return absl::MakeConstSpan(data_, size_); }
  // Bytes of address space held (size rounded up to the alignment, or to 2 MiB
  // for mapped buffers): what a memory budget should charge.
  uint64_t reserved_bytes() const { return reserved_; }
  // True if the memory is a mapping advised MADV_HUGEPAGE (the kernel may
  // still decline to use huge pages, e.g. when THP is disabled).
  bool huge_page_advised() const { return mapped_ && huge_page_advised_; }

 private:
  void Release();

  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t reserved_ = 0;
  bool mapped_ = false;  // munmap(data_, reserved_) rather than free(data_).
  bool huge_page_advised_ = false;
};

}  // namespace strata

#endif  // STRATA_STORAGE_ALIGNED_BUFFER_H_
