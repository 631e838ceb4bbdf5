#include "cpu/thread_pool.h"

#include <hwloc.h>
#include <sched.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define STRATA_CPU_RELAX() _mm_pause()
#else
#define STRATA_CPU_RELAX() std::this_thread::yield()
#endif

namespace strata::cpu {
namespace {

thread_local bool tls_inside_task = false;

int AffinityCpuCount() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

// The hwloc topology restricted to what this process may use, or nullptr.
hwloc_topology_t LoadTopology() {
  hwloc_topology_t topology = nullptr;
  if (hwloc_topology_init(&topology) != 0) return nullptr;
  // Cores outside our affinity mask (cgroups, taskset) are not ours to pin to.
  hwloc_topology_set_flags(topology, HWLOC_TOPOLOGY_FLAG_RESTRICT_TO_CPUBINDING);
  if (hwloc_topology_load(topology) != 0) {
    hwloc_topology_destroy(topology);
    return nullptr;
  }
  return topology;
}

// Pause iterations that take roughly `microseconds` (calibrated once).
int SpinIterationsFor(int microseconds) {
  static const double per_us = [] {
    const auto start = std::chrono::steady_clock::now();
    constexpr int kProbe = 20000;
    for (int i = 0; i < kProbe; ++i) STRATA_CPU_RELAX();
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    return us > 0 ? kProbe / us : 100.0;
  }();
  return static_cast<int>(per_us * microseconds);
}

}  // namespace

// Where each worker runs. Owns the hwloc topology (hwloc objects are valid
// while it lives); the cpusets are copies.
struct ThreadPool::Placement {
  hwloc_topology_t topology = nullptr;
  int n_cores = 0;
  int n_numa_nodes = 1;
  bool pinned = false;
  std::vector<hwloc_bitmap_t> worker_cpus;  // [n_threads - 1], one PU of a core each.
  std::vector<int> worker_cores;            // Core logical index, for Describe().
  std::string note;

  ~Placement() {
    for (hwloc_bitmap_t b : worker_cpus) hwloc_bitmap_free(b);
    if (topology != nullptr) hwloc_topology_destroy(topology);
  }

