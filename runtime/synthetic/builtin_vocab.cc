#include "runtime/synthetic/builtin_vocab.h"

#include <cstring>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "runtime/synthetic/builtin_corpus.h"
#include "runtime/tokenizer/byte_unicode.h"

namespace strata {
namespace {

// Words as a pre-tokenizer would cut them: a run of letters (or of digits, or
// of other non-space bytes) with the space before it attached.
std::vector<std::string> SplitWords(absl::string_view text) {
  std::vector<std::string> words;
  auto kind = [](unsigned char c) {
    if (std::isalpha(c) || c >= 0x80) return 1;
    if (std::isdigit(c)) return 2;
    if (std::isspace(c)) return 0;
    return 3;
  };
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    if (text[i] == ' ' && i + 1 < text.size() && kind(text[i + 1]) != 0) ++i;
    const int k = kind(text[i]);
    ++i;
    while (i < text.size() && kind(text[i]) == k) ++i;
    words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

// xorshift64*: a fixed, portable pseudo-random sequence.
uint64_t NextRandom(uint64_t* state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

}  // namespace

absl::StatusOr<BuiltinVocab> BuildBuiltinVocab(int64_t n_vocab) {
  if (n_vocab < kMinBuiltinVocab || n_vocab > (1 << 24)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vocabulary size ", n_vocab, " is out of range [", kMinBuiltinVocab, ", 16777216]"));
  }
  BuiltinVocab vocab;
  const int64_t n_normal = n_vocab - 3;
  absl::flat_hash_set<std::string> known;
  for (int b = 0; b < 256; ++b) {
    vocab.tokens.emplace_back(ByteToUtf8(static_cast<uint8_t>(b)));
    known.insert(vocab.tokens.back());
  }
  auto add_merge = [&](int32_t a, int32_t b) {
    vocab.merges.push_back(absl::StrCat(vocab.tokens[a], " ", vocab.tokens[b]));
    vocab.tokens.push_back(vocab.tokens[a] + vocab.tokens[b]);
    known.insert(vocab.tokens.back());
    return static_cast<int32_t>(vocab.tokens.size() - 1);
  };

  // Learn merges from the corpus: repeatedly merge the most frequent pair.
  std::map<std::string, int> word_counts;
  for (const std::string& w : SplitWords(BuiltinCorpus())) ++word_counts[w];
  std::vector<std::pair<std::vector<int32_t>, int>> words;
  for (const auto& [w, count] : word_counts) {
    std::vector<int32_t> symbols;
    for (unsigned char c : w) symbols.push_back(c);
    words.emplace_back(std::move(symbols), count);
  }
  while (static_cast<int64_t>(vocab.tokens.size()) < n_normal) {
    std::map<std::pair<int32_t, int32_t>, int> pairs;  // Ordered: ties go to the lowest pair.
    for (const auto& [symbols, count] : words) {
      for (size_t i = 0; i + 1 < symbols.size(); ++i) pairs[{symbols[i], symbols[i + 1]}] += count;
    }
    std::pair<int32_t, int32_t> best{-1, -1};
    int best_count = 1;
    for (const auto& [pair, count] : pairs) {
      if (count > best_count) {
        best = pair;
        best_count = count;
      }
    }
    if (best.first < 0) break;  // Every remaining pair occurs once.
    if (known.contains(vocab.tokens[best.first] + vocab.tokens[best.second])) break;
    const int32_t merged = add_merge(best.first, best.second);
    for (auto& [symbols, count] : words) {
      std::vector<int32_t> next;
      for (size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == best.first && symbols[i + 1] == best.second) {
          next.push_back(merged);
          ++i;
        } else {
          next.push_back(symbols[i]);
        }
      }
      symbols = std::move(next);
    }
  }

  // Fill the rest with merges of existing pairs (longer words no corpus has).
  uint64_t state = 0x9E3779B97F4A7C15ull;
  const int64_t learned = static_cast<int64_t>(vocab.tokens.size());
  while (static_cast<int64_t>(vocab.tokens.size()) < n_normal) {
    const int32_t a = static_cast<int32_t>(NextRandom(&state) % vocab.tokens.size());
    const int32_t b = static_cast<int32_t>(NextRandom(&state) % (learned > 256 ? learned : 256));
    if (vocab.tokens[a].size() + vocab.tokens[b].size() > 48) continue;
    if (known.contains(vocab.tokens[a] + vocab.tokens[b])) continue;
    add_merge(a, b);
  }

  vocab.token_types.assign(vocab.tokens.size(), 1);
  for (const char* special : {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}) {
    vocab.tokens.emplace_back(special);
    vocab.token_types.push_back(3);
  }
  vocab.eos_id = static_cast<int32_t>(n_vocab - 3);
  vocab.im_start_id = static_cast<int32_t>(n_vocab - 2);
  vocab.im_end_id = static_cast<int32_t>(n_vocab - 1);
  return vocab;
}

}  // namespace strata
