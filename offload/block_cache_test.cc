#include "offload/block_cache.h"

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "storage/testing/fault_injecting_block_reader.h"
#include "storage/testing/test_files.h"
#include "tests/support/fixtures.h"

namespace strata::offload {
namespace {

using ::strata::testing::FaultInjectingBlockReader;

constexpr uint64_t kFileBytes = 1 << 20;

class BlockCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::strata::testing::ScratchDir() + "/block_cache_test.bin";
    bytes_ = ::strata::testing::RandomBytes(kFileBytes, 7);
    ASSERT_TRUE(::strata::testing::WriteWholeFile(path_, bytes_));
  }

  // A cache of `capacity` bytes over a fault-injecting reader (kept in reader_).
  std::unique_ptr<BlockCache> MakeCache(uint64_t capacity, const char* policy = "lru") {
    auto reader = FaultInjectingBlockReader::Open(path_, BlockReaderOptions{});
    EXPECT_TRUE(reader.ok()) << reader.status();
    reader_ = reader->get();
    auto p = MakeEvictionPolicy(policy);
    EXPECT_TRUE(p.ok());
    auto cache = BlockCache::Create(*std::move(reader), capacity, *std::move(p));
    EXPECT_TRUE(cache.ok()) << cache.status();
    return *std::move(cache);
  }

  // An expert-like block: three unaligned ranges (same size for bases that are
  // multiples of 4096).
  BlockDesc ExpertBlock(int expert, uint64_t base, uint64_t len) {
    BlockDesc d;
    d.block_class = BlockClass::kExpert;
    d.layer = 0;
    d.expert = expert;
    d.ranges = {{base + 32, len}, {base + 100000 + 96, len}, {base + 300000 + 160, len}};
    return d;
  }

  void ExpectBytes(const PinnedBlock& block, const BlockDesc& d) {
    for (const FileRange& r : d.ranges) {
      const uint8_t* p = block.Locate(r.offset);
      ASSERT_NE(p, nullptr);
      ASSERT_EQ(std::string(reinterpret_cast<const char*>(p), r.length),
                bytes_.substr(r.offset, r.length));
    }
  }

  std::string path_;
  std::string bytes_;
  FaultInjectingBlockReader* reader_ = nullptr;
};

TEST_F(BlockCacheTest, PinsReadTheRightBytesAndHitsAfterwards) {
  auto cache = MakeCache(4 << 20);
  const BlockDesc d = ExpertBlock(0, 1000, 20000);
  BlockKey key = *cache->Register(d);
  {
    auto pinned = cache->Pin(key);
    ASSERT_TRUE(pinned.ok()) << pinned.status();
    ExpectBytes(*pinned, d);
  }
  auto again = cache->Pin(key);
  ASSERT_TRUE(again.ok());
  ExpectBytes(*again, d);
  const TierStats s = cache->stats();
  EXPECT_EQ(s.of(BlockClass::kExpert).misses, 1u);
  EXPECT_EQ(s.of(BlockClass::kExpert).hits, 1u);
  EXPECT_EQ(s.of(BlockClass::kExpert).bytes_read, cache->ResidentBytes(key));
}

TEST_F(BlockCacheTest, EvictsUnpinnedBlocksInPolicyOrderAndNeverExceedsTheBudget) {
  // Room for exactly two blocks.
  auto cache0 = MakeCache(1 << 20);
  const BlockDesc d0 = ExpertBlock(0, 0, 30000), d1 = ExpertBlock(1, 40960, 30000),
                  d2 = ExpertBlock(2, 81920, 30000);
  const uint64_t block_bytes = cache0->ResidentBytes(*cache0->Register(d0));
  auto cache = MakeCache(2 * block_bytes);
  const BlockKey k0 = *cache->Register(d0), k1 = *cache->Register(d1), k2 = *cache->Register(d2);
  {
    auto a = cache->Pin(k0);
    ASSERT_TRUE(a.ok());
  }
  {
    auto b = cache->Pin(k1);
    ASSERT_TRUE(b.ok());
  }
  {
    auto a = cache->Pin(k0);
    ASSERT_TRUE(a.ok());
  }  // k1 is now least recently used.
  {
    auto c = cache->Pin(k2);
    ASSERT_TRUE(c.ok()) << c.status();
    ExpectBytes(*c, d2);
  }
  TierStats s = cache->stats();
  EXPECT_EQ(s.of(BlockClass::kExpert).evictions, 1u);
  EXPECT_LE(s.peak_resident_bytes, 2 * block_bytes);
  {
    auto a = cache->Pin(k0);
    ASSERT_TRUE(a.ok());
  }  // Still resident: a hit.
  s = cache->stats();
  EXPECT_EQ(s.of(BlockClass::kExpert).hits, 2u);
  EXPECT_EQ(s.of(BlockClass::kExpert).misses, 3u);
}

