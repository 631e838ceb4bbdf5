// How a model's tensors map onto offload blocks.
//
// Per layer, one block holds every dense tensor (norms, attention, router,
// dense FFN, and the shared RoPE factors if any) and one block per expert
// holds that expert's gate, up and down slices of the merged `*_exps`
// tensors. One block holds the output matrix with the final norm. The token
// embedding is cut into blocks of a few dozen rows (~64 KiB): a token needs
// one row of a matrix that can be hundreds of MB, and frequent tokens' rows
// then stay cached.
// Ranges of one block that lie close together in the file are merged so
// that they are read with fewer requests. Immutable after BuildWeightBlocks.
#ifndef STRATA_RUNTIME_MODEL_WEIGHT_BLOCKS_H_
#define STRATA_RUNTIME_MODEL_WEIGHT_BLOCKS_H_

#include <cstdint>
#include <vector>

#include "offload/block.h"
#include "runtime/model/hparams.h"
#include "runtime/model/weights.h"

namespace strata {

struct WeightBlocks {
  std::vector<offload::BlockDesc> dense;                 // [n_layer]
  std::vector<std::vector<offload::BlockDesc>> experts;  // [n_layer][n_expert]
  offload::BlockDesc output;
  std::vector<offload::BlockDesc> embedding;  // [ceil(n_vocab / rows_per_embedding_block)]
  // MoE: each layer's router input norm and router matrix again, as a small
  // block of their own, so that route prediction can read a future layer's
  // router without its whole dense block.
  std::vector<offload::BlockDesc> routers;  // [n_layer] (empty for dense models)
  int64_t rows_per_embedding_block = 1;
};

WeightBlocks BuildWeightBlocks(const HParams& hp, const ModelWeights& weights);

}  // namespace strata

#endif  // STRATA_RUNTIME_MODEL_WEIGHT_BLOCKS_H_
