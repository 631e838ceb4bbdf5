#include "runtime/kv_spill.h"

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dtype.h"
#include "core/quant_blocks.h"
#include "core/status_macros.h"
#include "cpu/quant_kernels.h"

namespace strata {
namespace {

constexpr int64_t kQ8Block = 32;
// Staging and slots are aligned for O_DIRECT whatever the file's mode.
constexpr uint64_t kAlignment = 4096;
// Encoded blocks read back per batch (bounds the staging memory).
constexpr size_t kBatchBlocks = 32;

uint64_t RoundUp(uint64_t x, uint64_t to) { return (x + to - 1) / to * to; }

const cpu::QuantKernels& Kernels(DType type) { return *cpu::FindReferenceKernels(type); }

}  // namespace

absl::StatusOr<KvType> ParseKvType(absl::string_view name) {
  if (name == "f32") return KvType::kF32;
  if (name == "f16") return KvType::kF16;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown KV cache type '", name, "' (known: f32, f16)"));
}

absl::string_view KvTypeName(KvType type) { return type == KvType::kF16 ? "f16" : "f32"; }

KvSpillType EffectiveSpillType(KvType cache, KvSpillType requested) {
  if (cache == KvType::kF16 && requested == KvSpillType::kF32) return KvSpillType::kF16;
  return requested;
}

absl::StatusOr<KvSpillType> ParseKvSpillType(absl::string_view name) {
  if (name == "f32") return KvSpillType::kF32;
  if (name == "f16") return KvSpillType::kF16;
  if (name == "q8_0") return KvSpillType::kQ8_0;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown KV spill type '", name, "' (known: f32, f16, q8_0)"));
}

absl::string_view KvSpillTypeName(KvSpillType type) {
  switch (type) {
    case KvSpillType::kF32:
      return "f32";
    case KvSpillType::kF16:
      return "f16";
    case KvSpillType::kQ8_0:
      return "q8_0";
  }
  return "?";
}

uint64_t KvSpillBytes(KvSpillType type, int64_t n) {
  switch (type) {
    case KvSpillType::kF32:
      return static_cast<uint64_t>(n) * 4;
    case KvSpillType::kF16:
      return static_cast<uint64_t>(n) * 2;
    case KvSpillType::kQ8_0:
      return static_cast<uint64_t>((n + kQ8Block - 1) / kQ8Block) * sizeof(BlockQ8_0);
  }
  return 0;
}

void EncodeKvBlock(KvSpillType type, const float* src, int64_t n, uint8_t* dst) {
  switch (type) {
    case KvSpillType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case KvSpillType::kF16:
      Kernels(DType::kF16).from_float(src, dst, n);
      return;
    case KvSpillType::kQ8_0: {
      const int64_t whole = n / kQ8Block * kQ8Block;
      if (whole > 0) Kernels(DType::kQ8_0).from_float(src, dst, whole);
      if (whole < n) {
        float tail[kQ8Block] = {};
        std::memcpy(tail, src + whole, static_cast<size_t>(n - whole) * 4);
        Kernels(DType::kQ8_0)
            .from_float(tail, dst + whole / kQ8Block * sizeof(BlockQ8_0), kQ8Block);
      }
      return;
    }
  }
}

void DecodeKvBlock(KvSpillType type, const uint8_t* src, int64_t n, float* dst) {
  switch (type) {
    case KvSpillType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case KvSpillType::kF16:
      Kernels(DType::kF16).to_float(src, dst, n);
      return;
    case KvSpillType::kQ8_0: {
      const int64_t whole = n / kQ8Block * kQ8Block;
      if (whole > 0) Kernels(DType::kQ8_0).to_float(src, dst, whole);
      if (whole < n) {
        float tail[kQ8Block];
        Kernels(DType::kQ8_0).to_float(src + whole / kQ8Block * sizeof(BlockQ8_0), tail, kQ8Block);
        std::memcpy(dst + whole, tail, static_cast<size_t>(n - whole) * 4);
      }
      return;
    }
  }
}

bool KvSpillStore::Raw(KvSpillType type, KvType cache) {
  return cache == KvType::kF16 ? type != KvSpillType::kQ8_0 : type == KvSpillType::kF32;
}

uint64_t KvSpillStore::StagingBytes(KvSpillType type, int64_t block_values, KvType cache) {
  type = EffectiveSpillType(cache, type);
  if (Raw(type, cache)) return 0;
  // One block for Store, a batch for LoadMany (and F32 values of an F16 block).
  return (1 + kBatchBlocks) * RoundUp(KvSpillBytes(type, block_values), kAlignment) +
         (cache == KvType::kF16 ? static_cast<uint64_t>(block_values) * 4 : 0);
}

absl::StatusOr<std::unique_ptr<KvSpillStore>> KvSpillStore::Create(std::unique_ptr<SpillFile> file,
                                                                   KvSpillType type,
                                                                   int64_t block_values,
                                                                   KvType cache) {
  if (block_values <= 0) return absl::InvalidArgumentError("empty KV blocks");
  type = EffectiveSpillType(cache, type);
  const uint64_t slot_bytes =
      RoundUp(KvSpillBytes(type, block_values), std::max<uint64_t>(file->alignment(), 1));
  AlignedBuffer staging;
  if (!Raw(type, cache)) {
    STRATA_ASSIGN_OR_RETURN(staging,
                            AlignedBuffer::Allocate(RoundUp(slot_bytes, kAlignment), kAlignment));
    std::memset(staging.data(), 0, staging.size());
  }
  auto store = std::unique_ptr<KvSpillStore>(
      new KvSpillStore(std::move(file), type, cache, block_values, slot_bytes, std::move(staging)));
  if (cache == KvType::kF16 && !store->raw()) store->widened_.resize(block_values);
  return store;
}

void KvSpillStore::Encode(const uint8_t* src, uint8_t* dst) {
  const float* values = reinterpret_cast<const float*>(src);
  if (cache_ == KvType::kF16) {
    Kernels(DType::kF16).to_float(src, widened_.data(), block_values_);
    values = widened_.data();
  }
  EncodeKvBlock(type_, values, block_values_, dst);
}

void KvSpillStore::Decode(const uint8_t* src, uint8_t* dst) {
  if (cache_ == KvType::kF16) {
    DecodeKvBlock(type_, src, block_values_, widened_.data());
    Kernels(DType::kF16).from_float(widened_.data(), dst, block_values_);
    return;
  }
  DecodeKvBlock(type_, src, block_values_, reinterpret_cast<float*>(dst));
}

absl::StatusOr<uint64_t> KvSpillStore::Store(offload::BlockKey key, const uint8_t* data,
                                             uint64_t bytes) {
  const uint8_t* out = data;  // Stored as they are: straight from the pool's slot.
  if (!raw()) {
    Encode(data, staging_.data());
    out = staging_.data();
  }
  STRATA_RETURN_IF_ERROR(file_->Write(key * slot_bytes_, out, slot_bytes_));
  return slot_bytes_;
}

absl::StatusOr<uint64_t> KvSpillStore::Load(offload::BlockKey key, uint8_t* data, uint64_t bytes) {
  if (raw()) {
    STRATA_RETURN_IF_ERROR(file_->Read(key * slot_bytes_, data, slot_bytes_));
    return slot_bytes_;
  }
  STRATA_RETURN_IF_ERROR(file_->Read(key * slot_bytes_, staging_.data(), slot_bytes_));
  Decode(staging_.data(), data);
  return slot_bytes_;
}

absl::StatusOr<uint64_t> KvSpillStore::LoadMany(absl::Span<const offload::BlockKey> keys,
                                                absl::Span<uint8_t* const> data, uint64_t bytes) {
  const bool encoded = !raw();
  const uint64_t staged = RoundUp(slot_bytes_, kAlignment);
  std::vector<SpillRead> reads;
  for (size_t first = 0; first < keys.size(); first += kBatchBlocks) {
    const size_t count = std::min<size_t>(kBatchBlocks, keys.size() - first);
    if (encoded && batch_.size() < count * staged) {
      STRATA_ASSIGN_OR_RETURN(batch_, AlignedBuffer::Allocate(kBatchBlocks * staged, kAlignment));
    }
    reads.clear();
    for (size_t i = 0; i < count; ++i) {
      reads.push_back({keys[first + i] * slot_bytes_,
                       encoded ? batch_.data() + i * staged : data[first + i], slot_bytes_});
    }
    STRATA_RETURN_IF_ERROR(file_->ReadMany(reads));
    if (encoded) {
      for (size_t i = 0; i < count; ++i) Decode(batch_.data() + i * staged, data[first + i]);
    }
  }
  return keys.size() * slot_bytes_;
}

void KvSpillStore::Discard(offload::BlockKey key) {
  file_->Discard(key * slot_bytes_, slot_bytes_);
}

std::string KvSpillStore::Describe() const {
  return absl::StrCat(KvSpillTypeName(type_), " in ", file_->path(), " (", file_->mode(), ")");
}

}  // namespace strata
