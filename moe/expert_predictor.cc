#include "moe/expert_predictor.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "moe/combined_predictor.h"
#include "moe/gate_predictor.h"
#include "moe/popularity_predictor.h"
#include "moe/temporal_predictor.h"

namespace strata::moe {

void RankScores(absl::Span<const float> scores, std::vector<ScoredExpert>* out) {
  out->clear();
  out->reserve(scores.size());
  for (size_t e = 0; e < scores.size(); ++e) {
    out->push_back({static_cast<int32_t>(e), scores[e]});
  }
  std::stable_sort(out->begin(), out->end(),
                   [](const ScoredExpert& a, const ScoredExpert& b) { return a.score > b.score; });
}

std::vector<std::string> PredictorNames() {
  return {"off", "gate", "temporal", "popularity", "combined"};
}

absl::StatusOr<std::unique_ptr<ExpertPredictor>> MakeExpertPredictor(
    absl::string_view name, const PredictorConfig& config) {
  if (name == "gate") return std::unique_ptr<ExpertPredictor>(new GatePredictor(config));
  if (name == "temporal") return std::unique_ptr<ExpertPredictor>(new TemporalPredictor(config));
  if (name == "popularity") {
    return std::unique_ptr<ExpertPredictor>(new PopularityPredictor(config));
  }
  if (name == "combined") return std::unique_ptr<ExpertPredictor>(new CombinedPredictor(config));
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown --predictor '", name, "' (known: ", absl::StrJoin(PredictorNames(), ", "), ")"));
}

}  // namespace strata::moe
