// The built-in byte-level BPE vocabulary of synthetic models.
//
// 256 byte tokens, merges learned greedily from BuiltinCorpus(), then — when
// a larger vocabulary is asked for — further merges of existing token pairs
// chosen by a fixed pseudo-random sequence, so that any size from 259 up is
// a valid, fully reachable BPE vocabulary. Three control tokens close it:
// <|endoftext|> (EOS), <|im_start|> and <|im_end|> (ChatML turns). Tokens are
// in GPT-2's byte-to-unicode encoding, as `tokenizer.ggml.tokens` stores
// them. Deterministic; pure function.
#ifndef STRATA_RUNTIME_SYNTHETIC_BUILTIN_VOCAB_H_
#define STRATA_RUNTIME_SYNTHETIC_BUILTIN_VOCAB_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strata {

struct BuiltinVocab {
  std::vector<std::string> tokens;
  std::vector<int32_t> token_types;  // 1 normal, 3 control (GGUF token types).
  std::vector<std::string> merges;   // "left right", in rank order.
  int32_t eos_id = -1;
  int32_t im_start_id = -1;
  int32_t im_end_id = -1;
};

inline constexpr int64_t kMinBuiltinVocab = 256 + 3;

absl::StatusOr<BuiltinVocab> BuildBuiltinVocab(int64_t n_vocab);

}  // namespace strata

#endif  // STRATA_RUNTIME_SYNTHETIC_BUILTIN_VOCAB_H_
