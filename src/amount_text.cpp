#include "amount_text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

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

namespace {

char ascii_lower(char ch) {
  return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
}

}  // namespace

// ---- text helpers shared with decimal.cpp -------------------------------------------------------

bool is_ascii_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The input as it appears in messages: quoted, control characters escaped.
std::string quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

// One whole character (a UTF-8 sequence) at the start of s, for messages.
std::string first_char(std::string_view s) {
  if (s.empty()) return {};
  const auto lead = static_cast<unsigned char>(s.front());
  std::size_t n = 1;
  if (lead >= 0xf0) {
    n = 4;
  } else if (lead >= 0xe0) {
    n = 3;
  } else if (lead >= 0xc0) {
    n = 2;
  }
  return std::string(s.substr(0, std::min(n, s.size())));
}

// The first character quoted, and named when it cannot be seen: a no-break space pasted from a
// web page or a spreadsheet prints as `" "` and looks like no mistake at all.
std::string shown_char(std::string_view s) {
  static constexpr std::pair<std::string_view, std::string_view> kInvisible[] = {
      {"\u00a0", "U+00A0, a no-break space"},
      {"\u202f", "U+202F, a narrow no-break space"},
      {"\u2009", "U+2009, a thin space"},
      {"\u3000", "U+3000, a full-width space"},
      {"\u200b", "U+200B, a zero-width space"},
      {"\u200c", "U+200C, a zero-width non-joiner"},
      {"\u200d", "U+200D, a zero-width joiner"},
      {"\u2060", "U+2060, a word joiner"},
      {"\ufeff", "U+FEFF, a zero-width no-break space"},
  };
  const std::string c = first_char(s);
  for (const auto& [text, name] : kInvisible) {
    if (c == text) return quote(c) + " (" + std::string(name) + ")";
  }
  return quote(c);
}

// Names NaN and the infinities in any case, with an optional sign, so they get their own message.
bool is_special_name(std::string_view s) {
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
  if (!s.empty() && s.front() == '.') s.remove_prefix(1);  // YAML spells them .nan, .inf, -.Inf
  if (iequals(s, "inf") || iequals(s, "infinity")) return true;
  std::string_view head = s.substr(0, 3);
  if (iequals(head, "nan")) return true;
  return iequals(s.substr(0, 4), "snan");
}

