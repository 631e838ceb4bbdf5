#include "tests/support/fixtures.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace strata::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? std::string(value) : fallback;
}

}  // namespace

std::string FixturesDir() {
  return EnvOr("STRATA_FIXTURES", std::string(STRATA_SOURCE_DIR) + "/../shared/fixtures");
}

std::string TracesDir() {
  return EnvOr("STRATA_TRACES", std::string(STRATA_SOURCE_DIR) + "/../shared/traces");
}

std::string BinaryDir() { return STRATA_BINARY_DIR; }

std::string SharedScratchDir() {
  const std::string dir = std::string(STRATA_BINARY_DIR) + "/test_scratch";
  std::filesystem::create_directories(dir);
  return dir;
}

std::string ScratchDir() {
  static const std::string* dir = [] {
    auto* d = new std::string(SharedScratchDir() + "/pid" + std::to_string(::getpid()));
    std::filesystem::create_directories(*d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(SharedScratchDir() + "/pid" + std::to_string(::getpid()), ec);
    });
    return d;
  }();
  return *dir;
}

bool FixturesRequired() { return EnvOr("STRATA_REQUIRE_FIXTURES", "0") == "1"; }

}  // namespace strata::testing
