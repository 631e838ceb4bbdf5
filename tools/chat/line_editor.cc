#include "tools/chat/line_editor.h"

#include <histedit.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace strata::chat {
namespace {

constexpr int kHistorySize = 1000;

}  // namespace

std::unique_ptr<LineEditor> LineEditor::Create(FILE* in, FILE* out, std::string history_path) {
  auto editor = std::unique_ptr<LineEditor>(new LineEditor());
  editor->in_ = in;
  editor->out_ = out;
  editor->history_path_ = std::move(history_path);
  if (!::isatty(::fileno(in))) return editor;  // Piped input: plain reads.
  editor->el_ = el_init("strata", in, out, stderr);
  if (editor->el_ == nullptr) return editor;
  el_set(editor->el_, EL_EDITOR, "emacs");
  el_set(editor->el_, EL_SIGNAL, 0);
  el_set(editor->el_, EL_CLIENTDATA, editor.get());
  el_set(editor->el_, EL_PROMPT, &LineEditor::Prompt);
  editor->history_ = history_init();
  if (editor->history_ != nullptr) {
    HistEvent ev;
    history(editor->history_, &ev, H_SETSIZE, kHistorySize);
    history(editor->history_, &ev, H_SETUNIQUE, 1);
    if (!editor->history_path_.empty()) {
      history(editor->history_, &ev, H_LOAD, editor->history_path_.c_str());
    }
    el_set(editor->el_, EL_HIST, history, editor->history_);
  }
  return editor;
}

LineEditor::~LineEditor() {
  if (el_ != nullptr) el_end(el_);
  if (history_ != nullptr) history_end(history_);
}

const char* LineEditor::Prompt(EditLine* el) {
  void* self = nullptr;
  el_get(el, EL_CLIENTDATA, &self);
  return static_cast<LineEditor*>(self)->prompt_.c_str();
}

LineEditor::Result LineEditor::ReadLine(absl::string_view prompt, std::string* line,
                                        bool* had_text) {
  *had_text = false;
  line->clear();
  if (el_ == nullptr) {
    std::fwrite(prompt.data(), 1, prompt.size(), out_);
    std::fflush(out_);
    char* buffer = nullptr;
    size_t capacity = 0;
    errno = 0;
    const ssize_t n = ::getline(&buffer, &capacity, in_);
    const int err = errno;
    if (n >= 0) line->assign(buffer, n);
    std::free(buffer);
    if (n < 0) {
      std::clearerr(in_);
      return err == EINTR ? Result::kInterrupted : Result::kEof;
    }
    if (!line->empty() && line->back() == '\n') line->pop_back();
    return Result::kLine;
  }
  prompt_ = std::string(prompt);
  int count = 0;
  errno = 0;
  const char* text = el_gets(el_, &count);
  if (text == nullptr) {
    if (count < 0 && errno == EINTR) {
      // The signal interrupted the read; what was typed is still in the
      // editor's buffer (the next el_gets starts afresh).
      const LineInfo* info = el_line(el_);
      *had_text = info != nullptr && info->lastchar != info->buffer;
      return Result::kInterrupted;
    }
    return Result::kEof;
  }
  line->assign(text, count);
  if (!line->empty() && line->back() == '\n') line->pop_back();
  return Result::kLine;
}

void LineEditor::AddHistory(const std::string& entry) {
  if (history_ == nullptr || entry.empty()) return;
  HistEvent ev;
  history(history_, &ev, H_ENTER, entry.c_str());
  // Saved at once: the history survives a crash or a kill.
  if (!history_path_.empty()) history(history_, &ev, H_SAVE, history_path_.c_str());
}

}  // namespace strata::chat
