// Evaluation: rules × facts × scenario → award lines, totals as bands, findings, receipt.
#include "subsidy/evaluate.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "compiled.hpp"
#include "needs.hpp"
#include "prepared.hpp"
#include "semantics.hpp"
#include "sha256.hpp"
#include "subsidy/version.hpp"

namespace subsidy {

const char* engine_version() noexcept { return "subsidy " SUBSIDY_VERSION; }

const char* to_string(LineStatus s) noexcept {
  switch (s) {
    case LineStatus::exact:
      return "exact";
    case LineStatus::band:
      return "band";
    case LineStatus::decided:
      return "decided";
    case LineStatus::unfixed:
      return "unfixed";
    case LineStatus::recognised:
      return "recognised";
  }
  return "";
}

namespace detail {
FactValue parse_fact(const FactDecl& decl, const RawValue& v);

namespace {

class Evaluator : public Env {
 public:
  Evaluator(const Prepared& p, const Enterprise& e, const Enterprise* previous)
      : p_(p),
        q_(p.period(p.day_of(e))),
        r_(p.r),
        e_(e),
        previous_(previous),
        derived_(p.r.derived.size()) {}

  /// A part of the rule set for a result: it keeps the rule set alive.
  template <class T>
  std::shared_ptr<const T> shared(const T& part) const {
    return detail::shared(p_.rules, part);
  }

  // ---- Env ----
  Value fact(std::size_t slot) override {
    if (slot == kYearSlot) {
      if (!e_.year) missing("year", "the year of the record");
      return Decimal(*e_.year);
    }
    // References only: a list fact is handed out by pointer, so it must not be a temporary copy.
    const std::optional<FactValue>* value = &p_.defaults[slot];
    if (slot < e_.facts.size() && e_.facts[slot]) value = &e_.facts[slot];
    const std::optional<FactValue>& given = *value;
    if (!given) missing(r_.facts[slot].name, r_.facts[slot].label.zh);
    if (const auto* s = std::get_if<Scalar>(&*given)) return to_value(*s);
    return &std::get<std::vector<Record>>(*given);
  }
  bool present(std::size_t slot) override {
    if (slot == kYearSlot) return e_.year.has_value();
    return slot < e_.facts.size() && e_.facts[slot].has_value();
  }
  // last_year(fact): the fact as the same enterprise's record of the year before gives it (or
  // its default); no such record is a missing fact like any other.
  Value last_year(std::size_t slot) override {
    const std::optional<FactValue>* value = &p_.defaults[slot];
    if (previous_ != nullptr && slot < previous_->facts.size() && previous_->facts[slot]) {
      value = &previous_->facts[slot];
    }
    const std::string name = "last_year(" + r_.facts[slot].name + ")";
    if (previous_ == nullptr) {
      missing(name, e_.year ? "no record of the enterprise for " + std::to_string(*e_.year - 1)
                            : std::string("the record has no year"));
    }
    if (!*value) missing(name, r_.facts[slot].label.zh);
    return to_value(std::get<Scalar>(**value));
  }
  Value parameter(std::size_t slot) override {
    if (!q_.param_gaps[slot].empty()) throw Error(ErrorKind::parameter, q_.param_gaps[slot]);
    if (tracing())
      notes_.push_back(r_.parameters[slot].name + " = " + q_.params[slot].to_string() + " (" +
                       q_.param_notes[slot] + ")");
    return q_.params[slot];
  }
  Value derived(std::size_t slot) override {
    if (!derived_[slot]) {
      const CompiledDerived& d = r_.derived[slot];
      std::vector<std::string> saved;
      saved.swap(notes_);
      Value v;
      try {
        v = evaluate(d.expr, *this);
      } catch (const Error& err) {
        // A missing earlier year names the derived value that wanted it, whose expression shows
        // what else would do (e.g. the record's own *_last_year figure).
        if (err.kind() != ErrorKind::fact ||
            err.message().rfind("missing fact 'last_year(", 0) != 0 ||
            err.message().find("; needed by ") != std::string::npos) {
          throw;
        }
        throw Error(err.kind(), err.message() + "; needed by " + d.name + " = " + d.expr.source,
                    err.mark());
      }
      if (tracing()) {
        std::string line = d.name + " = " + d.expr.source + " = " + value_to_string(v);
        if (!notes_.empty()) line += "  [" + join_notes() + "]";
        saved.push_back(line);
      }
      notes_.swap(saved);
      derived_[slot] = std::move(v);
      return *derived_[slot];
    }
    return *derived_[slot];
  }
  const std::string& option(std::size_t slot) override {
    if (tracing()) notes_.push_back("option " + r_.options[slot].name + " = " + p_.options[slot]);
    return p_.options[slot];
  }
  void note(const std::string& name, const Value& value) override {
    if (tracing() && record == nullptr) {
      const std::string line = name + " = " + value_to_string(value);
      if (std::find(notes_.begin(), notes_.end(), line) == notes_.end()) notes_.push_back(line);
    }
  }

