// Randomized-mutation fuzzing of the GGUF reader, run as a unit test so that
// it runs everywhere (the libFuzzer target in storage/fuzz/ goes further under
// clang). Seeds: a sample file written by GgufWriter and the header of every
// fixture model. Mutations: byte flips, random bytes, truncation, splices,
// and overwriting 8-byte fields with extreme values. Every input must either
// parse (and then be internally consistent) or fail with DataLoss /
// InvalidArgument — never crash, hang or allocate absurdly.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/gguf_file.h"
#include "storage/testing/sample_gguf.h"
#include "tests/support/fixtures.h"

namespace strata {
namespace {

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds = {::strata::testing::SampleGgufBytes()};
  const std::string dir = ::strata::testing::FixturesDir() + "/models";
  if (std::filesystem::is_directory(dir)) {
    for (const char* name : {"qwen3moe-Q4_K_M.gguf", "llama-moe-Q8_0.gguf"}) {
      std::ifstream in(dir + "/" + name, std::ios::binary);
      std::string bytes(std::istreambuf_iterator<char>(in), {});
      // The header and a little data: mutations then hit metadata and tensor infos.
      auto file = NewInMemoryFile(name, bytes);
      auto g = GgufFile::Read(*file);
      if (g.ok()) seeds.push_back(bytes.substr(0, (*g)->data_offset() + 4096));
    }
  }
  return seeds;
}

std::string Mutate(std::string s, std::mt19937_64& rng) {
  const int n_mutations = 1 + static_cast<int>(rng() % 4);
  for (int m = 0; m < n_mutations && !s.empty(); ++m) {
    const size_t at = rng() % s.size();
    switch (rng() % 6) {
      case 0:
        s[at] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:
        s[at] = static_cast<char>(rng());
        break;
      case 2:
        s.resize(at);
        break;
      case 3: {  // Overwrite an 8-byte field with an extreme value.
        static const uint64_t kExtremes[] = {
            0,          1,         0xffffffffull, 0x7fffffffffffffffull, 0xffffffffffffffffull,
            1ull << 32, 1ull << 40};
        const uint64_t v = kExtremes[rng() % 7];
        if (at + 8 <= s.size()) std::memcpy(s.data() + at, &v, 8);
        break;
      }
      case 4: {  // Duplicate a slice (repeated keys / tensor infos).
        const size_t len = std::min<size_t>(rng() % 64, s.size() - at);
        s.insert(at, s.substr(at, len));
        break;
      }
      default: {  // Overwrite a 4-byte field (types, n_dims) with a small value.
        const uint32_t v = static_cast<uint32_t>(rng() % 40);
        if (at + 4 <= s.size()) std::memcpy(s.data() + at, &v, 4);
        break;
      }
    }
  }
  return s;
}

TEST(GgufFuzzTest, RandomMutationsNeverCrash) {
  const std::vector<std::string> seeds = Seeds();
  std::mt19937_64 rng(20261122);
  constexpr int kIterations = 30000;
  int parsed = 0, rejected = 0;
  for (int i = 0; i < kIterations; ++i) {
    const std::string input = Mutate(seeds[i % seeds.size()], rng);
    auto file = NewInMemoryFile("fuzz.gguf", input);
    auto g = GgufFile::Read(*file);
    if (!g.ok()) {
      ++rejected;
      const auto code = g.status().code();
      ASSERT_TRUE(code == absl::StatusCode::kDataLoss || code == absl::StatusCode::kInvalidArgument)
          << g.status();
      continue;
    }
    ++parsed;
    // A file that parses is consistent: every tensor lies inside it.
    for (const GgufTensorInfo& t : (*g)->tensors()) {
      ASSERT_LE(t.file_offset + t.size_bytes, input.size()) << t.name;
    }
    for (const auto& [key, value] : (*g)->metadata()) (void)value.DebugString();
  }
  std::printf("gguf fuzz: %d mutated inputs, %d parsed, %d rejected cleanly, 0 crashes\n",
              kIterations, parsed, rejected);
  RecordProperty("inputs", kIterations);
  RecordProperty("parsed", parsed);
  EXPECT_GT(rejected, 0);
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace strata
