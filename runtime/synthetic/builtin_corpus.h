// A few kilobytes of plain English prose, written for Strata, from which the
// built-in byte-level BPE vocabulary of `strata make-model` learns its merges.
// Not a language resource: it only makes the synthetic vocabulary look like a
// real one (common words become single tokens).
#ifndef STRATA_RUNTIME_SYNTHETIC_BUILTIN_CORPUS_H_
#define STRATA_RUNTIME_SYNTHETIC_BUILTIN_CORPUS_H_

#include "absl/strings/string_view.h"

namespace strata {

absl::string_view BuiltinCorpus();

}  // namespace strata

#endif  // STRATA_RUNTIME_SYNTHETIC_BUILTIN_CORPUS_H_
