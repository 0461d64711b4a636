// The exact decimal: parsing, arithmetic, rounding and formatting (see subsidy/decimal.hpp).
//
// Every result is either exact or rounded by round_away() (rounding.hpp), the one place where a
// rounding mode is interpreted. Boost's integer / and % truncate toward zero, so rounding works on
// magnitudes and reapplies the sign afterwards.
#include "subsidy/decimal.hpp"

#include "amount_text.hpp"
#include "rounding.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace subsidy {

namespace mp = boost::multiprecision;

struct DecimalAccess {
  // The caller has checked the exponent and the digit count already.
  static Decimal make(BigInt coefficient, std::int64_t exponent) {
    Decimal d;
    d.coefficient_ = std::move(coefficient);
    d.exponent_ = static_cast<std::int32_t>(exponent);
    return d;
  }
};

namespace {

constexpr std::int64_t kMaxExp = Decimal::kMaxExponent;
constexpr std::size_t kMaxDigits = Decimal::kMaxDigits;
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::uint64_t kInt64MinMagnitude = static_cast<std::uint64_t>(kInt64Max) + 1;

constexpr std::array<std::uint64_t, 20> make_pow10() {
  std::array<std::uint64_t, 20> table{};
  std::uint64_t v = 1;
  for (std::size_t i = 0; i < table.size(); ++i) {
    table[i] = v;
    if (i + 1 < table.size()) v *= 10;
  }
  return table;
}
// 10^0 .. 10^19: every power of ten that fits in 64 bits.
constexpr std::array<std::uint64_t, 20> kPow10 = make_pow10();

// Powers up to this one are computed once; money and rates never need more.
constexpr unsigned kCachedPowers = 320;

const std::vector<BigInt>& pow10_table() {
  static const std::vector<BigInt> table = [] {
    std::vector<BigInt> t;
    t.reserve(kCachedPowers + 1);
    BigInt v = 1;
    for (unsigned i = 0; i <= kCachedPowers; ++i) {
      t.push_back(v);
      v *= 10u;
    }
    return t;
  }();
  return table;
}

// 10^n: a reference into the cache, or `scratch` filled in for larger n.
const BigInt& pow10(std::uint64_t n, BigInt& scratch) {
  if (n <= kCachedPowers) return pow10_table()[n];
  scratch = mp::pow(BigInt(10), static_cast<unsigned>(n));
  return scratch;
}

void mul_pow10(BigInt& v, std::uint64_t n) {
  if (n < kPow10.size()) {
    v *= kPow10[n];
  } else {
    BigInt scratch;
    v *= pow10(n, scratch);
  }
}

// 10^kMaxDigits: the smallest magnitude with too many digits.
const BigInt& digit_limit() {
  static const BigInt limit = mp::pow(BigInt(10), static_cast<unsigned>(kMaxDigits));
  return limit;
}

// A magnitude below 2^13568 has at most 4096 digits (10^4096 > 2^13606): no comparison needed.
constexpr unsigned kSafeLimbs = 13568 / (sizeof(mp::limb_type) * 8);
static_assert(Decimal::kMaxDigits == 4096, "kSafeLimbs assumes the 4096-digit limit");
static_assert(sizeof(mp::limb_type) == sizeof(std::uint64_t), "the fast paths assume 64-bit limbs");

// The magnitude, when it fits one limb (the common case: money and rates).
bool small_magnitude(const BigInt& v, std::uint64_t& magnitude) {
  const auto& b = v.backend();
  if (b.size() != 1) return false;
  magnitude = b.limbs()[0];
  return true;
}

bool small_signed(const BigInt& v, std::int64_t& out) {
  std::uint64_t m = 0;
  if (!small_magnitude(v, m)) return false;
  if (v.backend().sign()) {
    if (m > kInt64MinMagnitude) return false;
    out = m == kInt64MinMagnitude ? std::numeric_limits<std::int64_t>::min()
                                  : -static_cast<std::int64_t>(m);
    return true;
  }
  if (m > static_cast<std::uint64_t>(kInt64Max)) return false;
  out = static_cast<std::int64_t>(m);
  return true;
}

BigInt signed_big(std::uint64_t magnitude, bool negative) {
  BigInt v(magnitude);
  if (negative) v = -v;
  return v;
}

std::size_t digits_u64(std::uint64_t m) {
  std::size_t d = 1;
  while (d < kPow10.size() && m >= kPow10[d]) ++d;
  return d;
}

std::size_t digit_count(const BigInt& v) {
  std::uint64_t m = 0;
  if (small_magnitude(v, m)) return digits_u64(m);
  const BigInt a = mp::abs(v);
  // An estimate from the bit length (0.301029 < log10 2), corrected by comparing with powers.
  const std::size_t bits = static_cast<std::size_t>(mp::msb(a)) + 1;
  std::size_t est = (bits - 1) * 301029 / 1000000 + 1;
  BigInt scratch;
  while (est > 1 && a < pow10(est - 1, scratch)) --est;
  while (a >= pow10(est, scratch)) ++est;
  return est;
}

[[noreturn]] void overflow(const char* operation, const std::string& what) {
  throw Error(ErrorKind::overflow, std::string(operation) + ": " + what);
}

std::string digit_limit_text() { return "the limit of " + std::to_string(kMaxDigits) + " digits"; }

void check_exponent(std::int64_t exponent, const char* operation,
                    const char* what = "result exponent") {
  if (exponent < -kMaxExp || exponent > kMaxExp) {
    overflow(operation, std::string(what) + " " + std::to_string(exponent) +
                            " exceeds the exponent limit ±" + std::to_string(kMaxExp));
  }
}

void check_digits(const BigInt& c, const char* operation, const char* what = "result") {
  if (c.backend().size() <= kSafeLimbs) return;
  if (mp::abs(c) >= digit_limit()) {
    overflow(operation, std::string(what) + " needs " + std::to_string(digit_count(c)) +
                            " digits, exceeds " + digit_limit_text());
  }
}

void check_digit_estimate(std::int64_t at_least, const char* operation) {
  if (at_least > static_cast<std::int64_t>(kMaxDigits)) {
    overflow(operation, "result needs at least " + std::to_string(at_least) + " digits, exceeds " +
                            digit_limit_text());
  }
}

Decimal finish(BigInt c, std::int64_t exponent, const char* operation) {
  check_exponent(exponent, operation);
  check_digits(c, operation);
  return DecimalAccess::make(std::move(c), exponent);
}

// ---- rounding -----------------------------------------------------------------------------------

using detail::round_away;
using detail::Tail;

Tail classify(std::uint64_t remainder, std::uint64_t divisor) {
  if (remainder == 0) return Tail::zero;
  // Compares remainder with divisor − remainder, which cannot overflow as 2 × remainder could.
  const std::uint64_t rest = divisor - remainder;
  if (remainder < rest) return Tail::below_half;
  return remainder == rest ? Tail::half : Tail::above_half;
}

Tail classify(const BigInt& remainder, const BigInt& divisor) {
  if (remainder.is_zero()) return Tail::zero;
  const BigInt twice = remainder * 2u;
  const int c = twice.compare(divisor);
  if (c < 0) return Tail::below_half;
  return c == 0 ? Tail::half : Tail::above_half;
}

// num / den rounded to an integer magnitude (den > 0); `negative` is the sign of the quotient.
std::uint64_t rounded_quotient(std::uint64_t num, std::uint64_t den, bool negative, Rounding mode) {
  const std::uint64_t q = num / den;
  const bool away =
      round_away(mode, negative, static_cast<unsigned>(q % 10), classify(num % den, den));
  return away ? q + 1 : q;
}

// Signed result of |num| / |den| rounded to an integer; num, den ≥ 0.
BigInt rounded_quotient(const BigInt& num, const BigInt& den, bool negative, Rounding mode) {
  BigInt q;
  BigInt r;
  mp::divide_qr(num, den, q, r);
  const unsigned last = mp::integer_modulus(q, 10u);
  if (round_away(mode, negative, last, classify(r, den))) ++q;
  if (negative) q = -q;
  return q;
}

// A nonzero quotient smaller than half a unit: 0 or ±1 depending on the mode.
BigInt tiny_quotient(bool negative, Rounding mode) {
  return signed_big(round_away(mode, negative, 0, Tail::below_half) ? 1 : 0, negative);
}

// c / 10^shift rounded by mode (shift > 0).
BigInt shift_round(const BigInt& c, std::uint64_t shift, Rounding mode) {
  if (c.is_zero()) return BigInt();
  const bool negative = c.sign() < 0;
  std::uint64_t m = 0;
  if (small_magnitude(c, m)) {
    // m < 2^64 < 10^20 / 2: from 10^20 on, the magnitude is below half a unit.
    if (shift >= kPow10.size()) return tiny_quotient(negative, mode);
    return signed_big(rounded_quotient(m, kPow10[shift], negative, mode), negative);
  }
  if (shift > digit_count(c)) return tiny_quotient(negative, mode);
  BigInt scratch;
  return rounded_quotient(mp::abs(c), pow10(shift, scratch), negative, mode);
}

// ---- text ---------------------------------------------------------------------------------------

std::string magnitude_string(const BigInt& c) {
  std::uint64_t m = 0;
  if (small_magnitude(c, m)) {
    std::array<char, 24> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), m);
    return std::string(buf.data(), res.ptr);
  }
  return mp::abs(c).str();
}

