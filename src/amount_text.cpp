#include "amount_text.hpp"

#include <cstdint>

namespace subsidy::detail {
namespace {

/// Decodes one UTF-8 sequence at `i` (advancing it); returns 0xFFFD for a malformed one, which
/// is copied through unchanged by the caller so the parser reports the original bytes.
char32_t next(std::string_view s, std::size_t& i, std::size_t& length) {
  const auto b = static_cast<unsigned char>(s[i]);
  length = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || i + length > s.size()) {
    length = 1;
    ++i;
    return 0xFFFD;
  }
  const unsigned lead = length == 1   ? b
                        : length == 2 ? (b & 0x1Fu)
                        : length == 3 ? (b & 0x0Fu)
                                      : (b & 0x07u);
  auto c = static_cast<char32_t>(lead);
  for (std::size_t k = 1; k < length; ++k) {
    const auto cont = static_cast<unsigned char>(s[i + k]);
    if ((cont >> 6) != 0x2) {
      length = 1;
      ++i;
      return 0xFFFD;
    }
    c = static_cast<char32_t>((c << 6) | (cont & 0x3Fu));
  }
  i += length;
  return c;
}

bool unicode_space(char32_t c) {
  return c == 0x00A0 || c == 0x3000 || c == 0x202F || c == 0x205F || (c >= 0x2000 && c <= 0x200A);
}

bool digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string normalise_amount_text(std::string_view text) {
  // Pass 1: fold widths and spaces (code points outside the folded set are copied as bytes).
  std::string folded;
  folded.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    std::size_t length = 0;
    const char32_t c = next(text, i, length);
    if (c >= 0xFF01 && c <= 0xFF5E) {
      folded += static_cast<char>(c - 0xFF01 + 0x21);
    } else if (unicode_space(c) || c == '\t') {
      folded += ' ';
    } else if (c == 0xFFE5) {
      folded += "\xC2\xA5";  // ￥ → ¥
    } else {
      folded.append(text.substr(start, i - start));
    }
  }
  // Pass 2: trim, drop a leading currency sign, drop spaces that do not sit between digits.
  std::size_t b = 0, e = folded.size();
  while (b < e && folded[b] == ' ') ++b;
  while (e > b && folded[e - 1] == ' ') --e;
  std::string_view s(folded.data() + b, e - b);
  std::string out;
  out.reserve(s.size());
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    out += s.front();
    s.remove_prefix(1);
  }
  if (s.substr(0, 2) == "\xC2\xA5") s.remove_prefix(2);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != ' ') {
      out += s[i];
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && s[j] == ' ') ++j;
    const bool between_digits = !out.empty() && digit(out.back()) && j < s.size() && digit(s[j]);
    if (between_digits) out += ' ';  // kept, so "1 2" is refused rather than read as 12
    i = j - 1;
  }
  return out;
}

}  // namespace subsidy::detail
