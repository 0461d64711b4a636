// Audit of a grant ledger against the rules: read the ledger exactly, evaluate each enterprise-year
// it names (under the policy version the grant names), and report what does not match.
#include "subsidy/audit.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "document.hpp"
#include "json_writer.hpp"

namespace subsidy {

const char* to_string(FindingKind kind) noexcept {
  switch (kind) {
    case FindingKind::over_grant:
      return "over_grant";
    case FindingKind::under_grant:
      return "under_grant";
    case FindingKind::outside_band:
      return "outside_band";
    case FindingKind::not_eligible:
      return "not_eligible";
    case FindingKind::needs_basis:
      return "needs_basis";
    case FindingKind::payer_mismatch:
      return "payer_mismatch";
    case FindingKind::duplicate:
      return "duplicate";
    case FindingKind::unknown_rule:
      return "unknown_rule";
    case FindingKind::unknown_enterprise:
      return "unknown_enterprise";
    case FindingKind::evaluation_failed:
      return "evaluation_failed";
  }
  return "?";
}

const char* to_string(Severity severity) noexcept {
  switch (severity) {
    case Severity::warning:
      return "warning";
    case Severity::error:
      return "error";
  }
  return "?";
}

Severity severity_of(FindingKind kind) noexcept {
  switch (kind) {
    case FindingKind::under_grant:
    case FindingKind::needs_basis:
    case FindingKind::payer_mismatch:
      return Severity::warning;
    default:
      return Severity::error;
  }
}

// --- reading the ledger
// ---------------------------------------------------------------------------

namespace {

// An empty CSV cell reads as an absent key, so a missing value and a missing column are one case.
const RawValue& cell(const RawValue& record, const char* column, const Mark& row) {
  const RawValue* value = detail::find(record, column);
  if (value == nullptr || value->kind == RawValue::Kind::null || value->text.empty()) {
    Mark m = value == nullptr ? row : value->mark;
    m.field = column;
    throw Error::expected(ErrorKind::audit, std::string("a value in column \"") + column + "\"",
                          "none", m, "ledger row");
  }
  if (value->kind != RawValue::Kind::text) {
    throw Error::expected(ErrorKind::audit, std::string("a value in column \"") + column + "\"",
                          detail::describe(*value), value->mark);
  }
  return *value;
}

std::string required_text(const RawValue& record, const char* column, const Mark& row) {
  return cell(record, column, row).text;
}

std::string optional_text(const RawValue& record, const char* column) {
  const RawValue* value = detail::find(record, column);
  return value == nullptr || value->kind != RawValue::Kind::text ? std::string() : value->text;
}

std::int64_t parse_year(const RawValue& value) {
  const std::string& t = value.text;
  const bool digits = !t.empty() && t.size() <= 4 &&
                      std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits)
    throw Error::expected(ErrorKind::audit, "a year such as 2010", "\"" + t + "\"", value.mark);
  return std::stoll(t);
}

Decimal parse_granted(const RawValue& value) {
  const std::string& t = value.text;
  if (t.find_first_of("eE") != std::string::npos) {
    throw Error::expected(
        ErrorKind::audit,
        "an exact amount such as 123000000.00 (a spreadsheet's scientific format loses "
        "digits: format the column as text or as a number with 2 decimals)",
        "\"" + t + "\"", value.mark);
  }
  Amount amount;
  try {
    amount = Decimal::parse_amount(t);
  } catch (Error& e) {
    throw e.locate(value.mark);
  }
  if (amount.unit == AmountUnit::rate) {
    throw Error::expected(ErrorKind::audit, "an amount in 元", "a rate \"" + t + "\"", value.mark);
  }
  if (amount.value.is_negative()) {
    throw Error::expected(ErrorKind::audit, "an amount of 0 or more (a refund is its own ledger)",
                          "\"" + t + "\"", value.mark);
  }
  return amount.value;
}

Grant grant_from(const RawValue& record) {
  if (record.kind != RawValue::Kind::map) {
    throw Error::expected(ErrorKind::audit, "a ledger row (a map of columns)",
                          detail::describe(record), record.mark);
  }
  Mark row = record.mark;
  row.field.clear();
  row.column = 0;
  Grant g;
  g.mark = row;
  g.enterprise = required_text(record, "enterprise", row);
  detail::check_id(g.enterprise, ErrorKind::audit, cell(record, "enterprise", row).mark);
  g.policy_set = required_text(record, "policy_set", row);
  g.rule = required_text(record, "rule", row);
  g.year = parse_year(cell(record, "year", row));
  g.amount = parse_granted(cell(record, "amount", row));
  g.payer = required_text(record, "payer", row);
  g.approval = optional_text(record, "approval");
  g.basis = optional_text(record, "basis");
  return g;
}

}  // namespace

