// The texts batch lines refer to by index (tier labels, unfixed texts, notes), interned once per
// rule set.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "../compiled.hpp"

namespace subsidy::batch {

constexpr std::size_t kMaxSummedLevels = 8;  ///< hit: sum tables whose label sets are listed

/// The texts lines refer to (tier labels, unfixed texts, notes), interned once from the rule set
/// whatever the scenario, so that every program of a rule set numbers them alike.
struct TextTable {
  std::vector<std::string> list{std::string()};
  std::map<std::string, std::uint32_t, std::less<>> index{{std::string(), 0}};

  std::uint32_t intern(const std::string& text) {
    auto [it, added] = index.emplace(text, static_cast<std::uint32_t>(list.size()));
    if (added) list.push_back(text);
    return it->second;
  }
  std::uint32_t at(const std::string& text) const { return index.at(text); }

  /// The labels of the levels in `mask`, as the reference path joins them.
  static std::string labels(const detail::CompiledAward& a, std::size_t mask) {
    std::string out;
    for (std::size_t k = 0; k < a.levels.size(); ++k) {
      if ((mask >> k) & 1) detail::join_tier(out, a.levels[k].info.label);
    }
    return out;
  }

  void add_award(const detail::CompiledAward& a) {
    if (a.kind == AmountKind::unfixed || a.kind == AmountKind::honour) intern(a.unfixed_text);
    if (a.each) add_award(*a.each);
    for (const auto& l : a.levels) {
      intern(l.info.label);
      add_award(*l.award);
    }
    if (a.kind == AmountKind::tiers && a.hit == HitPolicy::sum &&
        a.levels.size() <= kMaxSummedLevels) {
      for (std::size_t mask = 1; mask < (std::size_t{1} << a.levels.size()); ++mask) {
        intern(labels(a, mask));
      }
    }
  }

  explicit TextTable(const detail::CompiledRules& r) {
    for (const auto& rule : r.crules) add_award(rule.award);
    for (const auto& ex : r.exclusions) {
      for (std::size_t rule : ex.rules) {
        intern(detail::exclusion_note(ex, r.rules[r.crules[rule].info].qualified_id));
      }
    }
  }
};

}  // namespace subsidy::batch
