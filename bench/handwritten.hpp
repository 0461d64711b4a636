// Workload S written by hand: the physical reference for what exact code can do on this machine.
// The same rules as rules/*.yaml encode them (J4 under option defaults; O11 first-unit, O20 cash
// awards and O21 under option defaults), with the figures typed in here — this file is a
// benchmark, not the engine. `Int` is int64_t (amounts in 分, unchecked) or Boost's
// checked_int128_t (every operation checked).
#pragma once

#include <cstdint>

#include "synthetic.hpp"

namespace bench {

/// The rules of workload S per enterprise (J4 + 3 O11 + 6 O20 + 7 O21).
constexpr int kRulesS = 17;

/// Workload J: the J4 tax rebate alone (machining-survey applies to 机械加工 and 机械装备制造; the
/// rule to 机械装备制造 above 1亿).
template <class Int>
Int workload_j(const Synthetic& d, std::size_t r) {
  if (d.industry[r] != 2 || !(d.revenue[r] > Int(10000000000LL))) return 0;
  const Int land = d.land_tax[r];
  Int increase = Int(d.income_tax[r]) - Int(d.income_tax_last[r]);
  if (increase < 0) increase = 0;
  // In units of 10^-4: 50% × land + 70% × increase above 5亿, else 50% × (land + increase).
  Int x = d.revenue[r] > Int(50000000000LL) ? Int(50) * land + Int(70) * increase
                                            : Int(50) * (land + increase);
  if (x < 0) x = 0;
  return (x + 50) / 100;  // half up to the 分 (x ≥ 0)
}

template <class Int>
Int workload_s(const Synthetic& d, std::size_t r) {
  Int total = workload_j<Int>(d, r);
  const std::uint8_t industry = d.industry[r];
  if (industry == 3) return total;  // em-opinions-draft applies to the three 机电 industries
  // O11: certified first-unit products priced at 100万 or more: 30万 / 10万 / 5万 each.
  static const std::int64_t kFirstUnit[] = {30000000LL, 10000000LL, 5000000LL};
  for (std::uint32_t i = d.product_offsets[r]; i < d.product_offsets[r + 1]; ++i) {
    if (d.product_certified[i] && d.product_price[i] >= 100000000LL)
      total += Int(kFirstUnit[d.product_category[i]]);
  }
  // O20: 省长奖 100万 and 市长奖 30万 once; quality products 1万 / 5万 / 5万 / 30万 each.
  static const std::int64_t kQuality[] = {0, 0, 1000000LL, 5000000LL, 5000000LL, 30000000LL};
  bool governor = false, mayor = false;
  for (std::uint32_t i = d.award_offsets[r]; i < d.award_offsets[r + 1]; ++i) {
    const std::uint8_t kind = d.award_kind[i];
    governor = governor || kind == 0;
    mayor = mayor || kind == 1;
    total += Int(kQuality[kind]);
  }
  if (governor) total += Int(100000000LL);
  if (mayor) total += Int(30000000LL);
  // O21: main drafting unit of an international / national / industry or provincial standard:
  // 20万 / 10万 / 5万 each; ratings 国家4A 5万, 国家3A 3万, 省级4A 3万, 省级3A 2万.
  static const std::int64_t kStandard[] = {20000000LL, 10000000LL, 5000000LL, 5000000LL};
  for (std::uint32_t i = d.standard_offsets[r]; i < d.standard_offsets[r + 1]; ++i) {
    if (d.standard_role[i] == 0) total += Int(kStandard[d.standard_level[i]]);
  }
  static const std::int64_t kRating[] = {5000000LL, 3000000LL, 3000000LL, 2000000LL};
  for (std::uint32_t i = d.rating_offsets[r]; i < d.rating_offsets[r + 1]; ++i)
    total += Int(kRating[d.rating_grade[i]]);
  return total;
}

}  // namespace bench
