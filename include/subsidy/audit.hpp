// Audit: a ledger of grants actually made, checked against what the rules compute for the same
// enterprise and year. Each finding names the ledger row and the rule's citation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "subsidy/decimal.hpp"
#include "subsidy/error.hpp"
#include "subsidy/evaluate.hpp"
#include "subsidy/facts.hpp"
#include "subsidy/rules.hpp"

namespace subsidy {

/// One ledger row: a grant made (发放记录).
struct Grant {
  std::string enterprise;
  std::string policy_set;
  std::string rule;  ///< rule id within the policy set
  std::int64_t year = 0;
  Decimal amount;        ///< 元, as granted
  std::string payer;     ///< as the ledger names it (payer id, e.g. 市财政)
  std::string approval;  ///< approval reference (批复文号)
  std::string basis;     ///< recorded basis for an amount the policy does not fix (optional)
  Mark mark;             ///< ledger file and row

  std::string qualified_rule() const { return policy_set + "/" + rule; }
};

/// The ledger columns, by name: enterprise, policy_set, rule, year, amount and payer need a value
/// on every row; approval and basis may be empty. Other columns (notes) are ignored.

/// Reads a ledger from CSV (one grant per row, header first), or YAML/JSON (a `grants:` list or a
/// list of maps). Amounts are read exactly ("12.50", "30万"); scientific notation ("1.23E+08") is
/// refused. Throws Error(audit / parse) with file, row and field.
std::vector<Grant> load_ledger(const std::string& path);
std::vector<Grant> parse_ledger(const std::string& name, const std::string& text);
/// Types ledger rows already split into fields (a spreadsheet read by a binding): a list of maps,
/// each cell a RawValue text carrying its own mark (sheet, row, column name).
std::vector<Grant> ledger_from_records(const RawValue& records);

enum class FindingKind : std::uint8_t {
  over_grant,          ///< above the computed amount, or above the band maximum
  under_grant,         ///< below the computed amount, or below the band minimum
  outside_band,        ///< the decided amount recorded for the enterprise lies outside its band
  not_eligible,        ///< no award line: the conditions are not met (or the line gave way)
  needs_basis,         ///< the policy does not fix the amount, and no basis is recorded
  payer_mismatch,      ///< paid by someone other than the rule's payer
  duplicate,           ///< the same enterprise, rule and year granted again
  unknown_rule,        ///< the ledger names a rule the rule set does not have
  unknown_enterprise,  ///< no facts for the enterprise (in that year)
  evaluation_failed,   ///< the enterprise's facts could not be evaluated (missing fact, ...)
};
const char* to_string(FindingKind kind) noexcept;

enum class Severity : std::uint8_t { warning, error };
const char* to_string(Severity severity) noexcept;
/// The severity of each kind: over-grants and grants without entitlement are errors; an
/// under-grant, a payer mismatch or a missing basis is a warning.
Severity severity_of(FindingKind kind) noexcept;

struct AuditFinding {
  FindingKind kind = FindingKind::over_grant;
  Severity severity = Severity::error;
  std::size_t grant = 0;  ///< index into the ledger
  Mark row;               ///< the ledger row (file, line)
  std::string enterprise;
  std::int64_t year = 0;
  std::string rule;  ///< qualified rule id, as the ledger names it
  Decimal granted;
  std::optional<Band> computed;          ///< what the rules give (exact amount: min == max)
  std::string status;                    ///< the line's status, or empty when there is no line
  std::string message;                   ///< one sentence, with the figures
  std::shared_ptr<const RuleInfo> info;  ///< citation and payer, when the rule is known
};

struct AuditReport {
  std::size_t grants = 0;
  std::size_t enterprises = 0;         ///< enterprise-years with facts
  Decimal granted;                     ///< sum of the ledger's amounts
  std::vector<AuditFinding> findings;  ///< in ledger order
  std::string scenario;                ///< canonical scenario text
  std::string fingerprint;             ///< of the rules

  std::size_t on_recorded_basis = 0;  ///< unfixed amounts granted with a recorded basis

  /// Findings at warning level or above: the audit does not pass.
  std::size_t failing() const { return findings.size(); }
};

/// Audits `ledger` against the rules for the given facts. Each grant is matched to the enterprise
/// record with the same id and year and evaluated under `scenario`, except that a grant under a
/// member of an alternative group is evaluated with that member chosen (the ledger says which
/// version the grant was made under). Evaluation errors become findings, never exceptions.
AuditReport audit(const RuleSet& rules, const std::vector<Enterprise>& enterprises,
                  const std::vector<Grant>& ledger, const Scenario& scenario);

/// Canonical JSON of an audit report (decimals as strings, keys in a fixed order).
std::string to_json(const AuditReport& report);
/// A Markdown report: a summary, then one table row per finding with the ledger row and citation.
std::string to_markdown(const AuditReport& report);

}  // namespace subsidy
