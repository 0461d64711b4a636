// The exact decimal number: a signed coefficient and a power-of-ten exponent,
// value = coefficient × 10^exponent. Money and rates live in this type and nowhere else.
//
// Overflow policy: the coefficient is an arbitrary-precision integer, bounded by
// kMaxDigits decimal digits; the exponent is bounded by ±kMaxExponent. An operation whose
// exact result would leave those bounds throws subsidy::Error (kind overflow) naming the
// operation. Nothing wraps, nothing saturates, nothing is rounded without being asked.
//
// There is no conversion from binary floating-point types: such a value is already inexact. Build decimals from text (parse), from integers, or from coefficient + exponent.
#pragma once

#include <boost/multiprecision/cpp_int.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "subsidy/error.hpp"

namespace subsidy {

/// Arbitrary-precision integer, expression templates off (no dangling references in `auto`).
using BigInt = boost::multiprecision::number<boost::multiprecision::cpp_int_backend<>,
                                             boost::multiprecision::et_off>;

/// Rounding modes of the General Decimal Arithmetic specification.
enum class Rounding : std::uint8_t {
  half_up,       ///< 四舍五入: ties away from zero; the default for money
  half_even,     ///< 四舍六入五成双 (GB/T 8170): ties to the even digit
  half_down,     ///< ties toward zero
  down,          ///< toward zero (截尾)
  up,            ///< away from zero (进一)
  floor,         ///< toward −∞
  ceiling,       ///< toward +∞
  zero_five_up,  ///< "05up": toward zero, unless that leaves 0 or 5 as last digit, then away
};

/// "half_up", "half_even", ... (the names used in rule files).
std::string_view to_string(Rounding mode) noexcept;
/// Accepts the rule-file names, the GDA / Python names (ROUND_HALF_UP, ...) and the Chinese terms
/// 四舍五入, 四舍六入五成双, 截尾, 进一. Throws Error(parse) naming the accepted forms.
Rounding parse_rounding(std::string_view text);

/// The unit a text amount was written in: a bare number, yuan (元, 万元, ...) or a rate (50%, 百分之一).
enum class AmountUnit : std::uint8_t { number, yuan, rate };

class Decimal;

/// A parsed amount: its exact value and the unit written with it.
struct Amount;

class Decimal {
 public:
  static constexpr std::int32_t kMaxExponent = 999'999;
  static constexpr std::size_t kMaxDigits = 4096;

  /// Zero.
  Decimal() = default;

  /// Exact from any integer type.
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  explicit Decimal(I value) : coefficient_(value) {}

  /// Binary floating point is refused at compile time.
  template <class F, std::enable_if_t<std::is_floating_point_v<F>, int> = 0>
  explicit Decimal(F) = delete;

  /// coefficient × 10^exponent. Throws Error(overflow) outside the bounds above.
  Decimal(BigInt coefficient, std::int32_t exponent);

  /// Parses the amounts policy texts and rule files use, exactly:
  ///   1234.56   -0.005   1,234,567.89   30万   1.2亿   5千   100万元   200元   50%   百分之一
  /// 万 = 10^4, 亿 = 10^8, 千 = 10^3; 元 is a unit, not a factor; % and 百分之 make a rate.
  /// Exponent notation (1e5), NaN, infinities, empty text and repeated units are errors that
  /// quote the input and say what was expected. So are ".5" and "1." (write 0.5 and 1): a policy
  /// figure with a bare point is more often a typo than an amount.
  /// After 百分之, arabic digits (百分之12.5) or Chinese numerals 零一二两三四五六七八九十百千 with 点
  /// for the fraction (百分之十二点五 = 0.125) are accepted; the result's exponent keeps the
  /// written digits, so 50% and 百分之五十 are both 0.50.
  static Decimal parse(std::string_view text);

  /// Like parse, and also says which unit the text was written in.
  static Amount parse_amount(std::string_view text);

  /// The General Decimal Arithmetic "to-number" syntax for finite numbers (1.23E+5, -0E-3),
  /// used by the conformance tests. No units, no grouping. Throws on NaN and infinities.
  static Decimal parse_scientific(std::string_view text);