TEST_F(BlockCacheTest, PinnedBlocksAreNeverEvicted) {
  auto probe = MakeCache(1 << 20);
  const uint64_t block_bytes = probe->ResidentBytes(*probe->Register(ExpertBlock(0, 0, 30000)));
  auto cache = MakeCache(2 * block_bytes);
  const BlockKey k0 = *cache->Register(ExpertBlock(0, 0, 30000));
  const BlockKey k1 = *cache->Register(ExpertBlock(1, 40960, 30000));
  const BlockKey k2 = *cache->Register(ExpertBlock(2, 81920, 30000));
  auto a = cache->Pin(k0);
  auto b = cache->Pin(k1);
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = cache->Pin(k2);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(c.status().message(), "budget")) << c.status();
  a->Release();
  auto c2 = cache->Pin(k2);  // Now k0 may go.
  ASSERT_TRUE(c2.ok()) << c2.status();
  ExpectBytes(*c2, ExpertBlock(2, 81920, 30000));
  ExpectBytes(*b, ExpertBlock(1, 40960, 30000));
}

TEST_F(BlockCacheTest, PinManyReadsMissesInOneBatch) {
  auto cache = MakeCache(8 << 20);
  std::vector<BlockKey> keys;
  for (int e = 0; e < 6; ++e) keys.push_back(*cache->Register(ExpertBlock(e, e * 20000, 15000)));
  auto pinned = cache->PinMany(keys);
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  for (int e = 0; e < 6; ++e) ExpectBytes((*pinned)[e], ExpertBlock(e, e * 20000, 15000));
  EXPECT_GE(reader_->counters().max_in_flight, 2);
}

TEST_F(BlockCacheTest, FailedReadsLeaveNothingResidentAndLoseNoMemory) {
  auto cache = MakeCache(4 << 20);
  const BlockDesc d = ExpertBlock(0, 1000, 20000);
  const BlockKey key = *cache->Register(d);
  reader_->InjectError(100000, 110000, EIO);
  auto failed = cache->Pin(key);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kDataLoss) << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), path_)) << failed.status();
  EXPECT_EQ(reader_->counters().in_flight(), 0);
  TierStats s = cache->stats();
  EXPECT_EQ(s.resident_bytes, 0u);
  EXPECT_EQ(s.of(BlockClass::kExpert).bytes_read, 0u);
  // After the fault clears the block reads correctly: nothing half-filled was kept.
  reader_->ClearFaults();
  auto ok = cache->Pin(key);
  ASSERT_TRUE(ok.ok()) << ok.status();
  ExpectBytes(*ok, d);
}

TEST_F(BlockCacheTest, TruncatedFileIsDataLoss) {
  auto cache = MakeCache(4 << 20);
  const BlockKey key = *cache->Register(ExpertBlock(0, 500000, 20000));
  reader_->SimulateTruncation(600000);
  auto r = cache->Pin(key);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
}

TEST_F(BlockCacheTest, ResolveGivesTensorViewsIntoTheBlock) {
  auto cache = MakeCache(4 << 20);
  BlockDesc d;
  d.block_class = BlockClass::kDense;
  d.layer = 3;
  d.ranges = {{4128, 4096}};
  const BlockKey key = *cache->Register(d);
  auto pinned = cache->Pin(key);
  ASSERT_TRUE(pinned.ok());
  TensorView t;
  t.type = DType::kF32;
  t.ne = {16, 4, 1, 1};
  t.file_offset = 4128 + 64;
  const TensorView v = pinned->Resolve(t);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(v.data), 256), bytes_.substr(4192, 256));
}

