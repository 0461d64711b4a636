// Evaluation: a rule set + one enterprise's facts + a scenario → cited award lines, totals as
// bands, findings and a receipt that reproduces the result byte for byte.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "subsidy/decimal.hpp"
#include "subsidy/error.hpp"
#include "subsidy/facts.hpp"
#include "subsidy/rules.hpp"

namespace subsidy {

/// The choices an evaluation is made under: a what-if scenario.
struct Scenario {
  /// Evaluate every record on this date (policies in force, parameter versions valid then),
  /// whatever its year. Empty: each record on the last day of its own year (a record without a
  /// year: the latest versions, every policy set taken as in force).
  std::optional<Date> on;
  std::map<std::string, std::string> options;  ///< interpretation option → choice
  std::map<std::string, std::string> choose;   ///< alternative group → chosen policy set
  std::map<std::string, Decimal> parameters;   ///< parameter (qualified or bare) → value
  bool trace = false;                          ///< record explanation steps

  /// Checks every name against the rule set; throws Error(option / parameter / name).
  void validate(const RuleSet& rules) const;
  /// Canonical text (sorted, one setting a line), part of the receipt.
  std::string canonical() const;
};

/// One explanation step: what was looked at and what it gave.
struct TraceStep {
  std::string kind;  ///< applies, condition, parameter, derived, formula, tier, item, rounding, ...
  std::string detail;  ///< figures substituted, verdicts, versions
};

struct Band {
  Decimal min;
  Decimal max;
};

/// How a line's amount is known.
enum class LineStatus : std::uint8_t {
  exact,       ///< the policy fixes the amount
  band,        ///< a range; the point is a decision
  decided,     ///< a band with a decided amount inside it
  unfixed,     ///< eligible, amount not fixed by the policy
  recognised,  ///< an honour or a preference: no money amount
};
const char* to_string(LineStatus) noexcept;

struct AwardLine {
  std::string policy_set;
  std::string rule;  ///< rule id within the policy set
  /// Citation, payer, form, ...: the rule itself, sharing ownership of its rule set, so a line
  /// (and the evaluation it came from) stays valid after the RuleSet it was evaluated with is gone.
  std::shared_ptr<const RuleInfo> info;
  LineStatus status = LineStatus::exact;
  Decimal amount;            ///< exact, decided: the amount (rounded once, per the rule)
  Band band;                 ///< band: [min, max]; exact and decided: [amount, amount]
  std::string tier;          ///< the tier(s) reached, for tier awards
  std::string unfixed_text;  ///< the text's words for an unfixed amount ("奖金若干")
  std::int64_t items = 0;    ///< number of items, for per-item awards
  bool withheld = false;     ///< gave way to another line (exclusion) or cut by a cap
  std::string note;          ///< why it was withheld or reduced
  std::vector<TraceStep> trace;
  /// Why no line: "condition" (not met), "recurrence" (outside its years), "no_tier" (the
  /// conditions held, the value reaches no tier), "no_item" (no list record qualifies) or
  /// "not_in_force" (the rule or its policy set is not in force on the record's day).
  std::string reason;

  std::string qualified_rule() const { return policy_set + "/" + rule; }
};

/// Floor and ceiling of a total, and what is still undetermined.
struct Total {
  Band cash;
  Band in_kind;
  std::int64_t unfixed = 0;     ///< unfixed lines (cash or in kind)
  std::int64_t recognised = 0;  ///< honour and preference lines
  std::int64_t lines = 0;
  /// Rules that could not be evaluated for want of a fact: when not 0 the total is incomplete
  /// (their amounts are unknown, never taken as 0).
  std::int64_t unevaluated = 0;

  bool complete() const { return unevaluated == 0; }

  /// Adds another total (population sums, scenario comparisons): bands add end by end.
  Total& operator+=(const Total& other) {
    cash.min += other.cash.min;
    cash.max += other.cash.max;
    in_kind.min += other.in_kind.min;
    in_kind.max += other.in_kind.max;
    unfixed += other.unfixed;
    recognised += other.recognised;
    lines += other.lines;
    unevaluated += other.unevaluated;
    return *this;
  }
};

struct Totals {
  std::map<std::string, Total> by_payer;
  std::map<std::string, Total> by_policy_set;
  Total all;
};

/// The outcome of a validity check (e.g. a cap on a share of registered capital).
struct Finding {
  std::string policy_set;
  std::string check;
  bool passed = true;
  std::string message;
  std::string detail;
  std::shared_ptr<const Citation> citation;  ///< shares ownership of the rule set; may be null
};

/// A rule that gave no line, and why: its condition was false, its years had run out, or no item
/// or tier was reached. Recorded only when the scenario traces (explanations of "why not").
struct PassedOver {
  std::string policy_set;
  std::string rule;
  std::shared_ptr<const RuleInfo> info;  ///< shares ownership of the rule set
  std::vector<TraceStep> trace;
  /// Why no line: "condition" (not met), "recurrence" (outside its years), "no_tier" (the
  /// conditions held, the value reaches no tier), "no_item" (no list record qualifies) or
  /// "not_in_force" (the rule or its policy set is not in force on the record's day).
  std::string reason;

