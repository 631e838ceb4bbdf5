// How KV blocks are written to the spill file, and the backing store that
// writes them there: the NVMe tier of the paged KV cache.
//
// A KV block is a flat array of F32 values (K rows then V rows). It can be
// spilled as F32 (exact: attention after a read-back is bit-identical to
// never having spilled), F16 (half the bytes; round-to-nearest-even, so a
// read-back block holds the F16-rounded values) or Q8_0 (34 bytes per 32
// values, llama.cpp's reference quantizer; the logit deviation this causes is
// measured by tests/e2e/kv_spill_test.cc). Encoding happens at eviction,
// decoding at read-back, so only spilled blocks ever lose precision.
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

enum class KvSpillType { kF32, kF16, kQ8_0 };

// "f32", "f16", "q8_0" (InvalidArgument otherwise, listing them).
absl::StatusOr<KvSpillType> ParseKvSpillType(absl::string_view name);
absl::string_view KvSpillTypeName(KvSpillType type);

// Bytes `n` floats take encoded as `type`.
uint64_t KvSpillBytes(KvSpillType type, int64_t n);
// dst[0, KvSpillBytes(type, n)) = src[0, n) encoded. Q8_0 pads the last
// 32-value block with zeros.
void EncodeKvBlock(KvSpillType type, const float* src, int64_t n, uint8_t* dst);
// dst[0, n) = the values EncodeKvBlock wrote at src.
void DecodeKvBlock(KvSpillType type, const uint8_t* src, int64_t n, float* dst);

class KvSpillStore final : public offload::KvBlockBacking {
 public:
  // A store for blocks of `block_floats` floats.
  static absl::StatusOr<std::unique_ptr<KvSpillStore>> Create(std::unique_ptr<SpillFile> file,
                                                              KvSpillType type,
                                                              int64_t block_floats);

  // `data` must be 4096-aligned with room for `bytes` rounded up to 4096
  // (KvBlockPool's slots are).
  absl::StatusOr<uint64_t> Store(offload::BlockKey key, const uint8_t* data,
                                 uint64_t bytes) override;
  absl::StatusOr<uint64_t> Load(offload::BlockKey key, uint8_t* data, uint64_t bytes) override;
  // One batch of reads (SpillFile::ReadMany): F32 straight into the slots,
  // encoded types into staging, decoded after.
  absl::StatusOr<uint64_t> LoadMany(absl::Span<const offload::BlockKey> keys,
                                    absl::Span<uint8_t* const> data, uint64_t bytes) override;
  void Discard(offload::BlockKey key) override;
  std::string Describe() const override;

  // Bytes of staging memory the store holds (for the RAM budget).
  static uint64_t StagingBytes(KvSpillType type, int64_t block_floats);

 private:
  KvSpillStore(std::unique_ptr<SpillFile> file, KvSpillType type, int64_t block_floats,
               uint64_t slot_bytes, AlignedBuffer staging)
      : file_(std::move(file)),
        type_(type),
        block_floats_(block_floats),
        slot_bytes_(slot_bytes),
        staging_(std::move(staging)) {}

  std::unique_ptr<SpillFile> file_;
  const KvSpillType type_;
  const int64_t block_floats_;
  const uint64_t slot_bytes_;  // Encoded block, rounded up to the file's alignment.
  AlignedBuffer staging_;      // [slot_bytes_] for F16 / Q8_0.
  AlignedBuffer batch_;        // [32, slot_bytes_] for LoadMany of F16 / Q8_0.
};

}  // namespace strata

#endif  // STRATA_RUNTIME_KV_SPILL_H_
