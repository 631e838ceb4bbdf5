// What the tiered memory manager moves: blocks of model bytes.
//
// A block is the unit of residency: the dense weights of one layer, one
// expert of one layer (its gate, up and down slices — three contiguous ranges
// inside the merged `*_exps` tensors), or the output matrix. Each is a list of
// byte ranges of the model file. Blocks are classified so that hits, misses
// and bytes moved can be reported per class. Plain data.
#ifndef STRATA_OFFLOAD_BLOCK_H_
#define STRATA_OFFLOAD_BLOCK_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace strata::offload {

enum class BlockClass : int { kDense = 0, kExpert = 1, kEmbeddingOutput = 2, kKv = 3 };
inline constexpr int kBlockClassCount = 4;

absl::string_view BlockClassName(BlockClass c);

struct FileRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct BlockDesc {
  BlockClass block_class = BlockClass::kDense;
  int32_t layer = -1;   // -1 for blocks outside the layers (output).
  int32_t expert = -1;  // Expert blocks: the expert; embedding blocks: the chunk.
  std::vector<FileRange> ranges;

  uint64_t bytes() const {
    uint64_t total = 0;
    for (const FileRange& r : ranges) total += r.length;
    return total;
  }
  std::string DebugName() const;
};

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_BLOCK_H_
