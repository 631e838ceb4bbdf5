// libFuzzer entry point for the GGUF reader (built with
// -DSTRATA_BUILD_FUZZERS=ON under clang): any byte string must parse or be
// rejected with a status, without crashing, leaking or reading out of bounds
// (run it with ASan, which the target enables).
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/gguf_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file =
      strata::NewInMemoryFile("fuzz.gguf", std::string(reinterpret_cast<const char*>(data), size));
  auto gguf = strata::GgufFile::Read(*file);
  if (gguf.ok()) {
    for (const auto& [key, value] : (*gguf)->metadata()) (void)value.DebugString();
    for (const auto& t : (*gguf)->tensors()) {
      if (t.file_offset + t.size_bytes > size) __builtin_trap();
    }
  }
  return 0;
}