  // ---- evaluation ----
  Evaluation run() {
    Evaluation out;
    out.enterprise = e_.id;
    out.name = e_.name;
    out.year = e_.year;
    out.on = q_.on;
    try {
      for (std::size_t s = 0; s < r_.csets.size(); ++s) {
        if (!p_.set_active[s]) continue;
        const CompiledSet& cs = r_.csets[s];
        if (!q_.set_out[s].empty()) {
          not_in_force(cs.rules, q_.set_out[s], out);
          continue;
        }
        bool applies = true;
        try {
          applies = !cs.applies_to || evaluate_condition(cs.applies_to, *this);
        } catch (const Error& err) {
          if (!missing_) throw;
          // Whether the policy set applies is unknown: none of its rules can be evaluated.
          for (std::size_t rule : cs.rules) not_evaluated_rule(rule, err, out);
          missing_ = false;
          continue;
        }
        if (!applies) continue;
        out.policy_sets.push_back(r_.sets[cs.info].id);
        const std::size_t first_line = out.lines.size();
        for (std::size_t rule : cs.rules) evaluate_rule(rule, out);
        interactions(cs, out, first_line);
        for (std::size_t c : cs.checks) run_check(c, out);
      }
    } catch (Error& err) {
      if (!current_rule_.empty()) {
        err = Error(err.kind(), "rule " + current_rule_ + ": " + err.message(), err.mark());
      }
      err.locate(e_.mark);
      out.lines.clear();
      out.findings.clear();
      out.unevaluated.clear();
      out.error = err;
    }
    totals(out);
    return out;
  }

 private:
  bool tracing() const { return p_.trace; }

  [[noreturn]] void missing(const std::string& name, const std::string& label) {
    missing_ = true;
    missing_name_ = name;
    throw Error(ErrorKind::fact, "missing fact '" + name + "'" +
                                     (label.empty() ? "" : " (" + label + ")") +
                                     " for enterprise '" + e_.id +
                                     "': it is needed and has no default, and is never taken as 0");
  }

  std::string join_notes() const {
    std::string s;
    std::vector<const std::string*>
        seen;  // a value read twice (explanations re-read) is noted once
    for (const auto& n : notes_) {
      if (std::find_if(seen.begin(), seen.end(), [&](const std::string* x) { return *x == n; }) !=
          seen.end()) {
        continue;
      }
      seen.push_back(&n);
      s += (s.empty() ? "" : "; ") + n;
    }
    return s;
  }

  void step(std::vector<TraceStep>* trace, const std::string& kind, std::string detail) {
    if (trace == nullptr) return;
    if (!notes_.empty()) detail += "  [" + join_notes() + "]";
    notes_.clear();
    trace->push_back({kind, std::move(detail)});
  }

  Decimal number(const Expression& e, std::vector<TraceStep>* trace, const std::string& kind) {
    notes_.clear();
    Decimal v = evaluate_number(e, *this);
    if (trace != nullptr) step(trace, kind, explain_number(*e.root, v, *this));
    return v;
  }

  std::string describe_record(const Record& rec) const {
    std::string s = "{";
    for (std::size_t k = 0; k < rec.size() && record_decl; ++k) {
      if (!rec[k]) continue;
      s += (s.size() > 1 ? ", " : "") + record_decl->fields[k].name + ": " +
           value_to_string(to_value(*rec[k]));
    }
    return s + "}";
  }

 public:
  // ---- the exact domain of the award semantics (semantics.hpp): Decimal, with traces ----
  using Number = Decimal;
  using Text = std::string;
  using Award = CompiledAward;
  using Rule = CompiledRule;

