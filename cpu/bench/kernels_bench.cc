// Google Benchmark: memory read bandwidth, quantized matrix × vector (decode)
// and matrix × matrix (prefill) speed, measured in one binary so that kernel
// throughput can be stated as a fraction of what the memory system delivers
// on the same machine in the same run.
//
//   build/cpu/strata_kernels_bench --benchmark_filter='StreamRead|MatVec'
//   build/cpu/strata_kernels_bench --benchmark_filter='Gemm'
//
// Counters: bytes_per_second (weight bytes, for MatVec); vs_stream, the
// MatVec bandwidth over BM_StreamRead's with the same thread count in this
// process (StreamRead runs first); FLOPS for Gemm (2·M·N·K per second).
// MatVec reads one matrix repeatedly ("hot": the 33 MB Q4_K matrix largely
// fits this machine's 32 MB L3); MatVecCold cycles through copies totalling
// over 256 MB, so every byte comes from DRAM, as in decode.
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "cpu/amx_gemm.h"
#include "cpu/cpu_features.h"
#include "cpu/matmul.h"
#include "cpu/multiversion.h"
#include "cpu/quant_kernels.h"
#include "cpu/thread_pool.h"

namespace strata::cpu {
namespace {

constexpr int64_t kStreamBytes = int64_t{1} << 30;

// Streaming read bandwidth per thread count, filled by BM_StreamRead.
std::map<int, double>& StreamBandwidth() {
  static std::map<int, double> bw;
  return bw;
}

void* HugeAlloc(int64_t bytes) {
  const int64_t rounded = (bytes + (1 << 21) - 1) / (1 << 21) * (1 << 21);
  void* p = std::aligned_alloc(1 << 21, rounded);
  ::madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

// Sum of 64-bit words with four independent accumulators, compiled for the
// widest ISA (target_clones): the loop is limited by memory, not by a
// dependency chain or 16-byte loads.
STRATA_MULTIVERSION
uint64_t SumWords(const uint64_t* p, int64_t n) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  for (; i < n; ++i) s0 += p[i];
  return (s0 + s1) + (s2 + s3);
}

// Reads a 1 GiB buffer with `threads` threads, each its own contiguous
// slice: the machine's streaming read bandwidth.
void BM_StreamRead(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  static uint64_t* buffer = [] {
    auto* p = static_cast<uint64_t*>(HugeAlloc(kStreamBytes));
    std::memset(p, 1, kStreamBytes);
    return p;
  }();
  ThreadPool pool(threads);
  const int64_t words = kStreamBytes / 8;
  std::vector<uint64_t> sums(threads * 8);
  for (auto _ : state) {
    pool.ParallelFor(threads, [&](int64_t task, int) {
      const int64_t begin = words / threads * task;
      const int64_t end = task == threads - 1 ? words : begin + words / threads;
      sums[task * 8] = SumWords(buffer + begin, end - begin);
    });
    benchmark::DoNotOptimize(sums.data());
  }
  state.SetBytesProcessed(state.iterations() * kStreamBytes);
}
BENCHMARK(BM_StreamRead)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// One benchmark's measured rate is not visible to another, so the MatVec
// benchmarks measure the streaming bandwidth they compare with themselves
// (the median of five 1 GiB reads after a warm-up, the same loop as
// BM_StreamRead), once per
// thread count per process.
double MeasureStream(int threads) {
  auto& bw = StreamBandwidth();
  auto it = bw.find(threads);
  if (it != bw.end() && it->second > 0) return it->second;
  static uint64_t* buffer = [] {
    auto* p = static_cast<uint64_t*>(HugeAlloc(kStreamBytes));
    std::memset(p, 1, kStreamBytes);
    return p;
  }();
  ThreadPool pool(threads);
  const int64_t words = kStreamBytes / 8;
  std::vector<uint64_t> sums(threads * 8);
  std::vector<double> rates;
  for (int rep = 0; rep < 6; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    pool.ParallelFor(threads, [&](int64_t task, int) {
      const int64_t begin = words / threads * task;
      const int64_t end = task == threads - 1 ? words : begin + words / threads;
      sums[task * 8] = SumWords(buffer + begin, end - begin);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    benchmark::DoNotOptimize(sums.data());
    if (rep > 0) rates.push_back(kStreamBytes / s);  // The first run warms up.
  }
  std::sort(rates.begin(), rates.end());
  const double median = rates[rates.size() / 2];
  bw[threads] = median;
  return median;
}

// `copies` matrices of rows × cols of `type` (random normal weights).
std::vector<uint8_t*> MakeWeights(DType type, int64_t rows, int64_t cols, int copies) {
  const QuantKernels* kernels = FindReferenceKernels(type);
  const int64_t row_bytes = RowBytes(type, cols);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> row(cols);
  auto* first = static_cast<uint8_t*>(HugeAlloc(row_bytes * rows));
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : row) v = normal(rng);
    kernels->from_float(row.data(), first + r * row_bytes, cols);
  }
  std::vector<uint8_t*> out = {first};
  for (int c = 1; c < copies; ++c) {
    auto* p = static_cast<uint8_t*>(HugeAlloc(row_bytes * rows));
    std::memcpy(p, first, row_bytes * rows);
    out.push_back(p);
  }
  return out;
}

// y = W x for a 14336 × 4096 weight matrix (Mixtral's FFN shape) of the given
// type; bytes_per_second counts weight bytes.
void MatVec(benchmark::State& state, DType type, bool cold) {
  const int threads = static_cast<int>(state.range(0));
  constexpr int64_t kCols = 4096, kRows = 14336;
  const int64_t bytes = RowBytes(type, kCols) * kRows;
  const int copies = cold ? static_cast<int>((int64_t{256} << 20) / bytes + 1) : 1;
  static std::map<std::pair<DType, int>, std::vector<uint8_t*>> cache;
  std::vector<uint8_t*>& weights = cache[{type, copies}];
  if (weights.empty()) weights = MakeWeights(type, kRows, kCols, copies);
  const double stream = MeasureStream(threads);
  std::mt19937 rng(2);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(kCols), y(kRows);
  for (float& v : x) v = normal(rng);
  TensorView w;
  w.type = type;
  w.ne = {kCols, kRows, 1, 1};
  ThreadPool pool(threads);
  QuantizedActivations act;
  int64_t i = 0;
  for (auto _ : state) {
    w.data = weights[i++ % copies];
    MatMul(w, x.data(), 1, y.data(), &act, &pool);
    benchmark::DoNotOptimize(y.data());
  }
  const double total = static_cast<double>(state.iterations()) * bytes;
  state.SetBytesProcessed(static_cast<int64_t>(total));
  state.counters["vs_stream"] = benchmark::Counter(total / stream, benchmark::Counter::kIsRate);
  state.SetLabel(IsaName(FindKernels(type)->isa));
}

void BM_MatVec(benchmark::State& state, DType type) { MatVec(state, type, false); }
void BM_MatVecCold(benchmark::State& state, DType type) { MatVec(state, type, true); }

#define STRATA_MATVEC(name, type)                                          \
  BENCHMARK_CAPTURE(BM_MatVec, name, type)->Arg(1)->Arg(2)->UseRealTime(); \
  BENCHMARK_CAPTURE(BM_MatVecCold, name, type)->Arg(1)->Arg(2)->UseRealTime();

STRATA_MATVEC(q4_K, DType::kQ4_K)
STRATA_MATVEC(q5_K, DType::kQ5_K)
STRATA_MATVEC(q6_K, DType::kQ6_K)
STRATA_MATVEC(q4_0, DType::kQ4_0)
STRATA_MATVEC(q8_0, DType::kQ8_0)
STRATA_MATVEC(f16, DType::kF16)
STRATA_MATVEC(bf16, DType::kBF16)

// The kernel's compute speed: a 512 × 4096 matrix (≤ 1.2 MB, resident in
// L2) through dot_tile on one thread, so memory bandwidth does not limit it.
// When this is well above the streaming bandwidth, decode is memory-bound.
void BM_DotTileInCache(benchmark::State& state, DType type) {
  constexpr int64_t kCols = 4096, kRows = 512;
  const QuantKernels* kernels = FindKernels(type);
  static std::map<DType, std::vector<uint8_t*>> cache;
  std::vector<uint8_t*>& weights = cache[type];
  if (weights.empty()) weights = MakeWeights(type, kRows, kCols, 1);
  std::mt19937 rng(2);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(kCols), y(kRows);
  for (float& v : x) v = normal(rng);
  QuantizedActivations act;
  act.Quantize(kernels->vec_dot_type, x.data(), 1, kCols, nullptr);
  DotTileArgs args;
  args.n = kCols;
  args.w = weights[0];
  args.w_stride = RowBytes(type, kCols);
  args.rows = kRows;
  args.a = act.row(0);
  args.a_stride = act.row_bytes();
  args.cols = 1;
  args.y = y.data();
  args.y_stride = kRows;
  for (auto _ : state) {
    kernels->dot_tile(args);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * args.w_stride * kRows);
  state.SetLabel(IsaName(kernels->isa));
}
BENCHMARK_CAPTURE(BM_DotTileInCache, q4_K, DType::kQ4_K);
BENCHMARK_CAPTURE(BM_DotTileInCache, q5_K, DType::kQ5_K);
BENCHMARK_CAPTURE(BM_DotTileInCache, q6_K, DType::kQ6_K);
BENCHMARK_CAPTURE(BM_DotTileInCache, q4_0, DType::kQ4_0);
BENCHMARK_CAPTURE(BM_DotTileInCache, q8_0, DType::kQ8_0);
BENCHMARK_CAPTURE(BM_DotTileInCache, f16, DType::kF16);

// Prefill: Y = X Wᵀ with M = 512 tokens and K = N = 4096, through MatMul (the
// exact AVX-512 / AVX2 kernels) and through the AMX tile GEMM when the CPU
// allows it. Counter FLOPS = 2·M·N·K per second.
void Gemm(benchmark::State& state, DType type, bool amx) {
  const int threads = static_cast<int>(state.range(0));
  constexpr int64_t kM = 512, kN = 4096, kK = 4096;
  if (amx && !GetCpuFeatures().Has(Isa::kAmx)) {
    state.SkipWithError(("AMX not usable: " + GetCpuFeatures().amx_note).c_str());
    return;
  }
  static std::map<DType, std::vector<uint8_t*>> cache;
  std::vector<uint8_t*>& weights = cache[type];
  if (weights.empty()) weights = MakeWeights(type, kN, kK, 1);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(kM * kK), y(kM * kN);
  for (float& v : x) v = normal(rng);
  TensorView w;
  w.type = type;
  w.ne = {kK, kN, 1, 1};
  w.data = weights[0];
  ThreadPool pool(threads);
  QuantizedActivations act;
  AmxGemmScratch scratch;
  for (auto _ : state) {
    if (amx) {
      AmxGemm(w, x.data(), kM, y.data(), kN, &scratch, &pool);
    } else {
      MatMul(w, x.data(), kM, y.data(), &act, &pool);
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["FLOPS"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 2.0 * kM * kN * kK, benchmark::Counter::kIsRate);
  state.SetLabel(amx ? "amx" : IsaName(FindKernels(type)->isa));
}

void BM_Gemm(benchmark::State& state, DType type) { Gemm(state, type, false); }
void BM_GemmAmx(benchmark::State& state, DType type) { Gemm(state, type, true); }

#define STRATA_GEMM(name, type)             \
  BENCHMARK_CAPTURE(BM_Gemm, name, type)    \
      ->Arg(1)                              \
      ->Arg(2)                              \
      ->UseRealTime()                       \
      ->Unit(benchmark::kMillisecond);      \
  BENCHMARK_CAPTURE(BM_GemmAmx, name, type) \
      ->Arg(1)                              \
      ->Arg(2)                              \
      ->UseRealTime()                       \
      ->Unit(benchmark::kMillisecond);

STRATA_GEMM(q4_K, DType::kQ4_K)
STRATA_GEMM(q8_0, DType::kQ8_0)
STRATA_GEMM(q4_0, DType::kQ4_0)
STRATA_GEMM(f16, DType::kF16)

// Interleaved row streams: reading R consecutive rows of 4352 bytes block by
// block (what an R-row register tile does) against one sequential stream.
// On the development machine R = 4 reads at under half the bandwidth of
// R = 1, which is why the tile driver prefetches the next rows in address
// order (cpu/x86/internal/tile_driver.h).
void BM_InterleavedRows(benchmark::State& state) {
  const int r_tile = static_cast<int>(state.range(0));
  constexpr int64_t kRows = 14336, kRowBytes = 4352;
  static auto* buffer = [] {
    auto* p = static_cast<uint64_t*>(HugeAlloc(kRows * kRowBytes));
    std::memset(p, 1, kRows * kRowBytes);
    return p;
  }();
  constexpr int64_t kWords = kRowBytes / 8;
  for (auto _ : state) {
    uint64_t s = 0;
    for (int64_t r = 0; r < kRows; r += r_tile) {
      for (int64_t i = 0; i < kWords; i += 4) {
        for (int k = 0; k < r_tile; ++k) {
          const uint64_t* p = buffer + (r + k) * kWords + i;
          s += p[0] + p[1] + p[2] + p[3];
        }
      }
    }
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(state.iterations() * kRows * kRowBytes);
}
BENCHMARK(BM_InterleavedRows)->Arg(1)->Arg(2)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond);

// Cost of one empty parallel region (wake the workers, run nothing, wait).
void BM_ParallelForOverhead(benchmark::State& state) {
  ThreadPoolOptions options;
  options.spin_microseconds = static_cast<int>(state.range(1));
  ThreadPool pool(static_cast<int>(state.range(0)), options);
  std::vector<int64_t> sink(64 * 8);
  for (auto _ : state) {
    pool.ParallelFor(pool.n_threads(), [&](int64_t task, int) { sink[task * 8] += task; });
  }
  benchmark::DoNotOptimize(sink.data());
  state.SetLabel(pool.Describe());
}
BENCHMARK(BM_ParallelForOverhead)->Args({2, 0})->Args({2, 200})->UseRealTime();

}  // namespace
}  // namespace strata::cpu

BENCHMARK_MAIN();
