// The library's own route from a RuleSet to its compiled rules. The public header only befriends
// RuleSetAccess; it hands out nothing of the compiled form.
#pragma once

#include <memory>

#include "subsidy/rules.hpp"

namespace subsidy::detail {

struct CompiledRules;

struct RuleSetAccess {
  static const CompiledRules& compiled(const RuleSet& rules) { return *rules.impl_; }
  static const std::shared_ptr<const CompiledRules>& owner(const RuleSet& rules) {
    return rules.impl_;
  }
};

/// The compiled form behind `rules` (src/compiled.hpp defines it).
inline const CompiledRules& compiled(const RuleSet& rules) {
  return RuleSetAccess::compiled(rules);
}

/// `part` (a rule, a citation: anything inside the compiled rules of `rules`) sharing ownership of
/// the compiled rules, so a result holding it keeps them alive.
template <class T>
std::shared_ptr<const T> shared(const RuleSet& rules, const T& part) {
  return std::shared_ptr<const T>(RuleSetAccess::owner(rules), &part);
}

}  // namespace subsidy::detail