  const BigInt& coefficient() const noexcept { return coefficient_; }
  std::int32_t exponent() const noexcept { return exponent_; }
  /// −1, 0 or 1.
  int signum() const noexcept;
  bool is_zero() const noexcept { return coefficient_.is_zero(); }
  bool is_negative() const noexcept { return signum() < 0; }
  /// Number of decimal digits in the coefficient (1 for zero).
  std::size_t digits() const;

  // Exact arithmetic: the result keeps every digit (exponent = min of the operands' for + and −,
  // sum for ×), as the General Decimal Arithmetic spec does with unlimited precision.
  friend Decimal operator+(const Decimal& a, const Decimal& b);
  friend Decimal operator-(const Decimal& a, const Decimal& b);
  friend Decimal operator*(const Decimal& a, const Decimal& b);
  Decimal operator-() const;
  Decimal& operator+=(const Decimal& other) { return *this = *this + other; }
  Decimal& operator-=(const Decimal& other) { return *this = *this - other; }
  Decimal& operator*=(const Decimal& other) { return *this = *this * other; }
  Decimal abs() const;

  /// Division is never implicit: the caller names the result's exponent and the rounding mode.
  /// Throws Error(division) when the divisor is zero.
  static Decimal divide(const Decimal& dividend, const Decimal& divisor, std::int32_t exponent,
                        Rounding mode);

  /// Rounds (or pads) to the given exponent: quantize(-2, half_up) rounds to the 分.
  Decimal quantize(std::int32_t exponent, Rounding mode = Rounding::half_up) const;
  /// Removes trailing zeros from the coefficient (GDA "reduce"; zero becomes 0). Stops when the
  /// exponent reaches kMaxExponent, so it never throws.
  Decimal reduce() const;
  /// Money to the 分: quantize(-2, mode).
  Decimal to_fen(Rounding mode = Rounding::half_up) const { return quantize(-2, mode); }

  /// Exact numeric comparison: −1, 0 or 1 (1.0 and 1.00 compare equal).
  int compare(const Decimal& other) const;
  friend bool operator==(const Decimal& a, const Decimal& b) { return a.compare(b) == 0; }
  friend bool operator!=(const Decimal& a, const Decimal& b) { return a.compare(b) != 0; }
  friend bool operator<(const Decimal& a, const Decimal& b) { return a.compare(b) < 0; }
  friend bool operator<=(const Decimal& a, const Decimal& b) { return a.compare(b) <= 0; }
  friend bool operator>(const Decimal& a, const Decimal& b) { return a.compare(b) > 0; }
  friend bool operator>=(const Decimal& a, const Decimal& b) { return a.compare(b) >= 0; }
  /// Same coefficient and same exponent (1.0 and 1.00 differ here).
  bool same_representation(const Decimal& other) const noexcept;

  static const Decimal& min(const Decimal& a, const Decimal& b) { return b < a ? b : a; }
  static const Decimal& max(const Decimal& a, const Decimal& b) { return a < b ? b : a; }

  /// Plain notation, every digit the exponent implies: 1234567.89, -0.005, 100 (for 1E+2).
  std::string to_string() const;
  /// The GDA to-scientific-string form (1.23E+5), as the conformance tests print results.
  std::string to_scientific_string() const;
  /// Grouped money: ¥1,234,567.89 (as stored; call to_fen() first to round), -¥5.00 for negatives.
  std::string to_money_string(std::string_view symbol = "¥") const;
  /// In 万元, exact and without trailing zeros: 1234567.89 → "123.456789万元", 300000 → "30万元".
  std::string to_wan_string() const;

  /// The value as an integer count of 10^exponent units, if exact and within int64;
  /// used by the batch evaluator's fixed-point fast path.
  bool to_scaled_int64(std::int32_t exponent, std::int64_t& out) const;
  static Decimal from_scaled_int64(std::int64_t units, std::int32_t exponent);

 private:
  // src/decimal.cpp builds results it has already checked without validating them twice.
  friend struct DecimalAccess;

  BigInt coefficient_{0};
  std::int32_t exponent_ = 0;
};

struct Amount {
  Decimal value;
  AmountUnit unit = AmountUnit::number;
};

}  // namespace subsidy