namespace {

// A grant costs its row and, in the report, a finding: bounded so that an audit fits in 1 GiB.
void within_ledger_limit(std::size_t grants, const Mark& mark) {
  if (grants < detail::Limits::max_grants) return;
  throw Error::expected(
      ErrorKind::limit,
      "a ledger of at most " + std::to_string(detail::Limits::max_grants) + " grants", "more",
      mark);
}

}  // namespace

std::vector<Grant> ledger_from_records(const RawValue& records) {
  const RawValue* list = &records;
  if (records.kind == RawValue::Kind::map) {
    list = detail::find(records, "grants");
    if (list == nullptr) {
      throw Error::expected(ErrorKind::audit, "a \"grants:\" list", "a map without it",
                            records.mark);
    }
  }
  if (list->kind != RawValue::Kind::list) {
    throw Error::expected(ErrorKind::audit, "a list of grants", detail::describe(*list),
                          list->mark);
  }
  std::vector<Grant> ledger;
  ledger.reserve(std::min(list->items.size(), detail::Limits::max_grants));
  for (const RawValue& record : list->items) {
    within_ledger_limit(ledger.size(), record.mark);
    ledger.push_back(grant_from(record));
  }
  return ledger;
}

std::vector<Grant> parse_ledger(const std::string& name, const std::string& text) {
  const auto dot = name.rfind('.');
  std::string ext = dot == std::string::npos ? std::string() : name.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
  if (ext == ".csv") {  // row by row as the rows are read: never the whole file as a tree
    std::vector<Grant> ledger;
    detail::for_each_csv_record(name, text, [&](RawValue&& record) {
      within_ledger_limit(ledger.size(), record.mark);
      ledger.push_back(grant_from(record));
    });
    return ledger;
  }
  return ledger_from_records(detail::parse_yaml(name, text));
}

std::vector<Grant> load_ledger(const std::string& path) {
  return parse_ledger(path, detail::read_file(path));
}

// --- the audit
// --------------------------------------------------------------------------------------

namespace {

std::string money(const Decimal& d) { return d.to_money_string(); }

std::string band_text(const Band& b) {
  return b.min == b.max ? money(b.min) : money(b.min) + " – " + money(b.max);
}

class Auditor {
 public:
  Auditor(const RuleSet& rules, const std::vector<Enterprise>& enterprises,
          const std::vector<Grant>& ledger, const Scenario& scenario)
      : rules_(rules), enterprises_(enterprises), ledger_(ledger), scenario_(scenario) {}