// Plain notation of digits × 10^exponent, unsigned; a zero keeps its fraction digits only.
std::string plain_digits(std::string digit_text, std::int64_t exponent, bool zero) {
  if (exponent >= 0) {
    if (!zero) digit_text.append(static_cast<std::size_t>(exponent), '0');
    return digit_text;
  }
  const auto frac = static_cast<std::size_t>(-exponent);
  if (digit_text.size() <= frac) digit_text.insert(0, frac - digit_text.size() + 1, '0');
  digit_text.insert(digit_text.size() - frac, 1, '.');
  return digit_text;
}

bool is_ascii_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

char ascii_lower(char ch) {
  return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
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

// An integer from its decimal digits (no sign, no separators).
BigInt integer_from_digits(std::string_view digit_text, const char* operation) {
  while (digit_text.size() > 1 && digit_text.front() == '0') digit_text.remove_prefix(1);
  if (digit_text.size() > kMaxDigits) {
    overflow(operation, "a number with " + std::to_string(digit_text.size()) +
                            " significant digits exceeds " + digit_limit_text());
  }
  constexpr std::size_t kChunk = 19;
  BigInt value;
  std::size_t pos = 0;
  while (pos < digit_text.size()) {
    const std::size_t len = std::min(kChunk, digit_text.size() - pos);
    std::uint64_t chunk = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      chunk = chunk * 10 + static_cast<std::uint64_t>(digit_text[i] - '0');
    }
    if (pos == 0) {
      value = chunk;
    } else {
      value *= kPow10[len];
      value += chunk;
    }
    pos += len;
  }
  return value;
}

