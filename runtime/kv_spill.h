// How KV blocks are written to the spill file, and the backing store that
// writes them there: the NVMe tier of the paged KV cache.
//
// A KV block is a flat array of values (K rows then V rows) of the cache's
// element type, KvType: F32 or F16 (--kv-type). An F32 block can be spilled
// as F32 (exact: attention after a read-back is bit-identical to never
// having spilled), F16 (half the bytes; round-to-nearest-even, so a
// read-back block holds the F16-rounded values) or Q8_0 (34 bytes per 32
// values, llama.cpp's reference quantizer; the logit deviation this causes is
// measured by tests/e2e/kv_spill_test.cc). An F16 block is spilled as F16,
// its bytes as they are (exact), or as Q8_0 quantized from its F16 values and
// rounded back to F16 at read-back. Spill type F32 with an F16 cache means
// "exact" too and stores F16 (EffectiveSpillType): widening would double the
// disk bytes and change nothing. Encoding happens at eviction, decoding at
// read-back, so only spilled blocks ever lose precision.
//
// KvSpillStore implements offload::KvBlockBacking over a storage/ SpillFile:
// block key k lives at offset k × (its encoded size rounded up to the file's
// alignment), a fixed slot, so re-spilling a block overwrites it in place and
// the file never needs compaction (it is sparse: only spilled slots take
// disk). Owns the file and one aligned staging buffer. Not thread-safe (the
// pool calls it under its lock).
#ifndef STRATA_RUNTIME_KV_SPILL_H_
#define STRATA_RUNTIME_KV_SPILL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "offload/kv_block_pool.h"
#include "storage/aligned_buffer.h"
#include "storage/spill_file.h"

namespace strata {

// The element type of KV cache blocks (KvCacheOptions::type).
enum class KvType { kF32, kF16 };

// "f32", "f16" (InvalidArgument otherwise, listing them).
absl::StatusOr<KvType> ParseKvType(absl::string_view name);
absl::string_view KvTypeName(KvType type);
// Bytes of one element: 4 or 2.
inline int64_t KvTypeBytes(KvType type) { return type == KvType::kF16 ? 2 : 4; }

enum class KvSpillType { kF32, kF16, kQ8_0 };

// "f32", "f16", "q8_0" (InvalidArgument otherwise, listing them).
absl::StatusOr<KvSpillType> ParseKvSpillType(absl::string_view name);
absl::string_view KvSpillTypeName(KvSpillType type);
// What blocks of `cache` type are stored as when `requested` is asked for:
// `requested`, except F32 for an F16 cache, which stores F16 (exact).
KvSpillType EffectiveSpillType(KvType cache, KvSpillType requested);

// Bytes `n` floats take encoded as `type`.
uint64_t KvSpillBytes(KvSpillType type, int64_t n);
// dst[0, KvSpillBytes(type, n)) = src[0, n) encoded. Q8_0 pads the last
// 32-value block with zeros.
void EncodeKvBlock(KvSpillType type, const float* src, int64_t n, uint8_t* dst);
// dst[0, n) = the values EncodeKvBlock wrote at src.
void DecodeKvBlock(KvSpillType type, const uint8_t* src, int64_t n, float* dst);

class KvSpillStore final : public offload::KvBlockBacking {
 public:
  // A store for blocks of `block_values` values of type `cache`, spilled as
  // EffectiveSpillType(cache, type).
  static absl::StatusOr<std::unique_ptr<KvSpillStore>> Create(std::unique_ptr<SpillFile> file,
                                                              KvSpillType type,
                                                              int64_t block_values,
                                                              KvType cache = KvType::kF32);

  // `data` must be 4096-aligned with room for `bytes` rounded up to 4096
  // (KvBlockPool's slots are).
  absl::StatusOr<uint64_t> Store(offload::BlockKey key, const uint8_t* data,
                                 uint64_t bytes) override;
  absl::StatusOr<uint64_t> Load(offload::BlockKey key, uint8_t* data, uint64_t bytes) override;
  // One batch of reads (SpillFile::ReadMany): blocks stored as they are
  // straight into the slots, encoded ones into staging, decoded after.
  absl::StatusOr<uint64_t> LoadMany(absl::Span<const offload::BlockKey> keys,
                                    absl::Span<uint8_t* const> data, uint64_t bytes) override;
  void Discard(offload::BlockKey key) override;
  std::string Describe() const override;

  // Bytes of staging memory the store holds (for the RAM budget).
  static uint64_t StagingBytes(KvSpillType type, int64_t block_values, KvType cache = KvType::kF32);

 private:
  KvSpillStore(std::unique_ptr<SpillFile> file, KvSpillType type, KvType cache,
               int64_t block_values, uint64_t slot_bytes, AlignedBuffer staging)
      : file_(std::move(file)),
        type_(type),
        cache_(cache),
        block_values_(block_values),
        slot_bytes_(slot_bytes),
        staging_(std::move(staging)) {}

  // Blocks are stored as the cache holds them (no staging).
  static bool Raw(KvSpillType type, KvType cache);
  bool raw() const { return Raw(type_, cache_); }
  // Encodes the cache block `src` into `dst` / decodes `src` into the block.
  void Encode(const uint8_t* src, uint8_t* dst);
  void Decode(const uint8_t* src, uint8_t* dst);

  std::unique_ptr<SpillFile> file_;
  const KvSpillType type_;  // Effective: never F32 for an F16 cache.
  const KvType cache_;
  const int64_t block_values_;
  const uint64_t slot_bytes_;   // Encoded block, rounded up to the file's alignment.
  AlignedBuffer staging_;       // [slot_bytes_] when encoded.
  AlignedBuffer batch_;         // [32, slot_bytes_] for LoadMany when encoded.
  std::vector<float> widened_;  // [block_values_] F32 values of an F16 block (Q8_0 spill).
};

}  // namespace strata

#endif  // STRATA_RUNTIME_KV_SPILL_H_
