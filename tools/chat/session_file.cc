#include "tools/chat/session_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace strata::chat {
namespace {

constexpr char kMagic[8] = {'S', 'T', 'R', 'A', 'T', 'C', 'H', 'T'};
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;
// Sanity limits, so that a corrupt length cannot make us allocate wildly
// before the checksum has been checked.
constexpr uint32_t kMaxString = 1u << 30;
constexpr uint32_t kMaxCount = 1u << 28;

// FNV-1a 64: not cryptographic, but any corruption a disk or a truncated
// copy produces changes it.
struct Fnv {
  uint64_t h = kFnvOffset;
  void Update(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * kFnvPrime;
  }
};

// Writes while hashing everything written.
class Writer {
 public:
  explicit Writer(std::ofstream* out) : out_(*out) {}
  void Bytes(const void* data, size_t n) {
    out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    hash_.Update(data, n);
  }
  template <typename T>
  void Pod(T value) {
    Bytes(&value, sizeof(value));
  }
  void String(absl::string_view s) {
    Pod<uint32_t>(static_cast<uint32_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  uint64_t hash() const { return hash_.h; }

 private:
  std::ofstream& out_;
  Fnv hash_;
};

// Reads a byte range of the file, failing with DataLoss past its end.
class Reader {
 public:
  // Reads [start, end) of the file; `in` is positioned at `start`.
  Reader(std::ifstream* in, std::string path, uint64_t start, uint64_t end)
      : in_(*in), path_(std::move(path)), end_(end), pos_(start) {}
  absl::Status Bytes(void* data, size_t n) {
    if (pos_ + n > end_) return Truncated();
    in_.read(static_cast<char*>(data), static_cast<std::streamsize>(n));
    if (!in_) return Truncated();
    pos_ += n;
    return absl::OkStatus();
  }
  template <typename T>
  absl::StatusOr<T> Pod() {
    T value;
    STRATA_RETURN_IF_ERROR(Bytes(&value, sizeof(value)));
    return value;
  }
  absl::StatusOr<std::string> String() {
    STRATA_ASSIGN_OR_RETURN(uint32_t n, Pod<uint32_t>());
    if (n > kMaxString || pos_ + n > end_) return Truncated();
    std::string s(n, '\0');
    STRATA_RETURN_IF_ERROR(Bytes(s.data(), n));
    return s;
  }
  uint64_t pos() const { return pos_; }
  absl::Status Truncated() const {
    return absl::DataLossError(
        absl::StrCat(path_, ": truncated session file (at byte ", pos_, ")"));
  }

 private:
  std::ifstream& in_;
  std::string path_;
  uint64_t end_;
  uint64_t pos_;
};

std::string ModelName(const Model& model) {
  return model.hparams().model_name.empty() ? model.hparams().arch_name
                                            : model.hparams().model_name;
}

}  // namespace

absl::StatusOr<uint64_t> ModelFingerprint(const Model& model) {
  const GgufFile& gguf = model.gguf();
  std::ifstream in(model.path(), std::ios::binary);
  if (!in) return absl::UnavailableError(absl::StrCat(model.path(), ": cannot open"));
  Fnv hash;
  const uint64_t size = gguf.file_size();
  hash.Update(&size, sizeof(size));
  // The header: metadata and the tensor table.
  std::vector<char> buffer(1 << 16);
  uint64_t left = std::min(gguf.data_offset(), size);
  while (left > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buffer.size()));
    if (!in.read(buffer.data(), static_cast<std::streamsize>(n))) {
      return absl::DataLossError(absl::StrCat(model.path(), ": cannot read its header"));
    }
    hash.Update(buffer.data(), n);
    left -= n;
  }
  // Sixteen 4 KiB samples of the tensor data: two files with one header but
  // different weights (e.g. make-model with another seed) differ there.
  constexpr int kSamples = 16;
  constexpr uint64_t kSample = 4096;
  const uint64_t data = gguf.data_offset();
  if (size > data) {
    for (int i = 0; i < kSamples; ++i) {
      const uint64_t at = data + (size - data) / kSamples * i;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kSample, size - at));
      in.seekg(static_cast<std::streamoff>(at));
      if (!in.read(buffer.data(), static_cast<std::streamsize>(n))) {
        return absl::DataLossError(absl::StrCat(model.path(), ": cannot read at offset ", at));
      }
      hash.Update(buffer.data(), n);
    }
  }
  return hash.h;
}

