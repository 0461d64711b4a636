// Audit of a grant ledger against the rules (the ledger is read in audit_ledger.cpp): evaluate
// each enterprise-year it names (under the policy version the grant names), and report what does
// not match.
#include "subsidy/audit.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <utility>

#include "audit_whole.hpp"
#include "compiled.hpp"
#include "document.hpp"
#include "json_writer.hpp"
#include "prepared.hpp"
#include "subsidy/columnar.hpp"

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

// --- the audit
// --------------------------------------------------------------------------------------

namespace {

std::string money(const Decimal& d) { return d.to_money_string(); }

std::string band_text(const Band& b) {
  return b.min == b.max ? money(b.min) : money(b.min) + " – " + money(b.max);
}

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// What the audit reads of a grant's award line: from a whole evaluation, or from a row of the
// batch engine's results. The batch gives the same values, but amounts at its own exponent (100
// as 100.00) and notes with amounts written from them, so a finding that shows the line's band
// or note is made from a whole evaluation only.
struct LineView {
  LineStatus status = LineStatus::exact;
  Band band;
  bool withheld = false;
  std::string note;
  std::string unfixed_text;
  bool whole = true;  ///< from a whole evaluation (its figures are the reference's)

  static LineView of(const AwardLine& l) {
    return {l.status, l.band, l.withheld, l.note, l.unfixed_text, true};
  }
};

bool shows_band(LineStatus status) {
  return status != LineStatus::unfixed && status != LineStatus::recognised;
}

class Auditor {
 public:
  Auditor(const RuleSet& rules, const std::vector<Enterprise>& enterprises,
          const std::vector<Grant>& ledger, const Scenario& scenario, bool on_batch)
      : rules_(rules),
        enterprises_(enterprises),
        ledger_(ledger),
        scenario_(scenario),
        on_batch_(on_batch) {}

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
  /// One distinct choice of versions: its batch (the records its grants need, then the records
  /// of the year before), evaluated on the batch engine.
  struct Group {
    std::vector<std::pair<std::size_t, std::int64_t>> rows;  ///< per batch row: record, year
    std::vector<std::optional<std::size_t>> previous;        ///< the row of the year before
    std::function<Evaluation(const Enterprise&, const Enterprise*)> reference;
    ColumnarResult result;
    std::map<std::string, std::uint32_t> rule_index;  ///< qualified rule id → result.rules
  };
  /// An evaluated enterprise-year: a batch row, and its whole evaluation once made.
  struct Source {
    std::size_t group = kNone;
    std::size_t row = 0;
    std::size_t whole = kNone;  ///< into evaluations_
  };

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

  // A record as a batch row: a record without a year is evaluated as the record of the grant's
  // year.
  Enterprise record_at(const std::pair<std::size_t, std::int64_t>& row) const {
    Enterprise e = enterprises_[row.first];
    if (!e.year) e.year = row.second;
    return e;
  }

