// The exact decimal: parsing, arithmetic, rounding and formatting (see subsidy/decimal.hpp).
//
// Every result is either exact or rounded by round_away() (rounding.hpp), the one place where a
// rounding mode is interpreted. Boost's integer / and % truncate toward zero, so rounding works on
// magnitudes and reapplies the sign afterwards.
#include "subsidy/decimal.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "amount_text.hpp"
#include "decimal_big.hpp"
#include "rounding.hpp"

namespace subsidy {

namespace mp = boost::multiprecision;

using detail::from_parts;
using detail::iequals;
using detail::is_digit;
using detail::quote;
using detail::trim;

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

BigInt signed_big(std::uint64_t magnitude, bool negative) {
  BigInt v(magnitude);
  if (negative) v = -v;
  return v;
}

std::uint64_t magnitude_of(std::int64_t x) {
  return x < 0 ? 0 - static_cast<std::uint64_t>(x) : static_cast<std::uint64_t>(x);
}

// The coefficient, when it is held inline.
bool small_signed(const Decimal& d, std::int64_t& out) {
  if (!DecimalAccess::is_small(d)) return false;
  out = DecimalAccess::small(d);
  return true;
}

// The coefficient's magnitude, when it fits 64 bits (inline, or a big value of one limb).
bool small_magnitude(const Decimal& d, std::uint64_t& magnitude) {
  if (const BigInt* b = DecimalAccess::big_ptr(d)) return small_magnitude(*b, magnitude);
  magnitude = magnitude_of(DecimalAccess::small(d));
  return true;
}

// ±magnitude × 10^exponent, already checked.
Decimal signed_result(std::uint64_t magnitude, bool negative, std::int64_t exponent) {
  if (magnitude <= static_cast<std::uint64_t>(kInt64Max)) {
    const auto x = static_cast<std::int64_t>(magnitude);
    return DecimalAccess::make_small(negative ? -x : x, exponent);
  }
  if (negative && magnitude == kInt64MinMagnitude) {
    return DecimalAccess::make_small(std::numeric_limits<std::int64_t>::min(), exponent);
  }
  return DecimalAccess::make(signed_big(magnitude, negative), exponent);
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

// ---- text ---------------------------------------------------------------------------------------

std::string magnitude_string(const Decimal& d) {
  std::uint64_t m = 0;
  if (small_magnitude(d, m)) {
    std::array<char, 24> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), m);
    return std::string(buf.data(), res.ptr);
  }
  return mp::abs(*DecimalAccess::big_ptr(d)).str();
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

}  // namespace

namespace detail {

Decimal from_parts(std::string_view digit_text, bool negative, std::int64_t exponent,
                   const char* operation) {
  while (digit_text.size() > 1 && digit_text.front() == '0') digit_text.remove_prefix(1);
  if (digit_text.size() <= 18) {
    // Fits int64 without a check: the common case, built without a big integer.
    check_exponent(exponent, operation, "exponent");
    std::int64_t x = 0;
    for (const char ch : digit_text) x = x * 10 + (ch - '0');
    return DecimalAccess::make_small(negative ? -x : x, exponent);
  }
  BigInt c = integer_from_digits(digit_text, operation);
  if (negative) c = -c;
  check_exponent(exponent, operation, "exponent");
  return DecimalAccess::make(std::move(c), exponent);
}

}  // namespace detail

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

Decimal::Decimal(std::int64_t coefficient, std::int32_t exponent)
    : small_(coefficient), exponent_(exponent) {
  check_exponent(exponent, "Decimal", "exponent");
}

Decimal Decimal::from_magnitude(bool negative, std::uint64_t high, std::uint64_t low,
                                std::int32_t exponent) {
  check_exponent(exponent, "Decimal", "exponent");
  if (high == 0) return signed_result(low, negative, exponent);
  BigInt b(high);
  b <<= 64;
  b += low;
  if (negative) b = -b;
  return DecimalAccess::make(std::move(b), exponent);
}

Decimal Decimal::from_coefficient(std::string_view digits, std::int32_t exponent) {
  std::string_view s = digits;
  const bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  if (s.empty() || !std::all_of(s.begin(), s.end(), is_digit)) {
    throw Error::expected(ErrorKind::parse, "a coefficient of decimal digits with an optional -",
                          quote(digits));
  }
  return from_parts(s, negative, exponent, "Decimal");
}

std::string Decimal::coefficient_string() const {
  std::string out = signum() < 0 ? "-" : "";
  out += magnitude_string(*this);
  return out;
}

