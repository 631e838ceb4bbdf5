// CPU feature detection: internal consistency, agreement with what the
// Linux kernel reports in /proc/cpuinfo, and the ISA choice.
#include "cpu/cpu_features.h"

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "cpu/quant_kernels.h"
#include "gtest/gtest.h"

namespace strata::cpu {
namespace {

// The "flags" line of /proc/cpuinfo's first processor; empty when absent.
std::set<std::string> ProcCpuinfoFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::set<std::string> flags;
    for (std::string w; words >> w;) flags.insert(w);
    return flags;
  }
  return {};
}

TEST(CpuFeaturesTest, LevelsAreNested) {
  const CpuFeatures& f = GetCpuFeatures();
  EXPECT_TRUE(f.Has(Isa::kScalar));
  if (f.Has(Isa::kAmx)) {
    EXPECT_TRUE(f.Has(Isa::kAvx512));
  }
  if (f.Has(Isa::kAvx512)) {
    EXPECT_TRUE(f.Has(Isa::kAvx2));
  }
  EXPECT_TRUE(f.Has(f.best_isa()));
  EXPECT_EQ(SelectedIsa(), f.best_isa());
  if (!f.amx_usable) {
    EXPECT_FALSE(f.amx_note.empty()) << "a refusal must say why";
  }
}

TEST(CpuFeaturesTest, AgreesWithProcCpuinfo) {
  const std::set<std::string> flags = ProcCpuinfoFlags();
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags line";
  const CpuFeatures& f = GetCpuFeatures();
  auto listed = [&](const char* name) { return flags.count(name) > 0; };
  EXPECT_EQ(f.avx2, listed("avx2"));
  EXPECT_EQ(f.fma, listed("fma"));
  EXPECT_EQ(f.f16c, listed("f16c"));
  EXPECT_EQ(f.avx512f, listed("avx512f"));
  EXPECT_EQ(f.avx512bw, listed("avx512bw"));
  EXPECT_EQ(f.avx512vl, listed("avx512vl"));
  EXPECT_EQ(f.avx512_vnni, listed("avx512_vnni"));
  EXPECT_EQ(f.avx512_bf16, listed("avx512_bf16"));
  EXPECT_EQ(f.avx_vnni, listed("avx_vnni"));
  // The kernel lists amx_tile only when it supports the tile state.
  if (f.amx_usable) {
    EXPECT_TRUE(listed("amx_tile"));
  }
}

TEST(CpuFeaturesTest, DescriptionNamesTheChoice) {
  const std::string text = DescribeCpu();
  EXPECT_NE(text.find("kernels:"), std::string::npos);
  EXPECT_NE(text.find(IsaName(SelectedIsa())), std::string::npos);
  EXPECT_NE(text.find("amx:"), std::string::npos);
}

TEST(CpuFeaturesTest, TablesExistExactlyForRunnableIsas) {
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAmx}) {
    const QuantKernels* k = FindKernelsForIsa(DType::kQ4_K, isa);
    EXPECT_EQ(k != nullptr, GetCpuFeatures().Has(isa)) << IsaName(isa);
  }
  const QuantKernels* best = FindKernels(DType::kQ4_K);
  ASSERT_NE(best, nullptr);
  const Isa expected = SelectedIsa() == Isa::kAmx ? Isa::kAvx512 : SelectedIsa();
  EXPECT_EQ(best->isa, expected);
  EXPECT_EQ(FindKernels(DType::kIQ2_XXS), nullptr);
}

}  // namespace
}  // namespace strata::cpu
