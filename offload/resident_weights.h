// The all-resident weight store: every tensor of a model file lives in RAM.
//
// The file is mapped read-only, so the page cache backs it and several
// processes share one copy. This is the degenerate tier arrangement (the whole
// model fits in the RAM budget); the tiered store that streams expert blocks
// from NVMe under a hard budget serves the same role for larger models.
// Immutable after Open; reads are thread-safe.
#ifndef STRATA_OFFLOAD_RESIDENT_WEIGHTS_H_
#define STRATA_OFFLOAD_RESIDENT_WEIGHTS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/gguf_file.h"
#include "storage/mapped_file.h"

namespace strata {

class ResidentWeights {
 public:
  // Maps `gguf`'s file; fails if it changed size since it was parsed.
  static absl::StatusOr<std::unique_ptr<ResidentWeights>> Open(const GgufFile& gguf);

  // Start of the file's bytes: a tensor lives at base() + info.file_offset.
  const uint8_t* base() const { return file_->data(); }
  uint64_t size() const { return file_->size(); }

 private:
  explicit ResidentWeights(std::unique_ptr<MappedFile> file) : file_(std::move(file)) {}
  std::unique_ptr<MappedFile> file_;
};

}  // namespace strata

#endif  // STRATA_OFFLOAD_RESIDENT_WEIGHTS_H_