  AuditReport run() {
    report_.grants = ledger_.size();
    report_.scenario = scenario_.canonical();
    report_.fingerprint = rules_.fingerprint();
    index_enterprises();
    evaluate_needed();
    std::map<std::tuple<std::string, std::string, std::int64_t>, std::size_t> seen;
    std::map<std::pair<std::string, std::string>, std::size_t> once;  // one-time awards
    for (std::size_t i = 0; i < ledger_.size(); ++i) {
      const Grant& g = ledger_[i];
      report_.granted += g.amount;
      const auto key = std::make_tuple(g.enterprise, g.qualified_rule(), g.year);
      const auto [first, inserted] = seen.emplace(key, i);
      if (!inserted) {
        add(i, FindingKind::duplicate, matches_[i].info, nullptr,
            "granted again: " + g.qualified_rule() + " for " + g.enterprise + " in " +
                std::to_string(g.year) + " was already granted in row " +
                std::to_string(ledger_[first->second].mark.line));
        continue;
      }
      // A one-time award is paid once per enterprise, whatever the year of the grant (a grant
      // whose rule or enterprise-year is unknown gets that finding first). An award per item
      // (per item of a list fact) is paid once per event, and events come in different years.
      const std::shared_ptr<const RuleInfo>& info = matches_[i].info;
      if (info != nullptr && matches_[i].record &&
          info->recurrence.kind == Recurrence::Kind::one_time &&
          info->kind != AmountKind::per_item) {
        const auto [earlier, fresh] =
            once.emplace(std::make_pair(g.enterprise, g.qualified_rule()), i);
        if (!fresh) {
          const Grant& e = ledger_[earlier->second];
          add(i, FindingKind::duplicate, info, nullptr,
              "granted again: " + g.qualified_rule() + " is a one-time award, and " + g.enterprise +
                  " was already granted it for " + std::to_string(e.year) + " in row " +
                  std::to_string(e.mark.line));
          continue;
        }
      }
      check(i);
    }
    return std::move(report_);
  }

 private:
  // Enterprise records by (id, year); a record without a year serves any year.
  void index_enterprises() {
    for (std::size_t i = 0; i < enterprises_.size(); ++i) {
      const Enterprise& e = enterprises_[i];
      by_key_.emplace(std::make_pair(e.id, e.year.value_or(-1)), i);
      ids_.insert(e.id);
    }
    report_.enterprises = by_key_.size();
  }

  std::optional<std::size_t> record_for(const Grant& g) const {
    auto it = by_key_.find({g.enterprise, g.year});
    if (it == by_key_.end()) it = by_key_.find({g.enterprise, -1});
    if (it == by_key_.end()) return std::nullopt;
    return it->second;
  }

  // The scenario a grant is judged under: the user's, with the grant's own policy version chosen
  // when it belongs to an alternative group.
  std::map<std::string, std::string> choice_for(const Grant& g) const {
    std::map<std::string, std::string> choose = scenario_.choose;
    for (const PolicySetInfo& p : rules_.policy_sets()) {
      if (p.id == g.policy_set && !p.group.empty()) choose[p.group] = p.id;
    }
    return choose;
  }

  // Resolves each grant once (its rule, its enterprise record) and evaluates, one batch per
  // distinct choice of versions, the records the grants need.
  void evaluate_needed() {
    matches_.resize(ledger_.size());
    std::map<std::map<std::string, std::string>, std::vector<std::size_t>> wanted;  // → grants
    for (std::size_t i = 0; i < ledger_.size(); ++i) {
      Match& m = matches_[i];
      m.info = rules_.rule(ledger_[i].qualified_rule());
      m.record = record_for(ledger_[i]);
      if (m.info != nullptr && m.record) wanted[choice_for(ledger_[i])].push_back(i);
    }
    for (auto& [choose, grants] : wanted) {
      // Each grant is judged at its own year: a record without a year is evaluated as the
      // record of the grant's year.
      std::vector<std::pair<std::size_t, std::int64_t>> records;
      for (std::size_t i : grants) records.emplace_back(*matches_[i].record, ledger_[i].year);
      std::sort(records.begin(), records.end());
      records.erase(std::unique(records.begin(), records.end()), records.end());
      Scenario s = scenario_;
      s.choose = choose;
      s.trace = false;
      std::vector<Enterprise> batch;
      batch.reserve(records.size());
      for (const auto& [r, year] : records) {
        batch.push_back(enterprises_[r]);
        if (!batch.back().year) batch.back().year = year;
      }
      // The records of the year before, for rules that read last_year(...); their own results
      // are not used.
      for (const auto& [r, year] : records) {
        auto it = by_key_.find({enterprises_[r].id, year - 1});
        if (it != by_key_.end()) batch.push_back(enterprises_[it->second]);
      }
      const std::size_t first = evaluations_.size();
      auto results = evaluate_batch(rules_, batch, s, 0);
      for (std::size_t k = 0; k < records.size(); ++k) evaluations_.push_back(std::move(results[k]));
      for (std::size_t i : grants) {
        const auto at = std::lower_bound(records.begin(), records.end(),
                                         std::make_pair(*matches_[i].record, ledger_[i].year));
        matches_[i].evaluation = first + static_cast<std::size_t>(at - records.begin());
      }
    }
  }