Decimal from_parts(std::string_view digit_text, bool negative, std::int64_t exponent,
                   const char* operation) {
  BigInt c = integer_from_digits(digit_text, operation);
  if (negative) c = -c;
  check_exponent(exponent, operation, "exponent");
  return DecimalAccess::make(std::move(c), exponent);
}

// ---- policy amounts -----------------------------------------------------------------------------

constexpr const char* kAmountExpected = "a decimal amount such as 1234.56, 30万 or 50%";

Decimal parse_gda(std::string_view text);

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

}  // namespace

// ---- rounding names -----------------------------------------------------------------------------

std::string_view to_string(Rounding mode) noexcept {
  switch (mode) {
    case Rounding::half_up:
      return "half_up";
    case Rounding::half_even:
      return "half_even";
    case Rounding::half_down:
      return "half_down";
    case Rounding::down:
      return "down";
    case Rounding::up:
      return "up";
    case Rounding::floor:
      return "floor";
    case Rounding::ceiling:
      return "ceiling";
    case Rounding::zero_five_up:
      return "05up";
  }
  return "half_up";
}

Rounding parse_rounding(std::string_view text) {
  struct Name {
    std::string_view name;
    Rounding mode;
  };
  static constexpr std::array<Name, 21> kNames = {{
      {"half_up", Rounding::half_up},
      {"half_even", Rounding::half_even},
      {"half_down", Rounding::half_down},
      {"down", Rounding::down},
      {"up", Rounding::up},
      {"floor", Rounding::floor},
      {"ceiling", Rounding::ceiling},
      {"05up", Rounding::zero_five_up},
      {"zero_five_up", Rounding::zero_five_up},
      {"ROUND_HALF_UP", Rounding::half_up},
      {"ROUND_HALF_EVEN", Rounding::half_even},
      {"ROUND_HALF_DOWN", Rounding::half_down},
      {"ROUND_DOWN", Rounding::down},
      {"ROUND_UP", Rounding::up},
      {"ROUND_FLOOR", Rounding::floor},
      {"ROUND_CEILING", Rounding::ceiling},
      {"ROUND_05UP", Rounding::zero_five_up},
      {"四舍五入", Rounding::half_up},
      {"四舍六入五成双", Rounding::half_even},
      {"截尾", Rounding::down},
      {"进一", Rounding::up},
  }};
  const std::string_view s = trim(text);
  for (const auto& n : kNames) {
    if (iequals(s, n.name)) return n.mode;
  }
  throw Error::expected(ErrorKind::parse,
                        "a rounding mode (half_up, half_even, half_down, down, up, floor, ceiling, "
                        "05up; ROUND_HALF_UP and the other GDA names; 四舍五入, 四舍六入五成双, "
                        "截尾, 进一)",
                        quote(text));
}