namespace {

// ---- policy amounts -----------------------------------------------------------------------------

constexpr const char* kAmountExpected = "a decimal amount such as 1234.56, 30万 or 50%";

// The hint for an amount in exponent notation (a spreadsheet's 1.23E+08): the same value written
// out, when that is short enough to read, so the fix is a copy away.
std::string written_out(std::string_view text) {
  try {
    const std::string plain = parse_gda(text).to_string();
    if (plain.size() <= 24) return "write " + plain;
  } catch (const Error&) {
  }
  return "write the digits out, or use 万 or 亿";
}

[[noreturn]] void bad_amount(std::string_view text, const std::string& why) {
  throw Error::expected(ErrorKind::parse, kAmountExpected, quote(text) + " (" + why + ")");
}

struct Multiplier {
  std::string_view text;
  std::int64_t exponent;
};
constexpr std::array<Multiplier, 3> kMultipliers = {{{"千", 3}, {"万", 4}, {"亿", 8}}};
constexpr std::string_view kYuan = "元";
constexpr std::string_view kPercentWords = "百分之";

const Multiplier* multiplier_at(std::string_view s) {
  for (const auto& m : kMultipliers) {
    if (starts_with(s, m.text)) return &m;
  }
  return nullptr;
}

struct Numeral {
  std::string_view text;
  int value;
  bool unit;  // 十 百 千 multiply the digit before them
};
constexpr std::array<Numeral, 14> kNumerals = {{{"零", 0, false},
                                                {"一", 1, false},
                                                {"二", 2, false},
                                                {"两", 2, false},
                                                {"三", 3, false},
                                                {"四", 4, false},
                                                {"五", 5, false},
                                                {"六", 6, false},
                                                {"七", 7, false},
                                                {"八", 8, false},
                                                {"九", 9, false},
                                                {"十", 10, true},
                                                {"百", 100, true},
                                                {"千", 1000, true}}};
constexpr std::string_view kPoint = "点";

const Numeral* numeral_at(std::string_view s) {
  for (const auto& n : kNumerals) {
    if (starts_with(s, n.text)) return &n;
  }
  return nullptr;
}

// The digits and exponent of a number written in Chinese numerals (一百零五, 十二点五), below
// 10000.
struct Digits {
  std::string text;
  std::int64_t exponent = 0;
};

Digits parse_chinese_numeral(std::string_view whole, std::string_view s) {
  std::int64_t value = 0;
  int pending = -1;  // a digit waiting for its unit
  std::int64_t last_unit = 10000;
  bool zero_gap = false;  // 零 between a unit and a smaller one (一百零五)
  bool any = false;
  while (!s.empty() && !starts_with(s, kPoint)) {
    const Numeral* n = numeral_at(s);
    if (n == nullptr) {
      bad_amount(whole, "unexpected " + shown_char(s) + " in a Chinese numeral after 百分之");
    }
    s.remove_prefix(n->text.size());
    if (!n->unit) {
      if (pending != -1)
        bad_amount(whole, "two numerals in a row after 百分之 (write 十二, not 一二)");
      if (n->value == 0 && any) {
        zero_gap = true;
      } else {
        pending = n->value;
      }
    } else {
      if (n->value >= last_unit) bad_amount(whole, "numeral units out of order after 百分之");
      if (pending == -1 && any)
        bad_amount(whole, "a digit is needed before " + std::string(n->text));
      const int multiplier = pending == -1 ? 1 : pending;
      if (multiplier == 0) bad_amount(whole, "零 cannot multiply " + std::string(n->text));
      value += multiplier * n->value;
      last_unit = n->value;
      pending = -1;
      zero_gap = false;
    }
    any = true;
  }
  if (!any) bad_amount(whole, "a number is needed after 百分之");
  if (pending != -1) {
    // 一百五 is colloquial for 150: refuse it rather than guess.
    if (last_unit != 10000 && last_unit != 10 && !zero_gap) {
      bad_amount(whole, "ambiguous numeral after 百分之 (write 一百五十 or 一百零五)");
    }
    value += pending;
  } else if (zero_gap) {
    bad_amount(whole, "零 must be followed by a digit");
  }
  Digits out;
  out.text = std::to_string(value);
  if (starts_with(s, kPoint)) {
    s.remove_prefix(kPoint.size());
    if (s.empty()) bad_amount(whole, "a digit is needed after 点");
    while (!s.empty()) {
      const Numeral* n = numeral_at(s);
      if (n == nullptr || n->unit || n->text == "两") {
        bad_amount(whole, "only the digits 零 to 九 may follow 点");
      }
      out.text += static_cast<char>('0' + n->value);
      --out.exponent;
      s.remove_prefix(n->text.size());
    }
  }
  return out;
}

// Arabic digits with an optional fraction and nothing else (used after 百分之).
Digits parse_plain_digits(std::string_view whole, std::string_view s) {
  Digits out;
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) out.text += s[i++];
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || !is_digit(s[i]))
      bad_amount(whole, "a digit is needed after the decimal point");
    while (i < s.size() && is_digit(s[i])) {
      out.text += s[i++];
      --out.exponent;
    }
  }
  if (i < s.size()) bad_amount(whole, "unexpected " + shown_char(s.substr(i)) + " after 百分之");
  return out;
}

}  // namespace