  void add(std::size_t i, FindingKind kind, std::shared_ptr<const RuleInfo> info,
           const AwardLine* line, std::string message) {
    const Grant& g = ledger_[i];
    AuditFinding f;
    f.kind = kind;
    f.severity = severity_of(kind);
    f.grant = i;
    f.row = g.mark;
    f.enterprise = g.enterprise;
    f.year = g.year;
    f.rule = g.qualified_rule();
    f.granted = g.amount;
    f.info = std::move(info);
    if (line != nullptr) {
      f.status = to_string(line->status);
      if (line->status != LineStatus::unfixed && line->status != LineStatus::recognised)
        f.computed = line->band;
    }
    f.message = std::move(message);
    report_.findings.push_back(std::move(f));
  }

  // Why a rule gave the grant's enterprise no line, said as the trace says it: conditions not
  // met, or met with a value that reaches no tier (or no record that qualifies). Evaluated again
  // with a trace for this grant alone, so the batch above stays untraced.
  std::string why_no_line(std::size_t i, const RuleInfo& info) const {
    const Grant& g = ledger_[i];
    Scenario s = scenario_;
    s.choose = choice_for(g);
    s.trace = true;
    const Evaluation e = evaluate(rules_, enterprises_[*matches_[i].record], s);
    for (const PassedOver& p : e.passed_over) {
      if (p.policy_set != g.policy_set || p.rule != g.rule) continue;
      std::string figures;
      for (const TraceStep& step : p.trace) {
        if (step.kind == "tier" || step.kind == "tier value" || step.kind == "recurrence") figures = step.detail;
      }
      if (p.reason == "no_tier")
        return "no tier reached: the conditions of " + g.qualified_rule() + " are met, but " + figures;
      if (p.reason == "no_item")
        return "not eligible: the conditions of " + g.qualified_rule() + " are met, but no item qualifies";
      if (p.reason == "recurrence")
        return "not eligible: " + g.qualified_rule() + " is not due this year (" + figures + ")";
    }
    return "not eligible: the conditions of " + g.qualified_rule() + " are not met (" + info.when + ")";
  }

