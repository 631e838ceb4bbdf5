// A routing trace: which experts each token was routed to, layer by layer, as
// recorded from a real model — the input of the offline cache replay.
//
// Two CSV dialects are read, told apart by their column line (columns are
// found by name, in any order):
//  - the BigMoeOnEdge route trace (../shared/traces/*.route.csv):
//      turn,phase,step,layer,slot,expert,weight,residency,expert_bytes
//    `phase` 0 = prefill, 1 = decode; `step` = token position. The per-row
//    `expert_bytes` is what the recording engine read (0 on its own hits), so
//    it is ignored; expert sizes come from the header lines.
//  - `routing.csv` as `strata profile` writes it:
//      token,layer,expert,weight
//    with no phase column: tokens below the prompt length are prefill (the
//    prompt length comes from RoutingTraceOptions or a `# prompt_tokens=N`
//    line, else every token is decode).
// Lines starting with `#` hold `key=value` words: `# layer=L expert_bytes=B`
// gives the bytes of one expert of layer L; `n_layer=N`, `model=…` and
// `prompt_tokens=N` are read too; other words are ignored. Layers without an
// `expert_bytes` line cost RoutingTraceOptions::default_expert_bytes.
//
// Every malformed line is a DataLoss error naming the file and line number.
// A parsed RoutingTrace is a plain value; the functions are thread-safe.
#ifndef STRATA_OFFLOAD_REPLAY_ROUTING_TRACE_H_
#define STRATA_OFFLOAD_REPLAY_ROUTING_TRACE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strata::offload {

// One routed (token, layer, slot): the token at `token` of `turn` used
// `expert` of `layer` with router weight `weight`.
struct RoutingAccess {
  int32_t turn = 0;
  int32_t token = 0;
  int32_t layer = 0;
  int32_t expert = 0;
  float weight = 0;
  bool decode = true;  // False for prompt (prefill) tokens.
};

struct RoutingTrace {
  std::string model;                    // From `# model=…`, may be empty.
  int32_t n_layer = 0;                  // Header n_layer or 1 + largest layer seen.
  std::vector<int64_t> expert_bytes;    // [n_layer] bytes of one expert of each layer.
  std::vector<RoutingAccess> accesses;  // In file order.

  int64_t prefill_tokens() const;  // Distinct (turn, token) among prefill rows.
  int64_t decode_tokens() const;   // Distinct (turn, token) among decode rows.
};

struct RoutingTraceOptions {
  // Cost of one expert of a layer the header does not size (1: the budget
  // then counts experts).
  int64_t default_expert_bytes = 1;
  // Traces without a phase column: tokens < prompt_tokens are prefill.
  // -1: the file's `# prompt_tokens=N`, else 0.
  int64_t prompt_tokens = -1;
};

// `name` labels error messages ("routing.csv:12: …").
absl::StatusOr<RoutingTrace> ParseRoutingTrace(absl::string_view text, absl::string_view name,
                                               const RoutingTraceOptions& options = {});
// Reads the file at `path` (NotFound if it cannot be opened).
absl::StatusOr<RoutingTrace> ReadRoutingTrace(const std::string& path,
                                              const RoutingTraceOptions& options = {});

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_REPLAY_ROUTING_TRACE_H_
