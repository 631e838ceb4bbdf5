#include "offload/resident_weights.h"

#include <sys/mman.h>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace strata {

absl::StatusOr<std::unique_ptr<ResidentWeights>> ResidentWeights::Open(const GgufFile& gguf) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(gguf.path()));
  if (file->size() != gguf.file_size()) {
    return absl::DataLossError(absl::StrCat(gguf.path(), ": file size changed from ",
                                            gguf.file_size(), " to ", file->size(),
                                            " bytes while loading"));
  }
  if (file->size() > 0) {
    // The forward pass touches every weight; ask for read-ahead up front.
    ::madvise(const_cast<uint8_t*>(file->data()), file->size(), MADV_WILLNEED);
  }
  return std::unique_ptr<ResidentWeights>(new ResidentWeights(std::move(file)));
}

}  // namespace strata
