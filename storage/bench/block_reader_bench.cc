// Read-path benchmark: sequential and random 1 MiB reads through BlockReader
// (io_uring + O_DIRECT at queue depth 1, 8 and 32; the same into 4 KiB-page
// destinations; pread at depth 1 for comparison) from a large file, reported
// as bytes/s.
//
// The file (2 GiB of pseudo-random bytes by default) is created once, next to
// this binary in the build directory, and reused; it is evicted from the page
// cache before every benchmark so buffered numbers are honest too (O_DIRECT
// bypasses the cache anyway). Usage:
//   strata_storage_bench [--file=PATH] [--file_gib=N] [benchmark flags]
// Compare with: fio --name=seq --filename=PATH --rw=read --bs=1M --iodepth=32
//   --ioengine=io_uring --direct=1 --size=2G
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "benchmark/benchmark.h"
#include "storage/aligned_buffer.h"
#include "storage/block_reader.h"

namespace strata {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr int kBatch = 256;        // 1 MiB reads per ReadAll (one iteration).
constexpr int kDestinations = 64;  // 1 MiB destination slots, reused round-robin.

std::string g_path;
uint64_t g_size = 0;

bool CreateFileIfNeeded(const std::string& path, uint64_t size) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) == size) return true;
  std::fprintf(stderr, "creating %s (%llu MiB) ...\n", path.c_str(),
               static_cast<unsigned long long>(size / kMiB));
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  std::vector<uint64_t> chunk(8 * kMiB / sizeof(uint64_t));
  std::mt19937_64 rng(1);
  for (uint64_t written = 0; written < size;) {
    for (uint64_t& v : chunk) v = rng();
    const uint64_t n = std::min<uint64_t>(size - written, chunk.size() * sizeof(uint64_t));
    if (::write(fd, chunk.data(), n) != static_cast<ssize_t>(n)) {
      ::close(fd);
      return false;
    }
    written += n;
  }
  const bool ok = ::fsync(fd) == 0 && ::close(fd) == 0 && ::rename(tmp.c_str(), path.c_str()) == 0;
  return ok;
}

void EvictFromPageCache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

// state.range(0): 0 sequential, 1 random; state.range(1): queue depth;
// state.range(2): 1 for io_uring (+O_DIRECT), 0 for pread; state.range(3): 1
// for destinations on transparent huge pages (AlignedBuffer's default), 0 for
// 4 KiB pages (MADV_NOHUGEPAGE) — what a plain malloc'ed buffer gets. On a
// virtio disk the page size of the destination matters more than queue depth:
// every 4 KiB page is a scatter-gather segment of the request.
void BM_Read1MiB(benchmark::State& state) {
  const bool random = state.range(0) == 1;
  BlockReaderOptions options;
  options.queue_depth = static_cast<int>(state.range(1));
  options.use_io_uring = state.range(2) == 1;
  options.max_request_bytes = kMiB;
  EvictFromPageCache(g_path);
  auto reader = BlockReader::Open(g_path, options);
  if (!reader.ok()) {
    state.SkipWithError(std::string(reader.status().message()).c_str());
    return;
  }
  auto buffer = AlignedBuffer::Allocate(kDestinations * kMiB);
  if (!buffer.ok()) {
    state.SkipWithError("cannot allocate destinations");
    return;
  }
  if (state.range(3) == 0) ::madvise(buffer->data(), buffer->reserved_bytes(), MADV_NOHUGEPAGE);
  std::memset(buffer->data(), 0, buffer->size());  // Fault the pages in outside the timing.
  const uint64_t blocks = g_size / kMiB;
  std::mt19937_64 rng(state.range(1));
  uint64_t next = 0;
  std::vector<ReadRequest> requests(kBatch);
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < kBatch; ++i) {
      const uint64_t block = random ? rng() % blocks : next++ % blocks;
      requests[i] = {block * kMiB, kMiB, buffer->data() + (i % kDestinations) * kMiB};
    }
    state.ResumeTiming();
    const absl::Status status = (*reader)->ReadAll(requests);
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      break;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kBatch * kMiB);
  state.SetLabel(std::string((*reader)->mode()));
}

// 8 iterations = 2 GiB per configuration (as fio --size=2G): short runs on a
// shared machine.
BENCHMARK(BM_Read1MiB)
    ->ArgNames({"random", "qd", "io_uring", "thp"})
    ->ArgsProduct({{0, 1}, {1, 8, 32}, {1}, {1}})
    ->Args({0, 32, 1, 0})
    ->Args({1, 32, 1, 0})
    ->Args({0, 1, 0, 1})
    ->Args({1, 1, 0, 1})
    ->Iterations(8)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  std::string path = std::string(STRATA_BENCH_DIR) + "/block_reader_bench.bin";
  uint64_t gib = 2;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (absl::StartsWith(arg, "--file=")) {
      path = std::string(arg.substr(7));
    } else if (absl::StartsWith(arg, "--file_gib=")) {
      if (!absl::SimpleAtoi(arg.substr(11), &gib) || gib == 0) {
        std::fprintf(stderr, "bad --file_gib\n");
        return 2;
      }
    } else {
      rest.push_back(argv[i]);
    }
  }
  strata::g_path = path;
  strata::g_size = gib << 30;
  if (!strata::CreateFileIfNeeded(path, strata::g_size)) {
    std::fprintf(stderr, "cannot create %s: %s\n", path.c_str(), std::strerror(errno));
    return 1;
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
