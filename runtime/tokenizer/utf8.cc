#include "runtime/tokenizer/utf8.h"

namespace strata {
namespace {

bool IsContinuation(absl::string_view text, size_t i) {
  return i < text.size() && (static_cast<uint8_t>(text[i]) & 0xC0) == 0x80;
}

}  // namespace

uint32_t DecodeUtf8Lenient(absl::string_view text, size_t* offset) {
  const size_t i = *offset;
  const uint8_t b0 = static_cast<uint8_t>(text[i]);
  if (b0 < 0x80) {
    *offset = i + 1;
    return b0;
  }
  // Continuation byte in lead position, or 0xF8..0xFF: not a sequence start.
  if ((b0 & 0x40) == 0 || (b0 & 0xF8) == 0xF8) {
    *offset = i + 1;
    return kReplacementCharacter;
  }
  const size_t len = Utf8SequenceLength(static_cast<char>(b0));
  for (size_t k = 1; k < len; ++k) {
    if (!IsContinuation(text, i + k)) {
      *offset = i + 1;
      return kReplacementCharacter;
    }
  }
  uint32_t cpt = 0;
  switch (len) {
    case 2:
      cpt = ((b0 & 0x1Fu) << 6) | (static_cast<uint8_t>(text[i + 1]) & 0x3Fu);
      break;
    case 3:
      cpt = ((b0 & 0x0Fu) << 12) | ((static_cast<uint8_t>(text[i + 1]) & 0x3Fu) << 6) |
            (static_cast<uint8_t>(text[i + 2]) & 0x3Fu);
      break;
    default:
      cpt = ((b0 & 0x07u) << 18) | ((static_cast<uint8_t>(text[i + 1]) & 0x3Fu) << 12) |
            ((static_cast<uint8_t>(text[i + 2]) & 0x3Fu) << 6) |
            (static_cast<uint8_t>(text[i + 3]) & 0x3Fu);
      break;
  }
  *offset = i + len;
  return cpt;
}

std::vector<uint32_t> DecodeUtf8(absl::string_view text) {
  std::vector<uint32_t> cpts;
  cpts.reserve(text.size());
  size_t offset = 0;
  while (offset < text.size()) cpts.push_back(DecodeUtf8Lenient(text, &offset));
  return cpts;
}

void AppendUtf8(uint32_t cpt, std::string* out) {
  if (cpt > 0x10FFFF) cpt = kReplacementCharacter;
  if (cpt < 0x80) {
    out->push_back(static_cast<char>(cpt));
  } else if (cpt < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cpt >> 6)));
    out->push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  } else if (cpt < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cpt >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cpt >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cpt >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  }
}

}  // namespace strata
