// The reference kernel table: one immutable QuantKernels entry per supported
// type, pairing each weight format with the activation format ggml uses for
// it. Static data only; thread-safe.
#include "core/dtype.h"
#include "cpu/quant_kernels.h"
#include "cpu/reference/internal/quant_rows.h"

namespace strata::cpu {
namespace {

namespace ref = reference;

constexpr QuantKernels kReferenceKernels[] = {
    {DType::kF32, DType::kF32, ref::DequantizeRowF32, ref::QuantizeRowF32, ref::VecDotF32,
     ref::VecDotF32Batch},
    {DType::kF16, DType::kF16, ref::DequantizeRowF16, ref::QuantizeRowF16, ref::VecDotF16,
     ref::VecDotF16Batch, /*batch_reads_f32=*/true},
    {DType::kBF16, DType::kBF16, ref::DequantizeRowBF16, ref::QuantizeRowBF16, ref::VecDotBF16},
    {DType::kQ4_0, DType::kQ8_0, ref::DequantizeRowQ4_0, ref::QuantizeRowQ4_0, ref::VecDotQ4_0Q8_0},
    {DType::kQ4_1, DType::kQ8_1, ref::DequantizeRowQ4_1, ref::QuantizeRowQ4_1, ref::VecDotQ4_1Q8_1},
    {DType::kQ5_0, DType::kQ8_0, ref::DequantizeRowQ5_0, ref::QuantizeRowQ5_0, ref::VecDotQ5_0Q8_0},
    {DType::kQ5_1, DType::kQ8_1, ref::DequantizeRowQ5_1, ref::QuantizeRowQ5_1, ref::VecDotQ5_1Q8_1},
    {DType::kQ8_0, DType::kQ8_0, ref::DequantizeRowQ8_0, ref::QuantizeRowQ8_0, ref::VecDotQ8_0Q8_0},
    // Activation-only: no dot product of its own.
    {DType::kQ8_1, DType::kQ8_1, ref::DequantizeRowQ8_1, ref::QuantizeRowQ8_1, nullptr},
    {DType::kQ2_K, DType::kQ8_K, ref::DequantizeRowQ2_K, ref::QuantizeRowQ2_K, ref::VecDotQ2_KQ8_K},
    {DType::kQ3_K, DType::kQ8_K, ref::DequantizeRowQ3_K, ref::QuantizeRowQ3_K, ref::VecDotQ3_KQ8_K},
    {DType::kQ4_K, DType::kQ8_K, ref::DequantizeRowQ4_K, ref::QuantizeRowQ4_K, ref::VecDotQ4_KQ8_K},
    {DType::kQ5_K, DType::kQ8_K, ref::DequantizeRowQ5_K, ref::QuantizeRowQ5_K, ref::VecDotQ5_KQ8_K},
    {DType::kQ6_K, DType::kQ8_K, ref::DequantizeRowQ6_K, ref::QuantizeRowQ6_K, ref::VecDotQ6_KQ8_K},
    // Activation-only: no dot product of its own.
    {DType::kQ8_K, DType::kQ8_K, ref::DequantizeRowQ8_K, ref::QuantizeRowQ8_K, nullptr},
};

}  // namespace

const QuantKernels* FindReferenceKernels(DType type) {
  for (const QuantKernels& k : kReferenceKernels) {
    if (k.type == type) return &k;
  }
  return nullptr;
}

}  // namespace strata::cpu