absl::Status WriteSessionFile(const std::string& path, const SessionSnapshot& s,
                              InferenceContext& context) {
  const Model& model = context.model();
  KvCache& kv = context.kv();
  STRATA_ASSIGN_OR_RETURN(uint64_t fingerprint, ModelFingerprint(model));
  const std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) {
    return absl::UnavailableError(absl::StrCat(path, ": cannot create: ", std::strerror(errno)));
  }
  auto cleanup = [&tmp] {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
  };
  Writer w(&out);
  w.Bytes(kMagic, sizeof(kMagic));
  w.Pod<uint32_t>(kSessionFileVersion);
  w.Pod<uint32_t>(0);
  w.Pod<uint64_t>(fingerprint);
  w.String(ModelName(model));
  w.Pod<uint32_t>(static_cast<uint32_t>(kv.n_layer()));
  for (int64_t il = 0; il < kv.n_layer(); ++il) {
    w.Pod<uint32_t>(static_cast<uint32_t>(kv.k_dim(il)));
    w.Pod<uint32_t>(static_cast<uint32_t>(kv.v_dim(il)));
  }
  w.Pod<uint32_t>(static_cast<uint32_t>(model.hparams().n_vocab));
  w.String(s.template_name);
  w.Pod<uint32_t>(static_cast<uint32_t>(s.messages.size()));
  for (const ChatMessage& m : s.messages) {
    w.String(m.role);
    w.String(m.content);
  }
  w.String(s.prompt_text);
  w.String(s.reply_text);
  w.Pod<uint8_t>(s.rerender ? 1 : 0);
  w.String(s.sampler_state);
  w.Pod<uint32_t>(static_cast<uint32_t>(s.tokens.size()));
  w.Bytes(s.tokens.data(), s.tokens.size() * sizeof(int32_t));
  w.Pod<uint32_t>(static_cast<uint32_t>(s.n_past));
  // The rows, a block at a time (spilled blocks are read back one by one).
  const int64_t chunk = kv.block_tokens();
  std::vector<float> k;
  std::vector<float> v;
  for (int64_t il = 0; il < kv.n_layer(); ++il) {
    k.resize(chunk * kv.k_dim(il));
    v.resize(chunk * kv.v_dim(il));
    for (int64_t pos = 0; pos < s.n_past; pos += chunk) {
      const int64_t n = std::min(chunk, s.n_past - pos);
      if (absl::Status read = kv.ReadRows(il, pos, n, k.data(), v.data()); !read.ok()) {
        cleanup();
        return read;
      }
      for (int64_t r = 0; r < n; ++r) {
        w.Bytes(k.data() + r * kv.k_dim(il), kv.k_dim(il) * sizeof(float));
        w.Bytes(v.data() + r * kv.v_dim(il), kv.v_dim(il) * sizeof(float));
      }
    }
  }
  const uint64_t checksum = w.hash();
  out.write(reinterpret_cast<const char*>(&checksum), sizeof(checksum));
  out.close();
  if (!out) {
    cleanup();
    return absl::UnavailableError(absl::StrCat(path, ": write failed (disk full?)"));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    cleanup();
    return absl::UnavailableError(absl::StrCat(path, ": cannot rename into place: ", ec.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<SessionFileReader> SessionFileReader::Open(const std::string& path,
                                                          InferenceContext& context) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such session file"));
  }
  const uint64_t size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) return absl::UnavailableError(absl::StrCat(path, ": cannot open"));
  char magic[sizeof(kMagic)] = {};
  in.read(magic, sizeof(magic));
  if (!in || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": not a strata chat session file"));
  }
  if (size < sizeof(kMagic) + 8 + 8) {
    return absl::DataLossError(absl::StrCat(path, ": truncated session file"));
  }
  // The whole file against its checksum, before trusting any of it.
  {
    in.seekg(0);
    Fnv hash;
    std::vector<char> buffer(1 << 20);
    uint64_t left = size - sizeof(uint64_t);
    while (left > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buffer.size()));
      if (!in.read(buffer.data(), static_cast<std::streamsize>(n))) {
        return absl::DataLossError(absl::StrCat(path, ": read error"));
      }
      hash.Update(buffer.data(), n);
      left -= n;
    }
    uint64_t stored = 0;
    in.read(reinterpret_cast<char*>(&stored), sizeof(stored));
    if (!in || stored != hash.h) {
      return absl::DataLossError(
          absl::StrCat(path, ": corrupt session file (checksum mismatch): refusing to load it"));
    }
  }
  in.clear();
  in.seekg(sizeof(kMagic));
  Reader r(&in, path, sizeof(kMagic), size - sizeof(uint64_t));
  STRATA_ASSIGN_OR_RETURN(uint32_t version, r.Pod<uint32_t>());
  if (version != 1 && version != kSessionFileVersion) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": session file version ", version,
                                                      " is not supported (this strata reads "
                                                      "versions 1 to ",
                                                      kSessionFileVersion, ")"));
  }
  STRATA_RETURN_IF_ERROR(r.Pod<uint32_t>().status());
  const Model& model = context.model();
  KvCache& kv = context.kv();
  STRATA_ASSIGN_OR_RETURN(uint64_t fingerprint, r.Pod<uint64_t>());
  STRATA_ASSIGN_OR_RETURN(std::string model_name, r.String());
  STRATA_ASSIGN_OR_RETURN(uint64_t ours, ModelFingerprint(model));
  if (fingerprint != ours) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": saved with a different model ('",
                                                      model_name, "'); this session runs '",
                                                      ModelName(model), "' (", model.path(), ")"));
  }
  STRATA_ASSIGN_OR_RETURN(uint32_t n_layer, r.Pod<uint32_t>());
  bool dims_match = n_layer == kv.n_layer();
  for (uint32_t il = 0; il < n_layer && il < kMaxCount; ++il) {
    STRATA_ASSIGN_OR_RETURN(uint32_t k_dim, r.Pod<uint32_t>());
    STRATA_ASSIGN_OR_RETURN(uint32_t v_dim, r.Pod<uint32_t>());
    dims_match = dims_match && k_dim == kv.k_dim(il) && v_dim == kv.v_dim(il);
  }
  STRATA_ASSIGN_OR_RETURN(uint32_t n_vocab, r.Pod<uint32_t>());
  if (!dims_match || n_vocab != model.hparams().n_vocab) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": its KV cache has another shape than this model's"));
  }
  SessionFileReader reader;
  reader.path_ = path;
  SessionSnapshot& s = reader.snapshot_;
  STRATA_ASSIGN_OR_RETURN(s.template_name, r.String());
  STRATA_ASSIGN_OR_RETURN(uint32_t n_messages, r.Pod<uint32_t>());
  if (n_messages > kMaxCount) return r.Truncated();
  for (uint32_t i = 0; i < n_messages; ++i) {
    ChatMessage m;
    STRATA_ASSIGN_OR_RETURN(m.role, r.String());
    STRATA_ASSIGN_OR_RETURN(m.content, r.String());
    s.messages.push_back(std::move(m));
  }
  STRATA_ASSIGN_OR_RETURN(s.prompt_text, r.String());
  STRATA_ASSIGN_OR_RETURN(s.reply_text, r.String());
  STRATA_ASSIGN_OR_RETURN(uint8_t rerender, r.Pod<uint8_t>());
  s.rerender = rerender != 0;
  if (version >= 2) {
    STRATA_ASSIGN_OR_RETURN(s.sampler_state, r.String());
  }
  STRATA_ASSIGN_OR_RETURN(uint32_t n_tokens, r.Pod<uint32_t>());
  if (n_tokens > kMaxCount) return r.Truncated();
  s.tokens.resize(n_tokens);
  STRATA_RETURN_IF_ERROR(r.Bytes(s.tokens.data(), n_tokens * sizeof(int32_t)));
  STRATA_ASSIGN_OR_RETURN(uint32_t n_past, r.Pod<uint32_t>());
  s.n_past = n_past;
  if (n_past > n_tokens || n_tokens > n_past + 1) {
    return absl::DataLossError(absl::StrCat(path, ": inconsistent token counts"));
  }
  for (int32_t t : s.tokens) {
    if (t < 0 || t >= model.hparams().n_vocab) {
      return absl::DataLossError(absl::StrCat(path, ": token id ", t, " out of range"));
    }
  }
  if (static_cast<int64_t>(n_tokens) + 1 > context.n_ctx()) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": the conversation has ", n_tokens, " tokens; run with -c ", n_tokens + 1,
        " or more to load it (this context holds ", context.n_ctx(), ")"));
  }
  reader.kv_offset_ = r.pos();
  uint64_t kv_bytes = 0;
  for (int64_t il = 0; il < kv.n_layer(); ++il) {
    kv_bytes += static_cast<uint64_t>(n_past) * (kv.k_dim(il) + kv.v_dim(il)) * sizeof(float);
  }
  if (reader.kv_offset_ + kv_bytes + sizeof(uint64_t) != size) {
    return absl::DataLossError(
        absl::StrCat(path, ": the KV rows do not fill the file as its header says"));
  }
  return reader;
}

