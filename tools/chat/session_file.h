// The chat session file (/save, /load): a conversation and its KV cache.
//
// Layout, little-endian (format version 2; version 1, without the sampler
// state, is still read):
//   "STRATCHT" magic, u32 version, u32 0 (reserved)
//   u64 model fingerprint, string model name, u32 n_layer, per layer u32
//     k_dim and u32 v_dim, u32 n_vocab
//   string template name, u32 message count, per message string role and
//     string content, string prompt text, string reply text, u8 re-render,
//     string sampler state (version 2: the RNG position, SamplerChain::SaveState)
//   u32 token count, i32 tokens, u32 n_past (tokens in the cache; a pending
//     one may follow)
//   per layer, per position below n_past: k_dim then v_dim F32 values
//     (whatever the cache type: an F16 cache's rows widen exactly, so saving
//     and loading with --kv-type f16 is lossless; a file saved from an F32
//     cache loads into an F16 one rounded to nearest-even, as if computed
//     there; one saved from an F16 cache loads into an F32 one exactly)
//   u64 checksum (FNV-1a 64) of every byte before it
// where a string is a u32 length and its bytes.
//
// The fingerprint hashes the model file's header (metadata and tensor
// table) and samples of its tensor data, so a file saved with another model
// — or another quantization of the same one — is refused, as is one whose
// cache would not fit the current context. Reading is plan/apply: Open()
// checks everything (magic, version, checksum over the whole file, model,
// context) without side effects; ImportKv() then writes the rows into the
// cache, all or nothing. Saving writes "<path>.tmp" and renames it, so a
// failed save never leaves a half-written file under the name.
//
// Plain functions over the caller's objects; not thread-safe.
#ifndef STRATA_TOOLS_CHAT_SESSION_FILE_H_
#define STRATA_TOOLS_CHAT_SESSION_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/inference_context.h"
#include "runtime/model/model.h"
#include "tools/chat/chat_template.h"

namespace strata::chat {

inline constexpr uint32_t kSessionFileVersion = 2;

// Everything /load restores besides the KV rows.
struct SessionSnapshot {
  std::string template_name;
  std::vector<ChatMessage> messages;
  std::string prompt_text;
  std::string reply_text;
  bool rerender = false;
  std::string sampler_state;    // Empty in version 1 files.
  std::vector<int32_t> tokens;  // [0, n_past) cached, then at most one pending.
  int64_t n_past = 0;
};

// Identifies a model file's contents (header and sampled tensor bytes).
absl::StatusOr<uint64_t> ModelFingerprint(const Model& model);

// Writes `snapshot` and rows [0, snapshot.n_past) of `context`'s cache.
absl::Status WriteSessionFile(const std::string& path, const SessionSnapshot& snapshot,
                              InferenceContext& context);

// A verified session file, ready to import.
class SessionFileReader {
 public:
  // Checks the file against `context` (its model and context size). Errors:
  // NotFound (no file), DataLoss (not a session file, truncated, checksum
  // mismatch), FailedPrecondition (another model, a larger context, an
  // unsupported version).
  static absl::StatusOr<SessionFileReader> Open(const std::string& path, InferenceContext& context);

  const SessionSnapshot& snapshot() const { return snapshot_; }
  // Replaces `context`'s cache with the file's rows. On failure the cache is
  // empty.
  absl::Status ImportKv(InferenceContext& context) const;

 private:
  std::string path_;
  SessionSnapshot snapshot_;
  uint64_t kv_offset_ = 0;  // Where the rows start in the file.
};

}  // namespace strata::chat

#endif  // STRATA_TOOLS_CHAT_SESSION_FILE_H_