// ---- construction and parsing -------------------------------------------------------------------

Decimal::Decimal(BigInt coefficient, std::int32_t exponent)
    : coefficient_(std::move(coefficient)), exponent_(exponent) {
  check_exponent(exponent, "Decimal", "exponent");
  check_digits(coefficient_, "Decimal", "coefficient");
}

Decimal Decimal::parse(std::string_view text) { return parse_policy_amount(text).value; }

// Amounts as people type them (facts, ledgers, rule values): full-width forms, spaces and a
// leading ¥ are folded first (see amount_text.hpp); Decimal::parse keeps the strict form.
Amount Decimal::parse_amount(std::string_view text) {
  return parse_policy_amount(detail::normalise_amount_text(text));
}

Decimal Decimal::parse_scientific(std::string_view text) { return parse_gda(text); }

int Decimal::signum() const noexcept { return coefficient_.sign(); }

std::size_t Decimal::digits() const { return digit_count(coefficient_); }

// ---- arithmetic ---------------------------------------------------------------------------------

namespace {

Decimal add_impl(const Decimal& a, const Decimal& b, bool subtract, const char* operation) {
  const std::int32_t ea = a.exponent();
  const std::int32_t eb = b.exponent();
  const std::int32_t exponent = std::min(ea, eb);
  std::int64_t xa = 0;
  std::int64_t xb = 0;
  if (small_signed(a.coefficient(), xa) && small_signed(b.coefficient(), xb)) {
    // Aligns in 64 bits when it cannot overflow; the exponent is one of the operands'.
    bool ok = true;
    if (ea > eb) {
      const auto shift = static_cast<std::size_t>(ea - eb);
      ok = shift < kPow10.size() - 1 &&
           !__builtin_mul_overflow(xa, static_cast<std::int64_t>(kPow10[shift]), &xa);
    } else if (eb > ea) {
      const auto shift = static_cast<std::size_t>(eb - ea);
      ok = shift < kPow10.size() - 1 &&
           !__builtin_mul_overflow(xb, static_cast<std::int64_t>(kPow10[shift]), &xb);
    }
    std::int64_t r = 0;
    if (ok &&
        !(subtract ? __builtin_sub_overflow(xa, xb, &r) : __builtin_add_overflow(xa, xb, &r))) {
      return DecimalAccess::make(BigInt(r), exponent);
    }
  }
  BigInt ca = a.coefficient();
  BigInt cb = b.coefficient();
  if (subtract) cb = -cb;
  if (ea != eb) {
    BigInt& high = ea > eb ? ca : cb;
    if (!high.is_zero()) {
      const std::int64_t shift = std::int64_t{ea} - eb;
      const std::int64_t magnitude = shift < 0 ? -shift : shift;
      // The sum has at least digits(high) + shift − 1 digits whatever the other operand is.
      check_digit_estimate(static_cast<std::int64_t>(digit_count(high)) + magnitude - 1, operation);
      mul_pow10(high, static_cast<std::uint64_t>(magnitude));
    }
  }
  ca += cb;
  return finish(std::move(ca), exponent, operation);
}

}  // namespace

