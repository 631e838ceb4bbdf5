// A fixed pool of worker threads for data-parallel kernels.
//
// Workers are created once and reused: a forward pass issues thousands of
// parallel regions, so per-call thread creation would dominate. ParallelFor
// splits [0, n_tasks) dynamically (an atomic cursor) across the workers and
// the calling thread, and returns when every task has run. Calls from
// different threads are serialised; nesting (calling ParallelFor from inside a
// task) runs the inner loop inline on the calling worker.
#ifndef STRATA_CPU_THREAD_POOL_H_
#define STRATA_CPU_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"

namespace strata::cpu {

class ThreadPool {
 public:
  // `n_threads` counts the calling thread: 1 means no workers.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int n_threads() const { return n_threads_; }

  // Runs fn(task, thread_index) for every task in [0, n_tasks); thread_index is
  // in [0, n_threads()) and unique among concurrently running calls, so tasks
  // may use per-thread scratch indexed by it.
  void ParallelFor(int64_t n_tasks, const std::function<void(int64_t task, int thread)>& fn);

 private:
  void WorkerLoop(int thread_index);
  void RunTasks(int thread_index);

  const int n_threads_;
  std::vector<std::thread> workers_;

  std::mutex call_mutex_;  // One ParallelFor at a time.
  std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  uint64_t generation_ ABSL_GUARDED_BY(mutex_) = 0;
  int active_workers_ ABSL_GUARDED_BY(mutex_) = 0;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;

  // The current job; written before generation_ is bumped under mutex_.
  const std::function<void(int64_t, int)>* job_ = nullptr;
  int64_t job_tasks_ = 0;
  std::atomic<int64_t> next_task_{0};
};

// Chooses the default thread count: the number of CPUs this process may use.
int DefaultThreadCount();

}  // namespace strata::cpu

#endif  // STRATA_CPU_THREAD_POOL_H_
