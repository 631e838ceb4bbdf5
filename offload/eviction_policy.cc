#include "offload/eviction_policy.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "offload/lfu_policy.h"
#include "offload/lru_policy.h"
#include "offload/s3fifo_policy.h"
#include "offload/score_policy.h"

namespace strata::offload {

std::vector<std::string> EvictionPolicyNames() {
  return {"lru", "lfu", "lfu-aging", "s3fifo", "score"};
}

absl::StatusOr<std::unique_ptr<EvictionPolicy>> MakeEvictionPolicy(absl::string_view name) {
  if (name == "lru") return std::make_unique<LruPolicy>();
  if (name == "lfu") return std::make_unique<LfuPolicy>();
  if (name == "lfu-aging") {
    return std::make_unique<LfuPolicy>(
        LfuPolicy::Options{.half_life_uses = LfuPolicy::kDefaultHalfLifeUses});
  }
  if (name == "s3fifo") return std::make_unique<S3FifoPolicy>();
  if (name == "score") return std::make_unique<ScorePolicy>();
  return absl::InvalidArgumentError(absl::StrCat("unknown eviction policy '", name, "' (known: ",
                                                 absl::StrJoin(EvictionPolicyNames(), ", "), ")"));
}

}  // namespace strata::offload