  static Decimal add(const Decimal& a, const Decimal& b) { return a + b; }
  static Decimal sub(const Decimal& a, const Decimal& b) { return a - b; }
  static bool less(const Decimal& a, const Decimal& b) { return a < b; }
  static bool negative(const Decimal& a) { return a.is_negative(); }
  static Decimal times(const Decimal& a, std::int64_t count) { return a * Decimal(count); }
  static std::int64_t add_count(std::int64_t a, std::int64_t b) { return a + b; }
  static void join_tier(std::string& into, const std::string& label) {
    detail::join_tier(into, label);
  }
  static bool empty(const std::string& text) { return text.empty(); }

  static AmountKind kind(const CompiledAward& a) { return a.kind; }
  static HitPolicy hit(const CompiledAward& a) { return a.hit; }
  static const CompiledAward& each(const CompiledAward& a) { return *a.each; }
  static bool for_each(const CompiledAward& a) { return a.list_slot.has_value(); }
  static std::size_t level_count(const CompiledAward& a) { return a.levels.size(); }
  static const CompiledAward& level_award(const CompiledAward& a, std::size_t k) {
    return *a.levels[k].award;
  }
  static const std::string& label(const CompiledAward& a, std::size_t k) {
    return a.levels[k].info.label;
  }
  static Outcome<Evaluator> level_outcome(const CompiledAward&, std::size_t, Outcome<Evaluator> o) {
    return o;
  }
  static bool count_records(const CompiledAward&, Outcome<Evaluator>&) { return false; }
  const CompiledAward& award_of(const CompiledRule& rule) const { return rule.award; }

  Decimal amount(const CompiledAward& a) {
    return number(a.a, trace_, a.kind == AmountKind::fixed ? "amount" : "formula");
  }
  Decimal rate_times_base(const CompiledAward& a) {
    const Decimal rate = number(a.a, trace_, "rate");
    const Decimal base = number(a.b, trace_, "base");
    Decimal product = rate * base;
    step(trace_, "formula",
         rate.to_string() + " × " + base.to_string() + " = " + product.to_string());
    return product;
  }
  Decimal band_min(const CompiledAward& a) { return number(a.a, trace_, "band min"); }
  Decimal band_max(const CompiledAward& a) { return number(a.b, trace_, "band max"); }
  [[noreturn]] static void band_upside_down(const Decimal& min, const Decimal& max) {
    throw Error(ErrorKind::evaluation,
                "band maximum " + max.to_string() + " is below its minimum " + min.to_string());
  }
  const std::string& words(const CompiledAward& a, LineStatus status) {
    step(trace_, "amount",
         (status == LineStatus::unfixed ? "not fixed by the policy: " : "recognition: ") +
             a.unfixed_text);
    return a.unfixed_text;
  }

  std::int64_t item_count(const CompiledAward& a) {
    const Decimal n = number(a.a, trace_, "items");
    std::int64_t count = 0;
    if (!n.to_scaled_int64(0, count) || count < 0) {
      throw Error(ErrorKind::evaluation, "the item count '" + a.a.source + "' is " + n.to_string() +
                                             ", not a whole number ≥ 0");
    }
    return count;
  }
  void trace_items(std::int64_t count) { step(trace_, "items", std::to_string(count) + " × each"); }

  template <class F>
  void each_record(const CompiledAward& a, F each) {
    const Value list = fact(*a.list_slot);
    const auto& records = *std::get<const std::vector<Record>*>(list);
    const Record* saved = record;
    const FactDecl* saved_decl = record_decl;
    record_decl = a.list_decl;
    std::size_t index = 0;
    for (const auto& rec : records) {
      ++index;
      record = &rec;
      if (a.where && !evaluate_condition(a.where, *this)) {
        step(trace_, "item",
             a.list_decl->name + " #" + std::to_string(index) + ": " + a.where.source + " → false");
        continue;
      }
      step(trace_, "item",
           a.list_decl->name + " #" + std::to_string(index) + " " + describe_record(rec) +
               (a.where ? ": " + a.where.source + " → true" : std::string()));
      each();
    }
    record = saved;
    record_decl = saved_decl;
  }

