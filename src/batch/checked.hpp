// Checked int64 arithmetic of the fixed-point domain: an overflow raises a flag instead of
// wrapping (signed overflow is undefined behaviour), and scaling by powers of ten.
#pragma once

#include <cstdint>

#include "../rounding.hpp"

namespace subsidy::batch {

constexpr std::int64_t kPow10[19] = {1,
                                     10,
                                     100,
                                     1000,
                                     10000,
                                     100000,
                                     1000000,
                                     10000000,
                                     100000000,
                                     1000000000,
                                     10000000000,
                                     100000000000,
                                     1000000000000,
                                     10000000000000,
                                     100000000000000,
                                     1000000000000000,
                                     10000000000000000,
                                     100000000000000000,
                                     1000000000000000000};

/// A construct the compiler does not handle; the whole program then runs on the reference path.
struct Unsupported {
  std::string what;
};
[[noreturn]] inline void refuse(std::string what) { throw Unsupported{std::move(what)}; }

/// a + b, or 0 with `failed` raised when it overflows int64.
inline std::int64_t checked_add(std::int64_t a, std::int64_t b, bool& failed) {
  std::int64_t r;
  if (!__builtin_add_overflow(a, b, &r)) return r;
  failed = true;
  return 0;
}
/// a − b, or 0 with `failed` raised when it overflows int64.
inline std::int64_t checked_sub(std::int64_t a, std::int64_t b, bool& failed) {
  std::int64_t r;
  if (!__builtin_sub_overflow(a, b, &r)) return r;
  failed = true;
  return 0;
}
/// a × b, or 0 with `failed` raised when it overflows int64.
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b, bool& failed) {
  std::int64_t r;
  if (!__builtin_mul_overflow(a, b, &r)) return r;
  failed = true;
  return 0;
}
inline std::int64_t scale_up(std::int64_t v, std::int32_t digits, bool& failed) {
  return digits == 0 ? v : checked_mul(v, kPow10[digits], failed);
}

/// v / 10^digits rounded by `mode`: the library's one rounding decision (rounding.hpp).
inline std::int64_t scale_down(std::int64_t v, std::int32_t digits, Rounding mode) {
  return detail::round_scaled(v, kPow10[digits], mode);
}

}  // namespace subsidy::batch
