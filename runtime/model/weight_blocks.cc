#include "runtime/model/weight_blocks.h"

#include <algorithm>

namespace strata {
namespace {

// Gaps up to this size between two ranges of a block are read rather than
// split into separate requests.
constexpr uint64_t kMergeGap = 4096;
// Target size of an embedding block.
constexpr int64_t kEmbeddingBlockBytes = 64 << 10;

void Add(const TensorView& t, std::vector<offload::FileRange>* ranges) {
  if (t.file_offset == 0) return;  // Absent optional tensor.
  ranges->push_back({t.file_offset, static_cast<uint64_t>(t.bytes())});
}

std::vector<offload::FileRange> Merged(std::vector<offload::FileRange> ranges) {
  std::sort(
      ranges.begin(), ranges.end(),
      [](const offload::FileRange& a, const offload::FileRange& b) { return a.offset < b.offset; });
  std::vector<offload::FileRange> out;
  for (const offload::FileRange& r : ranges) {
    if (!out.empty() && r.offset <= out.back().offset + out.back().length + kMergeGap) {
      const uint64_t end = std::max(out.back().offset + out.back().length, r.offset + r.length);
      out.back().length = end - out.back().offset;
    } else {
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace

WeightBlocks BuildWeightBlocks(const HParams& hp, const ModelWeights& w) {
  WeightBlocks blocks;
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& l = w.layers[il];
    offload::BlockDesc dense;
    dense.block_class = offload::BlockClass::kDense;
    dense.layer = static_cast<int32_t>(il);
    for (const TensorView* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wo, &l.bq, &l.bk, &l.bv,
                                &l.bo, &l.q_norm, &l.k_norm, &l.ffn_norm, &l.ffn_gate, &l.ffn_up,
                                &l.ffn_down, &l.ffn_gate_inp, &w.rope_freqs}) {
      Add(*t, &dense.ranges);
    }
    dense.ranges = Merged(std::move(dense.ranges));
    blocks.dense.push_back(std::move(dense));
    if (present(l.ffn_gate_inp)) {
      offload::BlockDesc router;
      router.block_class = offload::BlockClass::kDense;
      router.layer = static_cast<int32_t>(il);
      Add(l.ffn_norm, &router.ranges);
      Add(l.ffn_gate_inp, &router.ranges);
      router.ranges = Merged(std::move(router.ranges));
      blocks.routers.push_back(std::move(router));
    }

    std::vector<offload::BlockDesc> experts;
    for (int64_t e = 0; e < hp.n_expert; ++e) {
      offload::BlockDesc expert;
      expert.block_class = offload::BlockClass::kExpert;
      expert.layer = static_cast<int32_t>(il);
      expert.expert = static_cast<int32_t>(e);
      Add(l.ffn_gate_exps.Slice2(e), &expert.ranges);
      Add(l.ffn_up_exps.Slice2(e), &expert.ranges);
      Add(l.ffn_down_exps.Slice2(e), &expert.ranges);
      expert.ranges = Merged(std::move(expert.ranges));
      experts.push_back(std::move(expert));
    }
    blocks.experts.push_back(std::move(experts));
  }
  blocks.output.block_class = offload::BlockClass::kEmbeddingOutput;
  Add(w.output, &blocks.output.ranges);
  Add(w.output_norm, &blocks.output.ranges);
  blocks.output.ranges = Merged(std::move(blocks.output.ranges));

  const TensorView& embd = w.token_embd;
  const int64_t row_bytes = embd.row_bytes();
  blocks.rows_per_embedding_block = std::max<int64_t>(1, kEmbeddingBlockBytes / row_bytes);
  for (int64_t first = 0; first < embd.ne[1]; first += blocks.rows_per_embedding_block) {
    const int64_t rows = std::min(blocks.rows_per_embedding_block, embd.ne[1] - first);
    offload::BlockDesc chunk;
    chunk.block_class = offload::BlockClass::kEmbeddingOutput;
    chunk.expert = static_cast<int32_t>(blocks.embedding.size());
    chunk.ranges.push_back({embd.file_offset + static_cast<uint64_t>(first * row_bytes),
                            static_cast<uint64_t>(rows * row_bytes)});
    blocks.embedding.push_back(std::move(chunk));
  }
  return blocks;
}

}  // namespace strata
