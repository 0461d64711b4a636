// The compiled rule set: policy sets, their rules, parameters, options and facts, loaded from
// YAML and checked. Immutable once loaded; share it freely across threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "subsidy/decimal.hpp"
#include "subsidy/error.hpp"
#include "subsidy/facts.hpp"

namespace subsidy {

namespace detail {
struct CompiledRules;  // the loaded form, opaque here (src/compiled.hpp)
struct RuleSetAccess;  // the library's own way in (src/rules_access.hpp)
}  // namespace detail

/// A text in Chinese with its English rendering.
struct Text {
  std::string zh;
  std::string en;
};

/// Where a rule comes from: document, clause as the text numbers it, and the verbatim sentence.
struct Citation {
  std::string document;
  std::string clause;
  std::vector<int> lines;
  std::string text;
};

enum class PolicyStatus : std::uint8_t { in_force, draft, proposal };
/// What is given: money, goods, a tax or land preference, or a title.
enum class AwardForm : std::uint8_t { cash, in_kind, preference, honour };
/// How the amount is determined.
enum class AmountKind : std::uint8_t {
  fixed,
  band,
  rate_of_base,
  formula,
  per_item,
  tiers,
  unfixed,
  honour
};
enum class HitPolicy : std::uint8_t { unique, highest, first, sum };

const char* to_string(PolicyStatus) noexcept;
const char* to_string(AwardForm) noexcept;
const char* to_string(AmountKind) noexcept;
const char* to_string(HitPolicy) noexcept;

/// How often an award is paid: once, every year, or yearly for N years from an event year.
struct Recurrence {
  enum class Kind : std::uint8_t { one_time, yearly, years_from } kind = Kind::one_time;
  int years = 0;
  std::string from;  ///< the expression giving the first year, for years_from
  std::string to_string() const;
};

struct Payer {
  std::string id;
  std::string en;
  std::string level;  ///< city, province, national, beneficiary, union, other
};

struct FactDecl {
  std::string name;
  Unit unit;
  Text label;
  bool required = false;
  bool allow_negative = false;      ///< money and numbers are ≥ 0 unless declared otherwise
  std::vector<std::string> values;  ///< enumeration values
  std::vector<FactDecl> fields;     ///< list fields
  std::optional<RawValue> default_value;
};

/// When a policy set, a rule or a parameter is in force: the dates as the text writes them, both
/// days included. An empty end is open. A record evaluated on a day outside gives no line from it.
struct InForce {
  std::optional<Date> from;   ///< first day in force; empty: from the beginning
  std::optional<Date> until;  ///< last day in force; empty: no end written
  bool contains(const Date& day) const {
    return (!from || *from <= day) && (!until || day <= *until);
  }
  bool bounded() const { return from.has_value() || until.has_value(); }
  /// "from 2024-07-06", "from 2010-01-28 until 2012-12-31", "until 2012-12-31", "always".
  std::string to_string() const;
  /// "not in force on 2010-12-31: in force from 2024-07-06"; empty when `day` is inside.
  std::string why_not(const Date& day) const;
};

struct ParameterVersion {
  std::optional<Date> from;  ///< empty: in force from the beginning
  Decimal value;
  std::string reference;
};

struct ParameterInfo {
  std::string policy_set;  ///< empty for catalogue parameters
  std::string name;
  std::string qualified_name;  ///< "policy-set.name"
  Unit unit;
  Text label;
  std::vector<ParameterVersion> versions;
  InForce in_force;  ///< outside it the parameter has no value (its versions start at their 'from')
};

struct OptionInfo {
  std::string name;
  Text question;
  std::vector<std::pair<std::string, Text>> choices;
  std::string default_choice;
  std::string see;
};

struct GroupInfo {
  std::string id;
  Text title;
  std::string default_member;
  std::vector<std::string> members;
};

struct TierInfo {
  std::string label;
  std::optional<Decimal> lower;
  bool lower_inclusive = true;
  std::string lower_word;
  std::optional<Decimal> upper;
  bool upper_inclusive = false;
  std::string upper_word;
};

struct RuleInfo {
  std::string policy_set;
  std::string id;
  std::string qualified_id;  ///< "policy-set/rule-id"
  Text title;
  Citation citation;
  std::string payer;
  bool payer_inferred = false;  ///< the cited text names no payer: `payer` is the encoder's reading
  AwardForm form = AwardForm::cash;
  Text in_kind;
  Recurrence recurrence;
  AmountKind kind = AmountKind::fixed;
  std::string when;            ///< the condition as written
  std::string amount_summary;  ///< "30万", "100万–200万", "50% × (...)", "unfixed: 奖金若干"
  Rounding rounding = Rounding::half_up;
  std::int32_t rounding_exponent = -2;
  std::vector<TierInfo> tiers;
  HitPolicy hit = HitPolicy::unique;
  InForce in_force;  ///< the rule's own dates, inside its policy set's
  Mark mark;
};

struct BudgetItem {
  std::string label;
  Decimal amount;
};

struct BudgetLine {
  std::string policy_set;
  std::string id;
  Citation citation;
  std::string payer;
  std::string per;  ///< year, one_time
  Decimal min;
  std::optional<Decimal> max;  ///< empty: open ("不低于")
  std::vector<BudgetItem> items;
  std::vector<std::string> covers;  ///< qualified rule ids
};

struct PolicySetInfo {
  std::string id;
  Text title;
  std::string issuer;
  std::string document_number;
  std::optional<Date> date;
  std::string date_as_written;
  PolicyStatus status = PolicyStatus::in_force;
  InForce in_force;  ///< the period of force as the text gives it (施行日期, 有效期)
  std::string applies_to;
  std::string group;
  std::string file;
  std::size_t rule_count = 0;
};

/// What `check` loaded, in one line's worth of numbers.
struct RuleSetSummary {
  std::size_t files = 0, policy_sets = 0, rules = 0, parameters = 0, options = 0, facts = 0,
              budget_lines = 0, checks = 0;
  std::string to_string() const;
};

class RuleSet {
 public:
  /// Loads and checks rule files (directories are read for *.yaml / *.yml, sorted by name).
  /// Throws ErrorList with every problem found, each with file, line and column.
  static RuleSet load(const std::vector<std::string>& paths);
  /// Loads from in-memory texts: pairs of (name used in error marks, YAML text).
  static RuleSet load_texts(const std::vector<std::pair<std::string, std::string>>& sources);