// Holds every ReadAll of the readers built on it until opened, and logs the
// offsets each batch read, so tests can queue work behind a read in flight.
// Owned by the test, so it outlives the caches (and I/O threads) using it.
class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return entered_ >= n; });
  }
  std::vector<std::vector<uint64_t>> batches() {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  // Waits until open, then logs the batch.
  void Pass(absl::Span<const ReadRequest> requests) {
    std::unique_lock<std::mutex> lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    std::vector<uint64_t> offsets;
    for (const ReadRequest& r : requests) offsets.push_back(r.offset);
    batches_.push_back(offsets);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int entered_ = 0;
  std::vector<std::vector<uint64_t>> batches_;
};

class GatedReader : public BlockReaderWrapper {
 public:
  GatedReader(std::unique_ptr<BlockReader> target, Gate* gate)
      : BlockReaderWrapper(target.get()), owned_(std::move(target)), gate_(gate) {}
  absl::Status ReadAll(absl::Span<const ReadRequest> requests) override {
    gate_->Pass(requests);
    return BlockReaderWrapper::ReadAll(requests);
  }

 private:
  std::unique_ptr<BlockReader> owned_;
  Gate* gate_;
};

class BlockCachePrefetchTest : public BlockCacheTest {
 protected:
  Gate* NewGate() {
    gates_.push_back(std::make_unique<Gate>());
    return gates_.back().get();
  }
  std::unique_ptr<BlockReader> RealReader() {
    auto reader = BlockReader::Open(path_, BlockReaderOptions{});
    EXPECT_TRUE(reader.ok()) << reader.status();
    return *std::move(reader);
  }
  // One I/O thread, reading through gate_ (closed).
  std::unique_ptr<BlockCache> MakeGatedCache(uint64_t capacity) {
    gate_ = NewGate();
    auto cache = BlockCache::Create(std::make_unique<GatedReader>(RealReader(), gate_), capacity,
                                    *MakeEvictionPolicy("lru"));
    EXPECT_TRUE(cache.ok());
    return *std::move(cache);
  }
  // Two I/O threads: demand reads through demand_gate_ (open), prefetches
  // through prefetch_gate_ (closed) and `prefetch_target` (a real reader when
  // null).
  std::unique_ptr<BlockCache> MakeTwoThreadCache(
      uint64_t capacity, std::unique_ptr<BlockReader> prefetch_target = nullptr) {
    demand_gate_ = NewGate();
    demand_gate_->Open();
    prefetch_gate_ = NewGate();
    if (prefetch_target == nullptr) prefetch_target = RealReader();
    auto cache = BlockCache::Create(
        std::make_unique<GatedReader>(RealReader(), demand_gate_), capacity,
        *MakeEvictionPolicy("lru"), /*slot_bytes=*/0,
        std::make_unique<GatedReader>(std::move(prefetch_target), prefetch_gate_));
    EXPECT_TRUE(cache.ok()) << cache.status();
    return *std::move(cache);
  }
  BlockDesc Single(int i) {
    BlockDesc d;
    d.block_class = BlockClass::kExpert;
    d.layer = 0;
    d.expert = i;
    d.ranges = {{static_cast<uint64_t>(i) * 65536 + 8, 30000}};
    return d;
  }
  // The aligned offset Single(i) is read at.
  static uint64_t ReadOffset(int i) { return static_cast<uint64_t>(i) * 65536; }

  std::vector<std::unique_ptr<Gate>> gates_;
  Gate* gate_ = nullptr;
  Gate* demand_gate_ = nullptr;
  Gate* prefetch_gate_ = nullptr;
};

TEST_F(BlockCachePrefetchTest, PrefetchedBlocksAreHitsAndCountAsUsed) {
  auto cache = MakeGatedCache(1 << 20);
  const BlockKey k = *cache->Register(Single(1));
  gate_->Open();
  cache->Prefetch({k}, /*tag=*/1);
  while (!cache->IsResident(k)) std::this_thread::yield();
  auto pinned = cache->Pin(k);
  ASSERT_TRUE(pinned.ok());
  const TierStats s = cache->stats();
  EXPECT_EQ(s.of(BlockClass::kExpert).hits, 1u);
  EXPECT_EQ(s.of(BlockClass::kExpert).misses, 0u);
  EXPECT_EQ(s.prefetch.completed, 1u);
  EXPECT_EQ(s.prefetch.used, 1u);
  EXPECT_EQ(s.prefetch.wasted, 0u);
}

TEST_F(BlockCachePrefetchTest, CancelDropsQueuedPrefetchesOfPastWork) {
  auto cache = MakeGatedCache(1 << 20);
  const BlockKey k1 = *cache->Register(Single(1));
  const BlockKey k2 = *cache->Register(Single(2));
  const BlockKey k3 = *cache->Register(Single(3));
  cache->Prefetch({k1}, 1);
  gate_->WaitEntered(1);  // k1 is being read; the next prefetches queue up behind it.
  cache->Prefetch({k2}, 1);
  cache->Prefetch({k3}, 5);
  cache->CancelPrefetchesBefore(2);
  gate_->Open();
  auto pinned = cache->Pin(k3);  // Prefetched (or finishing): a hit or a late prefetch.
  ASSERT_TRUE(pinned.ok());
  while (!cache->IsResident(k1)) std::this_thread::yield();
  EXPECT_FALSE(cache->IsResident(k2));
  EXPECT_EQ(cache->stats().prefetch.cancelled, 1u);
}

TEST_F(BlockCachePrefetchTest, DemandReadsGoBeforeQueuedPrefetches) {
  auto cache = MakeGatedCache(1 << 20);
  std::vector<BlockKey> keys;
  for (int i = 1; i <= 4; ++i) keys.push_back(*cache->Register(Single(i)));
  cache->Prefetch({keys[0]}, 1);
  gate_->WaitEntered(1);
  cache->Prefetch({keys[1], keys[2]}, 1);
  cache->Request({keys[3]});
  gate_->Open();
  auto pinned = cache->Pin(keys[3]);
  ASSERT_TRUE(pinned.ok());
  auto rest = cache->PinMany({keys[1], keys[2]});
  ASSERT_TRUE(rest.ok());
  const auto batches = gate_->batches();
  ASSERT_GE(batches.size(), 2u);
  // The second batch read holds the demanded block alone.
  ASSERT_EQ(batches[1].size(), 1u);
  EXPECT_EQ(batches[1][0], 4u * 65536);  // keys[3] is Single(4).
  EXPECT_GT(cache->stats().of(BlockClass::kExpert).stall_seconds, 0.0);
}

TEST_F(BlockCachePrefetchTest, UnusedPrefetchesEvictedAreCountedAsWasted) {
  auto probe = MakeGatedCache(1 << 20);
  const uint64_t bytes = probe->ResidentBytes(*probe->Register(Single(1)));
  gate_->Open();
  auto cache = MakeGatedCache(2 * bytes);
  gate_->Open();
  const BlockKey a = *cache->Register(Single(1));
  const BlockKey b = *cache->Register(Single(2));
  const BlockKey c = *cache->Register(Single(3));
  cache->Prefetch({a}, 1);
  while (!cache->IsResident(a)) std::this_thread::yield();
  {
    auto pb = cache->Pin(b);
    ASSERT_TRUE(pb.ok());
  }
  {
    auto pc = cache->Pin(c);
    ASSERT_TRUE(pc.ok());
  }  // Evicts a (least recent), never used.
  const TierStats s = cache->stats();
  EXPECT_EQ(s.prefetch.wasted, 1u);
  EXPECT_EQ(s.prefetch.used, 0u);
}

TEST_F(BlockCachePrefetchTest, ExpiredUnusedPrefetchIsEvictedBeforeThePolicysVictim) {
  auto probe = MakeGatedCache(1 << 20);
  const uint64_t bytes = probe->ResidentBytes(*probe->Register(Single(1)));
  gate_->Open();
  auto cache = MakeGatedCache(2 * bytes);
  gate_->Open();
  const BlockKey hot = *cache->Register(Single(1));
  const BlockKey guess = *cache->Register(Single(2));
  const BlockKey needed = *cache->Register(Single(3));
  { ASSERT_TRUE(cache->Pin(hot).ok()); }  // Least recently used from here on.
  cache->Prefetch({guess}, /*tag=*/4);
  while (!cache->IsResident(guess)) std::this_thread::yield();
  // Step 4 ran without pinning the guess: LRU alone would now evict `hot`.
  cache->CancelPrefetchesBefore(5);
  { ASSERT_TRUE(cache->Pin(needed).ok()); }
  EXPECT_TRUE(cache->IsResident(hot));
  EXPECT_FALSE(cache->IsResident(guess));
  const TierStats s = cache->stats();
  EXPECT_EQ(s.prefetch.wasted, 1u);
  EXPECT_EQ(s.of(BlockClass::kExpert).evictions, 1u);
}

TEST_F(BlockCachePrefetchTest, PrefetchForALaterStepIsNotEvictedEarly) {
  auto probe = MakeGatedCache(1 << 20);
  const uint64_t bytes = probe->ResidentBytes(*probe->Register(Single(1)));
  gate_->Open();
  auto cache = MakeGatedCache(2 * bytes);
  gate_->Open();
  const BlockKey old = *cache->Register(Single(1));
  const BlockKey ahead = *cache->Register(Single(2));
  const BlockKey needed = *cache->Register(Single(3));
  { ASSERT_TRUE(cache->Pin(old).ok()); }
  cache->Prefetch({ahead}, /*tag=*/9);
  while (!cache->IsResident(ahead)) std::this_thread::yield();
  cache->CancelPrefetchesBefore(5);  // Step 9 has not run: `ahead` keeps its place.
  { ASSERT_TRUE(cache->Pin(needed).ok()); }
  EXPECT_FALSE(cache->IsResident(old));
  EXPECT_TRUE(cache->IsResident(ahead));
  EXPECT_EQ(cache->stats().prefetch.wasted, 0u);
}

// Counts the batches the cache reports, so a test can wait until a read,
// failed or not, has been handled.
class ReadLog : public IoObserver {
 public:
  void OnRead(BlockClass, int32_t, bool prefetch, int, uint64_t, Clock::time_point,
              Clock::time_point) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++(prefetch ? prefetches_ : demands_);
    cv_.notify_all();
  }
  void OnStall(BlockClass, int32_t, Clock::time_point, Clock::time_point) override {}
  void WaitPrefetches(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return prefetches_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int prefetches_ = 0;
  int demands_ = 0;
};

// Waits (without a deadline: a hang is the failure) until `done` holds.
template <typename F>
void SpinUntil(F done) {
  while (!done()) std::this_thread::yield();
}

using BlockCacheTwoThreadTest = BlockCachePrefetchTest;

TEST_F(BlockCacheTwoThreadTest, DemandReadsDoNotWaitForAPrefetchInFlight) {
  auto cache = MakeTwoThreadCache(1 << 20);
  const BlockKey ahead = *cache->Register(Single(1));
  const BlockKey needed = *cache->Register(Single(2));
  cache->Prefetch({ahead}, /*tag=*/1);
  prefetch_gate_->WaitEntered(1);  // Held inside ReadAll until opened.
  {
    auto pinned = cache->Pin(needed);  // With one I/O thread this would wait for the gate.
    ASSERT_TRUE(pinned.ok()) << pinned.status();
    ExpectBytes(*pinned, Single(2));
  }
  EXPECT_FALSE(cache->IsResident(ahead));
  prefetch_gate_->Open();
  SpinUntil([&] { return cache->IsResident(ahead); });
  TierStats s = cache->stats();
  EXPECT_EQ(s.prefetch.completed, 1u);
  EXPECT_EQ(s.prefetch.late, 0u);
  {
    auto pinned = cache->Pin(ahead);
    ASSERT_TRUE(pinned.ok()) << pinned.status();
    ExpectBytes(*pinned, Single(1));
  }
  s = cache->stats();
  EXPECT_EQ(s.prefetch.used, 1u);
  EXPECT_EQ(s.of(BlockClass::kExpert).hits, 1u);
  EXPECT_EQ(s.of(BlockClass::kExpert).misses, 1u);
  EXPECT_EQ(demand_gate_->batches(), (std::vector<std::vector<uint64_t>>{{ReadOffset(2)}}));
  EXPECT_EQ(prefetch_gate_->batches(), (std::vector<std::vector<uint64_t>>{{ReadOffset(1)}}));
  // The two reads overlapped: their seconds are shared, not counted twice.
  EXPECT_GT(s.io_busy_seconds, 0.0);
  EXPECT_LE(s.total().read_seconds, s.io_busy_seconds * (1 + 1e-9));
}

TEST_F(BlockCacheTwoThreadTest, ABlockDemandedWhileBeingPrefetchedIsReadOnce) {
  auto cache = MakeTwoThreadCache(1 << 20);
  const BlockKey key = *cache->Register(Single(3));
  cache->Prefetch({key}, /*tag=*/1);
  prefetch_gate_->WaitEntered(1);
  absl::StatusOr<PinnedBlock> pinned;
  std::thread pin([&] { pinned = cache->Pin(key); });
  SpinUntil([&] { return cache->stats().prefetch.late == 1; });  // The Pin waits for it.
  prefetch_gate_->Open();
  pin.join();
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  ExpectBytes(*pinned, Single(3));
  EXPECT_EQ(prefetch_gate_->batches(), (std::vector<std::vector<uint64_t>>{{ReadOffset(3)}}));
  EXPECT_TRUE(demand_gate_->batches().empty());
  const TierStats s = cache->stats();
  EXPECT_EQ(s.of(BlockClass::kExpert).bytes_read, cache->ResidentBytes(key));
  EXPECT_EQ(s.of(BlockClass::kExpert).misses, 1u);
}

// A failed prefetch is forgotten: nobody was waiting, so a later Pin reads the
// block again on the demand path.
TEST_F(BlockCacheTwoThreadTest, APinAfterAFailedPrefetchReadsTheBlockAgain) {
  auto faulty = FaultInjectingBlockReader::Open(path_, BlockReaderOptions{});
  ASSERT_TRUE(faulty.ok()) << faulty.status();
  (*faulty)->InjectError(0, kFileBytes, EIO);
  ReadLog log;  // Outlives the cache.
  auto cache = MakeTwoThreadCache(1 << 20, *std::move(faulty));
  cache->SetObserver(&log);
  const BlockKey key = *cache->Register(Single(4));
  prefetch_gate_->Open();
  cache->Prefetch({key}, /*tag=*/1);
  log.WaitPrefetches(1);  // The failed read has been handled.
  EXPECT_FALSE(cache->IsResident(key));
  EXPECT_EQ(cache->stats().resident_bytes, 0u);
  {
    auto pinned = cache->Pin(key);
    ASSERT_TRUE(pinned.ok()) << pinned.status();
    ExpectBytes(*pinned, Single(4));
  }
  EXPECT_EQ(demand_gate_->batches(), (std::vector<std::vector<uint64_t>>{{ReadOffset(4)}}));
  const TierStats s = cache->stats();
  EXPECT_EQ(s.prefetch.completed, 0u);
  EXPECT_EQ(s.prefetch.late, 0u);
}

// A Pin that waited for a prefetch read gets that read's error, as it would a
// demand read's (no second attempt); the block is left absent with its memory
// free, and the next Pin reads it again.
TEST_F(BlockCacheTwoThreadTest, APinWaitingForAFailingPrefetchGetsItsError) {
  auto opened = FaultInjectingBlockReader::Open(path_, BlockReaderOptions{});
  ASSERT_TRUE(opened.ok()) << opened.status();
  FaultInjectingBlockReader* faulty = opened->get();
  faulty->InjectError(0, kFileBytes, EIO);
  auto cache = MakeTwoThreadCache(1 << 20, *std::move(opened));
  const BlockKey key = *cache->Register(Single(5));
  cache->Prefetch({key}, /*tag=*/1);
  prefetch_gate_->WaitEntered(1);
  absl::StatusOr<PinnedBlock> pinned;
  std::thread pin([&] { pinned = cache->Pin(key); });
  SpinUntil([&] { return cache->stats().prefetch.late == 1; });
  prefetch_gate_->Open();
  pin.join();
  ASSERT_FALSE(pinned.ok());
  EXPECT_EQ(pinned.status().code(), absl::StatusCode::kDataLoss) << pinned.status();
  EXPECT_TRUE(absl::StrContains(pinned.status().message(), path_)) << pinned.status();
  EXPECT_TRUE(demand_gate_->batches().empty());
  EXPECT_EQ(faulty->counters().in_flight(), 0);
  EXPECT_EQ(cache->stats().resident_bytes, 0u);
  auto again = cache->Pin(key);
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectBytes(*again, Single(5));
}

TEST_F(BlockCacheTwoThreadTest, DestructionWaitsForTheReadInFlight) {
  auto cache = MakeTwoThreadCache(1 << 20);
  const BlockKey key = *cache->Register(Single(6));
  cache->Prefetch({key}, /*tag=*/1);
  prefetch_gate_->WaitEntered(1);
  std::thread opener([gate = prefetch_gate_] {
    // Most likely the destructor is waiting by then; the outcome is the same if not.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    gate->Open();
  });
  cache.reset();
  opener.join();
  EXPECT_EQ(prefetch_gate_->batches().size(), 1u);  // It ran to the end.
}

// With the arena full of a prefetch in flight, a demand read waits for it to
// land and evicts it, rather than fail for lack of room.
TEST_F(BlockCacheTwoThreadTest, DemandReadWaitsForMemoryHeldByAPrefetchInFlight) {
  auto probe = MakeTwoThreadCache(1 << 20);
  const uint64_t bytes = probe->ResidentBytes(*probe->Register(Single(1)));
  auto cache = MakeTwoThreadCache(bytes);  // Room for one block.
  const BlockKey guess = *cache->Register(Single(1));
  const BlockKey needed = *cache->Register(Single(2));
  cache->Prefetch({guess}, /*tag=*/1);
  prefetch_gate_->WaitEntered(1);
  absl::StatusOr<PinnedBlock> pinned;
  std::thread pin([&] { pinned = cache->Pin(needed); });
  SpinUntil([&] { return cache->stats().of(BlockClass::kExpert).misses == 1; });
  // Most likely the demand thread has found the arena full by then; the
  // outcome is the same if not.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  prefetch_gate_->Open();
  pin.join();
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  ExpectBytes(*pinned, Single(2));
  EXPECT_FALSE(cache->IsResident(guess));
  const TierStats s = cache->stats();
  EXPECT_EQ(s.prefetch.completed, 1u);
  EXPECT_EQ(s.prefetch.wasted, 1u);
  EXPECT_LE(s.peak_resident_bytes, bytes);
}

TEST_F(BlockCacheTwoThreadTest, APrefetchReaderOfAnotherFileIsRefused) {
  const std::string other = ::strata::testing::ScratchDir() + "/block_cache_test_other.bin";
  ASSERT_TRUE(::strata::testing::WriteWholeFile(other, bytes_.substr(0, kFileBytes / 2)));
  auto prefetch_reader = BlockReader::Open(other, BlockReaderOptions{});
  ASSERT_TRUE(prefetch_reader.ok());
  auto cache = BlockCache::Create(RealReader(), 1 << 20, *MakeEvictionPolicy("lru"), 0,
                                  *std::move(prefetch_reader));
  EXPECT_EQ(cache.status().code(), absl::StatusCode::kInvalidArgument) << cache.status();
}

}  // namespace
}  // namespace strata::offload