  Decimal tier_value(const CompiledAward& a) { return number(a.a, trace_, "tier value"); }
  bool in_level(const CompiledAward& a, std::size_t k, const Decimal& v) {
    const auto& l = a.levels[k];
    std::optional<Decimal> lo, hi;
    if (l.lower) lo = evaluate_number(l.lower, *this);
    if (l.upper) hi = evaluate_number(l.upper, *this);
    notes_.clear();
    if (lo && (l.info.lower_inclusive ? v < *lo : v <= *lo)) return false;
    if (hi && (l.info.upper_inclusive ? v > *hi : v >= *hi)) return false;
    return true;
  }
  void trace_no_tier(const Decimal& v) { step(trace_, "tier", v.to_string() + " reaches no tier"); }
  [[noreturn]] static void two_tiers(const CompiledAward& a, const Decimal& v, std::size_t first,
                                     std::size_t second) {
    throw Error(ErrorKind::tiers, v.to_string() + " falls in two tiers of a unique table: '" +
                                      a.levels[first].info.label + "' and '" +
                                      a.levels[second].info.label + "'");
  }
  void trace_tier(const CompiledAward& a, const Decimal& v, std::size_t k) {
    step(trace_, "tier",
         v.to_string() + " → " + a.levels[k].info.label + " (hit: " + to_string(a.hit) + ")");
  }

  bool condition_holds(const CompiledRule& rule) {
    if (!rule.when) return true;
    const bool ok = evaluate_condition(rule.when, *this);
    step(trace_, "condition", rule.when.source + " → " + (ok ? "true" : "false"));
    return ok;
  }
  bool within_years(const CompiledRule& rule) {
    const RuleInfo& info = r_.rules[rule.info];
    if (info.recurrence.kind != Recurrence::Kind::years_from) return true;
    const Decimal from = evaluate_number(rule.recurrence_from, *this);
    const Decimal year = std::get<Decimal>(fact(kYearSlot));
    const bool ok = from <= year && year < from + Decimal(info.recurrence.years);
    step(trace_, "recurrence",
         "year " + year.to_string() + " within " + std::to_string(info.recurrence.years) +
             " years from " + from.to_string() + " → " + (ok ? "true" : "false"));
    return ok;
  }
  void trace_nothing(bool by_tier) {
    // The conditions held: what failed is the amount's own table or list, said as such.
    step(trace_, "amount", by_tier ? "no tier reached: no line" : "no item qualifies: no line");
  }
  [[noreturn]] static void negative_award(const Decimal& v) {
    throw Error(ErrorKind::evaluation, "the award computes to a negative amount (" + v.to_string() +
                                           "); an award cannot be negative");
  }
  bool recognition(const CompiledRule& rule) const {
    // Preferences and honours are recognitions, counted apart from money still to be decided.
    const AwardForm form = r_.rules[rule.info].form;
    return form == AwardForm::preference || form == AwardForm::honour;
  }
  Decimal round(const CompiledRule& rule, const Decimal& v) const {
    const RuleInfo& info = r_.rules[rule.info];
    return v.quantize(info.rounding_exponent, info.rounding);
  }
  void trace_rounding(const CompiledRule& rule, const Decimal& exact, const Decimal& rounded) {
    const RuleInfo& info = r_.rules[rule.info];
    step(trace_, "rounding",
         exact.to_string() + " → " + rounded.to_string() + " (" +
             std::string(to_string(info.rounding)) + " to " +
             Decimal(1, info.rounding_exponent).to_string() + ")");
  }
  void trace_band(const Decimal& min, const Decimal& max) {
    step(trace_, "band", min.to_string() + " – " + max.to_string() + " (a decision)");
  }

  static const Decimal& floor_of(const AwardLine& l) { return l.band.min; }
  static const Decimal& ceiling_of(const AwardLine& l) { return l.band.max; }
  static void set_band(AwardLine& l, const Decimal& min, const Decimal& max) {
    l.band = {min, max};
    if (l.status == LineStatus::exact || l.status == LineStatus::decided) l.amount = l.band.max;
  }

 private:
  /// The facts among `slots` that the record lacks and that have no default (and the one met).
  std::vector<std::string> lacking(const std::vector<std::size_t>& slots) {
    std::vector<std::string> out;
    for (std::size_t slot : slots) {
      const bool has_default = slot != kYearSlot && slot < p_.defaults.size() && p_.defaults[slot];
      if (!present(slot) && !has_default) out.push_back(fact_name(r_, slot));
    }
    if (std::find(out.begin(), out.end(), missing_name_) == out.end()) out.push_back(missing_name_);
    return out;
  }