int Decimal::big_signum() const noexcept { return big_->value.sign(); }

std::size_t Decimal::digits() const {
  if (big_) return digit_count(big_->value);
  return digits_u64(magnitude_of(small_));
}

// ---- arithmetic ---------------------------------------------------------------------------------

namespace {

Decimal add_impl(const Decimal& a, const Decimal& b, bool subtract, const char* operation) {
  const std::int32_t ea = a.exponent();
  const std::int32_t eb = b.exponent();
  const std::int32_t exponent = std::min(ea, eb);
  std::int64_t xa = 0;
  std::int64_t xb = 0;
  if (small_signed(a, xa) && small_signed(b, xb)) {
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
      return DecimalAccess::make_small(r, exponent);
    }
  }
  BigInt ca = DecimalAccess::big(a);
  BigInt cb = DecimalAccess::big(b);
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
  if (small_signed(a, xa) && small_signed(b, xb) && !__builtin_mul_overflow(xa, xb, &product)) {
    return DecimalAccess::make_small(product, exponent);
  }
  return finish(DecimalAccess::big(a) * DecimalAccess::big(b), exponent, "multiply");
}

Decimal Decimal::operator-() const {
  if (!big_ && small_ != std::numeric_limits<std::int64_t>::min()) {
    return DecimalAccess::make_small(-small_, exponent_);
  }
  return DecimalAccess::make(-DecimalAccess::big(*this), exponent_);
}

Decimal Decimal::abs() const { return signum() < 0 ? -*this : *this; }

Decimal Decimal::divide(const Decimal& dividend, const Decimal& divisor, std::int32_t exponent,
                        Rounding mode) {
  constexpr const char* kOp = "divide";
  if (divisor.is_zero()) {
    throw Error(ErrorKind::division,
                "divide: division by zero (dividend " + dividend.to_scientific_string() + ")");
  }
  check_exponent(exponent, kOp, "target exponent");
  if (dividend.is_zero()) return DecimalAccess::make_small(0, exponent);
  const bool negative = dividend.signum() != divisor.signum();
  // quotient coefficient = |a| × 10^scale / |b|, rounded.
  const std::int64_t scale = std::int64_t{dividend.exponent_} - divisor.exponent_ - exponent;
  std::uint64_t ma = 0;
  std::uint64_t mb = 0;
  if (small_magnitude(dividend, ma) && small_magnitude(divisor, mb)) {
    bool ok = true;
    if (scale > 0) {
      ok = scale < static_cast<std::int64_t>(kPow10.size()) &&
           !__builtin_mul_overflow(ma, kPow10[static_cast<std::size_t>(scale)], &ma);
    } else if (scale < 0) {
      ok = -scale < static_cast<std::int64_t>(kPow10.size()) &&
           !__builtin_mul_overflow(mb, kPow10[static_cast<std::size_t>(-scale)], &mb);
    }
    if (ok) {
      return signed_result(rounded_quotient(ma, mb, negative, mode), negative, exponent);
    }
  }
  const auto da = static_cast<std::int64_t>(dividend.digits());
  const auto db = static_cast<std::int64_t>(divisor.digits());
  if (scale >= 0) {
    // |a| ≥ 10^(da−1) and |b| < 10^db, so the quotient has at least da + scale − db digits.
    check_digit_estimate(da + scale - db, kOp);
    BigInt num = mp::abs(DecimalAccess::big(dividend));
    mul_pow10(num, static_cast<std::uint64_t>(scale));
    return finish(rounded_quotient(num, mp::abs(DecimalAccess::big(divisor)), negative, mode),
                  exponent, kOp);
  }
  // The quotient is below 10^(da − db + 1 + scale): under 0.1 once −scale ≥ da − db + 2.
  if (-scale >= da - db + 2) return DecimalAccess::make(tiny_quotient(negative, mode), exponent);
  BigInt den = mp::abs(DecimalAccess::big(divisor));
  mul_pow10(den, static_cast<std::uint64_t>(-scale));
  return finish(rounded_quotient(mp::abs(DecimalAccess::big(dividend)), den, negative, mode),
                exponent, kOp);
}

