#include "cpu/thread_pool.h"

#include <sched.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
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

TEST(ThreadPoolTest, WorkersSleepAndWakeAfterIdle) {
  // Longer gaps than the spin budget: the workers go to sleep and must be woken.
  for (int spin_us : {0, 50}) {
    ThreadPoolOptions options;
    options.spin_microseconds = spin_us;
    ThreadPool pool(2, options);
    for (int round = 0; round < 5; ++round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
      std::atomic<int> hits{0};
      pool.ParallelFor(64, [&](int64_t, int) { hits.fetch_add(1); });
      EXPECT_EQ(hits.load(), 64);
    }
  }
}

TEST(ThreadPoolTest, CallsFromTwoThreadsAreSerialised) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  auto caller = [&] {
    for (int i = 0; i < 500; ++i) {
      pool.ParallelFor(8, [&](int64_t task, int) { total.fetch_add(task); });
    }
  };
  std::thread a(caller), b(caller);
  a.join();
  b.join();
  EXPECT_EQ(total.load(), 2 * 500 * 28);
}

// Workers are pinned to distinct single CPUs when there are enough cores.
TEST(ThreadPoolTest, WorkersArePinnedToDistinctCores) {
  const int cores = DefaultThreadCount();
  if (cores < 2) GTEST_SKIP() << "one core: nothing to pin";
  ThreadPool pool(cores);
  std::mutex mu;
  std::set<int> worker_cpus;
  bool all_single = true;
  // Enough slow tasks that every worker takes some.
  pool.ParallelFor(64 * cores, [&](int64_t, int thread) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (thread == 0) return;  // The caller is not pinned.
    cpu_set_t set;
    CPU_ZERO(&set);
    ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
    std::lock_guard<std::mutex> lock(mu);
    all_single = all_single && CPU_COUNT(&set) == 1;
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) worker_cpus.insert(c * 1000 + thread);
    }
  });
  EXPECT_TRUE(all_single) << pool.Describe();
  std::set<int> cpus;
  for (int v : worker_cpus) cpus.insert(v / 1000);
  EXPECT_EQ(cpus.size(), worker_cpus.size()) << "two workers share a CPU: " << pool.Describe();
  EXPECT_NE(pool.Describe().find("pinned"), std::string::npos) << pool.Describe();
}

TEST(ThreadPoolTest, OversubscribedPoolIsNotPinned) {
  ThreadPool pool(DefaultThreadCount() + 2);
  EXPECT_NE(pool.Describe().find("not pinned"), std::string::npos) << pool.Describe();
  std::atomic<int> hits{0};
  pool.ParallelFor(100, [&](int64_t, int) { hits.fetch_add(1); });
  EXPECT_EQ(hits.load(), 100);
}

}  // namespace
}  // namespace strata::cpu