  // Pins the calling (worker) thread and binds its memory to the local node.
  void Apply(int worker) const {
    if (!pinned) return;
    const hwloc_bitmap_t cpus = worker_cpus[worker];
    hwloc_set_cpubind(topology, cpus, HWLOC_CPUBIND_THREAD);
    if (n_numa_nodes > 1) {
      hwloc_set_membind(topology, cpus, HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_THREAD);
    }
  }
};

ThreadPool::ThreadPool(int n_threads, const ThreadPoolOptions& options)
    : n_threads_(n_threads < 1 ? 1 : n_threads), placement_(std::make_unique<Placement>()) {
  Placement& p = *placement_;
  p.topology = LoadTopology();
  if (p.topology != nullptr) {
    p.n_cores = hwloc_get_nbobjs_by_type(p.topology, HWLOC_OBJ_CORE);
    p.n_numa_nodes = hwloc_get_nbobjs_by_type(p.topology, HWLOC_OBJ_NUMANODE);
    if (p.n_numa_nodes < 1) p.n_numa_nodes = 1;
  } else {
    p.n_cores = AffinityCpuCount();
    p.note = "hwloc could not load the topology";
  }
  const bool oversubscribed = n_threads_ > (p.n_cores > 0 ? p.n_cores : AffinityCpuCount());
  if (options.pin_threads && p.topology != nullptr && !oversubscribed && n_threads_ > 1) {
    // Worker i takes core i (the caller, thread 0, usually runs on core 0).
    p.pinned = true;
    for (int i = 1; i < n_threads_; ++i) {
      hwloc_obj_t core = hwloc_get_obj_by_type(p.topology, HWLOC_OBJ_CORE, i);
      if (core == nullptr || core->cpuset == nullptr) {
        p.pinned = false;
        p.note = "hwloc lists fewer cores than threads";
        break;
      }
      hwloc_bitmap_t cpus = hwloc_bitmap_dup(core->cpuset);
      hwloc_bitmap_singlify(cpus);  // One hardware thread: no migration between siblings.
      p.worker_cpus.push_back(cpus);
      p.worker_cores.push_back(static_cast<int>(core->logical_index));
    }
  } else if (oversubscribed) {
    p.note = absl::StrCat(n_threads_, " threads on ", p.n_cores, " cores: not pinned, no spinning");
  }
  spin_iterations_ = oversubscribed ? 0 : SpinIterationsFor(options.spin_microseconds);

  workers_.reserve(n_threads_ - 1);
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::RunTasks(int thread_index) {
  tls_inside_task = true;
  const std::function<void(int64_t, int)>& job = *job_;
  const int64_t n = job_tasks_;
  for (;;) {
    const int64_t task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= n) break;
    job(task, thread_index);
  }
  tls_inside_task = false;
}

uint64_t ThreadPool::WaitForWork(uint64_t seen) {
  for (int i = 0; i < spin_iterations_; ++i) {
    const uint64_t g = generation_.load(std::memory_order_acquire);
    if (g != seen || stop_.load(std::memory_order_relaxed)) return g;
    STRATA_CPU_RELAX();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  // seq_cst pairs with ParallelFor's generation store / sleeper count load:
  // either it sees this sleeper and notifies, or this sees the new generation.
  sleeping_workers_.fetch_add(1, std::memory_order_seq_cst);
  work_cv_.wait(
      lock, [&] { return generation_.load(std::memory_order_seq_cst) != seen || stop_.load(); });
  sleeping_workers_.fetch_sub(1, std::memory_order_relaxed);
  return generation_.load(std::memory_order_acquire);
}

void ThreadPool::WorkerLoop(int thread_index) {
  placement_->Apply(thread_index - 1);
  uint64_t seen = 0;
  for (;;) {
    seen = WaitForWork(seen);
    if (stop_.load()) return;
    RunTasks(thread_index);
    if (pending_workers_.fetch_sub(1, std::memory_order_acq_rel) == 1 &&
        caller_sleeping_.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_cv_.notify_one();
    }
  }
}

void ThreadPool::WaitForWorkers() {
  for (int i = 0; i < spin_iterations_; ++i) {
    if (pending_workers_.load(std::memory_order_acquire) == 0) return;
    STRATA_CPU_RELAX();
  }
  std::unique_lock<std::mutex> lock(mutex_);
  caller_sleeping_.store(true, std::memory_order_seq_cst);
  done_cv_.wait(lock, [&] { return pending_workers_.load(std::memory_order_seq_cst) == 0; });
  caller_sleeping_.store(false, std::memory_order_relaxed);
}

void ThreadPool::ParallelFor(int64_t n_tasks,
                             const std::function<void(int64_t task, int thread)>& fn) {
  if (n_tasks <= 0) return;
  if (n_threads_ == 1 || n_tasks == 1 || tls_inside_task) {
    for (int64_t t = 0; t < n_tasks; ++t) fn(t, 0);
    return;
  }
  std::lock_guard<std::mutex> call_lock(call_mutex_);
  job_ = &fn;
  job_tasks_ = n_tasks;
  next_task_.store(0, std::memory_order_relaxed);
  pending_workers_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  if (sleeping_workers_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    work_cv_.notify_all();
  }
  RunTasks(0);
  WaitForWorkers();
  job_ = nullptr;
}

std::string ThreadPool::Describe() const {
  const Placement& p = *placement_;
  std::string out = absl::StrCat(n_threads_, n_threads_ == 1 ? " thread" : " threads");
  if (p.pinned) {
    std::string cores;
    for (size_t i = 0; i < p.worker_cores.size(); ++i) {
      absl::StrAppend(&cores, i == 0 ? "" : ",", p.worker_cores[i]);
    }
    absl::StrAppend(&out, " (", workers_.size(), workers_.size() == 1 ? " worker" : " workers",
                    " pinned to core", p.worker_cores.size() == 1 ? " " : "s ", cores, ")");
  } else if (n_threads_ > 1) {
    absl::StrAppend(&out, " (not pinned", p.note.empty() ? "" : ": ", p.note, ")");
  }
  absl::StrAppend(&out, ", ", p.n_cores, p.n_cores == 1 ? " core, " : " cores, ", p.n_numa_nodes,
                  p.n_numa_nodes == 1 ? " NUMA node" : " NUMA nodes (memory bound per worker)");
  absl::StrAppendFormat(&out, ", spin %s", spin_iterations_ > 0 ? "on" : "off");
  return out;
}

int DefaultThreadCount() {
  static const int count = [] {
    hwloc_topology_t topology = LoadTopology();
    int cores = 0;
    if (topology != nullptr) {
      cores = hwloc_get_nbobjs_by_type(topology, HWLOC_OBJ_CORE);
      hwloc_topology_destroy(topology);
    }
    return cores > 0 ? cores : AffinityCpuCount();
  }();
  return count;
}

}  // namespace strata::cpu
