// Causal scaled-dot-product attention over an F32 or F16 KV cache,
// contiguous or paged.
//
// One query head attends over positions [0, n_kv) of one KV head:
//   out = softmax(scale * K q) V
// K and V rows are `kv_stride` elements apart (the cache interleaves KV heads:
// [pos][kv_head][head_dim]). In a paged cache (runtime/kv_cache.h) the rows
// are split into pages of `tokens_per_page` positions: position j is row
// j % tokens_per_page of page j / tokens_per_page. Pure functions.
//
// The arithmetic follows llama.cpp's (non-flash) attention bit for bit: both
// products are ggml_vec_dot_f32 dot products (cpu/quant_kernels.h, F32), the
// softmax is cpu::Softmax, and like llama.cpp we attend over a KV view of
// `kv_len` cells, the positions from n_kv on masked: the padding changes
// nothing mathematically but decides the summation order of the second
// product, and so its last-bit rounding. Paging changes only where rows are
// read from, never the order of any sum, so paged and contiguous attention
// give identical bits.
//
// Speed without changing a bit: the scores are the fastest exact F32 dot
// (cpu/quant_kernels.h), and the second product is computed for every output
// dimension at once, reading each V row once and contiguously: the 64
// accumulator slots of ggml_vec_dot_f32 (four 16-lane vectors) are kept per
// dimension, fed in position order, then reduced in ggml's order. Reading V
// a column at a time, as the definition does, would stride through the cache.
//
// An F16 cache (PagedKvF16, IEEE half rows) follows llama.cpp's non-flash
// path with an F16 cache for one query token: the scores are
// ggml_vec_dot_f16(K row, q rounded to F16), and out[d] is ggml_vec_dot_f16
// over the kv_len view of (V column, softmax probabilities rounded to F16):
// the same 64 slots per dimension, fed with fma(half V, half p), reduced in
// ggml's order, the tail products summed in double (cpu/reference
// VecDotF16). Prefill batches use the same code, one token at a time;
// llama.cpp may compute a multi-token F16 batch with llamafile's tinyBLAS
// (another order, q not rounded), so F16-cache prefill is not claimed
// bit-identical to llama.cpp (there are no F16-cache fixture references).
#ifndef STRATA_CPU_ATTENTION_H_
#define STRATA_CPU_ATTENTION_H_

#include <cstdint>

#include "cpu/thread_pool.h"

namespace strata::cpu {

struct AttentionShape {
  int head_dim_k = 0;
  int head_dim_v = 0;
  int64_t kv_stride_k = 0;  // Elements between consecutive positions in K.
  int64_t kv_stride_v = 0;  // Likewise in V.
  float scale = 1.0f;
  // Length of the (masked) KV view; values below n_kv mean n_kv.
  int64_t kv_len = 0;
};

// A paged KV cache as attention sees it: per page, the address of its first
// K (V) row for the KV head attended over. T: float (F32) or uint16_t (F16).
template <typename T>
struct PagedKvOf {
  const T* const* k_pages = nullptr;  // [n_pages]
  const T* const* v_pages = nullptr;  // [n_pages]
  int64_t k_offset = 0;               // Elements from a page's address to this head's row 0.
  int64_t v_offset = 0;
  int64_t tokens_per_page = 1;
};
using PagedKv = PagedKvOf<float>;
using PagedKvF16 = PagedKvOf<uint16_t>;  // IEEE half rows.

// Floats of `scratch` an attention call needs for up to `max_kv_len`
// positions (max(n_kv, kv_len)) and value heads of `head_dim_v`.
int64_t AttentionScratchFloats(int64_t max_kv_len, int head_dim_v);

// q: [head_dim_k]; k: first K row of this KV head; v: first V row; out: [head_dim_v].
// `scratch`: AttentionScratchFloats(max(n_kv, shape.kv_len), head_dim_v) floats.
void AttendOneHead(const AttentionShape& shape, const float* q, const float* k, const float* v,
                   int64_t n_kv, float* scratch, float* out);

// The same over a paged cache (at least ceil(n_kv / tokens_per_page) pages).
void AttendOneHeadPaged(const AttentionShape& shape, const float* q, const PagedKv& kv,
                        int64_t n_kv, float* scratch, float* out);
// Over an F16 cache (see the file comment); the same scratch.
void AttendOneHeadPaged(const AttentionShape& shape, const float* q, const PagedKvF16& kv,
                        int64_t n_kv, float* scratch, float* out);

// Decode attention of one token's `n_head` query heads over a long cache,
// split across `pool` over the KV length (the scores) and over the value
// dimensions (the weighted sums), so that every thread has work even when
// heads are fewer than threads — flash-decoding's aim. Unlike flash-decoding
// it merges no partial softmaxes (that would change llama.cpp's rounding):
// each head's softmax runs whole, and each output equals AttendOneHeadPaged's
// bit for bit. q: [n_head][head_dim_k]; `kv` addresses KV head 0 (query head
// h reads KV head h / group); out: [n_head][head_dim_v]; `scratch`:
// SplitDecodeScratchFloats(n_head, max(n_kv, kv_len), head_dim_v, threads).
void AttendDecodeSplit(const AttentionShape& shape, const float* q, const PagedKv& kv, int n_head,
                       int group, int64_t n_kv, ThreadPool* pool, float* scratch, float* out);
void AttendDecodeSplit(const AttentionShape& shape, const float* q, const PagedKvF16& kv,
                       int n_head, int group, int64_t n_kv, ThreadPool* pool, float* scratch,
                       float* out);
int64_t SplitDecodeScratchFloats(int n_head, int64_t max_kv_len, int head_dim_v, int n_threads);

}  // namespace strata::cpu

#endif  // STRATA_CPU_ATTENTION_H_