  void not_evaluated(Evaluation& out, std::size_t set, std::string id, const char* kind,
                     std::shared_ptr<const RuleInfo> info, const std::vector<std::size_t>& needs,
                     const Error& err) {
    Unevaluated u;
    u.policy_set = r_.sets[r_.csets[set].info].id;
    u.id = std::move(id);
    u.kind = kind;
    u.info = std::move(info);
    u.missing = lacking(needs);
    u.message = std::string(kind) + " " + u.qualified_id() + ": " + err.message();
    out.unevaluated.push_back(std::move(u));
  }

  void not_evaluated_rule(std::size_t crule, const Error& err, Evaluation& out) {
    const CompiledRule& rule = r_.crules[crule];
    const RuleInfo& info = r_.rules[rule.info];
    not_evaluated(out, rule.set, info.id, "rule", shared(info), rule_needs(r_, crule), err);
  }

  /// A missing fact fails only the rule that reads it: the rule is listed as not evaluated (with
  /// the facts it lacks) and the enterprise's other rules go on. Any other error fails the record.
  void evaluate_rule(std::size_t index, Evaluation& out) {
    try {
      evaluate_rule_body(index, out);
    } catch (const Error& err) {
      if (!missing_) throw;
      record = nullptr;
      record_decl = nullptr;
      notes_.clear();
      not_evaluated_rule(index, err, out);
      missing_ = false;
      finish_rule();
    }
  }

  void evaluate_rule_body(std::size_t index, Evaluation& out) {
    const CompiledRule& rule = r_.crules[index];
    const RuleInfo& info = r_.rules[rule.info];
    current_rule_ = info.qualified_id;
    std::vector<TraceStep> local;
    trace_ = tracing() ? &local : nullptr;
    notes_.clear();
    // The cited sentence is the line's citation; the trace names the rule and clause only.
    step(trace_, "rule", info.qualified_id + " " + info.citation.clause);
    if (!q_.rule_out[index].empty()) {
      step(trace_, "in force", q_.rule_out[index]);
      return pass_over(info, local, out, "not_in_force");
    }
    Outcome<Evaluator> o;
    const NoLine why = rule_outcome(*this, rule, o);
    if (why != NoLine::none) return pass_over(info, local, out, to_string(why));
    AwardLine line;
    line.policy_set = info.policy_set;
    line.rule = info.id;
    line.info = shared(info);
    line.status = o.status;
    line.tier = std::move(o.tier);
    line.unfixed_text = std::move(o.text);
    line.items = o.items;
    if (o.status == LineStatus::exact) {
      line.amount = o.amount;
      line.band = {o.amount, o.amount};
    } else if (o.status == LineStatus::band) {
      line.band = {o.min, o.max};
    }
    decide(info, line, out);
    line.trace = std::move(local);
    out.lines.push_back(std::move(line));
    finish_rule();
  }

  void finish_rule() {
    current_rule_.clear();
    trace_ = nullptr;
  }

  // A policy set not in force on the record's day: none of its rules gives a line, and an
  // explanation says so for each.
  void not_in_force(const std::vector<std::size_t>& rules, const std::string& why,
                    Evaluation& out) {
    if (!tracing()) return;
    for (std::size_t index : rules) {
      const RuleInfo& info = r_.rules[r_.crules[index].info];
      std::vector<TraceStep> local{{"rule", info.qualified_id + " " + info.citation.clause},
                                   {"in force", why}};
      out.passed_over.push_back(
          {info.policy_set, info.id, shared(info), std::move(local), "not_in_force"});
    }
  }

  // Keeps the trace of a rule that gave no line, so an explanation can say why not.
  void pass_over(const RuleInfo& info, std::vector<TraceStep>& local, Evaluation& out,
                 const char* reason) {
    if (tracing())
      out.passed_over.push_back({info.policy_set, info.id, shared(info), std::move(local), reason});
    finish_rule();
  }