Decimal operator+(const Decimal& a, const Decimal& b) { return add_impl(a, b, false, "add"); }

Decimal operator-(const Decimal& a, const Decimal& b) { return add_impl(a, b, true, "subtract"); }

Decimal operator*(const Decimal& a, const Decimal& b) {
  const std::int64_t exponent = std::int64_t{a.exponent_} + b.exponent_;
  check_exponent(exponent, "multiply");
  std::int64_t xa = 0;
  std::int64_t xb = 0;
  std::int64_t product = 0;
  if (small_signed(a.coefficient_, xa) && small_signed(b.coefficient_, xb) &&
      !__builtin_mul_overflow(xa, xb, &product)) {
    return DecimalAccess::make(BigInt(product), exponent);
  }
  return finish(a.coefficient_ * b.coefficient_, exponent, "multiply");
}

Decimal Decimal::operator-() const { return DecimalAccess::make(-coefficient_, exponent_); }

Decimal Decimal::abs() const { return DecimalAccess::make(mp::abs(coefficient_), exponent_); }

Decimal Decimal::divide(const Decimal& dividend, const Decimal& divisor, std::int32_t exponent,
                        Rounding mode) {
  constexpr const char* kOp = "divide";
  if (divisor.is_zero()) {
    throw Error(ErrorKind::division,
                "divide: division by zero (dividend " + dividend.to_scientific_string() + ")");
  }
  check_exponent(exponent, kOp, "target exponent");
  if (dividend.is_zero()) return DecimalAccess::make(BigInt(), exponent);
  const bool negative = dividend.signum() != divisor.signum();
  // quotient coefficient = |a| × 10^scale / |b|, rounded.
  const std::int64_t scale = std::int64_t{dividend.exponent_} - divisor.exponent_ - exponent;
  std::uint64_t ma = 0;
  std::uint64_t mb = 0;
  if (small_magnitude(dividend.coefficient_, ma) && small_magnitude(divisor.coefficient_, mb)) {
    bool ok = true;
    if (scale > 0) {
      ok = scale < static_cast<std::int64_t>(kPow10.size()) &&
           !__builtin_mul_overflow(ma, kPow10[static_cast<std::size_t>(scale)], &ma);
    } else if (scale < 0) {
      ok = -scale < static_cast<std::int64_t>(kPow10.size()) &&
           !__builtin_mul_overflow(mb, kPow10[static_cast<std::size_t>(-scale)], &mb);
    }
    if (ok) {
      return DecimalAccess::make(signed_big(rounded_quotient(ma, mb, negative, mode), negative),
                                 exponent);
    }
  }
  const auto da = static_cast<std::int64_t>(dividend.digits());
  const auto db = static_cast<std::int64_t>(divisor.digits());
  if (scale >= 0) {
    // |a| ≥ 10^(da−1) and |b| < 10^db, so the quotient has at least da + scale − db digits.
    check_digit_estimate(da + scale - db, kOp);
    BigInt num = mp::abs(dividend.coefficient_);
    mul_pow10(num, static_cast<std::uint64_t>(scale));
    return finish(rounded_quotient(num, mp::abs(divisor.coefficient_), negative, mode), exponent,
                  kOp);
  }
  // The quotient is below 10^(da − db + 1 + scale): under 0.1 once −scale ≥ da − db + 2.
  if (-scale >= da - db + 2) return DecimalAccess::make(tiny_quotient(negative, mode), exponent);
  BigInt den = mp::abs(divisor.coefficient_);
  mul_pow10(den, static_cast<std::uint64_t>(-scale));
  return finish(rounded_quotient(mp::abs(dividend.coefficient_), den, negative, mode), exponent,
                kOp);
}

