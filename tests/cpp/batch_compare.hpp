// The batch results of one row against the reference evaluation of the same enterprise: every
// line (rule, status, withheld, amounts, tier labels, unfixed texts, notes, item counts) and the
// row's cash totals. Shared by the differential test and the golden runner.
#pragma once

#include <string>
#include <vector>

#include "subsidy/subsidy.hpp"

namespace subsidy::testing {

/// Two notes alike, amounts compared by value: a batch row's facts come back from their columns at
/// the column's exponent (100 as 100.00), and a cap's note writes amounts as computed from them.
inline bool same_note(const std::string& a, const std::string& b) {
  auto words = [](const std::string& s) {
    std::vector<std::string> out(1);
    for (char ch : s) {
      if (ch == ' ') {
        out.emplace_back();
      } else {
        out.back() += ch;
      }
    }
    return out;
  };
  const auto x = words(a);
  const auto y = words(b);
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] == y[i]) continue;
    try {
      if (Decimal::parse(x[i]) != Decimal::parse(y[i])) return false;
    } catch (const Error&) {
      return false;
    }
  }
  return true;
}

inline std::string compare_lines(const std::vector<AwardLine>& kept,
                                 const std::vector<AwardLine>& ref) {
  if (kept.size() != ref.size()) return "kept evaluation differs";
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const AwardLine& a = kept[i];
    const AwardLine& b = ref[i];
    if (a.qualified_rule() != b.qualified_rule() || a.status != b.status ||
        a.withheld != b.withheld || a.band.min != b.band.min || a.band.max != b.band.max ||
        a.tier != b.tier || a.unfixed_text != b.unfixed_text || !same_note(a.note, b.note) ||
        a.items != b.items) {
      return "kept line " + std::to_string(i) + " differs (" + b.qualified_rule() + ")";
    }
  }
  return "";
}

/// Every difference between a columnar row and the reference evaluation of the same enterprise.
inline std::string compare_row(const RuleSet& rules, const ColumnarResult& result, std::size_t row,
                               const Evaluation& ref) {
  auto it = result.exact.find(row);
  if (it != result.exact.end()) {
    const Evaluation& kept = it->second;
    if (kept.ok() != ref.ok()) return "error status differs";
    if (!ref.ok())
      return kept.error->kind() == ref.error->kind() &&
                     kept.error->message() == ref.error->message()
                 ? ""
                 : "error differs: " + std::string(kept.error->what()) + " vs " + ref.error->what();
    if (kept.unevaluated.size() != ref.unevaluated.size()) return "rules left out differ";
    return compare_lines(kept.lines, ref.lines);
  }
  if (!ref.unevaluated.empty())
    return "an incomplete row must be kept whole, with its rules left out";
  if (!ref.ok())
    return std::string("reference failed (") + ref.error->what() + ") but columnar gave lines";
  const std::size_t from = result.offsets[row];
  const std::size_t to = result.offsets[row + 1];
  if (to - from != ref.lines.size()) {
    return "line count " + std::to_string(to - from) + " vs reference " +
           std::to_string(ref.lines.size());
  }
  Decimal cash_min, cash_max;
  for (std::size_t i = 0; i < ref.lines.size(); ++i) {
    const AwardLine& l = ref.lines[i];
    const ColumnarLine& c = result.lines[from + i];
    const std::string where = " at line " + std::to_string(i) + " (" + l.qualified_rule() + ")";
    if (result.rules[c.rule] != l.qualified_rule()) return "rule differs" + where;
    if (c.status != l.status)
      return std::string("status ") + to_string(c.status) + " vs " + to_string(l.status) + where;
    if (c.withheld != l.withheld) return "withheld differs" + where;
    if (result.tier(c) != l.tier)
      return "tier '" + result.tier(c) + "' vs '" + l.tier + "'" + where;
    if (result.unfixed_text(c) != l.unfixed_text) return "unfixed text differs" + where;
    if (!same_note(result.note(c), l.note))
      return "note '" + result.note(c) + "' vs '" + l.note + "'" + where;
    if (c.items != l.items) return "items differ" + where;
    if (l.status == LineStatus::unfixed || l.status == LineStatus::recognised) continue;
    if (result.amount(c.min) != l.band.min || result.amount(c.max) != l.band.max) {
      return "amount " + result.amount(c.min).to_string() + ".." +
             result.amount(c.max).to_string() + " vs " + l.band.min.to_string() + ".." +
             l.band.max.to_string() + where;
    }
    if (!l.withheld && l.info->form != AwardForm::in_kind) {
      cash_min += l.band.min;
      cash_max += l.band.max;
    }
  }
  if (result.amount(result.cash_min[row]) != cash_min ||
      result.amount(result.cash_max[row]) != cash_max) {
    return "row cash totals differ";
  }
  (void)rules;
  return "";
}

}  // namespace subsidy::testing