  void decide(const RuleInfo& info, AwardLine& line, Evaluation& out) {
    auto it = e_.decided.find(info.qualified_id);
    if (it == e_.decided.end()) return;
    const Decimal& d = it->second;
    Finding f;
    f.policy_set = info.policy_set;
    f.check = "decided-amount";
    f.citation = shared(info.citation);
    if (line.status == LineStatus::band) {
      if (d < line.band.min || d > line.band.max) {
        f.passed = false;
        f.message = "decided amount outside its band";
        f.detail = info.qualified_id + ": decided " + d.to_string() + " outside [" +
                   line.band.min.to_string() + ", " + line.band.max.to_string() + "]";
        out.findings.push_back(std::move(f));
        return;
      }
      line.status = LineStatus::decided;
      line.amount = d;
      line.band = {d, d};
      line.trace.push_back({"decided", d.to_string() + " within the band"});
    } else if (line.status == LineStatus::unfixed) {
      line.status = LineStatus::decided;
      line.amount = d;
      line.band = {d, d};
    } else if (line.status == LineStatus::exact && d != line.amount) {
      f.passed = false;
      f.message = "decided amount differs from the amount the policy fixes";
      f.detail =
          info.qualified_id + ": decided " + d.to_string() + ", policy " + line.amount.to_string();
      out.findings.push_back(std::move(f));
    }
  }

  void interactions(const CompiledSet& cs, Evaluation& out, std::size_t first_line) {
    auto line_of = [&](std::size_t crule) -> AwardLine* {
      const std::string& qid = r_.rules[r_.crules[crule].info].qualified_id;
      for (std::size_t i = first_line; i < out.lines.size(); ++i) {
        if (!out.lines[i].withheld && out.lines[i].info->qualified_id == qid) return &out.lines[i];
      }
      return nullptr;
    };
    for (std::size_t x : cs.exclusions) {
      const CompiledExclusion& ex = r_.exclusions[x];
      std::vector<AwardLine*> present;
      for (std::size_t rule : ex.rules) {
        if (AwardLine* l = line_of(rule)) present.push_back(l);
      }
      if (present.size() < 2) continue;
      AwardLine* keep =
          present[kept_line(present.size(), ex.higher, [&](std::size_t i, std::size_t j) {
            return present[j]->band.max < present[i]->band.max;
          })];
      for (AwardLine* l : present) {
        if (l == keep) continue;
        l->withheld = true;
        l->note = exclusion_note(ex, keep->qualified_rule());
        l->trace.push_back({"exclusion", l->note});
      }
    }
    for (std::size_t c : cs.caps) {
      const CompiledCap& cap = r_.caps[c];
      Decimal left_min;
      try {
        left_min = evaluate_number(cap.max, *this);
      } catch (const Error& err) {
        if (!missing_) throw;
        // The cap is unknown, so the lines it limits are too: they become not evaluated.
        for (std::size_t rule : cap.rules) {
          AwardLine* l = line_of(rule);
          if (!l || l->status == LineStatus::unfixed || l->status == LineStatus::recognised)
            continue;
          not_evaluated(out, cap.set, l->rule, "rule", l->info, cap_needs(r_, c), err);
          out.lines.erase(out.lines.begin() + (l - out.lines.data()));
        }
        missing_ = false;
        continue;
      }
      apply_cap<Evaluator, AwardLine>(
          *this, left_min, cap.rules.size(),
          [&](std::size_t k) -> AwardLine* {
            AwardLine* l = line_of(cap.rules[k]);
            const bool money =
                l && l->status != LineStatus::unfixed && l->status != LineStatus::recognised;
            return money ? l : nullptr;
          },
          [&](AwardLine& l, const Decimal&, const Decimal& before_max) {
            l.note = cap_note(cap, before_max, l.band.max);
            l.trace.push_back({"cap", l.note});
          });
    }
  }

  void run_check(std::size_t index, Evaluation& out) {
    try {
      run_check_body(r_.checks[index], out);
    } catch (const Error& err) {
      if (!missing_) throw;
      not_evaluated(out, r_.checks[index].set, r_.checks[index].id, "check", nullptr,
                    check_needs(r_, index), err);
      missing_ = false;
    }
  }

  void run_check_body(const CompiledCheck& c, Evaluation& out) {
    notes_.clear();
    if (c.when && !evaluate_condition(c.when, *this)) return;
    notes_.clear();
    const bool ok = evaluate_condition(c.require, *this);
    Finding f;
    f.policy_set = r_.sets[c.set].id;
    f.check = c.id;
    f.passed = ok;
    f.message = c.message.zh.empty() ? c.message.en : c.message.zh;
    f.citation = shared(c.citation);
    f.detail = c.require.source + " → " + (ok ? "true" : "false");
    out.findings.push_back(std::move(f));
  }

  void totals(Evaluation& out) {
    add_line_totals(out.totals, out.lines);
    add_unevaluated_totals(out.totals, out.unevaluated);
  }

