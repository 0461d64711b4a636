// The award semantics of the rule language, written once and generic over a number domain:
// the award forms (fixed, formula, rate of base, band, unfixed, honour, per item, tiers with their
// hit policy), how outcomes add up, what makes a rule give a line (condition, recurrence,
// negative check, recognition), and the interactions of a policy set's lines (exclusions: 就高 or
// the first listed; caps).
//
// Two domains instantiate it:
//   - the exact domain (evaluate.cpp): Decimal numbers and texts, with trace hooks for
//     explanations and audits; an impossible value is an Error;
//   - the fixed-point domain (batch/interpret.cpp): int64 at an exponent per value, texts as
//     indexes, no trace; a value it cannot hold exactly (an overflow, a fraction where a whole
//     count is needed) raises the row's `failed` flag, and the row is finished in the exact domain.
//
// A domain D provides the types Number, Text, Award and Rule and the operations used below; each
// is named for what it means in the rule language, not for how the domain computes it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "subsidy/evaluate.hpp"
#include "subsidy/rules.hpp"

namespace subsidy::detail {

/// How undetermined a line status is: a sum of outcomes takes the least determined of its parts.
inline int rank(LineStatus s) {
  return s == LineStatus::unfixed      ? 3
         : s == LineStatus::recognised ? 2
         : s == LineStatus::band       ? 1
                                       : 0;
}

/// What an award gives before rounding: an amount (exact) or a band, or no money at all, with the
/// tier labels reached, the words of an unfixed amount and the number of items.
template <class D>
struct Outcome {
  bool any = false;  ///< false: no line (no tier reached, no item qualifies)
  LineStatus status = LineStatus::exact;
  typename D::Number amount{};
  typename D::Number min{};  ///< band floor (the amount for exact outcomes)
  typename D::Number max{};  ///< band ceiling
  typename D::Text tier{};
  typename D::Text text{};
  std::int64_t items = 0;
};

/// Adds outcome x to `into` (the items of a list, the tiers of a sum): amounts and bands add end
/// by end, the status is the least determined, tier labels join, the first words stay.
template <class D>
void add(D& d, Outcome<D>& into, const Outcome<D>& x) {
  if (!x.any) return;
  if (!into.any) {
    into = x;
    return;
  }
  into.amount = d.add(into.amount, x.amount);
  into.min = d.add(into.min, x.min);
  into.max = d.add(into.max, x.max);
  if (rank(x.status) > rank(into.status)) into.status = x.status;
  d.join_tier(into.tier, x.tier);
  if (d.empty(into.text)) into.text = x.text;
  into.items = d.add_count(into.items, x.items);
}

template <class D>
Outcome<D> award(D& d, const typename D::Award& a);

/// per_item: a count of items (`count:`) or the records of a list meeting `where:`, each worth
/// the `each:` award.
template <class D>
Outcome<D> per_item(D& d, const typename D::Award& a) {
  Outcome<D> total;
  if (!d.for_each(a)) {
    const std::int64_t count = d.item_count(a);  // a whole number ≥ 0, else an error
    if (count <= 0) return total;
    Outcome<D> each = award(d, d.each(a));
    each.amount = d.times(each.amount, count);
    each.min = d.times(each.min, count);
    each.max = d.times(each.max, count);
    each.items = count;
    d.trace_items(count);
    return each;
  }
  if (d.count_records(a, total)) return total;  // the domain's own shortcut, if it has one
  d.each_record(a, [&] {
    Outcome<D> one = award(d, d.each(a));
    one.items = 1;
    add(d, total, one);
  });
  return total;
}

/// tiers: the levels the value falls in, chosen by the hit policy (unique: at most one, else an
/// error; first; highest: the last listed reached; sum: every level reached).
template <class D>
Outcome<D> tiers(D& d, const typename D::Award& a) {
  const typename D::Number v = d.tier_value(a);
  const std::size_t levels = d.level_count(a);
  std::size_t first = levels, last = levels, second = levels, hits = 0;
  std::uint64_t reached = 0;  // the levels reached, among the first 64
  for (std::size_t k = 0; k < levels; ++k) {
    if (!d.in_level(a, k, v)) continue;
    if (k < 64) reached |= std::uint64_t{1} << k;
    if (hits == 0) first = k;
    if (hits == 1) second = k;
    last = k;
    ++hits;
  }
  Outcome<D> o;
  if (hits == 0) {
    d.trace_no_tier(v);
    return o;
  }
  const HitPolicy hit = d.hit(a);
  if (hit == HitPolicy::unique && hits > 1) {
    d.two_tiers(a, v, first, second);  // an error
    return o;
  }
  for (std::size_t k = 0; k < levels; ++k) {
    const bool in = k < 64 ? ((reached >> k) & 1) != 0 : d.in_level(a, k, v);
    const bool chosen = hit == HitPolicy::sum       ? in
                        : hit == HitPolicy::highest ? k == last
                                                    : k == first;
    if (!chosen) continue;
    d.trace_tier(a, v, k);
    Outcome<D> one = d.level_outcome(a, k, award(d, d.level_award(a, k)));
    one.tier = d.label(a, k);
    add(d, o, one);
    if (hit != HitPolicy::sum) break;
  }
  return o;
}

/// The award forms.
template <class D>
Outcome<D> award(D& d, const typename D::Award& a) {
  Outcome<D> o;
  o.any = true;
  switch (d.kind(a)) {
    case AmountKind::fixed:
    case AmountKind::formula:
      o.amount = o.min = o.max = d.amount(a);
      return o;
    case AmountKind::rate_of_base:
      o.amount = o.min = o.max = d.rate_times_base(a);
      return o;
    case AmountKind::band:
      o.status = LineStatus::band;
      o.min = d.band_min(a);
      o.max = d.band_max(a);
      if (d.less(o.max, o.min)) d.band_upside_down(o.min, o.max);  // an error
      return o;
    case AmountKind::unfixed:
      o.status = LineStatus::unfixed;
      o.text = d.words(a, o.status);
      return o;
    case AmountKind::honour:
      o.status = LineStatus::recognised;
      o.text = d.words(a, o.status);
      return o;
    case AmountKind::per_item:
      return per_item(d, a);
    case AmountKind::tiers:
      return tiers(d, a);
  }
  return o;
}

/// Why a rule gave no line.
enum class NoLine : std::uint8_t { none, condition, recurrence, no_tier, no_item };

inline const char* to_string(NoLine why) {
  switch (why) {
    case NoLine::condition:
      return "condition";
    case NoLine::recurrence:
      return "recurrence";
    case NoLine::no_tier:
      return "no_tier";
    case NoLine::no_item:
      return "no_item";
    case NoLine::none:
      break;
  }
  return "";
}

/// One rule: its condition, its years (recurrence), its award; an award cannot be negative; a
/// preference or an honour is a recognition; the amount (or each end of the band) is rounded
/// once, on the exact result, by the rule's rounding. Gives the outcome, or why there is none.
template <class D>
NoLine rule_outcome(D& d, const typename D::Rule& rule, Outcome<D>& o) {
  if (!d.condition_holds(rule)) return NoLine::condition;
  if (!d.within_years(rule)) return NoLine::recurrence;
  const typename D::Award& a = d.award_of(rule);
  o = award(d, a);
  if (!o.any) {
    const bool by_tier = d.kind(a) == AmountKind::tiers;
    d.trace_nothing(by_tier);
    return by_tier ? NoLine::no_tier : NoLine::no_item;
  }
  if ((o.status == LineStatus::exact || o.status == LineStatus::band) &&
      (d.negative(o.min) || d.negative(o.amount))) {
    d.negative_award(o.status == LineStatus::exact ? o.amount : o.min);  // an error
  }
  if (d.recognition(rule)) o.status = LineStatus::recognised;
  if (o.status == LineStatus::exact) {
    const typename D::Number exact = o.amount;
    o.amount = o.min = o.max = d.round(rule, exact);
    d.trace_rounding(rule, exact, o.amount);
  } else if (o.status == LineStatus::band) {
    o.min = d.round(rule, o.min);
    o.max = d.round(rule, o.max);
    d.trace_band(o.min, o.max);
  }
  return NoLine::none;
}

/// An exclusion among the lines present (n ≥ 2, in the order the exclusion lists them): the one
/// kept is the highest (就高: the greatest ceiling, the first of equals) or the first listed.
template <class Greater>
std::size_t kept_line(std::size_t n, bool higher, Greater greater) {
  std::size_t keep = 0;
  if (!higher) return keep;
  for (std::size_t i = 1; i < n; ++i) {
    if (greater(i, keep)) keep = i;
  }
  return keep;
}

/// A cap over lines in order: each line keeps at most what is left of the cap (floor and ceiling
/// alike), and what it keeps is taken off. `line(k)` gives the k-th capped line that carries money
/// (or null), `reduced(line, before_min, before_max)` is told of each line the cap cut.
template <class D, class Line, class Lines, class Reduced>
void apply_cap(D& d, const typename D::Number& cap, std::size_t n, Lines line, Reduced reduced) {
  typename D::Number left_min = cap;
  typename D::Number left_max = cap;
  for (std::size_t k = 0; k < n; ++k) {
    Line* l = line(k);
    if (l == nullptr) continue;
    const typename D::Number before_min = d.floor_of(*l);
    const typename D::Number before_max = d.ceiling_of(*l);
    const typename D::Number after_min = d.less(left_min, before_min) ? left_min : before_min;
    const typename D::Number after_max = d.less(left_max, before_max) ? left_max : before_max;
    d.set_band(*l, after_min, after_max);
    left_min = d.sub(left_min, after_min);
    left_max = d.sub(left_max, after_max);
    if (d.less(after_min, before_min) || d.less(after_max, before_max)) {
      reduced(*l, before_min, before_max);
    }
  }
}

}  // namespace subsidy::detail