absl::Status SessionFileReader::ImportKv(InferenceContext& context) const {
  KvCache& kv = context.kv();
  context.Truncate(0);
  if (snapshot_.n_past == 0) return absl::OkStatus();
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(kv_offset_));
  STRATA_ASSIGN_OR_RETURN(KvPlan plan, kv.Prepare(snapshot_.n_past));
  kv.Apply(plan);
  const int64_t chunk = kv.block_tokens();
  std::vector<float> k;
  std::vector<float> v;
  for (int64_t il = 0; il < kv.n_layer(); ++il) {
    const int64_t kd = kv.k_dim(il);
    const int64_t vd = kv.v_dim(il);
    k.resize(chunk * kd);
    v.resize(chunk * vd);
    for (int64_t pos = 0; pos < snapshot_.n_past; pos += chunk) {
      const int64_t n = std::min(chunk, snapshot_.n_past - pos);
      for (int64_t row = 0; row < n; ++row) {
        in.read(reinterpret_cast<char*>(k.data() + row * kd), kd * sizeof(float));
        in.read(reinterpret_cast<char*>(v.data() + row * vd), vd * sizeof(float));
      }
      absl::Status s = in ? kv.WriteRows(il, pos, n, k.data(), v.data())
                          : absl::DataLossError(absl::StrCat(path_, ": read error"));
      if (!s.ok()) {
        kv.Rollback(plan);
        return s;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::chat