  void check(std::size_t i) {
    const Grant& g = ledger_[i];
    const std::shared_ptr<const RuleInfo>& info = matches_[i].info;
    if (info == nullptr) {
      add(i, FindingKind::unknown_rule, nullptr, nullptr,
          "the rule set has no rule " + g.qualified_rule());
      return;
    }
    if (!matches_[i].record) {
      add(i, FindingKind::unknown_enterprise, info, nullptr,
          ids_.count(g.enterprise)
              ? "no facts for " + g.enterprise + " in " + std::to_string(g.year)
              : "no facts for enterprise " + g.enterprise);
      return;
    }
    const Evaluation& e = evaluations_[matches_[i].evaluation];
    if (e.error) {
      add(i, FindingKind::evaluation_failed, info, nullptr,
          std::string("the facts cannot be evaluated: ") + e.error->what());
      return;
    }
    for (const Unevaluated& u : e.unevaluated) {
      if (u.kind == "rule" && u.policy_set == g.policy_set && u.id == g.rule) {
        std::string facts;
        for (const auto& m : u.missing) facts += (facts.empty() ? "" : ", ") + m;
        add(i, FindingKind::evaluation_failed, info, nullptr,
            "the rule cannot be evaluated: the facts lack " + facts + " (" + u.message + ")");
        return;
      }
    }
    const AwardLine* line = nullptr;
    for (const AwardLine& l : e.lines) {
      if (l.policy_set == g.policy_set && l.rule == g.rule) line = &l;
    }
    if (g.payer != info->payer) {
      add(i, FindingKind::payer_mismatch, info, line,
          "paid by " + g.payer + ", but the rule's payer is " + info->payer);
    }
    const Date day = scenario_.on ? *scenario_.on
                                  : Date{static_cast<int>(std::clamp<std::int64_t>(g.year, 1, 9999)), 12, 31};
    if (std::string why = rules_.not_in_force(*info, day); line == nullptr && !why.empty()) {
      add(i, FindingKind::not_eligible, info, nullptr, "not eligible: " + why);
      return;
    }
    if (line == nullptr) {
      add(i, FindingKind::not_eligible, info, nullptr, why_no_line(i, *info));
      return;
    }
    if (line->withheld && line->band.max.is_zero()) {
      add(i, FindingKind::not_eligible, info, line,
          "not eligible: the line gave way (" + line->note + ")");
      return;
    }
    for (const Finding& f : e.findings) {
      if (!f.passed && f.check == "decided-amount" &&
          f.detail.rfind(info->qualified_id + ":", 0) == 0) {
        add(i, FindingKind::outside_band, info, line,
            "the decided amount is outside its band: " + f.detail);
        return;
      }
    }
    switch (line->status) {
      case LineStatus::unfixed:
        if (g.basis.empty()) {
          add(i, FindingKind::needs_basis, info, line,
              "the policy does not fix the amount (" + line->unfixed_text +
                  "): record the basis of " + money(g.amount));
        } else {
          ++report_.on_recorded_basis;
        }
        return;
      case LineStatus::recognised:
        if (!g.amount.is_zero()) {
          add(i, FindingKind::over_grant, info, line,
              "the rule confers a recognition, not money: " + money(g.amount) + " granted");
        }
        return;
      default:
        break;
    }
    const bool is_band = line->status == LineStatus::band;
    if (g.amount > line->band.max) {
      add(i, FindingKind::over_grant, info, line,
          "granted " + money(g.amount) + ", above the " +
              (is_band ? "band maximum " : "computed amount ") + money(line->band.max) + " by " +
              money(g.amount - line->band.max));
    } else if (g.amount < line->band.min) {
      add(i, FindingKind::under_grant, info, line,
          "granted " + money(g.amount) + ", below the " +
              (is_band ? "band minimum " : "computed amount ") + money(line->band.min) + " by " +
              money(line->band.min - g.amount));
    }
  }

  const RuleSet& rules_;
  const std::vector<Enterprise>& enterprises_;
  const std::vector<Grant>& ledger_;
  const Scenario& scenario_;
  std::map<std::pair<std::string, std::int64_t>, std::size_t> by_key_;
  std::set<std::string> ids_;
  struct Match {
    std::shared_ptr<const RuleInfo> info;  ///< the rule the grant names, if the rule set has it
    std::optional<std::size_t> record;  ///< the enterprise record for its id and year
    std::size_t evaluation = 0;         ///< into evaluations_, when both are known
  };
  std::vector<Match> matches_;  ///< per grant
  std::vector<Evaluation> evaluations_;
  AuditReport report_;
};

}  // namespace

AuditReport audit(const RuleSet& rules, const std::vector<Enterprise>& enterprises,
                  const std::vector<Grant>& ledger, const Scenario& scenario) {
  scenario.validate(rules);
  check_population(enterprises);
  return Auditor(rules, enterprises, ledger, scenario).run();
}

// --- reports
// ----------------------------------------------------------------------------------------

