#include "offload/replay/access_batches.h"

#include <algorithm>
#include <numeric>
#include <tuple>

#include "absl/container/flat_hash_set.h"

namespace strata::offload {
namespace {

// Sort key of a row: its batch, then its position inside the batch (token
// order for prefill; decode batches hold one token). File order breaks ties
// (the stable sort keeps router slot order within a token).
std::tuple<int32_t, int, int32_t, int32_t> BatchOrder(const RoutingAccess& a) {
  if (a.decode) return {a.turn, 1, a.token, a.layer};
  return {a.turn, 0, a.layer, a.token};
}

bool SameBatch(const RoutingAccess& a, const RoutingAccess& b) {
  if (a.turn != b.turn || a.decode != b.decode || a.layer != b.layer) return false;
  return !a.decode || a.token == b.token;
}

}  // namespace

std::vector<AccessBatch> BuildAccessBatches(const RoutingTrace& trace) {
  const std::vector<RoutingAccess>& rows = trace.accesses;
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return BatchOrder(rows[x]) < BatchOrder(rows[y]); });

  std::vector<AccessBatch> batches;
  absl::flat_hash_set<BlockKey> seen;
  for (size_t begin = 0; begin < order.size();) {
    size_t end = begin + 1;
    while (end < order.size() && SameBatch(rows[order[begin]], rows[order[end]])) ++end;
    AccessBatch batch;
    batch.decode = rows[order[begin]].decode;
    batch.layer = rows[order[begin]].layer;
    // Walk backwards so each key lands at its last occurrence.
    seen.clear();
    for (size_t i = end; i-- > begin;) {
      const RoutingAccess& a = rows[order[i]];
      const BlockKey key = ExpertKey(a.layer, a.expert);
      if (seen.insert(key).second) batch.keys.push_back(key);
    }
    std::reverse(batch.keys.begin(), batch.keys.end());
    batches.push_back(std::move(batch));
    begin = end;
  }
  return batches;
}

}  // namespace strata::offload
