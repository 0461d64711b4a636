// The one rounding decision of the library, for both number domains: Decimal (decimal.cpp) and
// the batch path's int64 fixed point (round_scaled below), so that the two cannot round apart.
#pragma once

#include <cstdint>

#include "subsidy/decimal.hpp"

namespace subsidy::detail {

/// What the dropped digits were worth, relative to half a unit of the kept last digit.
enum class Tail : std::uint8_t { zero, below_half, half, above_half };

/// Whether the truncated magnitude moves one unit away from zero. `last_digit` is the kept last
/// digit of the magnitude, `negative` the value's sign.
inline bool round_away(Rounding mode, bool negative, unsigned last_digit, Tail tail) {
  if (tail == Tail::zero) return false;
  switch (mode) {
    case Rounding::half_up:
      return tail != Tail::below_half;
    case Rounding::half_even:
      return tail == Tail::above_half || (tail == Tail::half && last_digit % 2 == 1);
    case Rounding::half_down:
      return tail == Tail::above_half;
    case Rounding::down:
      return false;
    case Rounding::up:
      return true;
    case Rounding::floor:
      return negative;
    case Rounding::ceiling:
      return !negative;
    case Rounding::zero_five_up:
      return last_digit == 0 || last_digit == 5;
  }
  return false;
}

/// v / unit rounded by `mode`, exactly as Decimal::quantize rounds: the fixed-point domain's
/// rounding, where `unit` is 10^k for the k digits dropped (1 ≤ k ≤ 18).
inline std::int64_t round_scaled(std::int64_t v, std::int64_t unit, Rounding mode) {
  const std::int64_t q = v / unit;
  const std::int64_t r = v % unit;
  if (r == 0) return q;
  const std::int64_t twice = (r < 0 ? -r : r) * 2;  // < 2·10^18: no overflow
  const Tail tail = twice < unit ? Tail::below_half : twice == unit ? Tail::half : Tail::above_half;
  const bool negative = v < 0;
  const auto last = static_cast<unsigned>((q < 0 ? -q : q) % 10);
  return round_away(mode, negative, last, tail) ? q + (negative ? -1 : 1) : q;
}

}  // namespace subsidy::detail
