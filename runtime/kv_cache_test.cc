// The paged KV cache: plan/apply has no side effects until Apply and rolls
// back cleanly; rows survive spilling (exactly in F32, rounded in F16 / Q8_0);
// a full disk or a failing read-back stops with an error and loses nothing;
// and paged attention is bit-identical to contiguous attention.
#include "runtime/kv_cache.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "absl/strings/match.h"
#include "core/fp16.h"
#include "cpu/attention.h"
#include "gtest/gtest.h"
#include "storage/testing/fault_injecting_spill_file.h"
#include "tests/support/fixtures.h"

namespace strata {
namespace {

using ::strata::testing::FaultInjectingSpillFile;

constexpr int64_t kBlockTokens = 16;
constexpr int64_t kDim = 32;                             // k_dim = v_dim per layer.
constexpr uint64_t kSlot = kBlockTokens * 2 * kDim * 4;  // 4096 bytes.

HParams TwoLayers() {
  HParams hp;
  hp.n_layer = 2;
  hp.n_head = {4, 4};
  hp.n_head_kv = {2, 2};
  hp.head_dim_k = hp.head_dim_v = 16;
  return hp;
}

KvCacheOptions Options(uint64_t budget_blocks, KvSpillType type = KvSpillType::kF32) {
  KvCacheOptions o;
  o.block_tokens = kBlockTokens;
  o.ram_budget_bytes = budget_blocks * kSlot;
  o.spill_type = type;
  o.spill_dir = ::strata::testing::ScratchDir();
  return o;
}

// Deterministic row values for (layer, position).
std::vector<float> Row(int64_t il, int64_t pos, bool v) {
  std::vector<float> row(kDim);
  for (int64_t i = 0; i < kDim; ++i) {
    row[i] = std::sin(0.37f * (pos + 1) + 0.11f * i + il) * (v ? 3.0f : 1.0f) + 0.001f * i;
  }
  return row;
}

// Appends `n` positions and writes their rows in every layer.
void Append(KvCache& cache, int64_t n) {
  auto plan = cache.Prepare(n);
  ASSERT_TRUE(plan.ok()) << plan.status();
  cache.Apply(*plan);
  for (int64_t il = 0; il < cache.n_layer(); ++il) {
    for (int64_t pos = plan->pos0; pos < plan->pos0 + n; ++pos) {
      const auto k = Row(il, pos, false);
      const auto v = Row(il, pos, true);
      ASSERT_TRUE(cache.WriteRows(il, pos, 1, k.data(), v.data()).ok());
    }
  }
}

// Max |difference| between every cached row and the one written.
float MaxRowError(KvCache& cache) {
  float worst = 0;
  std::vector<float> k(kDim), v(kDim);
  for (int64_t il = 0; il < cache.n_layer(); ++il) {
    for (int64_t pos = 0; pos < cache.n_used(); ++pos) {
      EXPECT_TRUE(cache.ReadRows(il, pos, 1, k.data(), v.data()).ok());
      const auto k_want = Row(il, pos, false);
      const auto v_want = Row(il, pos, true);
      for (int64_t i = 0; i < kDim; ++i) {
        worst = std::max(worst, std::abs(k[i] - k_want[i]));
        worst = std::max(worst, std::abs(v[i] - v_want[i]));
      }
    }
  }
  return worst;
}

TEST(KvCacheTest, PrepareHasNoSideEffectsAndRollbackUndoesApply) {
  auto cache = KvCache::Create(TwoLayers(), 256, Options(0));
  ASSERT_TRUE(cache.ok()) << cache.status();
  Append(**cache, 20);
  const std::vector<int32_t> indices = (*cache)->block_table().indices();
  auto plan = (*cache)->Prepare(30);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->pos0, 20);
  EXPECT_EQ(plan->new_pages, std::vector<int32_t>({2, 3}));
  EXPECT_EQ((*cache)->n_used(), 20);
  EXPECT_EQ((*cache)->block_table().indices(), indices);
  (*cache)->Apply(*plan);
  EXPECT_EQ((*cache)->n_used(), 50);
  auto view = (*cache)->PinLayer(0, 0, 50, 20);  // Touches the new pages.
  ASSERT_TRUE(view.ok());
  *view = KvLayerView();
  EXPECT_EQ((*cache)->stats().pool.resident_blocks, 6u);  // Layer 0 has 4 pages.
  (*cache)->Rollback(*plan);
  EXPECT_EQ((*cache)->n_used(), 20);
  EXPECT_EQ((*cache)->block_table().indices(), indices);
  EXPECT_EQ((*cache)->stats().pool.resident_blocks, 4u);  // 2 pages x 2 layers.
  EXPECT_EQ(MaxRowError(**cache), 0.0f);
  // Overflow is refused before anything changes.
  auto too_big = (*cache)->Prepare(237);
  EXPECT_TRUE(absl::IsOutOfRange(too_big.status())) << too_big.status();
}

TEST(KvCacheTest, TruncateFreesWholePagesOnly) {
  auto cache = KvCache::Create(TwoLayers(), 256, Options(0));
  ASSERT_TRUE(cache.ok());
  Append(**cache, 40);
  EXPECT_EQ((*cache)->stats().pool.resident_blocks, 6u);
  (*cache)->Truncate(17);
  EXPECT_EQ((*cache)->n_used(), 17);
  EXPECT_EQ((*cache)->stats().pool.resident_blocks, 4u);
  EXPECT_EQ(MaxRowError(**cache), 0.0f);
  Append(**cache, 30);  // Rewrites 17.. in the kept page, reuses page 2.
  EXPECT_EQ(MaxRowError(**cache), 0.0f);
  EXPECT_EQ((*cache)->block_table().pages(0).size(), 3u);
}

TEST(KvCacheTest, SpilledRowsReadBackExactlyInF32) {
  // 8 blocks of RAM for 2 layers x 8 pages: half of the cache spills.
  auto cache = KvCache::Create(TwoLayers(), 128, Options(8));
  ASSERT_TRUE(cache.ok()) << cache.status();
  Append(**cache, 128);
  EXPECT_EQ(MaxRowError(**cache), 0.0f);
  const KvCacheStats s = (*cache)->stats();
  EXPECT_GT(s.pool.writes, 0u);
  EXPECT_GT(s.pool.counters.misses, 0u);
  EXPECT_GT(s.pool.spilled_blocks, 0u);
  EXPECT_LE(s.pool.resident_blocks, 8u);
  EXPECT_TRUE(absl::StrContains(s.spill, "f32 in ")) << s.spill;
  // Attention-style pins of a whole layer work within the budget.
  for (int round = 0; round < 3; ++round) {
    for (int64_t il = 0; il < 2; ++il) {
      auto view = (*cache)->PinLayer(il, 0, 128, 128);
      ASSERT_TRUE(view.ok()) << view.status();
      const auto want = Row(il, 77, true);
      EXPECT_EQ(std::memcmp(view->v_row(77), want.data(), kDim * 4), 0);
    }
  }
}

TEST(KvCacheTest, LossySpillTypesRoundAsDocumented) {
  for (KvSpillType type : {KvSpillType::kF16, KvSpillType::kQ8_0}) {
    auto cache = KvCache::Create(TwoLayers(), 128, Options(8, type));
    ASSERT_TRUE(cache.ok());
    Append(**cache, 128);
    const float error = MaxRowError(**cache);
    EXPECT_GT(error, 0.0f) << KvSpillTypeName(type);
    // F16: half an ulp of values below 4; Q8_0: half a step of amax / 127.
    EXPECT_LT(error, type == KvSpillType::kF16 ? 2.0e-3f : 3.0f / 127) << KvSpillTypeName(type);
  }
  std::vector<float> x(100);
  for (int i = 0; i < 100; ++i) x[i] = 0.1f * i - 3;
  std::vector<uint8_t> encoded(KvSpillBytes(KvSpillType::kF16, 100));
  EncodeKvBlock(KvSpillType::kF16, x.data(), 100, encoded.data());
  std::vector<float> back(100);
  DecodeKvBlock(KvSpillType::kF16, encoded.data(), 100, back.data());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(back[i], Fp16ToFp32(Fp32ToFp16(x[i])));
  EXPECT_EQ(KvSpillBytes(KvSpillType::kQ8_0, 100), 4u * 34);
}

// Max |difference| between every cached row and the one written rounded to
// F16 (what an F16 cache holds).
float MaxRowErrorToHalves(KvCache& cache) {
  float worst = 0;
  std::vector<float> k(kDim), v(kDim);
  for (int64_t il = 0; il < cache.n_layer(); ++il) {
    for (int64_t pos = 0; pos < cache.n_used(); ++pos) {
      EXPECT_TRUE(cache.ReadRows(il, pos, 1, k.data(), v.data()).ok());
      const auto k_want = Row(il, pos, false);
      const auto v_want = Row(il, pos, true);
      for (int64_t i = 0; i < kDim; ++i) {
        worst = std::max(worst, std::abs(k[i] - Fp16ToFp32(Fp32ToFp16(k_want[i]))));
        worst = std::max(worst, std::abs(v[i] - Fp16ToFp32(Fp32ToFp16(v_want[i]))));
      }
    }
  }
  return worst;
}

// An F16 cache stores rows as IEEE halves rounded to nearest-even, reads them
// back widened exactly, and spills them exactly as F16 (and as F16 when F32
// spill is asked for); Q8_0 spill quantizes the F16 values.
TEST(KvCacheTest, F16CacheStoresHalvesAndSpillsThemExactly) {
  for (KvSpillType type : {KvSpillType::kF16, KvSpillType::kF32, KvSpillType::kQ8_0}) {
    KvCacheOptions options = Options(8, type);
    options.type = KvType::kF16;
    auto cache = KvCache::Create(TwoLayers(), 128, options);
    ASSERT_TRUE(cache.ok()) << cache.status();
    EXPECT_EQ((*cache)->type(), KvType::kF16);
    Append(**cache, 128);
    const float error = MaxRowErrorToHalves(**cache);
    const KvCacheStats s = (*cache)->stats();
    EXPECT_EQ(s.type, KvType::kF16);
    EXPECT_GT(s.pool.writes, 0u);
    EXPECT_GT(s.pool.counters.misses, 0u);
    if (type == KvSpillType::kQ8_0) {
      EXPECT_GT(error, 0.0f);
      EXPECT_LT(error, 3.0f / 127);
      EXPECT_TRUE(absl::StrContains(s.spill, "q8_0 in ")) << s.spill;
      continue;
    }
    EXPECT_EQ(error, 0.0f) << KvSpillTypeName(type);
    EXPECT_TRUE(absl::StrContains(s.spill, "f16 in ")) << s.spill;
    // The pinned rows are the halves themselves.
    auto view = (*cache)->PinLayer(1, 0, 128, 128);
    ASSERT_TRUE(view.ok()) << view.status();
    ASSERT_EQ(view->type(), KvType::kF16);
    const auto want = Row(1, 77, true);
    const uint16_t* got = static_cast<const uint16_t*>(view->v_row(77));
    for (int64_t i = 0; i < kDim; ++i) EXPECT_EQ(got[i], Fp32ToFp16(want[i])) << i;
    EXPECT_EQ(view->k_pages_f16()[77 / kBlockTokens] + (77 % kBlockTokens) * kDim,
              static_cast<const uint16_t*>(view->k_row(77)));
  }
}

// F16 blocks take half the bytes: with blocks that fill whole 4 KiB slots,
// the cache's RAM and its minimum budget halve.
TEST(KvCacheTest, F16CacheHalvesTheBytes) {
  KvCacheOptions f32 = Options(0);
  f32.block_tokens = 2 * kBlockTokens;  // 32 x 64 halves = 4096 bytes.
  KvCacheOptions f16 = f32;
  f16.type = KvType::kF16;
  EXPECT_EQ(2 * KvCache::BytesFor(TwoLayers(), 256, f16), KvCache::BytesFor(TwoLayers(), 256, f32));
  EXPECT_EQ(2 * KvCache::MinBytesFor(TwoLayers(), 256, f16),
            KvCache::MinBytesFor(TwoLayers(), 256, f32));
  EXPECT_EQ(KvCache::BytesFor(TwoLayers(), 256, f16), 16 * 4096);
}

TEST(KvCacheTest, KvTypeNamesParse) {
  EXPECT_EQ(*ParseKvType("f16"), KvType::kF16);
  EXPECT_EQ(*ParseKvType("f32"), KvType::kF32);
  EXPECT_TRUE(absl::IsInvalidArgument(ParseKvType("bf16").status()));
  EXPECT_EQ(KvTypeName(KvType::kF16), "f16");
  EXPECT_EQ(EffectiveSpillType(KvType::kF16, KvSpillType::kF32), KvSpillType::kF16);
  EXPECT_EQ(EffectiveSpillType(KvType::kF32, KvSpillType::kF32), KvSpillType::kF32);
  EXPECT_EQ(EffectiveSpillType(KvType::kF16, KvSpillType::kQ8_0), KvSpillType::kQ8_0);
}

TEST(KvCacheTest, BudgetBelowOneLayerIsRefusedWithTheMinimum) {
  auto cache = KvCache::Create(TwoLayers(), 256, Options(15));  // A layer needs 16.
  EXPECT_TRUE(absl::IsResourceExhausted(cache.status()));
  EXPECT_TRUE(absl::StrContains(cache.status().message(), "65536 bytes")) << cache.status();
  EXPECT_EQ(KvCache::MinBytesFor(TwoLayers(), 256, Options(0)), 16 * static_cast<int64_t>(kSlot));
  EXPECT_EQ(KvCache::BytesFor(TwoLayers(), 256, Options(0)), 32 * static_cast<int64_t>(kSlot));
  EXPECT_EQ(KvCache::BytesFor(TwoLayers(), 256, Options(20)), 20 * static_cast<int64_t>(kSlot));
}

// A full disk stops the pin with ResourceExhausted; nothing is lost and the
// cache works again once there is room.
TEST(KvCacheTest, DiskFullAndReadErrorsLoseNothing) {
  FaultInjectingSpillFile* faults = nullptr;
  KvCacheOptions options = Options(8);
  options.open_spill_file =
      [&](const std::string& dir) -> absl::StatusOr<std::unique_ptr<SpillFile>> {
    auto file = FaultInjectingSpillFile::Create(dir);
    if (!file.ok()) return file.status();
    faults = file->get();
    return std::unique_ptr<SpillFile>(std::move(*file));
  };
  auto cache = KvCache::Create(TwoLayers(), 128, options);
  ASSERT_TRUE(cache.ok()) << cache.status();
  ASSERT_NE(faults, nullptr);
  Append(**cache, 64);  // 8 blocks: fits exactly.
  faults->SetCapacity(0);
  auto plan = (*cache)->Prepare(32);
  ASSERT_TRUE(plan.ok());
  (*cache)->Apply(*plan);
  auto view = (*cache)->PinLayer(0, 0, 96, 64);
  EXPECT_TRUE(absl::IsResourceExhausted(view.status())) << view.status();
  EXPECT_TRUE(absl::StrContains(view.status().message(), "disk full")) << view.status();
  (*cache)->Rollback(*plan);
  EXPECT_EQ((*cache)->n_used(), 64);
  faults->ClearFaults();
  EXPECT_EQ(MaxRowError(**cache), 0.0f);
  Append(**cache, 64);
  faults->FailReads(EIO, 1);
  std::vector<float> k(kDim), v(kDim);
  absl::Status failed;
  for (int64_t pos = 0; pos < 128 && failed.ok(); pos += kBlockTokens) {
    failed = (*cache)->ReadRows(0, pos, 1, k.data(), v.data());
  }
  EXPECT_TRUE(absl::IsDataLoss(failed)) << failed;
  EXPECT_EQ(MaxRowError(**cache), 0.0f);
}

// Paging only moves rows: attention gives identical bits for any page size,
// with the 256-padded view.
TEST(PagedAttentionTest, IsBitIdenticalToContiguousAttention) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int hd = 32;
  const int64_t heads = 2;
  const int64_t stride = heads * hd;
  for (int64_t n_kv : {1, 15, 16, 17, 100, 300}) {
    std::vector<float> k(n_kv * stride), v(n_kv * stride), q(hd);
    for (float& x : k) x = normal(rng);
    for (float& x : v) x = normal(rng);
    for (float& x : q) x = normal(rng);
    cpu::AttentionShape shape{hd, hd, stride, stride, 0.17f, (n_kv + 255) / 256 * 256};
    std::vector<float> scratch(cpu::AttentionScratchFloats(512, hd)), want(hd), got(hd);
    cpu::AttendOneHead(shape, q.data(), k.data() + hd, v.data() + hd, n_kv, scratch.data(),
                       want.data());
    for (int64_t per_page : {1, 7, 16, 32}) {
      std::vector<const float*> k_pages, v_pages;
      for (int64_t p = 0; p * per_page < n_kv; ++p) {
        k_pages.push_back(k.data() + p * per_page * stride);
        v_pages.push_back(v.data() + p * per_page * stride);
      }
      cpu::PagedKv paged{k_pages.data(), v_pages.data(), hd, hd, per_page};
      cpu::AttendOneHeadPaged(shape, q.data(), paged, n_kv, scratch.data(), got.data());
      EXPECT_EQ(std::memcmp(got.data(), want.data(), hd * sizeof(float)), 0)
          << "n_kv " << n_kv << ", " << per_page << " per page";
    }
  }
}

}  // namespace
}  // namespace strata
