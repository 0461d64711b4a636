// The library's own route from a RuleSet to its compiled rules. The public header only befriends
// RuleSetAccess; it hands out nothing of the compiled form.
#pragma once

#include "subsidy/rules.hpp"

namespace subsidy::detail {

struct CompiledRules;

struct RuleSetAccess {
  static const CompiledRules& compiled(const RuleSet& rules) { return *rules.impl_; }
};

/// The compiled form behind `rules` (src/compiled.hpp defines it).
inline const CompiledRules& compiled(const RuleSet& rules) {
  return RuleSetAccess::compiled(rules);
}

}  // namespace subsidy::detail