Decimal Decimal::quantize(std::int32_t exponent, Rounding mode) const {
  constexpr const char* kOp = "quantize";
  check_exponent(exponent, kOp, "target exponent");
  if (exponent == exponent_) return *this;
  if (exponent > exponent_) {
    const auto shift = static_cast<std::uint64_t>(std::int64_t{exponent} - exponent_);
    return DecimalAccess::make(shift_round(coefficient_, shift, mode), exponent);
  }
  // Padding with zeros: exact, but the coefficient grows.
  if (is_zero()) return DecimalAccess::make(BigInt(), exponent);
  const std::int64_t shift = std::int64_t{exponent_} - exponent;
  check_digit_estimate(static_cast<std::int64_t>(digits()) + shift, kOp);
  std::int64_t x = 0;
  if (shift < static_cast<std::int64_t>(kPow10.size()) - 1 && small_signed(coefficient_, x) &&
      !__builtin_mul_overflow(x, static_cast<std::int64_t>(kPow10[static_cast<std::size_t>(shift)]),
                              &x)) {
    return DecimalAccess::make(BigInt(x), exponent);
  }
  BigInt c = coefficient_;
  mul_pow10(c, static_cast<std::uint64_t>(shift));
  return DecimalAccess::make(std::move(c), exponent);
}

Decimal Decimal::reduce() const {
  if (is_zero()) return Decimal();
  std::int64_t exponent = exponent_;
  std::uint64_t m = 0;
  if (small_magnitude(coefficient_, m)) {
    while (m % 10 == 0 && exponent < kMaxExp) {
      m /= 10;
      ++exponent;
    }
    return DecimalAccess::make(signed_big(m, signum() < 0), exponent);
  }
  BigInt c = coefficient_;
  constexpr std::uint64_t kChunk = kPow10[19];
  while (exponent + 19 <= kMaxExp && mp::integer_modulus(c, kChunk) == 0) {
    c /= kChunk;
    exponent += 19;
  }
  while (exponent < kMaxExp && mp::integer_modulus(c, 10u) == 0) {
    c /= 10u;
    ++exponent;
  }
  return DecimalAccess::make(std::move(c), exponent);
}

// ---- comparison ---------------------------------------------------------------------------------

int Decimal::compare(const Decimal& other) const {
  const int sa = signum();
  const int sb = other.signum();
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  const auto sign_of = [](int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); };
  if (exponent_ == other.exponent_) return sign_of(coefficient_.compare(other.coefficient_));
  std::int64_t xa = 0;
  std::int64_t xb = 0;
  if (small_signed(coefficient_, xa) && small_signed(other.coefficient_, xb)) {
    const std::int64_t diff = std::int64_t{exponent_} - other.exponent_;
    const std::int64_t shift = diff < 0 ? -diff : diff;
    std::int64_t& high = diff > 0 ? xa : xb;
    if (shift < static_cast<std::int64_t>(kPow10.size()) - 1 &&
        !__builtin_mul_overflow(
            high, static_cast<std::int64_t>(kPow10[static_cast<std::size_t>(shift)]), &high)) {
      return xa < xb ? -1 : (xa > xb ? 1 : 0);
    }
  }
  // Different magnitudes show in the adjusted exponent (that of the leading digit).
  const std::int64_t adj_a = std::int64_t{exponent_} + static_cast<std::int64_t>(digits()) - 1;
  const std::int64_t adj_b =
      std::int64_t{other.exponent_} + static_cast<std::int64_t>(other.digits()) - 1;
  if (adj_a != adj_b) return adj_a > adj_b ? sa : -sa;
  // Same leading position: the exponents differ by at most kMaxDigits, so aligning is cheap.
  if (exponent_ > other.exponent_) {
    BigInt c = coefficient_;
    mul_pow10(c, static_cast<std::uint64_t>(std::int64_t{exponent_} - other.exponent_));
    return sign_of(c.compare(other.coefficient_));
  }
  BigInt c = other.coefficient_;
  mul_pow10(c, static_cast<std::uint64_t>(std::int64_t{other.exponent_} - exponent_));
  return sign_of(coefficient_.compare(c));
}

bool Decimal::same_representation(const Decimal& other) const noexcept {
  return exponent_ == other.exponent_ && coefficient_ == other.coefficient_;
}

// ---- formatting ---------------------------------------------------------------------------------

