// The shape of a rule as the engine compiled it: its condition, its award (tiers and their bounds)
// and the derived values it reads, as plain trees. For tools that reason about rules, such as
// boundary-case generation and bound coverage, so they never parse expressions a second time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "subsidy/decimal.hpp"
#include "subsidy/evaluate.hpp"
#include "subsidy/facts.hpp"
#include "subsidy/rules.hpp"

namespace subsidy {

/// One node of a checked expression.
struct ExprShape {
  std::size_t id = 0;  ///< numbers the nodes of one RuleShape in order, for probe_rule
  /// number, boolean, string, name, add, sub, mul, neg, min, max, if, round, sum, count, any, all,
  /// present, option, and, or, not, compare, in
  std::string op;
  std::string text;  ///< a name or string literal as written; a comparison's word (超过, >=, ...)
  std::string cmp;   ///< compare: ge, gt, le, lt, eq, ne
  /// name: fact, field, parameter or derived (option(x) is an `option` node whose text is as
  /// written and whose one argument names the option)
  std::string ref;
  /// name: the fact's name; a field as list.field; a parameter's or derived value's
  /// qualified name (policy-set.name)
  std::string qualified;
  std::string unit;
  /// The node's value when it depends on literals and parameters only (in the scenario given to
  /// rule_shape): a bound a comparison sets, a tier's edge.
  std::optional<Decimal> value;
  bool boolean = false;
  std::vector<std::string> strings;  ///< the list of an `in`
  int pos = 0;                       ///< byte offset in the expression's source
  std::vector<ExprShape> args;
};

struct AwardShape;

struct LevelShape {
  TierInfo info;
  std::optional<ExprShape> lower;
  std::optional<ExprShape> upper;
  std::vector<AwardShape> award;  ///< the level's award (one element)
};

struct AwardShape {
  std::string kind;  ///< fixed, band, rate_of_base, formula, per_item, tiers, unfixed, honour
  std::optional<ExprShape>
      a;  ///< fixed/formula: amount; band: min; rate: rate; tiers: what is graded
  std::optional<ExprShape> b;  ///< band: max; rate_of_base: base
  std::string list;            ///< per_item: the list fact counted
  std::optional<ExprShape> where;
  std::vector<AwardShape> each;  ///< per_item: the award per item (at most one)
  std::vector<LevelShape> levels;
  std::string hit;
};

struct RuleShape {
  std::string qualified_id;
  std::string when_source;
  std::optional<ExprShape> when;
  std::string applies_to_source;  ///< the policy set's applies_to condition
  std::optional<ExprShape> applies_to;
  AwardShape award;
  /// The derived values the rule reads, directly or through each other: qualified name, source
  /// and shape.
  struct Derived {
    std::string name;
    std::string source;
    ExprShape shape;
  };
  std::vector<Derived> derived;
  std::size_t nodes = 0;  ///< how many ids were given
};

/// The shape of one rule (qualified "policy-set/rule-id") with bounds valued in `scenario`.
/// Throws Error(usage) for an unknown rule.
RuleShape rule_shape(const RuleSet& rules, std::string_view qualified_id, const Scenario& scenario);

/// The numeric values the sides of the rule's comparisons (and the value its tiers grade) take
/// for one enterprise: pairs of (node id from rule_shape, value), once per list record for a
/// comparison inside any/all/count/sum. For each and/or chain (a and b and c), the chain's outcome
/// (1 or 0) under the chain's id followed by each operand's truth under the operand's id. A value
/// that cannot be evaluated (a missing fact) is left out rather than guessed.
std::vector<std::pair<std::size_t, Decimal>> probe_rule(const RuleSet& rules,
                                                        std::string_view qualified_id,
                                                        const Enterprise& enterprise,
                                                        const Scenario& scenario);

/// Every parameter's value under `scenario` (its date's version, or the override), in
/// RuleSet::parameters() order: what an evaluation under it would read.
std::vector<Decimal> parameter_values(const RuleSet& rules, const Scenario& scenario);

}  // namespace subsidy