Decimal Decimal::quantize(std::int32_t exponent, Rounding mode) const {
  constexpr const char* kOp = "quantize";
  check_exponent(exponent, kOp, "target exponent");
  if (exponent == exponent_) return *this;
  if (exponent > exponent_) {
    // The coefficient / 10^shift, rounded by mode.
    const auto shift = static_cast<std::uint64_t>(std::int64_t{exponent} - exponent_);
    if (is_zero()) return DecimalAccess::make_small(0, exponent);
    const bool negative = signum() < 0;
    std::uint64_t m = 0;
    if (small_magnitude(*this, m)) {
      // m < 2^64 < 10^20 / 2: from 10^20 on, the magnitude is below half a unit.
      if (shift >= kPow10.size())
        return DecimalAccess::make(tiny_quotient(negative, mode), exponent);
      return signed_result(rounded_quotient(m, kPow10[shift], negative, mode), negative, exponent);
    }
    if (shift > digits()) return DecimalAccess::make(tiny_quotient(negative, mode), exponent);
    BigInt scratch;
    return DecimalAccess::make(
        rounded_quotient(mp::abs(big_->value), pow10(shift, scratch), negative, mode), exponent);
  }
  // Padding with zeros: exact, but the coefficient grows.
  if (is_zero()) return DecimalAccess::make_small(0, exponent);
  const std::int64_t shift = std::int64_t{exponent_} - exponent;
  check_digit_estimate(static_cast<std::int64_t>(digits()) + shift, kOp);
  std::int64_t x = 0;
  if (shift < static_cast<std::int64_t>(kPow10.size()) - 1 && small_signed(*this, x) &&
      !__builtin_mul_overflow(x, static_cast<std::int64_t>(kPow10[static_cast<std::size_t>(shift)]),
                              &x)) {
    return DecimalAccess::make_small(x, exponent);
  }
  BigInt c = DecimalAccess::big(*this);
  mul_pow10(c, static_cast<std::uint64_t>(shift));
  return DecimalAccess::make(std::move(c), exponent);
}

Decimal Decimal::reduce() const {
  if (is_zero()) return Decimal();
  std::int64_t exponent = exponent_;
  std::uint64_t m = 0;
  if (small_magnitude(*this, m)) {
    while (m % 10 == 0 && exponent < kMaxExp) {
      m /= 10;
      ++exponent;
    }
    return signed_result(m, signum() < 0, exponent);
  }
  BigInt c = DecimalAccess::big(*this);
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
  std::int64_t xa = 0;
  std::int64_t xb = 0;
  const bool both_small = small_signed(*this, xa) && small_signed(other, xb);
  if (exponent_ == other.exponent_) {
    if (both_small) return xa < xb ? -1 : (xa > xb ? 1 : 0);
    return sign_of(DecimalAccess::big(*this).compare(DecimalAccess::big(other)));
  }
  if (both_small) {
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
    BigInt c = DecimalAccess::big(*this);
    mul_pow10(c, static_cast<std::uint64_t>(std::int64_t{exponent_} - other.exponent_));
    return sign_of(c.compare(DecimalAccess::big(other)));
  }
  BigInt c = DecimalAccess::big(other);
  mul_pow10(c, static_cast<std::uint64_t>(std::int64_t{other.exponent_} - exponent_));
  return sign_of(DecimalAccess::big(*this).compare(c));
}

bool Decimal::same_representation(const Decimal& other) const noexcept {
  if (exponent_ != other.exponent_) return false;
  if (!big_ || !other.big_) return !big_ && !other.big_ && small_ == other.small_;
  return big_->value == other.big_->value;
}

// ---- formatting ---------------------------------------------------------------------------------

std::string Decimal::to_string() const {
  std::string out = signum() < 0 ? "-" : "";
  out += plain_digits(magnitude_string(*this), exponent_, is_zero());
  return out;
}

std::string Decimal::to_scientific_string() const {
  const std::string c = magnitude_string(*this);
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
  const std::string plain = plain_digits(magnitude_string(*this), exponent_, is_zero());
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
  std::string c = magnitude_string(*this);
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
    if (shift >= 19 || !small_signed(*this, x)) return false;
    return !__builtin_mul_overflow(
        x, static_cast<std::int64_t>(kPow10[static_cast<std::size_t>(shift)]), &out);
  }
  const auto drop = static_cast<std::uint64_t>(-shift);
  const bool negative = signum() < 0;
  std::uint64_t m = 0;
  if (small_magnitude(*this, m)) {
    if (drop >= kPow10.size() || m % kPow10[drop] != 0) return false;
    m /= kPow10[drop];
  } else {
    if (drop > digits()) return false;
    BigInt q;
    BigInt r;
    BigInt scratch;
    mp::divide_qr(mp::abs(big_->value), pow10(drop, scratch), q, r);
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
  return DecimalAccess::make_small(units, exponent);
}

}  // namespace subsidy
