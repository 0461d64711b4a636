// The compiled form of a rule set, shared (read-only) by every evaluation.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "expression.hpp"
#include "rules_access.hpp"
#include "subsidy/evaluate.hpp"
#include "subsidy/rules.hpp"

namespace subsidy::detail {

struct CompiledAward {
  AmountKind kind = AmountKind::fixed;
  Expression a;  ///< fixed: amount; band: min; rate_of_base: rate; formula: amount; tiers: on;
                 ///< per_item: count
  Expression b;  ///< band: max; rate_of_base: base
  std::optional<std::size_t> list_slot;  ///< per_item for_each: the list fact
  const FactDecl* list_decl = nullptr;
  Expression where;  ///< per_item for_each: which records count
  std::unique_ptr<CompiledAward> each;
  struct Level {
    TierInfo info;
    Expression lower;
    Expression upper;
    std::unique_ptr<CompiledAward> award;
  };
  std::vector<Level> levels;
  HitPolicy hit = HitPolicy::unique;
  std::string unfixed_text;  ///< unfixed / honour: the text's words
  std::string summary;
};

struct CompiledRule {
  std::size_t info = 0;  ///< index into CompiledRules::rules
  std::size_t set = 0;
  Expression when;
  Expression recurrence_from;
  CompiledAward award;
};

struct CompiledDerived {
  std::size_t set = 0;
  std::string name;
  Unit unit;
  Text label;
  Expression expr;
  std::vector<std::size_t> uses;  ///< derived values it reads
};

struct CompiledCheck {
  std::size_t set = 0;
  std::string id;
  Citation citation;
  Expression when;
  Expression require;
  Text message;
};

struct CompiledExclusion {
  std::size_t set = 0;
  std::string id;
  std::vector<std::size_t> rules;  ///< indexes into CompiledRules::crules
  bool higher = true;              ///< 就高; otherwise the first listed wins
  std::string reason;
};

struct CompiledCap {
  std::size_t set = 0;
  std::string id;
  std::vector<std::size_t> rules;
  Expression max;
};

struct CompiledSet {
  std::size_t info = 0;
  Expression applies_to;
  std::vector<std::size_t> rules;
  std::vector<std::size_t> checks;
  std::vector<std::size_t> exclusions;
  std::vector<std::size_t> caps;
  std::optional<std::size_t> group;
};

struct CompiledRules {
  std::vector<std::pair<std::string, std::string>> sources;
  std::string fingerprint;

  std::vector<PolicySetInfo> sets;
  std::vector<RuleInfo> rules;
  std::vector<ParameterInfo> parameters;
  std::vector<OptionInfo> options;
  std::vector<GroupInfo> groups;
  std::vector<FactDecl> facts;
  std::vector<Payer> payers;
  std::vector<BudgetLine> budget;
  std::vector<std::string> files;

  std::vector<CompiledSet> csets;
  std::vector<CompiledRule> crules;
  std::vector<CompiledDerived> derived;
  std::vector<CompiledCheck> checks;
  std::vector<CompiledExclusion> exclusions;
  std::vector<CompiledCap> caps;

  std::map<std::string, std::size_t, std::less<>> fact_index;
  std::map<std::string, std::size_t, std::less<>> option_index;
  std::map<std::string, std::size_t, std::less<>> rule_index;  ///< qualified id → crules index
  std::map<std::string, std::size_t, std::less<>> set_index;
  std::map<std::string, std::size_t, std::less<>> group_index;
  std::map<std::string, std::size_t, std::less<>> payer_index;
  /// (set index, name) → parameter or derived binding.
  std::map<std::pair<std::size_t, std::string>, Binding> names;
};

/// Types a raw fact value against its declaration (facts.cpp); throws Error(fact) located at `v`.
FactValue parse_fact(const FactDecl& decl, const RawValue& v);

/// Adds the lines that are not withheld to totals by payer, by policy set and overall
/// (evaluate.cpp).
void add_line_totals(Totals& into, const std::vector<AwardLine>& lines);
/// Counts the rules left out for want of a fact in the totals they would have entered
/// (evaluate.cpp).
void add_unevaluated_totals(Totals& into, const std::vector<Unevaluated>& left_out);
struct Prepared;
/// The reference evaluator over a prepared scenario (evaluate.cpp), for the rows the columnar
/// program hands back to it. Safe to call from several threads.
std::function<Evaluation(const Enterprise&, const Enterprise* previous)> reference_evaluator(
    std::shared_ptr<const Prepared> prepared);
/// For each of `n` records keyed (id, year): the index of the same id's record of the year
/// before, if there is one (evaluate.cpp).
std::vector<std::optional<std::size_t>> previous_records(
    std::size_t n,
    const std::function<std::pair<const std::string*, std::optional<std::int64_t>>(std::size_t)>&
        key);

/// The note of a line that gave way to `kept` (a qualified rule id) under exclusion `ex`
/// (evaluate.cpp): one wording for both number domains.
std::string exclusion_note(const CompiledExclusion& ex, const std::string& kept);
/// The note of a line a cap reduced from `before` to `after` (evaluate.cpp).
std::string cap_note(const CompiledCap& cap, const Decimal& before, const Decimal& after);
/// Appends a tier label to the labels reached ("a; b"), as a line shows them (evaluate.cpp).
void join_tier(std::string& into, const std::string& label);

/// The unit rules a parameter's value obeys, in a rule file and in an override alike: money takes
/// 元 or a bare number, a rate takes % or a bare number of at most 1, a count a whole number.
/// `text` is the value as written (for the message). Throws Error(unit) at `mark`.
void check_parameter_value(const ParameterInfo& p, const Amount& amount, const std::string& text,
                           const Mark& mark);

/// The worker threads a batch runs on: 0 means one per core. A request beyond the cores (and
/// beyond 64) is cut down: extra threads only cost memory, and tens of thousands of them end the
/// process when the system refuses one.
inline unsigned worker_threads(unsigned requested) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (requested == 0) return cores;
  return std::min(requested, std::max(64u, cores));
}

}  // namespace subsidy::detail
