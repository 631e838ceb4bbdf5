// A small valid GGUF image for storage tests: a few metadata entries of
// different types and three tensors (F32, Q8_0, Q4_K), with deterministic
// tensor bytes.
#ifndef STRATA_STORAGE_TESTING_SAMPLE_GGUF_H_
#define STRATA_STORAGE_TESTING_SAMPLE_GGUF_H_

#include <memory>
#include <string>

#include "storage/gguf_writer.h"

namespace strata::testing {

inline std::string SampleGgufBytes() {
  GgufWriter w;
  w.Set("general.architecture", GgufValue::String("llama"));
  w.Set("llama.block_count", GgufValue::U32(2));
  w.Set("tokenizer.ggml.tokens", GgufValue::StringArray({"a", "b", "c"}));
  w.Set("llama.rope.freq_base", GgufValue::F32(10000.0f));
  (void)w.AddTensor("f32", DType::kF32, {8, 2, 1, 1}, 2);
  (void)w.AddTensor("q8", DType::kQ8_0, {32, 2, 1, 1}, 2);
  (void)w.AddTensor("q4k", DType::kQ4_K, {256, 1, 1, 1}, 1);
  std::string bytes;
  (void)w.Begin(std::make_unique<StringSink>(&bytes));
  std::string data;
  for (size_t i = 0; i < w.tensor_count(); ++i) {
    for (uint64_t b = 0; b < w.TensorBytes(i); ++b) data.push_back(static_cast<char>(b * 7 + i));
  }
  (void)w.Append(data);
  (void)w.Finish();
  return bytes;
}

}  // namespace strata::testing

#endif  // STRATA_STORAGE_TESTING_SAMPLE_GGUF_H_