  const Prepared& p_;
  const Period& q_;
  const CompiledRules& r_;
  const Enterprise& e_;
  const Enterprise* previous_;  ///< the same enterprise's record of the year before, if given
  std::vector<std::optional<Value>> derived_;
  std::vector<std::string> notes_;
  std::string current_rule_;
  std::vector<TraceStep>* trace_ = nullptr;  ///< the rule's explanation, when tracing
  bool missing_ = false;                     ///< the error in flight is a missing fact
  std::string missing_name_;
};

// The text a receipt hashes: one `name=value` line per given fact. Built by appending (no
// stream): it is made for every record of a batch.
void append_scalar(std::string& out, const Scalar& s) {
  struct V {
    std::string& out;
    void operator()(const Decimal& d) const { out += d.to_string(); }
    void operator()(bool b) const { out += b ? "true" : "false"; }
    void operator()(const std::string& t) const { out += t; }
    void operator()(const Date& d) const { out += d.to_string(); }
  };
  std::visit(V{out}, s);
}

std::string canonical_facts(const CompiledRules& r, const Enterprise& e) {
  std::string out;
  out.reserve(64 + 24 * e.facts.size());
  out.append("id=").append(e.id).append("\nname=").append(e.name).append("\nyear=");
  if (e.year) out += std::to_string(*e.year);
  out += '\n';
  for (std::size_t k = 0; k < e.facts.size() && k < r.facts.size(); ++k) {
    if (!e.facts[k]) continue;
    out.append(r.facts[k].name) += '=';
    if (const auto* s = std::get_if<Scalar>(&*e.facts[k])) {
      append_scalar(out, *s);
    } else {
      for (const auto& rec : std::get<std::vector<Record>>(*e.facts[k])) {
        out += '{';
        for (std::size_t f = 0; f < rec.size(); ++f) {
          if (!rec[f]) continue;
          out.append(r.facts[k].fields[f].name) += ':';
          append_scalar(out, *rec[f]);
          out += ';';
        }
        out += '}';
      }
    }
    out += '\n';
  }
  for (const auto& [rule, amount] : e.decided) {
    out.append("decided.").append(rule) += '=';
    out.append(amount.to_string()) += '\n';
  }
  return out;
}

std::string receipt_of(const CompiledRules& r, const Enterprise& e,
                       const std::string& scenario_text) {
  Sha256 h;
  h.update(engine_version()).update("\n").update(r.fingerprint).update("\n");
  h.update(canonical_facts(r, e)).update("\n").update(scenario_text);
  return h.hex();
}

Evaluation evaluate_prepared(const Prepared& p, const Enterprise& e, const Enterprise* previous) {
  // Facts typed against another rule set sit in that rule set's slots: reading them here would
  // misread every fact, so the record is refused as a usage error of its own.
  if ((!e.rules_fingerprint.empty() && e.rules_fingerprint != p.r.fingerprint) ||
      e.facts.size() != p.r.facts.size()) {
    Evaluation out;
    out.enterprise = e.id;
    out.name = e.name;
    out.year = e.year;
    out.error = Error(ErrorKind::usage,
                      "enterprise '" + e.id +
                          "' was typed against another rule set; type it with these rules "
                          "(make_enterprise, load_enterprises)",
                      e.mark);
    return out;
  }
  Evaluator ev(p, e, previous);
  Evaluation out;
  try {
    out = ev.run();
  } catch (const std::exception& x) {
    // Anything that is not a subsidy::Error (memory exhaustion, say) still becomes a value, so a
    // batch never loses the other enterprises' results.
    out = Evaluation{};
    out.enterprise = e.id;
    out.error = Error(ErrorKind::evaluation, std::string("internal failure: ") + x.what(), e.mark);
  }
  out.receipt = receipt_of(p.r, e, p.scenario_text);
  return out;
}

}  // namespace

std::string exclusion_note(const CompiledExclusion& ex, const std::string& kept) {
  return "gave way to " + kept + " (" + ex.id + ": " + ex.reason + ", " +
         (ex.higher ? "就高" : "priority") + ")";
}

std::string cap_note(const CompiledCap& cap, const Decimal& before, const Decimal& after) {
  return "reduced by cap " + cap.id + " from " + before.to_string() + " to " + after.to_string();
}

void join_tier(std::string& into, const std::string& label) {
  if (!label.empty()) into += (into.empty() ? "" : "; ") + label;
}

void add_line_totals(Totals& into, const std::vector<AwardLine>& lines) {
  auto add_line = [](Total& t, const AwardLine& l) {
    ++t.lines;
    if (l.status == LineStatus::unfixed) {
      ++t.unfixed;
      return;
    }
    if (l.status == LineStatus::recognised) {
      ++t.recognised;
      return;
    }
    Band& b = l.info->form == AwardForm::in_kind ? t.in_kind : t.cash;
    b.min += l.band.min;
    b.max += l.band.max;
  };
  for (const auto& l : lines) {
    if (l.withheld) continue;
    if (!l.info->payer.empty()) add_line(into.by_payer[l.info->payer], l);
    add_line(into.by_policy_set[l.policy_set], l);
    add_line(into.all, l);
  }
}

void add_unevaluated_totals(Totals& into, const std::vector<Unevaluated>& left_out) {
  for (const auto& u : left_out) {
    if (u.info && !u.info->payer.empty()) ++into.by_payer[u.info->payer].unevaluated;
    ++into.by_policy_set[u.policy_set].unevaluated;
    ++into.all.unevaluated;
  }
}

std::function<Evaluation(const Enterprise&, const Enterprise*)> reference_evaluator(
    std::shared_ptr<const Prepared> p) {
  return [p](const Enterprise& e, const Enterprise* previous) {
    return evaluate_prepared(*p, e, previous);
  };
}

std::vector<std::optional<std::size_t>> previous_records(
    std::size_t n,
    const std::function<std::pair<const std::string*, std::optional<std::int64_t>>(std::size_t)>&
        key) {
  std::map<std::pair<std::string_view, std::int64_t>, std::size_t> at;
  for (std::size_t i = 0; i < n; ++i) {
    const auto [id, year] = key(i);
    if (year) at.emplace(std::make_pair(std::string_view(*id), *year), i);
  }
  std::vector<std::optional<std::size_t>> out(n);
  if (at.size() < 2) return out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto [id, year] = key(i);
    if (!year) continue;
    auto it = at.find({std::string_view(*id), *year - 1});
    if (it != at.end()) out[i] = it->second;
  }
  return out;
}
}  // namespace detail

