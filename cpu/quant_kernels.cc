// The per-ISA kernel tables: each starts as a copy of the reference table and
// has the dot products of cpu/x86/ put in for the types they cover. Built
// once, on first use (thread-safe static initialisation), immutable after.
#include "cpu/quant_kernels.h"

#include <vector>

#include "core/dtype.h"
#include "cpu/cpu_features.h"
#include "cpu/x86/internal/isa_kernels.h"

namespace strata::cpu {
namespace {

// Every DType value a table may hold (the reference table's types).
constexpr DType kTableTypes[] = {
    DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ4_1,
    DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kQ8_1, DType::kQ2_K,
    DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ8_K,
};

struct Override {
  DType type;
  float (*vec_dot)(int64_t, const void*, const void*);
  void (*dot_tile)(const DotTileArgs&);
};

#define STRATA_OVERRIDE(T, NS) Override{DType::k##T, NS::VecDot##T, NS::DotTile##T},
#define STRATA_AVX2_OVERRIDE(T) STRATA_OVERRIDE(T, avx2)
#define STRATA_AVX512_OVERRIDE(T) STRATA_OVERRIDE(T, avx512)

#if defined(__x86_64__)
constexpr Override kAvx2Overrides[] = {STRATA_X86_KERNEL_TYPES(STRATA_AVX2_OVERRIDE)};
constexpr Override kAvx512Overrides[] = {STRATA_X86_KERNEL_TYPES(STRATA_AVX512_OVERRIDE)};
#endif

class Table {
 public:
  explicit Table(Isa isa) {
    for (DType type : kTableTypes) {
      const QuantKernels* ref = FindReferenceKernels(type);
      if (ref != nullptr) entries_.push_back(*ref);
    }
#if defined(__x86_64__)
    if (isa == Isa::kAvx2) {
      Apply(kAvx2Overrides, isa, avx2::VecDotF32Batch, avx2::VecDotF16Batch);
    }
    if (isa == Isa::kAvx512 || isa == Isa::kAmx) {
      Apply(kAvx512Overrides, Isa::kAvx512, avx512::VecDotF32Batch, avx512::VecDotF16Batch);
    }
#endif
  }

  const QuantKernels* Find(DType type) const {
    for (const QuantKernels& k : entries_) {
      if (k.type == type) return &k;
    }
    return nullptr;
  }

 private:
  template <size_t N>
  void Apply(const Override (&overrides)[N], Isa isa,
             float (*f32_batch)(int64_t, const void*, const void*),
             float (*f16_batch)(int64_t, const void*, const void*)) {
    for (const Override& o : overrides) {
      for (QuantKernels& k : entries_) {
        if (k.type != o.type) continue;
        k.vec_dot = o.vec_dot;
        k.dot_tile = o.dot_tile;
        k.isa = isa;
        if (k.type == DType::kF32) k.vec_dot_batch = f32_batch;
        if (k.type == DType::kF16) k.vec_dot_batch = f16_batch;
      }
    }
  }

  std::vector<QuantKernels> entries_;
};

const Table& TableFor(Isa isa) {
  static const Table* tables[] = {new Table(Isa::kScalar), new Table(Isa::kAvx2),
                                  new Table(Isa::kAvx512), new Table(Isa::kAmx)};
  return *tables[static_cast<int>(isa)];
}

}  // namespace

const QuantKernels* FindKernels(DType type) {
  static const Table& best = TableFor(SelectedIsa());
  return best.Find(type);
}

const QuantKernels* FindKernelsForIsa(DType type, Isa isa) {
  if (!GetCpuFeatures().Has(isa)) return nullptr;
  return TableFor(isa).Find(type);
}

}  // namespace strata::cpu