  // Resolves each grant once (its rule, its enterprise record) and evaluates, one batch per
  // distinct choice of versions, the records the grants need: on the batch engine, whose rows
  // the audit completes through the reference evaluator when it must (check()); or, without it,
  // every record whole.
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
      // Each grant is judged at its own year.
      std::vector<std::pair<std::size_t, std::int64_t>> records;
      for (std::size_t i : grants) records.emplace_back(*matches_[i].record, ledger_[i].year);
      std::sort(records.begin(), records.end());
      records.erase(std::unique(records.begin(), records.end()), records.end());
      Scenario s = scenario_;
      s.choose = choose;
      s.trace = false;
      Group group;
      group.rows = records;
      // The records of the year before, for rules that read last_year(...); their own results
      // are not used.
      for (const auto& [r, year] : records) {
        auto it = by_key_.find({enterprises_[r].id, year - 1});
        if (it != by_key_.end()) group.rows.emplace_back(it->second, year - 1);
      }
      std::vector<Enterprise> batch;
      batch.reserve(group.rows.size());
      for (const auto& row : group.rows) batch.push_back(record_at(row));
      const std::size_t first = sources_.size();
      if (on_batch_) {
        // As evaluate_batch finds them: the row each row reads last_year(...) from.
        group.previous = detail::previous_records(batch.size(), [&](std::size_t k) {
          return std::make_pair(&batch[k].id, batch[k].year);
        });
        group.reference = detail::reference_evaluator(detail::prepare(rules_, s));
        const Program program(rules_, s);
        group.result = program.run(FactTable::from_enterprises(rules_, batch), 0);
        // The batch's own evaluations of the rows it left to the exact path were made from the
        // columns, without the records' marks: check() evaluates those rows from the records.
        group.result.exact.clear();
        for (std::uint32_t k = 0; k < group.result.rules.size(); ++k)
          group.rule_index.emplace(group.result.rules[k], k);
        for (std::size_t k = 0; k < records.size(); ++k)
          sources_.push_back(Source{groups_.size(), k, kNone});
        groups_.push_back(std::move(group));
      } else {
        auto results = evaluate_batch(rules_, batch, s, 0);
        for (std::size_t k = 0; k < records.size(); ++k) {
          sources_.push_back(Source{kNone, k, evaluations_.size()});
          evaluations_.push_back(std::move(results[k]));
        }
      }
      for (std::size_t i : grants) {
        const auto at = std::lower_bound(records.begin(), records.end(),
                                         std::make_pair(*matches_[i].record, ledger_[i].year));
        matches_[i].evaluation = first + static_cast<std::size_t>(at - records.begin());
      }
    }
  }

  // The whole evaluation of a source's record, made once by the reference evaluator with the
  // record of the year before that the batch gave it: what evaluate_batch gives that row.
  const Evaluation& whole(std::size_t source) {
    Source& s = sources_[source];
    if (s.whole == kNone) {
      const Group& group = groups_[s.group];
      const Enterprise e = record_at(group.rows[s.row]);
      std::optional<Enterprise> previous;
      if (group.previous[s.row]) previous = record_at(group.rows[*group.previous[s.row]]);
      s.whole = evaluations_.size();
      evaluations_.push_back(group.reference(e, previous ? &*previous : nullptr));
    }
    return evaluations_[s.whole];
  }

  // True when the batch row tells all the audit reads of it: the row was computed in fixed
  // point, and its record decided no amount (a decided amount outside its band is a finding of
  // the whole evaluation, which the batch results leave out).
  bool batch_tells(const Source& s) const {
    const Group& group = groups_[s.group];
    return group.result.by_reference[s.row] == 0 &&
           enterprises_[group.rows[s.row].first].decided.empty();
  }

  // The grant's line in a batch row (the last line of its rule, as in a whole evaluation).
  std::optional<LineView> batch_line(const Source& s, const RuleInfo& info) const {
    const Group& group = groups_[s.group];
    const ColumnarResult& result = group.result;
    const auto index = group.rule_index.find(info.qualified_id);
    if (index == group.rule_index.end()) return std::nullopt;
    std::optional<LineView> out;
    for (std::size_t k = result.offsets[s.row]; k < result.offsets[s.row + 1]; ++k) {
      const ColumnarLine& l = result.lines[k];
      if (l.rule != index->second) continue;
      LineView v;
      v.status = l.status;
      v.withheld = l.withheld;
      if (shows_band(l.status)) v.band = {result.amount(l.min), result.amount(l.max)};
      v.note = result.note(l);
      v.unfixed_text = result.unfixed_text(l);
      v.whole = false;
      out = std::move(v);
    }
    return out;
  }

  AuditFinding finding(std::size_t i, FindingKind kind, std::shared_ptr<const RuleInfo> info,
                       const LineView* line, std::string message) const {
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
      if (shows_band(line->status)) f.computed = line->band;
    }
    f.message = std::move(message);
    return f;
  }

  void add(std::size_t i, FindingKind kind, std::shared_ptr<const RuleInfo> info,
           const LineView* line, std::string message) {
    report_.findings.push_back(finding(i, kind, std::move(info), line, std::move(message)));
  }

  // Why a rule gave the grant's enterprise no line, said as the trace says it: conditions not
  // met, or met with a value that reaches no tier (or no record that qualifies). Evaluated again
  // with a trace for this grant alone, so the batch above stays untraced.
  std::string why_no_line(std::size_t i, const RuleInfo& info) {
    const Grant& g = ledger_[i];
    auto& traced = traced_[choice_for(g)];  // the scenario resolved once per choice of versions
    if (!traced) {
      Scenario s = scenario_;
      s.choose = choice_for(g);
      s.trace = true;
      traced = detail::reference_evaluator(detail::prepare(rules_, s));
    }
    const Evaluation e = traced(enterprises_[*matches_[i].record], nullptr);
    for (const PassedOver& p : e.passed_over) {
      if (p.policy_set != g.policy_set || p.rule != g.rule) continue;
      std::string figures;
      for (const TraceStep& step : p.trace) {
        if (step.kind == "tier" || step.kind == "tier value" || step.kind == "recurrence")
          figures = step.detail;
      }
      if (p.reason == "no_tier")
        return "no tier reached: the conditions of " + g.qualified_rule() + " are met, but " +
               figures;
      if (p.reason == "no_item")
        return "not eligible: the conditions of " + g.qualified_rule() +
               " are met, but no item qualifies";
      if (p.reason == "recurrence")
        return "not eligible: " + g.qualified_rule() + " is not due this year (" + figures + ")";
    }
    return "not eligible: the conditions of " + g.qualified_rule() + " are not met (" + info.when +
           ")";
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
    const std::size_t source = matches_[i].evaluation;
    if (sources_[source].whole == kNone && batch_tells(sources_[source])) {
      const std::optional<LineView> line = batch_line(sources_[source], *info);
      if (judge(i, info, line ? &*line : nullptr, nullptr)) return;
    }
    const Evaluation& e = whole(source);
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
    std::optional<LineView> line;
    for (const AwardLine& l : e.lines) {
      if (l.policy_set == g.policy_set && l.rule == g.rule) line = LineView::of(l);
    }
    judge(i, info, line ? &*line : nullptr, &e);
  }

  // The findings of a grant whose rule and record are known and evaluated: `line` is the rule's
  // line (none: the rule gave none), `e` the whole evaluation when there is one. Returns false,
  // adding nothing, when a finding would show figures of a line the batch gave (then the grant is
  // judged again on the whole evaluation).
  bool judge(std::size_t i, const std::shared_ptr<const RuleInfo>& shared, const LineView* line,
             const Evaluation* e) {
    const RuleInfo& info = *shared;
    const Grant& g = ledger_[i];
    std::vector<AuditFinding> found;
    std::size_t on_basis = 0;
    // Adds a finding; false when it would show the band or the note of a batch line.
    auto put = [&](FindingKind kind, const LineView* l, std::string message, bool note = false) {
      if (l != nullptr && !l->whole && (shows_band(l->status) || note)) return false;
      found.push_back(finding(i, kind, shared, l, std::move(message)));
      return true;
    };
    auto judged = [&](bool ok) {
      if (!ok) return false;
      for (AuditFinding& f : found) report_.findings.push_back(std::move(f));
      report_.on_recorded_basis += on_basis;
      return true;
    };
    if (g.payer != info.payer &&
        !put(FindingKind::payer_mismatch, line,
             "paid by " + g.payer + ", but the rule's payer is " + info.payer)) {
      return false;
    }
    const Date day =
        scenario_.on ? *scenario_.on
                     : Date{static_cast<int>(std::clamp<std::int64_t>(g.year, 1, 9999)), 12, 31};
    if (std::string why = rules_.not_in_force(info, day); line == nullptr && !why.empty()) {
      return judged(put(FindingKind::not_eligible, nullptr, "not eligible: " + why));
    }
    if (line == nullptr) {
      return judged(put(FindingKind::not_eligible, nullptr, why_no_line(i, info)));
    }
    if (line->withheld && line->band.max.is_zero()) {
      return judged(put(FindingKind::not_eligible, line,
                        "not eligible: the line gave way (" + line->note + ")", true));
    }
    if (e != nullptr) {
      for (const Finding& f : e->findings) {
        if (!f.passed && f.check == "decided-amount" &&
            f.detail.rfind(info.qualified_id + ":", 0) == 0) {
          return judged(put(FindingKind::outside_band, line,
                            "the decided amount is outside its band: " + f.detail));
        }
      }
    }
    switch (line->status) {
      case LineStatus::unfixed:
        if (g.basis.empty()) {
          return judged(put(FindingKind::needs_basis, line,
                            "the policy does not fix the amount (" + line->unfixed_text +
                                "): record the basis of " + money(g.amount)));
        }
        ++on_basis;
        return judged(true);
      case LineStatus::recognised:
        if (!g.amount.is_zero()) {
          return judged(
              put(FindingKind::over_grant, line,
                  "the rule confers a recognition, not money: " + money(g.amount) + " granted"));
        }
        return judged(true);
      default:
        break;
    }
    const bool is_band = line->status == LineStatus::band;
    if (g.amount > line->band.max) {
      return judged(put(FindingKind::over_grant, line,
                        "granted " + money(g.amount) + ", above the " +
                            (is_band ? "band maximum " : "computed amount ") +
                            money(line->band.max) + " by " + money(g.amount - line->band.max)));
    }
    if (g.amount < line->band.min) {
      return judged(put(FindingKind::under_grant, line,
                        "granted " + money(g.amount) + ", below the " +
                            (is_band ? "band minimum " : "computed amount ") +
                            money(line->band.min) + " by " + money(line->band.min - g.amount)));
    }
    return judged(true);
  }

  const RuleSet& rules_;
  const std::vector<Enterprise>& enterprises_;
  const std::vector<Grant>& ledger_;
  const Scenario& scenario_;
  const bool on_batch_;
  std::map<std::pair<std::string, std::int64_t>, std::size_t> by_key_;
  std::set<std::string> ids_;
  struct Match {
    std::shared_ptr<const RuleInfo> info;  ///< the rule the grant names, if the rule set has it
    std::optional<std::size_t> record;     ///< the enterprise record for its id and year
    std::size_t evaluation = 0;            ///< into sources_, when both are known
  };
  std::vector<Match> matches_;  ///< per grant
  std::vector<Group> groups_;
  std::vector<Source> sources_;
  std::map<std::map<std::string, std::string>,
           std::function<Evaluation(const Enterprise&, const Enterprise*)>>
      traced_;  ///< by choice of versions: the reference evaluator with traces, for why_no_line
  std::vector<Evaluation> evaluations_;
  AuditReport report_;
};

