// The exact decimal number: a signed coefficient and a power-of-ten exponent,
// value = coefficient × 10^exponent. Money and rates live in this type and nowhere else.
//
// Overflow policy: the coefficient is an arbitrary-precision integer, bounded by
// kMaxDigits decimal digits (one that fits in 64 bits is held inline, a larger one behind a
// pointer to an immutable value defined in src/, so this header needs no big-integer library); the
// exponent is bounded by ±kMaxExponent. An operation whose exact result would leave those bounds
// throws subsidy::Error (kind overflow) naming the operation. Nothing wraps, nothing saturates,
// nothing is rounded without being asked.
//
// There is no conversion from binary floating-point types: such a value is already inexact. Build
// decimals from text (parse), from integers, or from coefficient + exponent.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "subsidy/error.hpp"

namespace subsidy {

namespace detail {
class Big;  // a coefficient beyond 64 bits (src/decimal_big.hpp)
}

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

/// The unit a text amount was written in: a bare number, yuan (元, 万元, ...) or a rate (50%,
/// 百分之一).
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
  explicit Decimal(I value) {
    static_assert(sizeof(I) <= sizeof(std::uint64_t), "integers up to 64 bits");
    if constexpr (std::is_signed_v<I>) {
      small_ = value;
    } else if (static_cast<std::uint64_t>(value) >> 63 == 0) {
      small_ = static_cast<std::int64_t>(value);
    } else {
      *this = from_magnitude(false, 0, static_cast<std::uint64_t>(value), 0);
    }
  }

  /// Binary floating point is refused at compile time.
  template <class F, std::enable_if_t<std::is_floating_point_v<F>, int> = 0>
  explicit Decimal(F) = delete;

  /// coefficient × 10^exponent. Throws Error(overflow) outside the exponent bounds.
  Decimal(std::int64_t coefficient, std::int32_t exponent);
  /// ±(high × 2^64 + low) × 10^exponent: a 128-bit magnitude (a fixed-point sum) made exact.
  static Decimal from_magnitude(bool negative, std::uint64_t high, std::uint64_t low,
                                std::int32_t exponent);
  /// A coefficient of any size written as decimal digits with an optional sign ("-12345"),
  /// × 10^exponent. Throws Error(parse) on other text, Error(overflow) outside the bounds above.
  static Decimal from_coefficient(std::string_view digits, std::int32_t exponent);

  /// Parses the amounts policy texts and rule files use, exactly:
  ///   1234.56   -0.005   1,234,567.89   30万   1.2亿   5千   100万元   200元   50%   百分之一
  /// 万 = 10^4, 亿 = 10^8, 千 = 10^3; 元 is a unit, not a factor; % and 百分之 make a rate.
  /// Exponent notation (1e5), NaN, infinities, empty text and repeated units are errors that
  /// quote the input and say what was expected. So are ".5" and "1." (write 0.5 and 1): a policy
  /// figure with a bare point is more often a typo than an amount.
  /// After 百分之, arabic digits (百分之12.5) or Chinese numerals 零一二两三四五六七八九十百千 with
  /// 点 for the fraction (百分之十二点五 = 0.125) are accepted; the result's exponent keeps the
  /// written digits, so 50% and 百分之五十 are both 0.50.
  static Decimal parse(std::string_view text);

  /// Like parse, and also says which unit the text was written in.
  static Amount parse_amount(std::string_view text);

  /// The General Decimal Arithmetic "to-number" syntax for finite numbers (1.23E+5, -0E-3),
  /// used by the conformance tests. No units, no grouping. Throws on NaN and infinities.
  static Decimal parse_scientific(std::string_view text);

  /// The coefficient as decimal digits with a leading '-' when negative ("-12345", "0").
  std::string coefficient_string() const;
  /// The coefficient, when it fits in int64 (every amount of money does).
  std::optional<std::int64_t> coefficient_int64() const noexcept {
    if (big_) return std::nullopt;
    return small_;
  }
  std::int32_t exponent() const noexcept { return exponent_; }
  /// −1, 0 or 1.
  int signum() const noexcept {
    if (big_) return big_signum();
    return (small_ > 0) - (small_ < 0);
  }
  bool is_zero() const noexcept { return !big_ && small_ == 0; }
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

  int big_signum() const noexcept;

  // Exactly one representation per coefficient: big_ is set only when the coefficient does not
  // fit in int64, so the common case never allocates and copies share the immutable big value.
  std::int64_t small_ = 0;
  std::shared_ptr<const detail::Big> big_;
  std::int32_t exponent_ = 0;
};

struct Amount {
  Decimal value;
  AmountUnit unit = AmountUnit::number;
};

}  // namespace subsidy