Evaluation evaluate(const RuleSet& rules, const Enterprise& enterprise, const Scenario& scenario) {
  const auto p = detail::prepare(rules, scenario);
  return detail::evaluate_prepared(*p, enterprise, nullptr);
}

std::vector<Evaluation> evaluate_batch(const RuleSet& rules, const std::vector<Enterprise>& batch,
                                       const Scenario& scenario, unsigned threads) {
  const auto prepared = detail::prepare(rules, scenario);
  const detail::Prepared& p = *prepared;
  // A multi-year population: each record can read its enterprise's record of the year before.
  const auto previous = detail::previous_records(
      batch.size(), [&](std::size_t i) { return std::make_pair(&batch[i].id, batch[i].year); });
  const auto prev = [&](std::size_t i) -> const Enterprise* {
    return previous[i] ? &batch[*previous[i]] : nullptr;
  };
  std::vector<Evaluation> out(batch.size());
  threads = static_cast<unsigned>(std::min<std::size_t>(detail::worker_threads(threads),
                                                        std::max<std::size_t>(1, batch.size())));
  if (threads <= 1) {
    for (std::size_t i = 0; i < batch.size(); ++i)
      out[i] = detail::evaluate_prepared(p, batch[i], prev(i));
    return out;
  }
  // Contiguous slices: each thread writes its own range, so results do not depend on scheduling.
  std::vector<std::thread> pool;
  const std::size_t n = batch.size();
  for (unsigned t = 0; t < threads; ++t) {
    const std::size_t from = n * t / threads;
    const std::size_t to = n * (t + 1) / threads;
    pool.emplace_back([&, from, to] {
      for (std::size_t i = from; i < to; ++i)
        out[i] = detail::evaluate_prepared(p, batch[i], prev(i));
    });
  }
  for (auto& th : pool) th.join();
  return out;
}

std::string receipt(const RuleSet& rules, const Enterprise& enterprise,
                    const std::string& scenario) {
  return detail::receipt_of(detail::compiled(rules), enterprise, scenario);
}

Totals line_totals(const std::vector<AwardLine>& lines) {
  Totals out;
  detail::add_line_totals(out, lines);
  return out;
}

}  // namespace subsidy