// Records typed against another rule set are refused by the batch engine's fact table, while the
// reference evaluator reports each as its own evaluation error (an audit finding).
bool typed_for(const RuleSet& rules, const std::vector<Enterprise>& enterprises) {
  const std::size_t facts = rules.facts().size();
  return std::all_of(enterprises.begin(), enterprises.end(), [&](const Enterprise& e) {
    return (e.rules_fingerprint.empty() || e.rules_fingerprint == rules.fingerprint()) &&
           e.facts.size() == facts;
  });
}

}  // namespace

AuditReport audit(const RuleSet& rules, const std::vector<Enterprise>& enterprises,
                  const std::vector<Grant>& ledger, const Scenario& scenario) {
  scenario.validate(rules);
  check_population(enterprises);
  return Auditor(rules, enterprises, ledger, scenario, typed_for(rules, enterprises)).run();
}

namespace detail {

AuditReport audit_whole(const RuleSet& rules, const std::vector<Enterprise>& enterprises,
                        const std::vector<Grant>& ledger, const Scenario& scenario) {
  scenario.validate(rules);
  check_population(enterprises);
  return Auditor(rules, enterprises, ledger, scenario, false).run();
}

}  // namespace detail

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
    if (f.computed)
      w.range(f.computed->min, f.computed->max);
    else
      w.null();
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
    out += "| " + cell(f.row.file) + ":" + std::to_string(f.row.line) + " | " +
           to_string(f.severity) + " | " + to_string(f.kind) + " | " + cell(f.enterprise) + " | " +
           std::to_string(f.year) + " | " + cell(f.rule) + " | " + money(f.granted) + " | " +
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