  const std::vector<PolicySetInfo>& policy_sets() const;
  const std::vector<RuleInfo>& rules() const;
  const std::vector<ParameterInfo>& parameters() const;
  const std::vector<OptionInfo>& options() const;
  const std::vector<GroupInfo>& groups() const;
  const std::vector<FactDecl>& facts() const;
  const std::vector<Payer>& payers() const;
  const std::vector<BudgetLine>& budget() const;
  RuleSetSummary summary() const;

  const RuleInfo* find_rule(std::string_view qualified_id) const;
  /// The rule `qualified_id` sharing ownership of this rule set (it outlives the RuleSet object,
  /// as results that point to it must); null for an unknown id.
  std::shared_ptr<const RuleInfo> rule(std::string_view qualified_id) const;
  const ParameterInfo* find_parameter(std::string_view name) const;  ///< qualified or unique bare
  std::optional<std::size_t> fact_slot(std::string_view name) const;

  /// Why a rule gives no line on `day` because it (or its policy set) is not in force there
  /// ("policy set worker-library-award not in force on 2010-12-31: in force from 2024-07-06");
  /// empty when it is in force.
  std::string not_in_force(const RuleInfo& rule, const Date& day) const;
  /// What `subsidy check` warns about periods: a parameter whose versions leave a gap inside its
  /// policy set's period of force, a rule reading a parameter outside the parameter's period.
  std::vector<std::string> period_warnings() const;

  /// The sources it was loaded from (name, text), so a rule set can be rebuilt elsewhere
  /// (pickling, distributed workers).
  const std::vector<std::pair<std::string, std::string>>& sources() const;
  /// SHA-256 (hex) of the canonical sources: same rules, same fingerprint.
  const std::string& fingerprint() const;

 private:
  friend struct detail::RuleSetAccess;
  explicit RuleSet(std::shared_ptr<const detail::CompiledRules> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const detail::CompiledRules> impl_;
};

}  // namespace subsidy
