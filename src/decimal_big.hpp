// The big-coefficient side of subsidy::Decimal, kept out of the public headers: Boost's cpp_int
// is a build dependency of the library only.
#pragma once

#include <boost/multiprecision/cpp_int.hpp>
#include <cstdint>
#include <memory>
#include <utility>

#include "subsidy/decimal.hpp"

namespace subsidy {

/// Arbitrary-precision integer, expression templates off (no dangling references in `auto`).
using BigInt = boost::multiprecision::number<boost::multiprecision::cpp_int_backend<>,
                                             boost::multiprecision::et_off>;

namespace detail {

/// A coefficient that does not fit in int64; immutable once built, shared between copies.
class Big {
 public:
  explicit Big(BigInt v) : value(std::move(v)) {}
  const BigInt value;
};

}  // namespace detail

struct DecimalAccess {
  /// The coefficient of d as a big integer (a copy).
  static BigInt big(const Decimal& d) { return d.big_ ? d.big_->value : BigInt(d.small_); }
  /// The big value, or null when the coefficient is held inline.
  static const BigInt* big_ptr(const Decimal& d) { return d.big_ ? &d.big_->value : nullptr; }
  static std::int64_t small(const Decimal& d) { return d.small_; }
  static bool is_small(const Decimal& d) { return !d.big_; }

  // The caller has checked the exponent and the digit count already.
  static Decimal make_small(std::int64_t coefficient, std::int64_t exponent) {
    Decimal d;
    d.small_ = coefficient;
    d.exponent_ = static_cast<std::int32_t>(exponent);
    return d;
  }
  static Decimal make(BigInt coefficient, std::int64_t exponent) {
    Decimal d;
    d.exponent_ = static_cast<std::int32_t>(exponent);
    const auto& b = coefficient.backend();
    if (b.size() == 1) {
      const std::uint64_t m = b.limbs()[0];
      const bool negative = b.sign();
      constexpr std::uint64_t kMinMagnitude = std::uint64_t{1} << 63;
      if (m < kMinMagnitude) {
        d.small_ = negative ? -static_cast<std::int64_t>(m) : static_cast<std::int64_t>(m);
        return d;
      }
      if (negative && m == kMinMagnitude) {
        d.small_ = INT64_MIN;
        return d;
      }
    }
    d.big_ = std::make_shared<const detail::Big>(std::move(coefficient));
    return d;
  }
};

}  // namespace subsidy
