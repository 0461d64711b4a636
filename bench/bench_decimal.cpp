// bench_decimal: what exactness costs. Times Decimal add, multiply and multiply-then-quantize(-2,
// half_up) on a million realistic money × rate pairs, against plain int64_t fixed-point arithmetic
// on the same values (money in 分, rates in units of 0.0001). Not a test: it prints numbers.
//
//   cmake --build build --target bench_decimal && build/bench/bench_decimal [count]
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "splitmix.hpp"
#include "subsidy/decimal.hpp"

namespace {

using subsidy::Decimal;
using subsidy::Rounding;
using Clock = std::chrono::steady_clock;

using bench::SplitMix;

// The low 64 bits of a coefficient: a checksum the optimizer cannot skip.
std::int64_t low_bits(const Decimal& d) { return d.coefficient_int64().value_or(0) + d.exponent(); }

struct Timing {
  std::int64_t ns = 0;
  std::int64_t checksum = 0;
};

template <class F>
Timing best_of(int runs, F&& body) {
  Timing best;
  for (int r = 0; r < runs; ++r) {
    const auto start = Clock::now();
    const std::int64_t checksum = body();
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
    if (r == 0 || ns < best.ns) best = {static_cast<std::int64_t>(ns), checksum};
  }
  return best;
}

void print(const char* name, std::size_t count, const Timing& dec, const Timing& fixed) {
  const auto per_second = [count](const Timing& t) {
    return static_cast<long long>(static_cast<long double>(count) * 1e9L /
                                  static_cast<long double>(t.ns > 0 ? t.ns : 1));
  };
  const long long d = per_second(dec);
  const long long f = per_second(fixed);
  std::cout << std::left << std::setw(22) << name << std::right << std::setw(14) << d
            << " ops/s  int64: " << std::setw(14) << f << " ops/s  ratio " << std::fixed
            << std::setprecision(1) << static_cast<long double>(f) / static_cast<long double>(d)
            << "x  (checksums " << dec.checksum << " / " << fixed.checksum << ")\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  SplitMix rng{20240601};
  // Money: 0.01 to 1亿 yuan in 分, a few refunds negative; rates: 0.01% to 100.00%.
  std::vector<std::int64_t> money_fen(count);
  std::vector<std::int64_t> rate_units(count);
  std::vector<Decimal> money(count);
  std::vector<Decimal> rate(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t magnitude = 1 + rng.below(rng.below(4) == 0 ? 10'000'000'000 : 100'000'000);
    money_fen[i] = rng.below(20) == 0 ? -magnitude : magnitude;
    rate_units[i] = 1 + rng.below(10'000);
    money[i] = Decimal::from_scaled_int64(money_fen[i], -2);
    rate[i] = Decimal::from_scaled_int64(rate_units[i], -4);
  }
  std::cout << "bench_decimal: " << count << " money x rate pairs, best of 5 runs\n";

  const Timing add_dec = best_of(5, [&] {
    Decimal total;
    for (std::size_t i = 0; i < count; ++i) total = total + money[i];
    std::int64_t out = 0;
    return total.to_scaled_int64(-2, out) ? out : -1;
  });
  const Timing add_int = best_of(5, [&] {
    std::int64_t total = 0;
    for (std::size_t i = 0; i < count; ++i) total += money_fen[i];
    return total;
  });
  print("add", count, add_dec, add_int);

  const Timing mul_dec = best_of(5, [&] {
    std::int64_t checksum = 0;
    for (std::size_t i = 0; i < count; ++i) checksum += low_bits(money[i] * rate[i]);
    return checksum;
  });
  const Timing mul_int = best_of(5, [&] {
    std::int64_t checksum = 0;
    for (std::size_t i = 0; i < count; ++i) checksum += money_fen[i] * rate_units[i] - 6;
    return checksum;
  });
  print("multiply", count, mul_dec, mul_int);

  const Timing mq_dec = best_of(5, [&] {
    std::int64_t checksum = 0;
    for (std::size_t i = 0; i < count; ++i) {
      checksum += low_bits((money[i] * rate[i]).quantize(-2, Rounding::half_up));
    }
    return checksum;
  });
  const Timing mq_int = best_of(5, [&] {
    std::int64_t checksum = 0;
    for (std::size_t i = 0; i < count; ++i) {
      // Product in units of 10^-6 yuan; half_up to 分 is ties away from zero on the magnitude.
      const std::int64_t p = money_fen[i] * rate_units[i];
      const std::int64_t q = p >= 0 ? (p + 5'000) / 10'000 : -((-p + 5'000) / 10'000);
      checksum += q - 2;
    }
    return checksum;
  });
  print("multiply+quantize", count, mq_dec, mq_int);
  return 0;
}