Amount parse_policy_amount(std::string_view whole) {
  std::string_view s = trim(whole);
  if (s.empty()) bad_amount(whole, "the text is empty");
  if (is_special_name(s)) bad_amount(whole, "NaN and infinities are not amounts");
  bool negative = false;
  if (s.front() == '+' || s.front() == '-') {
    negative = s.front() == '-';
    s.remove_prefix(1);
    if (s.empty()) bad_amount(whole, "a number is needed after the sign");
    if (s.front() == '+' || s.front() == '-') bad_amount(whole, "more than one sign");
  }
  Amount amount;
  if (starts_with(s, kPercentWords)) {
    s.remove_prefix(kPercentWords.size());
    const Digits d = !s.empty() && is_digit(s.front()) ? parse_plain_digits(whole, s)
                                                       : parse_chinese_numeral(whole, s);
    amount.value = from_parts(d.text, negative, d.exponent - 2, "parse");
    amount.unit = AmountUnit::rate;
    return amount;
  }

  // The number: digits, optional grouping commas (groups of three), optional fraction.
  std::size_t i = 0;
  if (!is_digit(s.front())) {
    if (s.front() == '.')
      bad_amount(whole, "a digit is needed before the decimal point (write 0.5)");
    if (multiplier_at(s) != nullptr || starts_with(s, kYuan) || s.front() == '%') {
      bad_amount(whole, "a number is needed before " + first_char(s));
    }
    if (is_ascii_space(s.front())) bad_amount(whole, "unexpected space inside the amount");
    bad_amount(whole, "unexpected " + shown_char(s));
  }
  std::string digit_text;
  std::size_t group = 0;
  bool grouped = false;
  for (; i < s.size(); ++i) {
    if (is_digit(s[i])) {
      digit_text += s[i];
      ++group;
    } else if (s[i] == ',') {
      if ((!grouped && group > 3) || (grouped && group != 3)) {
        bad_amount(whole, "grouping commas must separate groups of three digits, as in 1,234,567");
      }
      grouped = true;
      group = 0;
    } else {
      break;
    }
  }
  if (grouped && group != 3) {
    bad_amount(whole, "grouping commas must separate groups of three digits, as in 1,234,567");
  }
  std::int64_t exponent = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || !is_digit(s[i])) {
      bad_amount(whole, "a digit is needed after the decimal point (write 1 or 1.0)");
    }
    for (; i < s.size() && is_digit(s[i]); ++i) {
      digit_text += s[i];
      --exponent;
    }
    if (i < s.size() && s[i] == '.') bad_amount(whole, "more than one decimal point");
    if (i < s.size() && s[i] == ',') {
      bad_amount(whole, "grouping commas are allowed only before the decimal point");
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    bad_amount(whole, "exponent notation is not accepted; " + written_out(trim(whole)));
  }

  // The unit: % alone, or an optional multiplier followed by an optional 元.
  std::string_view rest = s.substr(i);
  if (!rest.empty() && rest.front() == '%') {
    rest.remove_prefix(1);
    exponent -= 2;
    amount.unit = AmountUnit::rate;
  } else {
    if (const Multiplier* m = multiplier_at(rest)) {
      rest.remove_prefix(m->text.size());
      exponent += m->exponent;
      if (multiplier_at(rest) != nullptr)
        bad_amount(whole, "at most one of 千, 万 and 亿 may follow the number");
    }
    if (starts_with(rest, kYuan)) {
      rest.remove_prefix(kYuan.size());
      amount.unit = AmountUnit::yuan;
    }
  }
  if (!rest.empty()) {
    if (is_ascii_space(rest.front())) bad_amount(whole, "unexpected space inside the amount");
    if (rest.front() == '%' || multiplier_at(rest) != nullptr || starts_with(rest, kYuan)) {
      bad_amount(whole, "units in the wrong order or repeated (write 30万元 or 50%)");
    }
    if (rest.front() == '+' || rest.front() == '-') bad_amount(whole, "a sign may only come first");
    bad_amount(whole, "unexpected " + shown_char(rest));
  }
  amount.value = from_parts(digit_text, negative, exponent, "parse");
  return amount;
}

// ---- GDA to-number ------------------------------------------------------------------------------

[[noreturn]] void bad_scientific(std::string_view text, const std::string& why) {
  throw Error::expected(ErrorKind::parse,
                        "a finite number in General Decimal Arithmetic syntax such as 1.23E+5",
                        quote(text) + " (" + why + ")");
}

Decimal parse_gda(std::string_view text) {
  std::string_view s = text;
  if (s.empty()) bad_scientific(text, "the text is empty");
  if (is_special_name(s)) bad_scientific(text, "NaN and infinities cannot be represented exactly");
  bool negative = false;
  if (s.front() == '+' || s.front() == '-') {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  std::string digit_text;
  std::int64_t exponent = 0;
  std::size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) digit_text += s[i];
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && is_digit(s[i]); ++i) {
      digit_text += s[i];
      --exponent;
    }
  }
  if (digit_text.empty()) bad_scientific(text, "no digits");
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    if (i >= s.size() || !is_digit(s[i])) bad_scientific(text, "no digits in the exponent");
    // Saturates far beyond the limit so that absurd exponents still report overflow.
    std::int64_t e = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      e = std::min<std::int64_t>(e * 10 + (s[i] - '0'), std::int64_t{1} << 40);
    }
    exponent += exp_negative ? -e : e;
  }
  if (i < s.size()) bad_scientific(text, "unexpected " + shown_char(s.substr(i)));
  return from_parts(digit_text, negative, exponent, "parse");
}

}  // namespace subsidy::detail

namespace subsidy {

Decimal Decimal::parse(std::string_view text) { return detail::parse_policy_amount(text).value; }

// Amounts as people type them (facts, ledgers, rule values): full-width forms, spaces and a
// leading ¥ are folded first (see amount_text.hpp); Decimal::parse keeps the strict form.
Amount Decimal::parse_amount(std::string_view text) {
  return detail::parse_policy_amount(detail::normalise_amount_text(text));
}

Decimal Decimal::parse_scientific(std::string_view text) { return detail::parse_gda(text); }

}  // namespace subsidy
