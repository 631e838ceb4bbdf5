// How often each expert of each layer is routed to: the static part of
// prediction, learned by `strata profile` and loaded with
// `--popularity-profile FILE`.
//
// File format (CSV): a header line `# strata popularity profile n_layer=L
// n_expert=E`, a column line `layer,expert,count`, then one row per
// (layer, expert) with a non-zero count. Plain value type.
#ifndef STRATA_MOE_POPULARITY_PROFILE_H_
#define STRATA_MOE_POPULARITY_PROFILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace strata::moe {

class PopularityProfile {
 public:
  PopularityProfile(int64_t n_layer, int64_t n_expert)
      : n_layer_(n_layer), n_expert_(n_expert), counts_(n_layer * n_expert, 0) {}

  static absl::StatusOr<PopularityProfile> Load(const std::string& path);
  absl::Status Save(const std::string& path) const;

  void Add(int64_t layer, absl::Span<const int32_t> experts);
  uint64_t count(int64_t layer, int64_t expert) const {
    return counts_[layer * n_expert_ + expert];
  }
  uint64_t layer_total(int64_t layer) const;
  int64_t n_layer() const { return n_layer_; }
  int64_t n_expert() const { return n_expert_; }

 private:
  int64_t n_layer_;
  int64_t n_expert_;
  std::vector<uint64_t> counts_;  // [n_layer, n_expert]
};

}  // namespace strata::moe

#endif  // STRATA_MOE_POPULARITY_PROFILE_H_