  std::string qualified_rule() const { return policy_set + "/" + rule; }
};

/// A rule, check or cap that could not be evaluated because facts it reads are missing (and
/// have no default). The enterprise's other rules are still evaluated; this one gives no line
/// and its amount is not taken as 0: the totals count it as unevaluated (incomplete).
struct Unevaluated {
  std::string policy_set;
  std::string id;                        ///< rule id, check id or cap id within the policy set
  std::string kind;                      ///< "rule", "check" or "cap"
  std::shared_ptr<const RuleInfo> info;  ///< for a rule (null for a check or cap)
  std::vector<std::string> missing;      ///< the facts it needs that the record lacks
  std::string message;                   ///< the first missing fact met, in words

  std::string qualified_id() const { return policy_set + "/" + id; }
};

struct Evaluation {
  std::string enterprise;
  std::string name;
  std::optional<std::int64_t> year;
  std::optional<Date> on;                ///< the day evaluated on (empty: latest versions, no year)
  std::vector<std::string> policy_sets;  ///< evaluated, in order
  std::vector<AwardLine> lines;
  Totals totals;
  std::vector<Finding> findings;
  std::vector<PassedOver> passed_over;   ///< with Scenario::trace only
  std::vector<Unevaluated> unevaluated;  ///< rules left out for want of facts (see Unevaluated)
  std::optional<Error> error;            ///< set when the evaluation failed (missing fact, ...)
  std::string receipt;                   ///< SHA-256 of rules, facts, scenario and engine version

  bool ok() const { return !error.has_value(); }
  /// Every rule that applies was evaluated (no fact was missing).
  bool complete() const { return ok() && unevaluated.empty(); }
};

/// The value of an override of parameter `name` (qualified, or a bare name used once), checked
/// by the unit rules of a rule file's value (docs/rule-language.md): "60%" or "0.6" for a rate
/// (a bare number above 1 is refused), "30万" or "300000" for money, a whole number for a count.
/// Throws Error(parameter) for an unknown name, Error(parse) or Error(unit) for a bad value.
Decimal parameter_value(const RuleSet& rules, const std::string& name, std::string_view text);
/// The same for a number a program hands over (it carries no unit: read as a bare number).
Decimal parameter_value(const RuleSet& rules, const std::string& name, const Decimal& value);

/// Evaluates one enterprise. Errors in the facts are reported in Evaluation::error, not thrown;
/// an invalid scenario throws.
/// The record is evaluated at its own year (or the scenario's date); alone, it has no earlier
/// year, so last_year(fact) is a missing fact.
Evaluation evaluate(const RuleSet& rules, const Enterprise& enterprise, const Scenario& scenario);

/// Evaluates many enterprises, on `threads` threads (0: hardware concurrency); results in input
/// order, identical whatever the thread count. Each record is evaluated at its own year; a record
/// reads last_year(fact) from the batch's record with the same id and the year before.
std::vector<Evaluation> evaluate_batch(const RuleSet& rules, const std::vector<Enterprise>& batch,
                                       const Scenario& scenario, unsigned threads = 1);

/// The receipt evaluate() gives `enterprise` under the scenario whose canonical text is
/// `scenario` (Scenario::canonical()), without evaluating it: for results the batch engine
/// computed, which carry no receipt.
std::string receipt(const RuleSet& rules, const Enterprise& enterprise,
                    const std::string& scenario);

/// The totals an evaluation with these award lines reports (withheld lines left out).
Totals line_totals(const std::vector<AwardLine>& lines);

/// Reads enterprise records from YAML (`enterprises:` list, or a single record), JSON or CSV
/// (one enterprise per row, headed by fact names; a list fact cannot be a CSV cell: the Python
/// package reads list facts from their own CSV files or workbook sheets, docs/data-template.md).
/// Throws Error with file, line/row and field on bad input.
std::vector<Enterprise> load_enterprises(const RuleSet& rules, const std::string& path);
std::vector<Enterprise> parse_enterprises(const RuleSet& rules, const std::string& name,
                                          const std::string& text);
/// Types one raw record (a map) against the rule set's fact declarations.
Enterprise make_enterprise(const RuleSet& rules, const RawValue& record);
/// Checks a population as one whole, however many files, frames or lists it was joined from:
/// no more records than the limits allow (docs/limits.md; Error(limit)), and never the same
/// enterprise twice for the same year (a record without a year counts as one year; Error(fact)
/// at the second record), since a duplicate would count twice in totals and make an audit
/// depend on the order of the files.
void check_population(const std::vector<Enterprise>& enterprises);

/// Canonical JSON of an evaluation (decimals as strings, keys in a fixed order): the bytes the
/// receipt vouches for.
std::string to_json(const Evaluation& evaluation, bool with_trace = false);

/// The facts (names; `year` for the record's year) that a rule (`policy-set/rule-id`), a check or
/// a cap (`policy-set/id`), or a whole policy set (`policy-set`) reads, in declaration order:
/// the data dictionary of what a clerk must supply. Throws Error(name) for an unknown id.
std::vector<std::string> facts_needed(const RuleSet& rules, const std::string& id);

/// The engine version that goes into receipts.
const char* engine_version() noexcept;

}  // namespace subsidy
