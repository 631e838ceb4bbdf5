// What the kernel says about this process's memory and the machine's.
//
// The RAM budget is checked against the process's real footprint: VmHWM
// (peak resident set) and VmRSS from /proc/self/status, and MemAvailable from
// /proc/meminfo for the default budget. Values are 0 where unavailable.
// Thread-safe (reads procfs each call).
#ifndef STRATA_OFFLOAD_PROCESS_MEMORY_H_
#define STRATA_OFFLOAD_PROCESS_MEMORY_H_

#include <cstdint>

namespace strata::offload {

struct ProcessMemory {
  uint64_t rss_bytes = 0;  // VmRSS
  uint64_t hwm_bytes = 0;  // VmHWM: the peak resident set so far.
};

ProcessMemory ReadProcessMemory();
uint64_t AvailableMemoryBytes();

}  // namespace strata::offload

#endif  // STRATA_OFFLOAD_PROCESS_MEMORY_H_
