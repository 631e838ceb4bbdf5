#include "runtime/synthetic/synthetic_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "cpu/quant_kernels.h"
#include "cpu/thread_pool.h"
#include "runtime/synthetic/builtin_vocab.h"
#include "storage/gguf_writer.h"

namespace strata {
namespace {

// A ChatML template (the family Qwen uses), written for the built-in vocabulary.
constexpr char kChatTemplate[] =
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

enum class Init { kMatrix, kNorm, kBias, kRouter, kEmbedding };

struct TensorPlan {
  std::string name;
  DType type;
  std::array<int64_t, kMaxDims> ne;
  int n_dims;
  Init init;
};

// The type a matrix is stored in: the requested one when its rows are a whole
// number of blocks, else the nearest type that fits (as llama-quantize falls
// back for narrow rows).
DType MatrixType(DType wanted, int64_t row) {
  if (row % GetDTypeInfo(wanted).block_size == 0) return wanted;
  if (row % 32 == 0) return DType::kQ8_0;
  return DType::kF16;
}

std::vector<TensorPlan> PlanTensors(const SyntheticModelSpec& s) {
  std::vector<TensorPlan> plan;
  auto matrix = [&](std::string name, int64_t cols, int64_t rows, int64_t n3 = 1,
                    Init init = Init::kMatrix) {
    plan.push_back(
        {std::move(name), MatrixType(s.type, cols), {cols, rows, n3, 1}, n3 > 1 ? 3 : 2, init});
  };
  auto vector = [&](std::string name, int64_t n, Init init) {
    plan.push_back({std::move(name), DType::kF32, {n, 1, 1, 1}, 1, init});
  };
  const int64_t q_dim = s.n_head * s.head_dim;
  const int64_t kv_dim = s.n_head_kv * s.head_dim;
  matrix("token_embd.weight", s.n_embd, s.n_vocab, 1, Init::kEmbedding);
  vector("output_norm.weight", s.n_embd, Init::kNorm);
  if (!s.tied_output) matrix("output.weight", s.n_embd, s.n_vocab);
  const bool qk_norm = s.arch == "qwen3" || s.arch == "qwen3moe";
  for (int64_t il = 0; il < s.n_layer; ++il) {
    auto name = [il](const char* suffix) { return absl::StrCat("blk.", il, ".", suffix); };
    vector(name("attn_norm.weight"), s.n_embd, Init::kNorm);
    matrix(name("attn_q.weight"), s.n_embd, q_dim);
    matrix(name("attn_k.weight"), s.n_embd, kv_dim);
    matrix(name("attn_v.weight"), s.n_embd, kv_dim);
    matrix(name("attn_output.weight"), q_dim, s.n_embd);
    if (s.arch == "qwen2") {
      vector(name("attn_q.bias"), q_dim, Init::kBias);
      vector(name("attn_k.bias"), kv_dim, Init::kBias);
      vector(name("attn_v.bias"), kv_dim, Init::kBias);
    }
    if (qk_norm) {
      vector(name("attn_q_norm.weight"), s.head_dim, Init::kNorm);
      vector(name("attn_k_norm.weight"), s.head_dim, Init::kNorm);
    }
    vector(name("ffn_norm.weight"), s.n_embd, Init::kNorm);
    if (s.n_expert > 0) {
      plan.push_back({name("ffn_gate_inp.weight"),
                      DType::kF32,
                      {s.n_embd, s.n_expert, 1, 1},
                      2,
                      Init::kRouter});
      matrix(name("ffn_gate_exps.weight"), s.n_embd, s.n_ff_exp, s.n_expert);
      matrix(name("ffn_up_exps.weight"), s.n_embd, s.n_ff_exp, s.n_expert);
      matrix(name("ffn_down_exps.weight"), s.n_ff_exp, s.n_embd, s.n_expert);
    } else {
      matrix(name("ffn_gate.weight"), s.n_embd, s.n_ff);
      matrix(name("ffn_up.weight"), s.n_embd, s.n_ff);
      matrix(name("ffn_down.weight"), s.n_ff, s.n_embd);
    }
  }
  return plan;
}

void SetMetadata(const SyntheticModelSpec& s, const BuiltinVocab& vocab, GgufWriter* w) {
  const std::string p = s.arch + ".";
  w->Set("general.architecture", GgufValue::String(s.arch));
  w->Set("general.name", GgufValue::String(s.name));
  w->Set(p + "context_length", GgufValue::U32(static_cast<uint32_t>(s.n_ctx_train)));
  w->Set(p + "embedding_length", GgufValue::U32(static_cast<uint32_t>(s.n_embd)));
  w->Set(p + "block_count", GgufValue::U32(static_cast<uint32_t>(s.n_layer)));
  // Mixtral-style llama files store the expert width as feed_forward_length.
  const int64_t ff = s.n_expert > 0 && s.arch == "llama" ? s.n_ff_exp : s.n_ff;
  w->Set(p + "feed_forward_length", GgufValue::U32(static_cast<uint32_t>(ff)));
  w->Set(p + "attention.head_count", GgufValue::U32(static_cast<uint32_t>(s.n_head)));
  w->Set(p + "attention.head_count_kv", GgufValue::U32(static_cast<uint32_t>(s.n_head_kv)));
  w->Set(p + "attention.key_length", GgufValue::U32(static_cast<uint32_t>(s.head_dim)));
  w->Set(p + "attention.value_length", GgufValue::U32(static_cast<uint32_t>(s.head_dim)));
  w->Set(p + "attention.layer_norm_rms_epsilon", GgufValue::F32(s.rms_eps));
  w->Set(p + "rope.freq_base", GgufValue::F32(s.rope_freq_base));
  w->Set(p + "rope.dimension_count", GgufValue::U32(static_cast<uint32_t>(s.head_dim)));
  w->Set(p + "vocab_size", GgufValue::U32(static_cast<uint32_t>(s.n_vocab)));
  if (s.n_expert > 0) {
    w->Set(p + "expert_count", GgufValue::U32(static_cast<uint32_t>(s.n_expert)));
    w->Set(p + "expert_used_count", GgufValue::U32(static_cast<uint32_t>(s.n_expert_used)));
    if (s.arch != "llama") {
      w->Set(p + "expert_feed_forward_length", GgufValue::U32(static_cast<uint32_t>(s.n_ff_exp)));
    }
  }
  w->Set("tokenizer.ggml.model", GgufValue::String("gpt2"));
  w->Set("tokenizer.ggml.pre", GgufValue::String("qwen2"));
  w->Set("tokenizer.ggml.tokens", GgufValue::StringArray(vocab.tokens));
  w->Set("tokenizer.ggml.token_type", GgufValue::I32Array(vocab.token_types));
  w->Set("tokenizer.ggml.merges", GgufValue::StringArray(vocab.merges));
  w->Set("tokenizer.ggml.eos_token_id", GgufValue::U32(vocab.eos_id));
  w->Set("tokenizer.ggml.padding_token_id", GgufValue::U32(vocab.eos_id));
  w->Set("tokenizer.ggml.bos_token_id", GgufValue::U32(vocab.eos_id));
  w->Set("tokenizer.ggml.add_bos_token", GgufValue::Bool(false));
  w->Set("tokenizer.chat_template", GgufValue::String(kChatTemplate));
  w->Set("strata.synthetic.seed", GgufValue::U64(s.seed));
}

uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t HashName(const std::string& name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Fills `out` with approximately normal values: a sum of four uniforms from
// one 64-bit draw (Irwin-Hall), cheap enough to generate tens of GB quickly.
void FillNormal(uint64_t seed, float mean, float stddev, float* out, int64_t n) {
  uint64_t state = Mix(seed) | 1;
  // Sum of 4 U(0, 65536) has mean 131070 and std 65536 * sqrt(4/12).
  const float scale = stddev / (65536.0f * 0.57735027f);
  for (int64_t i = 0; i < n; ++i) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    const uint64_t r = state * 0x2545F4914F6CDD1Dull;
    const float sum =
        static_cast<float>((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48));
    out[i] = mean + (sum - 131070.0f) * scale;
  }
}

void InitParams(Init init, int64_t fan_in, float* mean, float* stddev) {
  switch (init) {
    case Init::kMatrix:
      *mean = 0;
      *stddev = 1.0f / std::sqrt(static_cast<float>(fan_in));
      break;
    case Init::kEmbedding:
      *mean = 0;
      *stddev = 1.0f;
      break;
    case Init::kRouter:
      *mean = 0;
      *stddev = 4.0f / std::sqrt(static_cast<float>(fan_in));
      break;
    case Init::kNorm:
      *mean = 1.0f;
      *stddev = 0.1f;
      break;
    case Init::kBias:
      *mean = 0;
      *stddev = 0.1f;
      break;
  }
}

}  // namespace

std::vector<std::string> PresetNames() {
  return {"tiny", "small", "qwen3-30b-a3b", "mixtral-8x7b"};
}

absl::StatusOr<SyntheticModelSpec> PresetSpec(absl::string_view preset) {
  SyntheticModelSpec s;
  s.name = absl::StrCat("strata-", preset);
  if (preset == "tiny") {
    // Small enough for unit tests: 2 layers, 8 experts top-2.
    s.arch = "qwen3moe";
    s.n_embd = 64;
    s.n_layer = 2;
    s.n_head = 4;
    s.n_head_kv = 2;
    s.head_dim = 16;
    s.n_expert = 8;
    s.n_expert_used = 2;
    s.n_ff_exp = 64;
    s.n_vocab = 1024;
    s.rope_freq_base = 1e6f;
    s.type = DType::kQ8_0;
  } else if (preset == "small") {
    // The demo model: Qwen3-MoE-shaped, ~130 MB in Q4_K.
    s.arch = "qwen3moe";
    s.n_embd = 512;
    s.n_layer = 8;
    s.n_head = 8;
    s.n_head_kv = 4;
    s.head_dim = 64;
    s.n_expert = 32;
    s.n_expert_used = 4;
    s.n_ff_exp = 512;
    s.n_vocab = 8192;
    s.rope_freq_base = 1e6f;
    s.type = DType::kQ4_K;
  } else if (preset == "qwen3-30b-a3b") {
    // Qwen3-30B-A3B's shape (48 layers in the real model; 8 here by default).
    s.arch = "qwen3moe";
    s.n_embd = 2048;
    s.n_layer = 8;
    s.n_head = 32;
    s.n_head_kv = 4;
    s.head_dim = 128;
    s.n_expert = 128;
    s.n_expert_used = 8;
    s.n_ff_exp = 768;
    s.n_vocab = 151936;
    s.n_ctx_train = 40960;
    s.rope_freq_base = 1e6f;
    s.type = DType::kQ4_K;
  } else if (preset == "mixtral-8x7b") {
    // Mixtral-8x7B's shape (32 layers in the real model; 4 here by default).
    s.arch = "llama";
    s.n_embd = 4096;
    s.n_layer = 4;
    s.n_head = 32;
    s.n_head_kv = 8;
    s.head_dim = 128;
    s.n_expert = 8;
    s.n_expert_used = 2;
    s.n_ff_exp = 14336;
    s.n_vocab = 32000;
    s.n_ctx_train = 32768;
    s.rope_freq_base = 1e6f;
    s.rms_eps = 1e-5f;
    s.type = DType::kQ4_K;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown preset '", preset, "' (known: ", absl::StrJoin(PresetNames(), ", "), ")"));
  }
  return s;
}

absl::Status ValidateSpec(const SyntheticModelSpec& s) {
  auto bad = [](auto... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  if (s.arch != "llama" && s.arch != "qwen2" && s.arch != "qwen3" && s.arch != "qwen3moe") {
    return bad("unknown --arch '", s.arch, "' (known: llama, qwen2, qwen3, qwen3moe)");
  }
  if (s.n_embd <= 0 || s.n_embd > 65536) return bad("--n-embd must be in [1, 65536]");
  if (s.n_layer <= 0 || s.n_layer > 1024) return bad("--n-layer must be in [1, 1024]");
  if (s.n_head <= 0 || s.n_head_kv <= 0 || s.n_head % s.n_head_kv != 0) {
    return bad("--n-head (", s.n_head, ") must be a positive multiple of --n-head-kv (",
               s.n_head_kv, ")");
  }
  if (s.head_dim <= 0 || s.head_dim % 2 != 0 || s.head_dim > 1024) {
    return bad("--head-dim must be even and in [2, 1024]");
  }
  if (s.n_vocab < kMinBuiltinVocab || s.n_vocab > (1 << 24)) {
    return bad("--n-vocab must be in [", kMinBuiltinVocab, ", 16777216]");
  }
  const bool moe = s.n_expert > 0;
  if (moe && (s.arch == "qwen2" || s.arch == "qwen3")) {
    return bad("--arch ", s.arch, " has no experts (use qwen3moe, or llama for Mixtral)");
  }
  if (s.arch == "qwen3moe" && !moe) return bad("--arch qwen3moe needs --n-expert > 0");
  if (moe) {
    if (s.n_expert_used <= 0 || s.n_expert_used > s.n_expert || s.n_expert > 4096) {
      return bad("--n-expert-used must be in [1, --n-expert]");
    }
    if (s.n_ff_exp <= 0) return bad("--n-ff-exp must be positive for a MoE model");
  } else if (s.n_ff <= 0) {
    return bad("--n-ff must be positive for a dense model");
  }
  const DTypeInfo& info = GetDTypeInfo(s.type);
  if (!info.supported || cpu::FindReferenceKernels(s.type) == nullptr ||
      cpu::FindReferenceKernels(s.type)->from_float == nullptr || s.type == DType::kQ8_1 ||
      s.type == DType::kQ8_K) {
    return bad("--type ", info.name, " cannot be written (no quantizer)");
  }
  return absl::OkStatus();
}

absl::StatusOr<SyntheticModelStats> WriteSyntheticModel(
    const SyntheticModelSpec& spec, const std::string& path, int n_threads,
    const std::function<void(int64_t, int64_t)>& progress) {
  STRATA_RETURN_IF_ERROR(ValidateSpec(spec));
  const auto start = std::chrono::steady_clock::now();
  STRATA_ASSIGN_OR_RETURN(BuiltinVocab vocab, BuildBuiltinVocab(spec.n_vocab));
  const std::vector<TensorPlan> plan = PlanTensors(spec);
  GgufWriter writer;
  SetMetadata(spec, vocab, &writer);
  for (const TensorPlan& t : plan) {
    STRATA_RETURN_IF_ERROR(writer.AddTensor(t.name, t.type, t.ne, t.n_dims));
  }
  const int64_t total = static_cast<int64_t>(writer.FileSize());
  STRATA_RETURN_IF_ERROR(writer.Begin(path));

  cpu::ThreadPool pool(n_threads > 0 ? n_threads : cpu::DefaultThreadCount());
  constexpr int64_t kChunkBytes = 32 << 20;  // Quantized bytes generated per parallel round.
  std::vector<uint8_t> chunk;
  std::vector<std::vector<float>> row_scratch(pool.n_threads());
  int64_t written = static_cast<int64_t>(writer.SerializeHeader().size());
  for (size_t ti = 0; ti < plan.size(); ++ti) {
    const TensorPlan& t = plan[ti];
    const cpu::QuantKernels* kernels = cpu::FindReferenceKernels(t.type);
    const int64_t row_len = t.ne[0];
    const int64_t row_bytes = RowBytes(t.type, row_len);
    const int64_t rows = t.ne[1] * t.ne[2];
    const int64_t rows_per_chunk = std::max<int64_t>(1, kChunkBytes / row_bytes);
    float mean, stddev;
    InitParams(t.init, row_len, &mean, &stddev);
    const uint64_t tensor_seed = Mix(spec.seed ^ HashName(t.name));
    for (int64_t r0 = 0; r0 < rows; r0 += rows_per_chunk) {
      const int64_t n_rows = std::min(rows_per_chunk, rows - r0);
      chunk.resize(n_rows * row_bytes);
      pool.ParallelFor(n_rows, [&](int64_t i, int thread) {
        std::vector<float>& row = row_scratch[thread];
        row.resize(row_len);
        FillNormal(tensor_seed + static_cast<uint64_t>(r0 + i) * 0x9E3779B97F4A7C15ull, mean,
                   stddev, row.data(), row_len);
        kernels->from_float(row.data(), chunk.data() + i * row_bytes, row_len);
      });
      STRATA_RETURN_IF_ERROR(writer.Append(
          absl::string_view(reinterpret_cast<const char*>(chunk.data()), chunk.size())));
      written += static_cast<int64_t>(chunk.size());
      if (progress) progress(written, total);
    }
  }
  STRATA_RETURN_IF_ERROR(writer.Finish());
  SyntheticModelStats stats;
  stats.bytes = total;
  stats.tensors = static_cast<int64_t>(plan.size());
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace strata