std::string to_json(const AuditReport& report) {
  detail::Writer w;
  w.open('{');
  w.key("grants");
  w.integer(static_cast<std::int64_t>(report.grants));
  w.key("enterprises");
  w.integer(static_cast<std::int64_t>(report.enterprises));
  w.key("granted");
  w.num(report.granted);
  w.key("on_recorded_basis");
  w.integer(static_cast<std::int64_t>(report.on_recorded_basis));
  w.key("failing");
  w.integer(static_cast<std::int64_t>(report.failing()));
  w.key("fingerprint");
  w.str(report.fingerprint);
  w.key("scenario");
  w.str(report.scenario);
  w.key("findings");
  w.open('[');
  for (const AuditFinding& f : report.findings) {
    w.open('{');
    w.key("kind");
    w.str(to_string(f.kind));
    w.key("severity");
    w.str(to_string(f.severity));
    w.key("file");
    w.str(f.row.file);
    w.key("row");
    w.integer(f.row.line);
    w.key("enterprise");
    w.str(f.enterprise);
    w.key("year");
    w.integer(f.year);
    w.key("rule");
    w.str(f.rule);
    w.key("granted");
    w.num(f.granted);
    w.key("computed");
    if (f.computed) w.range(f.computed->min, f.computed->max);
    else w.null();
    w.key("status");
    w.str(f.status);
    w.key("message");
    w.str(f.message);
    w.key("citation");
    if (f.info != nullptr) {
      w.open('{');
      w.key("document");
      w.str(f.info->citation.document);
      w.key("clause");
      w.str(f.info->citation.clause);
      w.key("lines");
      w.open('[');
      for (int line : f.info->citation.lines) w.integer(line);
      w.close(']');
      w.key("text");
      w.str(f.info->citation.text);
      w.key("payer");
      w.str(f.info->payer);
      w.close('}');
    } else {
      w.null();
    }
    w.close('}');
  }
  w.close(']');
  w.close('}');
  return w.out;
}

std::string to_markdown(const AuditReport& report) {
  // A cell of the table: a pipe cannot end it, and control characters (a newline that would
  // start a forged row, terminal escapes) are shown as escapes.
  auto cell = [](const std::string& s) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '|')
        out += "\\|";
      else if (c == '\n')
        out += "\\n";
      else if (c == '\r')
        out += "\\r";
      else if (c == '\t')
        out += "\\t";
      else if (u < 0x20 || u == 0x7f)
        out += std::string("\\x") + hex[u >> 4] + hex[u & 15];
      else
        out += c;
    }
    return out;
  };
  // A cited sentence's own line breaks (list items in the policy text) read as spaces.
  auto sentence = [](std::string s) {
    std::replace(s.begin(), s.end(), '\n', ' ');
    return s;
  };
  std::map<Severity, std::size_t> counts;
  for (const AuditFinding& f : report.findings) ++counts[f.severity];
  std::string out = "# Audit of grants\n\n";
  out += "- grants: " + std::to_string(report.grants) + ", total granted " + money(report.granted) +
         "\n";
  out += "- findings: " + std::to_string(counts[Severity::error]) + " error, " +
         std::to_string(counts[Severity::warning]) + " warning\n";
  out +=
      "- unfixed amounts granted on a recorded basis: " + std::to_string(report.on_recorded_basis) +
      "\n";
  out += "- rules fingerprint: `" + report.fingerprint + "`\n";
  out += std::string("- result: ") + (report.failing() == 0 ? "**pass**" : "**fail**") + "\n\n";
  if (report.findings.empty())
    return out + "No finding: every grant matches what the rules give.\n";
  out +=
      "| row | severity | finding | enterprise | year | rule | granted | computed | clause | "
      "message |\n";
  out += "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const AuditFinding& f : report.findings) {
    out += "| " + cell(f.row.file) + ":" + std::to_string(f.row.line) + " | " + to_string(f.severity) +
           " | " + to_string(f.kind) + " | " + cell(f.enterprise) + " | " + std::to_string(f.year) +
           " | " + cell(f.rule) + " | " + money(f.granted) + " | " +
           (f.computed ? band_text(*f.computed) : (f.status.empty() ? "—" : f.status)) + " | " +
           (f.info ? cell(f.info->citation.document + " " + f.info->citation.clause) : "—") +
           " | " + cell(f.message) + " |\n";
  }
  out += "\n## Cited sentences\n\n";
  std::set<std::string> cited;
  for (const AuditFinding& f : report.findings) {
    if (f.info == nullptr || !cited.insert(f.info->qualified_id).second) continue;
    out += "- **" + f.info->qualified_id + "** (" + f.info->citation.document + " " +
           f.info->citation.clause + "): " + cell(sentence(f.info->citation.text)) + "\n";
  }
  return out;
}

}  // namespace subsidy
