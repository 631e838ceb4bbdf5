#include "offload/process_memory.h"

#include <cstdio>
#include <cstring>

namespace strata::offload {
namespace {

// The value in kB of "<key>:" in a procfs file, in bytes.
uint64_t ReadKb(const char* path, const char* key) {
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr) return 0;
  char line[256];
  const size_t key_len = std::strlen(key);
  uint64_t value = 0;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (std::strncmp(line, key, key_len) == 0 && line[key_len] == ':') {
      unsigned long long kb = 0;
      if (std::sscanf(line + key_len + 1, "%llu", &kb) == 1) value = kb * 1024;
      break;
    }
  }
  std::fclose(f);
  return value;
}

}  // namespace

ProcessMemory ReadProcessMemory() {
  ProcessMemory m;
  m.rss_bytes = ReadKb("/proc/self/status", "VmRSS");
  m.hwm_bytes = ReadKb("/proc/self/status", "VmHWM");
  return m;
}

uint64_t AvailableMemoryBytes() { return ReadKb("/proc/meminfo", "MemAvailable"); }

}  // namespace strata::offload
