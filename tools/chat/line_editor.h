// Reading the user's lines: libedit (emacs key bindings) with a persistent
// history file when the input is a terminal, plain line reads otherwise.
//
// Ctrl-C: the caller installs a SIGINT handler without SA_RESTART (see
// chat_command.cc); the signal then interrupts the read, and ReadLine
// returns kInterrupted, saying whether the line held text (a shell clears
// the line; an empty prompt means "quit"). libedit's own signal handling is
// off (EL_SIGNAL 0): it would re-raise SIGINT at the whole process group.
// Ctrl-D on an empty line is kEof.
//
// Owns the EditLine and History handles. Not thread-safe.
#ifndef STRATA_TOOLS_CHAT_LINE_EDITOR_H_
#define STRATA_TOOLS_CHAT_LINE_EDITOR_H_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"

// libedit's handles (histedit.h), declared here to keep it out of the header.
struct editline;
struct history;

namespace strata::chat {

class LineEditor {
 public:
  enum class Result { kLine, kInterrupted, kEof };

  // Reads from `in`, echoing to `out`. `history_path` (may be empty: no
  // history) is loaded now and saved after every AddHistory.
  static std::unique_ptr<LineEditor> Create(FILE* in, FILE* out, std::string history_path);
  ~LineEditor();

  // One line, without its newline. On kInterrupted, `*had_text` says whether
  // anything had been typed.
  Result ReadLine(absl::string_view prompt, std::string* line, bool* had_text);
  void AddHistory(const std::string& entry);

  bool interactive() const { return el_ != nullptr; }

 private:
  LineEditor() = default;
  static const char* Prompt(::editline* el);

  FILE* in_ = nullptr;
  FILE* out_ = nullptr;
  ::editline* el_ = nullptr;
  ::history* history_ = nullptr;
  std::string history_path_;
  std::string prompt_;
};

}  // namespace strata::chat

#endif  // STRATA_TOOLS_CHAT_LINE_EDITOR_H_
