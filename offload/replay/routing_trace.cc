#include "offload/replay/routing_trace.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"

namespace strata::offload {
namespace {

// Keys pack the layer in 32 bits, but no model has more than a few hundred
// layers: a larger number is a garbled file, not a model.
constexpr int64_t kMaxLayer = 1 << 16;

class TraceParser {
 public:
  TraceParser(absl::string_view name, const RoutingTraceOptions& options)
      : name_(name), options_(options) {}

  absl::Status Line(absl::string_view line, int64_t line_no);
  absl::StatusOr<RoutingTrace> Finish();

 private:
  absl::Status Error(int64_t line_no, absl::string_view what) const {
    return absl::DataLossError(absl::StrCat(name_, ":", line_no, ": ", what));
  }
  absl::Status Comment(absl::string_view line, int64_t line_no);
  absl::Status Columns(absl::string_view line, int64_t line_no);
  absl::Status Row(absl::string_view line, int64_t line_no);

  std::string name_;
  RoutingTraceOptions options_;
  RoutingTrace trace_;
  std::map<int64_t, int64_t> header_bytes_;  // layer -> expert_bytes.
  int64_t header_n_layer_ = 0;
  std::optional<int64_t> header_prompt_tokens_;

  bool have_columns_ = false;
  size_t n_columns_ = 0;
  int col_turn_ = -1, col_phase_ = -1, col_token_ = -1, col_layer_ = -1, col_expert_ = -1,
      col_weight_ = -1;
  std::vector<absl::string_view> fields_;
};

absl::Status TraceParser::Line(absl::string_view line, int64_t line_no) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const absl::string_view stripped = absl::StripAsciiWhitespace(line);
  if (stripped.empty()) return absl::OkStatus();
  if (stripped[0] == '#') return Comment(stripped.substr(1), line_no);
  if (!have_columns_) return Columns(stripped, line_no);
  return Row(stripped, line_no);
}

absl::Status TraceParser::Comment(absl::string_view line, int64_t line_no) {
  std::optional<int64_t> layer, bytes;
  for (absl::string_view word : absl::StrSplit(line, ' ', absl::SkipWhitespace())) {
    const size_t eq = word.find('=');
    if (eq == absl::string_view::npos) continue;
    const absl::string_view key = word.substr(0, eq);
    const absl::string_view value = word.substr(eq + 1);
    if (key == "model") {
      trace_.model = std::string(value);
      continue;
    }
    if (key != "layer" && key != "expert_bytes" && key != "n_layer" && key != "prompt_tokens") {
      continue;
    }
    int64_t v = 0;
    if (!absl::SimpleAtoi(value, &v) || v < 0) {
      return Error(line_no, absl::StrCat("bad ", key, " '", value, "'"));
    }
    if (key == "layer") layer = v;
    if (key == "expert_bytes") bytes = v;
    if (key == "n_layer") header_n_layer_ = v;
    if (key == "prompt_tokens") header_prompt_tokens_ = v;
  }
  if (header_n_layer_ > kMaxLayer) return Error(line_no, "n_layer out of range");
  if (bytes.has_value()) {
    if (!layer.has_value()) return Error(line_no, "expert_bytes without layer=");
    if (*layer >= kMaxLayer) return Error(line_no, absl::StrCat("layer ", *layer, " out of range"));
    if (*bytes == 0) return Error(line_no, "expert_bytes must be positive");
    header_bytes_[*layer] = *bytes;
  }
  return absl::OkStatus();
}

absl::Status TraceParser::Columns(absl::string_view line, int64_t line_no) {
  std::vector<absl::string_view> names = absl::StrSplit(line, ',');
  int col_step = -1;
  for (size_t i = 0; i < names.size(); ++i) {
    const absl::string_view n = absl::StripAsciiWhitespace(names[i]);
    const int c = static_cast<int>(i);
    if (n == "turn") col_turn_ = c;
    if (n == "phase") col_phase_ = c;
    if (n == "step") col_step = c;
    if (n == "token") col_token_ = c;
    if (n == "layer") col_layer_ = c;
    if (n == "expert") col_expert_ = c;
    if (n == "weight") col_weight_ = c;
  }
  if (col_token_ < 0) col_token_ = col_step;
  if (col_layer_ < 0 || col_expert_ < 0 || col_token_ < 0) {
    return Error(line_no,
                 absl::StrCat("expected a column line naming token (or step), layer and expert, "
                              "e.g. 'token,layer,expert,weight'; got '",
                              line.substr(0, 80), "'"));
  }
  have_columns_ = true;
  n_columns_ = names.size();
  return absl::OkStatus();
}

absl::Status TraceParser::Row(absl::string_view line, int64_t line_no) {
  fields_ = absl::StrSplit(line, ',');
  if (fields_.size() != n_columns_) {
    return Error(line_no, absl::StrCat("expected ", n_columns_, " fields, got ", fields_.size()));
  }
  auto get_int = [&](int col, const char* what, int64_t max, int32_t* out) -> absl::Status {
    int64_t v = 0;
    const absl::string_view text = absl::StripAsciiWhitespace(fields_[col]);
    if (!absl::SimpleAtoi(text, &v) || v < 0 || v > max) {
      return Error(line_no, absl::StrCat("bad ", what, " '", text, "'"));
    }
    *out = static_cast<int32_t>(v);
    return absl::OkStatus();
  };
  RoutingAccess a;
  constexpr int64_t kMaxInt32 = 0x7fffffff;
  if (col_turn_ >= 0) STRATA_RETURN_IF_ERROR(get_int(col_turn_, "turn", kMaxInt32, &a.turn));
  STRATA_RETURN_IF_ERROR(get_int(col_token_, "token", kMaxInt32, &a.token));
  STRATA_RETURN_IF_ERROR(get_int(col_layer_, "layer", kMaxLayer - 1, &a.layer));
  STRATA_RETURN_IF_ERROR(get_int(col_expert_, "expert", kMaxInt32, &a.expert));
  if (col_phase_ >= 0) {
    int32_t phase = 0;
    STRATA_RETURN_IF_ERROR(get_int(col_phase_, "phase", 1, &phase));
    a.decode = phase == 1;
  }
  if (col_weight_ >= 0) {
    const absl::string_view text = absl::StripAsciiWhitespace(fields_[col_weight_]);
    if (!absl::SimpleAtof(text, &a.weight)) {
      return Error(line_no, absl::StrCat("bad weight '", text, "'"));
    }
  }
  trace_.accesses.push_back(a);
  return absl::OkStatus();
}

absl::StatusOr<RoutingTrace> TraceParser::Finish() {
  if (!have_columns_) {
    return absl::DataLossError(absl::StrCat(name_, ": no column line (not a routing trace)"));
  }
  if (trace_.accesses.empty()) {
    return absl::DataLossError(absl::StrCat(name_, ": no routing rows"));
  }
  if (col_phase_ < 0) {
    const int64_t prompt =
        options_.prompt_tokens >= 0 ? options_.prompt_tokens : header_prompt_tokens_.value_or(0);
    for (RoutingAccess& a : trace_.accesses) a.decode = a.token >= prompt;
  }
  int64_t n_layer = header_n_layer_;
  for (const RoutingAccess& a : trace_.accesses) n_layer = std::max<int64_t>(n_layer, a.layer + 1);
  if (!header_bytes_.empty()) n_layer = std::max(n_layer, header_bytes_.rbegin()->first + 1);
  trace_.n_layer = static_cast<int32_t>(n_layer);
  trace_.expert_bytes.assign(n_layer, std::max<int64_t>(options_.default_expert_bytes, 1));
  for (const auto& [layer, bytes] : header_bytes_) trace_.expert_bytes[layer] = bytes;
  return std::move(trace_);
}

int64_t CountTokens(const std::vector<RoutingAccess>& accesses, bool decode) {
  absl::flat_hash_set<std::pair<int32_t, int32_t>> tokens;
  for (const RoutingAccess& a : accesses) {
    if (a.decode == decode) tokens.insert({a.turn, a.token});
  }
  return static_cast<int64_t>(tokens.size());
}

}  // namespace

int64_t RoutingTrace::prefill_tokens() const { return CountTokens(accesses, false); }
int64_t RoutingTrace::decode_tokens() const { return CountTokens(accesses, true); }

absl::StatusOr<RoutingTrace> ParseRoutingTrace(absl::string_view text, absl::string_view name,
                                               const RoutingTraceOptions& options) {
  TraceParser parser(name, options);
  int64_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    STRATA_RETURN_IF_ERROR(parser.Line(line, ++line_no));
  }
  return parser.Finish();
}

absl::StatusOr<RoutingTrace> ReadRoutingTrace(const std::string& path,
                                              const RoutingTraceOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory"));
  }
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  TraceParser parser(path, options);
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    STRATA_RETURN_IF_ERROR(parser.Line(line, ++line_no));
  }
  if (in.bad()) {
    return absl::UnavailableError(absl::StrCat(path, ": read error after line ", line_no));
  }
  return parser.Finish();
}

}  // namespace strata::offload
