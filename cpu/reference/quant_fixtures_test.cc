// Dequantization of real llama.cpp-quantized tensors.
//
// The fixture models come as an unquantized file (f32, or f16 for
// qwen3moe-kq) and Q8_0 / Q4_K_M files that llama-quantize made from it. Every
// tensor of a quantized file, dequantized by our kernels, must match the
// unquantized tensor of the same name to within the format's precision; a
// wrong bit layout gives errors of order 1. The test also re-quantizes the
// unquantized data with our own quantizers and checks that they are at least
// as accurate as llama-quantize, and prints both (the table in the report).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "cpu/quant_kernels.h"
#include "cpu/reference/testing/quant_test_util.h"
#include "gtest/gtest.h"
#include "storage/gguf_file.h"
#include "storage/random_access_file.h"
#include "tests/support/fixtures.h"

namespace strata::cpu {
namespace {

using quant_test::Nmse;

// Upper bounds on normalised MSE for llama-quantize's output on these
// (Gaussian) weights; measured values are printed by the test.
double MaxNmse(DType type) {
  switch (type) {
    case DType::kF32:
      return 0.0;
    case DType::kQ8_0:
      return 1e-4;
    case DType::kQ6_K:
      return 1e-3;
    case DType::kQ5_0:
    case DType::kQ5_1:
      return 3e-3;
    case DType::kQ4_K:
      return 1e-2;
    default:
      return -1.0;  // Not expected in the fixtures: fail loudly.
  }
}

struct LoadedTensor {
  DType type;
  int64_t elements;
  std::vector<float> values;
};

class FixtureFile {
 public:
  static std::unique_ptr<FixtureFile> Open(const std::string& path) {
    auto file = OpenPosixFile(path);
    EXPECT_TRUE(file.ok()) << file.status();
    if (!file.ok()) return nullptr;
    auto gguf = GgufFile::Read(**file);
    EXPECT_TRUE(gguf.ok()) << gguf.status();
    if (!gguf.ok()) return nullptr;
    return std::unique_ptr<FixtureFile>(new FixtureFile(std::move(*file), std::move(*gguf)));
  }

  const GgufFile& gguf() const { return *gguf_; }

  // The tensor's values, dequantized with the reference kernels.
  LoadedTensor Load(const GgufTensorInfo& info) const {
    std::vector<uint8_t> bytes(info.size_bytes);
    const absl::Status status = file_->ReadExact(info.file_offset, bytes.size(), bytes.data());
    EXPECT_TRUE(status.ok()) << status;
    LoadedTensor t{info.type, info.elements(), std::vector<float>(info.elements())};
    const QuantKernels* k = FindReferenceKernels(info.type);
    EXPECT_NE(k, nullptr) << info.name << " has type " << DTypeName(info.type);
    if (k != nullptr) k->to_float(bytes.data(), t.values.data(), t.elements);
    return t;
  }

 private:
  FixtureFile(std::unique_ptr<RandomAccessFile> file, std::unique_ptr<GgufFile> gguf)
      : file_(std::move(file)), gguf_(std::move(gguf)) {}

  std::unique_ptr<RandomAccessFile> file_;
  std::unique_ptr<GgufFile> gguf_;
};

struct TypeStats {
  int tensors = 0;
  double max_nmse_llama = 0.0;
  double max_nmse_ours = 0.0;
  // Energy-weighted totals, for the aggregate comparison with llama-quantize.
  double err_llama = 0.0;
  double err_ours = 0.0;
  double energy = 0.0;
};

TEST(FixtureDequantTest, QuantizedTensorsMatchTheUnquantizedModel) {
  const std::string dir = strata::testing::FixturesDir() + "/models";
  STRATA_REQUIRE_PATH(dir);
  const struct {
    const char* model;
    const char* base;
  } kModels[] = {{"llama-dense", "f32"},
                 {"llama-moe", "f32"},
                 {"qwen3moe", "f32"},
                 {"qwen3moe-kq", "f16"},
                 {"deepseek2", "f32"}};

  std::map<DType, TypeStats> stats;
  for (const auto& m : kModels) {
    const std::string base_path = dir + "/" + m.model + "-" + m.base + ".gguf";
    STRATA_REQUIRE_PATH(base_path);
    const auto base = FixtureFile::Open(base_path);
    ASSERT_NE(base, nullptr);
    for (const char* config : {"Q8_0", "Q4_K_M"}) {
      const std::string path = dir + "/" + m.model + "-" + config + ".gguf";
      STRATA_REQUIRE_PATH(path);
      const auto quant = FixtureFile::Open(path);
      ASSERT_NE(quant, nullptr);
      for (const GgufTensorInfo& info : quant->gguf().tensors()) {
        SCOPED_TRACE(path + ": " + info.name);
        const GgufTensorInfo* base_info = base->gguf().FindTensor(info.name);
        ASSERT_NE(base_info, nullptr);
        ASSERT_EQ(base_info->ne, info.ne);
        const LoadedTensor expected = base->Load(*base_info);
        const LoadedTensor got = quant->Load(info);
        if (info.type == base_info->type) {  // Not quantized (norms, routers): identical.
          EXPECT_EQ(got.values, expected.values);
          continue;
        }
        const double nmse = Nmse(got.values, expected.values);
        EXPECT_LE(nmse, MaxNmse(info.type)) << DTypeName(info.type);

        // Our quantizer on the same data, for comparison.
        const std::vector<float> ours = quant_test::RoundTrip(info.type, expected.values);
        const double nmse_ours = Nmse(ours, expected.values);
        double energy = 0.0;
        for (float v : expected.values) energy += static_cast<double>(v) * v;
        TypeStats& s = stats[info.type];
        ++s.tensors;
        s.max_nmse_llama = std::max(s.max_nmse_llama, nmse);
        s.max_nmse_ours = std::max(s.max_nmse_ours, nmse_ours);
        s.err_llama += nmse * energy;
        s.err_ours += nmse_ours * energy;
        s.energy += energy;
      }
    }
  }

  std::printf(
      "[ table    ] type   tensors  max NMSE (llama-quantize)  max NMSE (ours)  "
      "total NMSE llama / ours\n");
  for (const auto& [type, s] : stats) {
    std::printf("[ table    ] %-5s  %7d  %24.3e  %15.3e  %.3e / %.3e\n",
                std::string(DTypeName(type)).c_str(), s.tensors, s.max_nmse_llama, s.max_nmse_ours,
                s.err_llama / s.energy, s.err_ours / s.energy);
    // Our weight quantizers must be no worse than llama-quantize's reference
    // ones (without importance matrix) in aggregate.
    EXPECT_LE(s.err_ours / s.energy, 1.02 * s.err_llama / s.energy) << DTypeName(type);
  }
  for (DType t : {DType::kQ8_0, DType::kQ5_0, DType::kQ5_1, DType::kQ4_K, DType::kQ6_K}) {
    EXPECT_GT(stats[t].tensors, 0) << "fixtures no longer exercise " << DTypeName(t);
  }
}

}  // namespace
}  // namespace strata::cpu
