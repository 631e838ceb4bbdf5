#include "tools/cli/common.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/synthetic/synthetic_model.h"

namespace strata::cli {

int ReportError(const char* command, const absl::Status& status) {
  std::fprintf(stderr, "strata %s: error: %s\n", command, std::string(status.message()).c_str());
  return 1;
}

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return buffer.str();
}

absl::Status WriteFileBytes(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    return absl::UnavailableError(absl::StrCat(path, ": cannot create: ", std::strerror(errno)));
  }
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

std::string CacheDir() {
  if (const char* dir = std::getenv("STRATA_CACHE_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/strata";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.cache/strata";
}

absl::StatusOr<std::string> EnsureDefaultModel() {
  const std::string dir = CacheDir();
  STRATA_ASSIGN_OR_RETURN(SyntheticModelSpec spec, PresetSpec(kDefaultPreset));
  const std::string path = absl::StrCat(dir, "/", kDefaultPreset, "-", DTypeName(spec.type),
                                        "-seed", spec.seed, ".gguf");
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return path;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create the cache folder ", dir, ": ", ec.message()));
  }
  std::fprintf(stderr,
               "strata: no model given; writing the demo model (make-model --preset %s) "
               "to %s\n",
               std::string(kDefaultPreset).c_str(), path.c_str());
  STRATA_ASSIGN_OR_RETURN(SyntheticModelStats stats, WriteSyntheticModel(spec, path, 0));
  std::fprintf(stderr, "strata: wrote %.1f MB in %.1f s\n", stats.bytes / 1e6, stats.seconds);
  return path;
}

}  // namespace strata::cli
