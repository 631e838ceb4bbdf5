#include "runtime/tokenizer/byte_unicode.h"

#include <array>

#include "runtime/tokenizer/utf8.h"

namespace strata {
namespace {

// Bytes that GPT-2 considers printable keep their own code point.
bool IsSelfMapped(int byte) {
  return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) ||
         (byte >= 0xAE && byte <= 0xFF);
}

struct ByteTable {
  std::array<uint32_t, 256> cpt;
  std::array<std::string, 256> utf8;
  // Inverse over the only code points used: 0..0x143.
  std::array<int16_t, 0x144> byte_of;

  ByteTable() {
    byte_of.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      cpt[b] = IsSelfMapped(b) ? static_cast<uint32_t>(b) : next++;
      AppendUtf8(cpt[b], &utf8[b]);
      byte_of[cpt[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteTable& Table() {
  static const ByteTable table;
  return table;
}

}  // namespace

uint32_t ByteToCodepoint(uint8_t byte) { return Table().cpt[byte]; }

absl::string_view ByteToUtf8(uint8_t byte) { return Table().utf8[byte]; }

std::optional<uint8_t> CodepointToByte(uint32_t cpt) {
  const ByteTable& table = Table();
  if (cpt >= table.byte_of.size() || table.byte_of[cpt] < 0) return std::nullopt;
  return static_cast<uint8_t>(table.byte_of[cpt]);
}

void AppendByteEncoded(absl::string_view bytes, std::string* out) {
  const ByteTable& table = Table();
  for (char c : bytes) out->append(table.utf8[static_cast<uint8_t>(c)]);
}

}  // namespace strata
