#include "storage/gguf_writer.h"

#include <cerrno>
#include <cstring>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace strata {
namespace {

class FileSink : public ByteSink {
 public:
  FileSink(std::string path, std::FILE* f) : path_(std::move(path)), f_(f) {
    buffer_.resize(8 << 20);
    std::setvbuf(f_, buffer_.data(), _IOFBF, buffer_.size());
  }
  ~FileSink() override {
    if (f_ != nullptr) std::fclose(f_);
  }
  absl::Status Write(absl::string_view bytes) override {
    if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) {
      return absl::UnavailableError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }
  absl::Status Close() override {
    std::FILE* f = f_;
    f_ = nullptr;
    if (std::fflush(f) != 0 || std::fclose(f) != 0) {
      return absl::UnavailableError(absl::StrCat(path_, ": write failed: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

 private:
  std::string path_;
  std::FILE* f_;
  std::vector<char> buffer_;
};

template <typename T>
void AppendPod(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

void AppendString(std::string* out, absl::string_view s) {
  AppendPod<uint64_t>(out, s.size());
  out->append(s.data(), s.size());
}

void AppendValue(std::string* out, const GgufValue& value);

void AppendScalar(std::string* out, const GgufValue& value) {
  const auto& s = value.storage();
  switch (value.type()) {
    case GgufType::kUint8:
      AppendPod<uint8_t>(out, std::get<uint64_t>(s));
      break;
    case GgufType::kInt8:
      AppendPod<int8_t>(out, std::get<int64_t>(s));
      break;
    case GgufType::kUint16:
      AppendPod<uint16_t>(out, std::get<uint64_t>(s));
      break;
    case GgufType::kInt16:
      AppendPod<int16_t>(out, std::get<int64_t>(s));
      break;
    case GgufType::kUint32:
      AppendPod<uint32_t>(out, std::get<uint64_t>(s));
      break;
    case GgufType::kInt32:
      AppendPod<int32_t>(out, std::get<int64_t>(s));
      break;
    case GgufType::kUint64:
      AppendPod<uint64_t>(out, std::get<uint64_t>(s));
      break;
    case GgufType::kInt64:
      AppendPod<int64_t>(out, std::get<int64_t>(s));
      break;
    case GgufType::kFloat32:
      AppendPod<float>(out, static_cast<float>(std::get<double>(s)));
      break;
    case GgufType::kFloat64:
      AppendPod<double>(out, std::get<double>(s));
      break;
    case GgufType::kBool:
      AppendPod<uint8_t>(out, std::get<bool>(s) ? 1 : 0);
      break;
    case GgufType::kString:
      AppendString(out, std::get<std::string>(s));
      break;
    case GgufType::kArray: {
      const GgufArray& array = *std::get<std::shared_ptr<const GgufArray>>(s);
      AppendPod<uint32_t>(out, static_cast<uint32_t>(array.element_type));
      AppendPod<uint64_t>(out, array.elements.size());
      for (const GgufValue& e : array.elements) AppendScalar(out, e);
      break;
    }
  }
}

void AppendValue(std::string* out, const GgufValue& value) {
  AppendPod<uint32_t>(out, static_cast<uint32_t>(value.type()));
  AppendScalar(out, value);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ByteSink>> OpenFileSink(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::UnavailableError(absl::StrCat(path, ": cannot create: ", std::strerror(errno)));
  }
  return std::unique_ptr<ByteSink>(new FileSink(path, f));
}

GgufWriter::~GgufWriter() {
  if (begun_) Abort();
}

void GgufWriter::Abort() {
  sink_.reset();
  if (!temp_path_.empty()) std::remove(temp_path_.c_str());
  begun_ = false;
}

void GgufWriter::Set(std::string key, GgufValue value) {
  for (auto& [k, v] : metadata_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  metadata_.emplace_back(std::move(key), std::move(value));
}

absl::Status GgufWriter::AddTensor(std::string name, DType type, std::array<int64_t, kMaxDims> ne,
                                   int n_dims) {
  const DTypeInfo& info = GetDTypeInfo(type);
  if (n_dims < 1 || n_dims > kMaxDims) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': bad n_dims ", n_dims));
  }
  for (int d = n_dims; d < kMaxDims; ++d) ne[d] = 1;
  if (ne[0] % info.block_size != 0) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': row length ", ne[0],
                                                   " is not a multiple of the ", info.name,
                                                   " block size ", info.block_size));
  }
  for (const Tensor& t : tensors_) {
    if (t.name == name) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate tensor name '", name, "'"));
    }
  }
  const uint64_t size =
      static_cast<uint64_t>(ne[0] * ne[1] * ne[2] * ne[3]) / info.block_size * info.type_size;
  tensors_.push_back({std::move(name), type, ne, n_dims, size});
  return absl::OkStatus();
}

absl::Status GgufWriter::CopyLayoutFrom(const GgufFile& file) {
  version_ = file.version();
  for (const auto& [k, v] : file.metadata()) Set(k, v);
  for (const GgufTensorInfo& t : file.tensors()) {
    STRATA_RETURN_IF_ERROR(AddTensor(t.name, t.type, t.ne, t.n_dims));
  }
  return absl::OkStatus();
}

uint64_t GgufWriter::alignment() const {
  for (const auto& [k, v] : metadata_) {
    if (k == "general.alignment") {
      auto a = v.AsUint();
      if (a.ok() && *a > 0 && (*a & (*a - 1)) == 0) return *a;
    }
  }
  return kGgufDefaultAlignment;
}

void GgufWriter::ComputeOffsets() {
  const uint64_t align = alignment();
  uint64_t offset = 0;
  for (Tensor& t : tensors_) {
    t.offset = offset;
    offset += (t.size_bytes + align - 1) / align * align;
  }
}

std::string GgufWriter::SerializeHeader() const {
  const_cast<GgufWriter*>(this)->ComputeOffsets();
  std::string out;
  AppendPod<uint32_t>(&out, kGgufMagic);
  AppendPod<uint32_t>(&out, version_);
  AppendPod<uint64_t>(&out, tensors_.size());
  AppendPod<uint64_t>(&out, metadata_.size());
  for (const auto& [key, value] : metadata_) {
    AppendString(&out, key);
    AppendValue(&out, value);
  }
  for (const Tensor& t : tensors_) {
    AppendString(&out, t.name);
    AppendPod<uint32_t>(&out, static_cast<uint32_t>(t.n_dims));
    for (int d = 0; d < t.n_dims; ++d) AppendPod<uint64_t>(&out, t.ne[d]);
    AppendPod<uint32_t>(&out, static_cast<uint32_t>(t.type));
    AppendPod<uint64_t>(&out, t.offset);
  }
  const uint64_t align = alignment();
  out.resize((out.size() + align - 1) / align * align, '\0');
  return out;
}

uint64_t GgufWriter::FileSize() const {
  const std::string header = SerializeHeader();
  if (tensors_.empty()) return header.size();
  const Tensor& last = tensors_.back();
  const uint64_t align = alignment();
  return header.size() + last.offset + (last.size_bytes + align - 1) / align * align;
}

absl::Status GgufWriter::Begin(const std::string& path) {
  final_path_ = path;
  temp_path_ = path + ".tmp";
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<ByteSink> sink, OpenFileSink(temp_path_));
  return Begin(std::move(sink));
}

absl::Status GgufWriter::Begin(std::unique_ptr<ByteSink> sink) {
  if (begun_) return absl::FailedPreconditionError("GgufWriter::Begin called twice");
  sink_ = std::move(sink);
  begun_ = true;
  current_ = 0;
  current_written_ = 0;
  absl::Status s = sink_->Write(SerializeHeader());
  if (!s.ok()) Abort();
  return s;
}

absl::Status GgufWriter::WritePadding(uint64_t bytes) {
  static const char kZeros[256] = {};
  while (bytes > 0) {
    const uint64_t n = bytes < sizeof(kZeros) ? bytes : sizeof(kZeros);
    STRATA_RETURN_IF_ERROR(sink_->Write(absl::string_view(kZeros, n)));
    bytes -= n;
  }
  return absl::OkStatus();
}

absl::Status GgufWriter::Append(absl::string_view bytes) {
  if (!begun_) return absl::FailedPreconditionError("GgufWriter::Append before Begin");
  const uint64_t align = alignment();
  while (!bytes.empty()) {
    if (current_ >= tensors_.size()) {
      Abort();
      return absl::InvalidArgumentError("more tensor data than declared tensors");
    }
    const Tensor& t = tensors_[current_];
    const uint64_t take = std::min<uint64_t>(bytes.size(), t.size_bytes - current_written_);
    absl::Status s = sink_->Write(bytes.substr(0, take));
    if (!s.ok()) {
      Abort();
      return s;
    }
    bytes.remove_prefix(take);
    current_written_ += take;
    if (current_written_ == t.size_bytes) {
      s = WritePadding((align - t.size_bytes % align) % align);
      if (!s.ok()) {
        Abort();
        return s;
      }
      ++current_;
      current_written_ = 0;
    }
  }
  // Zero-sized tensors need no bytes; skip past them.
  while (current_ < tensors_.size() && tensors_[current_].size_bytes == 0) ++current_;
  return absl::OkStatus();
}

absl::Status GgufWriter::Finish() {
  if (!begun_) return absl::FailedPreconditionError("GgufWriter::Finish before Begin");
  while (current_ < tensors_.size() && tensors_[current_].size_bytes == 0) ++current_;
  if (current_ != tensors_.size()) {
    const std::string name = tensors_[current_].name;
    Abort();
    return absl::FailedPreconditionError(
        absl::StrCat("tensor '", name, "' and later ones did not get their data"));
  }
  absl::Status s = sink_->Close();
  sink_.reset();
  begun_ = false;
  if (!s.ok()) {
    if (!temp_path_.empty()) std::remove(temp_path_.c_str());
    return s;
  }
  if (!temp_path_.empty() && std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    const int err = errno;
    std::remove(temp_path_.c_str());
    return absl::UnavailableError(
        absl::StrCat(final_path_, ": cannot rename into place: ", std::strerror(err)));
  }
  temp_path_.clear();
  return absl::OkStatus();
}

}  // namespace strata
