// Google Benchmark: memory read bandwidth and quantized matrix × vector speed,
// measured in one binary so that kernel throughput can be stated as a
// fraction of what the memory system delivers on the same machine.
//
//   build/cpu/strata_kernels_bench --benchmark_filter='StreamRead|MatVec'
//
// Reported counters: bytes_per_second (of weights, for MatVec).
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "cpu/matmul.h"
#include "cpu/quant_kernels.h"
#include "cpu/thread_pool.h"

namespace strata::cpu {
namespace {

constexpr int64_t kStreamBytes = int64_t{1} << 30;

// Reads a 1 GiB buffer with `threads` threads (sum of 64-bit words, which
// the compiler vectorises): the machine's streaming read bandwidth.
void BM_StreamRead(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  static uint64_t* buffer = [] {
    void* p = std::aligned_alloc(1 << 21, kStreamBytes);
    ::madvise(p, kStreamBytes, MADV_HUGEPAGE);
    std::memset(p, 1, kStreamBytes);
    return static_cast<uint64_t*>(p);
  }();
  ThreadPool pool(threads);
  const int64_t words = kStreamBytes / 8;
  std::vector<uint64_t> sums(threads * 8);
  for (auto _ : state) {
    pool.ParallelFor(threads, [&](int64_t task, int) {
      const int64_t begin = words / threads * task;
      const int64_t end = task == threads - 1 ? words : begin + words / threads;
      uint64_t s = 0;
      for (int64_t i = begin; i < end; ++i) s += buffer[i];
      sums[task * 8] = s;
    });
    benchmark::DoNotOptimize(sums.data());
  }
  state.SetBytesProcessed(state.iterations() * kStreamBytes);
}
BENCHMARK(BM_StreamRead)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// y = W x for a 14336 × 4096 weight matrix (Mixtral's FFN shape) of the given
// type; bytes_per_second counts weight bytes.
void BM_MatVec(benchmark::State& state, DType type) {
  const int threads = static_cast<int>(state.range(0));
  constexpr int64_t kCols = 4096, kRows = 14336;
  const QuantKernels* kernels = FindReferenceKernels(type);
  const int64_t row_bytes = RowBytes(type, kCols);
  std::vector<uint8_t> weights(row_bytes * kRows);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> row(kCols);
  for (int64_t r = 0; r < kRows; ++r) {
    for (float& v : row) v = normal(rng);
    kernels->from_float(row.data(), weights.data() + r * row_bytes, kCols);
  }
  std::vector<float> x(kCols), y(kRows);
  for (float& v : x) v = normal(rng);
  TensorView w;
  w.type = type;
  w.ne = {kCols, kRows, 1, 1};
  w.data = weights.data();
  ThreadPool pool(threads);
  QuantizedActivations act;
  for (auto _ : state) {
    MatMul(w, x.data(), 1, y.data(), &act, &pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(weights.size()));
}
BENCHMARK_CAPTURE(BM_MatVec, q4_K, DType::kQ4_K)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_MatVec, q8_0, DType::kQ8_0)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_MatVec, q6_K, DType::kQ6_K)->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_MatVec, f16, DType::kF16)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace strata::cpu

BENCHMARK_MAIN();
