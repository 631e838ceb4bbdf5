#include "offload/block.h"

#include "absl/strings/str_cat.h"
#include "offload/tier_stats.h"

namespace strata::offload {

absl::string_view BlockClassName(BlockClass c) {
  switch (c) {
    case BlockClass::kDense:
      return "dense";
    case BlockClass::kExpert:
      return "expert";
    case BlockClass::kEmbeddingOutput:
      return "embedding_output";
    case BlockClass::kKv:
      return "kv";
  }
  return "?";
}

std::string BlockDesc::DebugName() const {
  switch (block_class) {
    case BlockClass::kDense:
      return absl::StrCat("layer ", layer, " dense weights");
    case BlockClass::kExpert:
      return absl::StrCat("layer ", layer, " expert ", expert);
    case BlockClass::kEmbeddingOutput:
      return "output matrix";
    case BlockClass::kKv:
      return absl::StrCat("layer ", layer, " KV block");
  }
  return "block";
}

ClassCounters TierStats::total() const {
  ClassCounters t;
  for (const ClassCounters& c : by_class) t.Add(c);
  return t;
}

}  // namespace strata::offload
