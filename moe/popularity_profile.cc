#include "moe/popularity_profile.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strata::moe {

void PopularityProfile::Add(int64_t layer, absl::Span<const int32_t> experts) {
  for (int32_t e : experts) ++counts_[layer * n_expert_ + e];
}

uint64_t PopularityProfile::layer_total(int64_t layer) const {
  uint64_t total = 0;
  for (int64_t e = 0; e < n_expert_; ++e) total += count(layer, e);
  return total;
}

absl::Status PopularityProfile::Save(const std::string& path) const {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return absl::UnavailableError(absl::StrCat(path, ": cannot create"));
  out << "# strata popularity profile n_layer=" << n_layer_ << " n_expert=" << n_expert_ << "\n";
  out << "layer,expert,count\n";
  for (int64_t l = 0; l < n_layer_; ++l) {
    for (int64_t e = 0; e < n_expert_; ++e) {
      if (count(l, e) > 0) out << l << "," << e << "," << count(l, e) << "\n";
    }
  }
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

absl::StatusOr<PopularityProfile> PopularityProfile::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string line;
  int64_t n_layer = -1, n_expert = -1;
  if (!std::getline(in, line) || !absl::StartsWith(line, "# strata popularity profile")) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":1: not a strata popularity profile (bad header)"));
  }
  for (absl::string_view field : absl::StrSplit(line, ' ')) {
    if (absl::ConsumePrefix(&field, "n_layer=")) (void)absl::SimpleAtoi(field, &n_layer);
    if (absl::ConsumePrefix(&field, "n_expert=")) (void)absl::SimpleAtoi(field, &n_expert);
  }
  if (n_layer <= 0 || n_expert <= 0 || n_layer > 4096 || n_expert > 65536) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":1: bad n_layer/n_expert"));
  }
  PopularityProfile profile(n_layer, n_expert);
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#' || line == "layer,expert,count") continue;
    std::vector<absl::string_view> cols = absl::StrSplit(line, ',');
    int64_t l, e;
    uint64_t c;
    if (cols.size() != 3 || !absl::SimpleAtoi(cols[0], &l) || !absl::SimpleAtoi(cols[1], &e) ||
        !absl::SimpleAtoi(cols[2], &c) || l < 0 || l >= n_layer || e < 0 || e >= n_expert) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": bad row '", line, "'"));
    }
    profile.counts_[l * n_expert + e] += c;
  }
  return profile;
}

}  // namespace strata::moe
