#include "cpu/thread_pool.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace strata::cpu {
namespace {

TEST(ThreadPoolTest, RunsEveryTaskExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      pool.ParallelFor(n, [&](int64_t task, int thread) {
        ASSERT_GE(thread, 0);
        ASSERT_LT(thread, threads);
        hits[task].fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << threads << " " << n;
    }
  }
}

TEST(ThreadPoolTest, ThreadIndicesAreExclusive) {
  // Per-thread scratch indexed by `thread` must never be used by two tasks at once.
  ThreadPool pool(4);
  std::vector<std::atomic<int>> in_use(4);
  std::atomic<bool> clash{false};
  pool.ParallelFor(10000, [&](int64_t, int thread) {
    if (in_use[thread].fetch_add(1) != 0) clash = true;
    in_use[thread].fetch_sub(1);
  });
  EXPECT_FALSE(clash.load());
}

TEST(ThreadPoolTest, NestedCallsRunInline) {
  ThreadPool pool(2);
  std::atomic<int> total{0};
  pool.ParallelFor(
      4, [&](int64_t, int) { pool.ParallelFor(3, [&](int64_t, int) { total.fetch_add(1); }); });
  EXPECT_EQ(total.load(), 12);
}

TEST(ThreadPoolTest, ManySmallRegionsBackToBack) {
  ThreadPool pool(2);
  int64_t sum = 0;
  std::vector<int64_t> parts(2);
  for (int round = 0; round < 2000; ++round) {
    parts.assign(2, 0);
    pool.ParallelFor(2, [&](int64_t task, int) { parts[task] = task + 1; });
    sum += parts[0] + parts[1];
  }
  EXPECT_EQ(sum, 2000 * 3);
}

}  // namespace
}  // namespace strata::cpu
