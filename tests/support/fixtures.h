// Where tests find outside data and build outputs.
//
// The shared reference data (../shared/fixtures, ../shared/traces) is not part
// of this repository. Tests locate it through STRATA_FIXTURES / STRATA_TRACES,
// defaulting to ../shared next to the source tree, and skip visibly when it is
// absent — unless STRATA_REQUIRE_FIXTURES=1 (set by CI), which turns the skip
// into a failure so CI can never pass by skipping.
#ifndef STRATA_TESTS_SUPPORT_FIXTURES_H_
#define STRATA_TESTS_SUPPORT_FIXTURES_H_

#include <filesystem>
#include <string>

namespace strata::testing {

std::string FixturesDir();
std::string TracesDir();
// The CMake build directory (for the strata binary).
std::string BinaryDir();
// A scratch directory private to this test process (ctest runs tests in
// parallel processes), removed when the process exits.
std::string ScratchDir();
// A scratch directory shared by all test processes (reports that accumulate).
std::string SharedScratchDir();
// True when missing fixtures must fail rather than skip.
bool FixturesRequired();

}  // namespace strata::testing

// Skips the current test (or fails it under STRATA_REQUIRE_FIXTURES=1) when
// `path` does not exist.
#define STRATA_REQUIRE_PATH(path)                                                                \
  do {                                                                                           \
    if (!::std::filesystem::exists(path)) {                                                      \
      if (::strata::testing::FixturesRequired()) {                                               \
        FAIL() << "required fixture missing: " << (path);                                        \
      }                                                                                          \
      GTEST_SKIP() << "fixture missing: " << (path) << " (set STRATA_FIXTURES / STRATA_TRACES)"; \
    }                                                                                            \
  } while (0)

#endif  // STRATA_TESTS_SUPPORT_FIXTURES_H_
