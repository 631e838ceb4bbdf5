// A fixed pool of worker threads for data-parallel kernels.
//
// Workers are created once and reused: a forward pass issues thousands of
// parallel regions per token, so per-call thread creation would dominate.
// ParallelFor splits [0, n_tasks) dynamically (an atomic cursor) across the
// workers and the calling thread, and returns when every task has run.
// Calls from different threads are serialised; nesting (calling ParallelFor
// from inside a task) runs the inner loop inline on the calling worker.
//
// Placement (hwloc): one worker per physical core, each pinned to its own
// core, with memory it allocates bound to that core's NUMA node when the
// machine has more than one. The calling thread is thread 0 and is not
// pinned (its affinity belongs to the application); workers take the cores
// after the first. Pinning is skipped when there are more threads than cores
// the process may use, or hwloc cannot read the topology.
//
// Waiting: between regions a worker spins (with pause) for a short while
// before it sleeps on a condition variable, and the caller spins for the
// workers to finish, because regions are a few microseconds apart and a
// futex wake-up costs about as much. Spinning is disabled when threads
// outnumber cores.
#ifndef STRATA_CPU_THREAD_POOL_H_
#define STRATA_CPU_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace strata::cpu {

struct ThreadPoolOptions {
  bool pin_threads = true;
  // How long an idle worker (or the waiting caller) spins before sleeping.
  int spin_microseconds = 200;
};

class ThreadPool {
 public:
  // `n_threads` counts the calling thread: 1 means no workers.
  explicit ThreadPool(int n_threads) : ThreadPool(n_threads, ThreadPoolOptions()) {}
  ThreadPool(int n_threads, const ThreadPoolOptions& options);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int n_threads() const { return n_threads_; }

  // Runs fn(task, thread_index) for every task in [0, n_tasks); thread_index is
  // in [0, n_threads()) and unique among concurrently running calls, so tasks
  // may use per-thread scratch indexed by it.
  void ParallelFor(int64_t n_tasks, const std::function<void(int64_t task, int thread)>& fn);

  // How the workers were placed, e.g. "2 threads (1 worker pinned to core
  // 1), 1 NUMA node, spin 200 us".
  std::string Describe() const;

 private:
  struct Placement;

  void WorkerLoop(int thread_index);
  void RunTasks(int thread_index);
  // Waits until generation_ differs from `seen` or stop_ is set; returns the
  // new generation.
  uint64_t WaitForWork(uint64_t seen);
  void WaitForWorkers();

  const int n_threads_;
  std::unique_ptr<Placement> placement_;
  int spin_iterations_ = 0;
  std::vector<std::thread> workers_;

  std::mutex call_mutex_;  // One ParallelFor at a time.

  // Work hand-off. The job fields are written before generation_ is bumped
  // (release) and read after it is seen (acquire).
  std::atomic<uint64_t> generation_{0};
  const std::function<void(int64_t, int)>* job_ = nullptr;
  int64_t job_tasks_ = 0;
  std::atomic<int64_t> next_task_{0};
  std::atomic<int> pending_workers_{0};

  // Sleeping (after the spin budget).
  std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::atomic<int> sleeping_workers_{0};
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<bool> stop_{false};
};

// The default thread count: the physical cores this process may run on (one
// worker per core; SMT siblings share a core's load and store units, which a
// memory-bound GEMV saturates), or the CPUs in its affinity mask without hwloc.
int DefaultThreadCount();

}  // namespace strata::cpu

#endif  // STRATA_CPU_THREAD_POOL_H_