std::string Decimal::to_string() const {
  std::string out = signum() < 0 ? "-" : "";
  out += plain_digits(magnitude_string(coefficient_), exponent_, is_zero());
  return out;
}

std::string Decimal::to_scientific_string() const {
  const std::string c = magnitude_string(coefficient_);
  const std::int64_t adjusted = std::int64_t{exponent_} + static_cast<std::int64_t>(c.size()) - 1;
  std::string out = signum() < 0 ? "-" : "";
  if (exponent_ <= 0 && adjusted >= -6) {
    out += plain_digits(c, exponent_, is_zero());
    return out;
  }
  out += c.front();
  if (c.size() > 1) {
    out += '.';
    out.append(c, 1, std::string::npos);
  }
  out += adjusted >= 0 ? "E+" : "E-";
  out += std::to_string(adjusted >= 0 ? adjusted : -adjusted);
  return out;
}

std::string Decimal::to_money_string(std::string_view symbol) const {
  const std::string plain = plain_digits(magnitude_string(coefficient_), exponent_, is_zero());
  const std::size_t point = plain.find('.');
  const std::size_t int_len = point == std::string::npos ? plain.size() : point;
  std::string out = signum() < 0 ? "-" : "";
  out += symbol;
  for (std::size_t i = 0; i < int_len; ++i) {
    if (i > 0 && (int_len - i) % 3 == 0) out += ',';
    out += plain[i];
  }
  // Money always shows at least fen (¥1,000.00, ¥0.00): zeros appended, never a rounding;
  // finer digits an exact amount carries are all kept.
  const std::size_t decimals = point == std::string::npos ? 0 : plain.size() - point - 1;
  out.append(plain, int_len, std::string::npos);
  if (decimals == 0) out += '.';
  if (decimals < 2) out.append(2 - decimals, '0');
  return out;
}

std::string Decimal::to_wan_string() const {
  if (is_zero()) return "0万元";
  std::string c = magnitude_string(coefficient_);
  std::int64_t exponent = std::int64_t{exponent_} - 4;
  while (c.back() == '0') {
    c.pop_back();
    ++exponent;
  }
  std::string out = signum() < 0 ? "-" : "";
  out += plain_digits(std::move(c), exponent, false);
  out += "万元";
  return out;
}

// ---- fixed-point interchange --------------------------------------------------------------------

bool Decimal::to_scaled_int64(std::int32_t exponent, std::int64_t& out) const {
  if (is_zero()) {
    out = 0;
    return true;
  }
  const std::int64_t shift = std::int64_t{exponent_} - exponent;
  if (shift >= 0) {
    // A nonzero value times 10^19 or more is beyond int64.
    std::int64_t x = 0;
    if (shift >= 19 || !small_signed(coefficient_, x)) return false;
    return !__builtin_mul_overflow(
        x, static_cast<std::int64_t>(kPow10[static_cast<std::size_t>(shift)]), &out);
  }
  const auto drop = static_cast<std::uint64_t>(-shift);
  const bool negative = signum() < 0;
  std::uint64_t m = 0;
  if (small_magnitude(coefficient_, m)) {
    if (drop >= kPow10.size() || m % kPow10[drop] != 0) return false;
    m /= kPow10[drop];
  } else {
    if (drop > digits()) return false;
    BigInt q;
    BigInt r;
    BigInt scratch;
    mp::divide_qr(mp::abs(coefficient_), pow10(drop, scratch), q, r);
    if (!r.is_zero() || q > BigInt(kInt64MinMagnitude)) return false;
    m = q.convert_to<std::uint64_t>();
  }
  if (negative) {
    if (m > kInt64MinMagnitude) return false;
    out = m == kInt64MinMagnitude ? std::numeric_limits<std::int64_t>::min()
                                  : -static_cast<std::int64_t>(m);
    return true;
  }
  if (m > static_cast<std::uint64_t>(kInt64Max)) return false;
  out = static_cast<std::int64_t>(m);
  return true;
}

Decimal Decimal::from_scaled_int64(std::int64_t units, std::int32_t exponent) {
  check_exponent(exponent, "from_scaled_int64", "exponent");
  return DecimalAccess::make(BigInt(units), exponent);
}

}  // namespace subsidy
