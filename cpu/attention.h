// Causal scaled-dot-product attention over an F32 KV cache, contiguous or
// paged.
//
// One query head attends over positions [0, n_kv) of one KV head:
//   out = softmax(scale * K q) V
// K and V rows are `kv_stride` floats apart (the cache interleaves KV heads:
// [pos][kv_head][head_dim]). In a paged cache (runtime/kv_cache.h) the rows
// are split into pages of `tokens_per_page` positions: position j is row
// j % tokens_per_page of page j / tokens_per_page. This is the plain
// reference algorithm; the flash-decoding split for long contexts builds on
// it. Pure functions.
//
// The arithmetic follows llama.cpp's (non-flash) attention bit for bit: both
// products are ggml_vec_dot_f32 dot products (cpu/quant_kernels.h, F32), the
// softmax is cpu::Softmax, and like llama.cpp we attend over a KV view of
// `kv_len` cells, the positions from n_kv on masked: the padding changes
// nothing mathematically but decides the summation order of the second
// product, and so its last-bit rounding. Paging changes only where rows are
// read from, never the order of any sum, so paged and contiguous attention
// give identical bits.
#ifndef STRATA_CPU_ATTENTION_H_
#define STRATA_CPU_ATTENTION_H_

#include <cstdint>

namespace strata::cpu {

struct AttentionShape {
  int head_dim_k = 0;
  int head_dim_v = 0;
  int64_t kv_stride_k = 0;  // Floats between consecutive positions in K.
  int64_t kv_stride_v = 0;  // Likewise in V.
  float scale = 1.0f;
  // Length of the (masked) KV view; values below n_kv mean n_kv.
  int64_t kv_len = 0;
};

// A paged KV cache as attention sees it: per page, the address of its first
// K (V) row for the KV head attended over.
struct PagedKv {
  const float* const* k_pages = nullptr;  // [n_pages]
  const float* const* v_pages = nullptr;  // [n_pages]
  int64_t k_offset = 0;                   // Floats from a page's address to this head's row 0.
  int64_t v_offset = 0;
  int64_t tokens_per_page = 1;
};

// q: [head_dim_k]; k: first K row of this KV head; v: first V row; out: [head_dim_v].
// `scratch` holds 2 * max(n_kv, shape.kv_len) floats.
void AttendOneHead(const AttentionShape& shape, const float* q, const float* k, const float* v,
                   int64_t n_kv, float* scratch, float* out);

// The same over a paged cache (at least ceil(n_kv / tokens_per_page) pages).
void AttendOneHeadPaged(const AttentionShape& shape, const float* q, const PagedKv& kv,
                        int64_t n_kv, float* scratch, float* out);

}  // namespace strata::cpu

#endif  // STRATA_CPU_ATTENTION_H_
