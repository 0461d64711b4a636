// Evaluation: rules × facts × scenario → award lines, totals as bands, findings, receipt.
#include "subsidy/evaluate.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "compiled.hpp"
#include "prepared.hpp"
#include "needs.hpp"
#include "sha256.hpp"

namespace subsidy {

const char* engine_version() noexcept { return "subsidy " SUBSIDY_VERSION; }

const char* to_string(LineStatus s) noexcept {
  switch (s) {
    case LineStatus::exact: return "exact";
    case LineStatus::band: return "band";
    case LineStatus::decided: return "decided";
    case LineStatus::unfixed: return "unfixed";
    case LineStatus::recognised: return "recognised";
  }
  return "";
}

namespace detail {
FactValue parse_fact(const FactDecl& decl, const RawValue& v);

namespace {

struct Outcome {
  bool any = false;
  LineStatus status = LineStatus::exact;
  Decimal amount;
  Band band;
  std::string tier;
  std::string unfixed_text;
  std::int64_t items = 0;
};

void add(Outcome& into, const Outcome& x) {
  if (!x.any) return;
  if (!into.any) {
    into = x;
    return;
  }
  const auto rank = [](LineStatus s) {
    return s == LineStatus::unfixed ? 3 : s == LineStatus::recognised ? 2 : s == LineStatus::band ? 1 : 0;
  };
  into.amount += x.amount;
  into.band.min += x.band.min;
  into.band.max += x.band.max;
  if (rank(x.status) > rank(into.status)) into.status = x.status;
  if (!x.tier.empty()) into.tier += (into.tier.empty() ? "" : "; ") + x.tier;
  if (into.unfixed_text.empty()) into.unfixed_text = x.unfixed_text;
  into.items += x.items;
}

class Evaluator : public Env {
 public:
  Evaluator(const Prepared& p, const Enterprise& e, const Enterprise* previous)
      : p_(p), q_(p.period(p.day_of(e))), r_(p.r), e_(e), previous_(previous), derived_(p.r.derived.size()) {}

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
    if (tracing()) notes_.push_back(r_.parameters[slot].name + " = " + q_.params[slot].to_string() + " (" +
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
        if (err.kind() != ErrorKind::fact || err.message().rfind("missing fact 'last_year(", 0) != 0 ||
            err.message().find("; needed by ") != std::string::npos) {
          throw;
        }
        throw Error(err.kind(), err.message() + "; needed by " + d.name + " = " + d.expr.source, err.mark());
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
    throw Error(ErrorKind::fact, "missing fact '" + name + "'" + (label.empty() ? "" : " (" + label + ")") +
                                     " for enterprise '" + e_.id +
                                     "': it is needed and has no default, and is never taken as 0");
  }

  std::string join_notes() const {
    std::string s;
    std::vector<const std::string*> seen;  // a value read twice (explanations re-read) is noted once
    for (const auto& n : notes_) {
      if (std::find_if(seen.begin(), seen.end(), [&](const std::string* x) { return *x == n; }) != seen.end()) {
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

  Outcome award(const CompiledAward& a, std::vector<TraceStep>* trace) {
    Outcome o;
    o.any = true;
    switch (a.kind) {
      case AmountKind::fixed:
      case AmountKind::formula: {
        o.amount = number(a.a, trace, a.kind == AmountKind::fixed ? "amount" : "formula");
        o.band = {o.amount, o.amount};
        return o;
      }
      case AmountKind::rate_of_base: {
        const Decimal rate = number(a.a, trace, "rate");
        const Decimal base = number(a.b, trace, "base");
        o.amount = rate * base;
        step(trace, "formula", rate.to_string() + " × " + base.to_string() + " = " + o.amount.to_string());
        o.band = {o.amount, o.amount};
        return o;
      }
      case AmountKind::band: {
        o.status = LineStatus::band;
        o.band.min = number(a.a, trace, "band min");
        o.band.max = number(a.b, trace, "band max");
        if (o.band.max < o.band.min) {
          throw Error(ErrorKind::evaluation, "band maximum " + o.band.max.to_string() + " is below its minimum " +
                                                 o.band.min.to_string());
        }
        return o;
      }
      case AmountKind::unfixed:
        o.status = LineStatus::unfixed;
        o.unfixed_text = a.unfixed_text;
        step(trace, "amount", "not fixed by the policy: " + a.unfixed_text);
        return o;
      case AmountKind::honour:
        o.status = LineStatus::recognised;
        o.unfixed_text = a.unfixed_text;
        step(trace, "amount", "recognition: " + a.unfixed_text);
        return o;
      case AmountKind::per_item:
        return per_item(a, trace);
      case AmountKind::tiers:
        return tiers(a, trace);
    }
    return o;
  }

  Outcome per_item(const CompiledAward& a, std::vector<TraceStep>* trace) {
    Outcome total;
    if (!a.list_slot) {
      const Decimal n = number(a.a, trace, "items");
      std::int64_t count = 0;
      if (!n.to_scaled_int64(0, count) || count < 0) {
        throw Error(ErrorKind::evaluation, "the item count '" + a.a.source + "' is " + n.to_string() +
                                               ", not a whole number ≥ 0");
      }
      if (count == 0) return total;
      Outcome each = award(*a.each, trace);
      const Decimal factor(count);
      each.amount *= factor;
      each.band.min *= factor;
      each.band.max *= factor;
      each.items = count;
      step(trace, "items", std::to_string(count) + " × each");
      return each;
    }
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
        step(trace, "item", a.list_decl->name + " #" + std::to_string(index) + ": " + a.where.source + " → false");
        continue;
      }
      step(trace, "item", a.list_decl->name + " #" + std::to_string(index) + " " + describe_record(rec) +
                              (a.where ? ": " + a.where.source + " → true" : std::string()));
      Outcome one = award(*a.each, trace);
      one.items = 1;
      add(total, one);
    }
    record = saved;
    record_decl = saved_decl;
    return total;
  }

  std::string describe_record(const Record& rec) const {
    std::string s = "{";
    for (std::size_t k = 0; k < rec.size() && record_decl; ++k) {
      if (!rec[k]) continue;
      s += (s.size() > 1 ? ", " : "") + record_decl->fields[k].name + ": " + value_to_string(to_value(*rec[k]));
    }
    return s + "}";
  }

  static bool inside(const Decimal& v, const std::optional<Decimal>& lo, bool lo_inc, const std::optional<Decimal>& hi,
                     bool hi_inc) {
    if (lo && (lo_inc ? v < *lo : v <= *lo)) return false;
    if (hi && (hi_inc ? v > *hi : v >= *hi)) return false;
    return true;
  }

  Outcome tiers(const CompiledAward& a, std::vector<TraceStep>* trace) {
    const Decimal v = number(a.a, trace, "tier value");
    std::vector<std::size_t> hits;
    for (std::size_t k = 0; k < a.levels.size(); ++k) {
      const auto& l = a.levels[k];
      std::optional<Decimal> lo, hi;
      if (l.lower) lo = evaluate_number(l.lower, *this);
      if (l.upper) hi = evaluate_number(l.upper, *this);
      notes_.clear();
      if (inside(v, lo, l.info.lower_inclusive, hi, l.info.upper_inclusive)) hits.push_back(k);
    }
    Outcome o;
    if (hits.empty()) {
      step(trace, "tier", v.to_string() + " reaches no tier");
      return o;
    }
    if (a.hit == HitPolicy::unique && hits.size() > 1) {
      throw Error(ErrorKind::tiers, v.to_string() + " falls in two tiers of a unique table: '" +
                                        a.levels[hits[0]].info.label + "' and '" + a.levels[hits[1]].info.label + "'");
    }
    if (a.hit == HitPolicy::highest) hits = {hits.back()};
    if (a.hit == HitPolicy::first) hits = {hits.front()};
    for (std::size_t k : hits) {
      step(trace, "tier", v.to_string() + " → " + a.levels[k].info.label + " (hit: " + to_string(a.hit) + ")");
      Outcome one = award(*a.levels[k].award, trace);
      one.tier = a.levels[k].info.label;
      add(o, one);
    }
    return o;
  }

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

  void not_evaluated(Evaluation& out, std::size_t set, std::string id, const char* kind, const RuleInfo* info,
                     const std::vector<std::size_t>& needs, const Error& err) {
    Unevaluated u;
    u.policy_set = r_.sets[r_.csets[set].info].id;
    u.id = std::move(id);
    u.kind = kind;
    u.info = info;
    u.missing = lacking(needs);
    u.message = std::string(kind) + " " + u.qualified_id() + ": " + err.message();
    out.unevaluated.push_back(std::move(u));
  }

  void not_evaluated_rule(std::size_t crule, const Error& err, Evaluation& out) {
    const CompiledRule& rule = r_.crules[crule];
    const RuleInfo& info = r_.rules[rule.info];
    not_evaluated(out, rule.set, info.id, "rule", &info, rule_needs(r_, crule), err);
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
    std::vector<TraceStep>* trace = tracing() ? &local : nullptr;
    notes_.clear();
    // The cited sentence is the line's citation; the trace names the rule and clause only.
    step(trace, "rule", info.qualified_id + " " + info.citation.clause);
    if (!q_.rule_out[index].empty()) {
      step(trace, "in force", q_.rule_out[index]);
      return pass_over(info, local, out, "not_in_force");
    }
    if (rule.when) {
      const bool ok = evaluate_condition(rule.when, *this);
      step(trace, "condition", rule.when.source + " → " + (ok ? "true" : "false"));
      if (!ok) return pass_over(info, local, out, "condition");
    }
    if (info.recurrence.kind == Recurrence::Kind::years_from) {
      const Decimal from = evaluate_number(rule.recurrence_from, *this);
      const Decimal year = std::get<Decimal>(fact(kYearSlot));
      const bool ok = from <= year && year < from + Decimal(info.recurrence.years);
      step(trace, "recurrence", "year " + year.to_string() + " within " + std::to_string(info.recurrence.years) +
                                    " years from " + from.to_string() + " → " + (ok ? "true" : "false"));
      if (!ok) return pass_over(info, local, out, "recurrence");
    }
    Outcome o = award(rule.award, trace);
    if (!o.any) {
      // The conditions held: what failed is the amount's own table or list, said as such.
      const bool tiers = rule.award.kind == AmountKind::tiers;
      step(trace, "amount", tiers ? "no tier reached: no line" : "no item qualifies: no line");
      return pass_over(info, local, out, tiers ? "no_tier" : "no_item");
    }
    if (o.status == LineStatus::exact || o.status == LineStatus::band) {
      if (o.band.min.is_negative() || o.amount.is_negative()) {
        throw Error(ErrorKind::evaluation, "the award computes to a negative amount (" +
                                               (o.status == LineStatus::exact ? o.amount : o.band.min).to_string() +
                                               "); an award cannot be negative");
      }
    }
    // Preferences and honours are recognitions, counted apart from money still to be decided.
    if (info.form == AwardForm::preference || info.form == AwardForm::honour) o.status = LineStatus::recognised;
    AwardLine line;
    line.policy_set = info.policy_set;
    line.rule = info.id;
    line.info = &info;
    line.status = o.status;
    line.tier = o.tier;
    line.unfixed_text = o.unfixed_text;
    line.items = o.items;
    // Rounding happens once, here, on the exact result (brief, interpretation 7).
    if (o.status == LineStatus::exact) {
      const Decimal rounded = o.amount.quantize(info.rounding_exponent, info.rounding);
      step(trace, "rounding", o.amount.to_string() + " → " + rounded.to_string() + " (" +
                                  std::string(to_string(info.rounding)) + " to " +
                                  Decimal(BigInt(1), info.rounding_exponent).to_string() + ")");
      line.amount = rounded;
      line.band = {rounded, rounded};
    } else if (o.status == LineStatus::band) {
      line.band = {o.band.min.quantize(info.rounding_exponent, info.rounding),
                   o.band.max.quantize(info.rounding_exponent, info.rounding)};
      step(trace, "band", line.band.min.to_string() + " – " + line.band.max.to_string() + " (a decision)");
    }
    decide(info, line, out);
    line.trace = std::move(local);
    out.lines.push_back(std::move(line));
    finish_rule();
  }

  void finish_rule() { current_rule_.clear(); }

  // A policy set not in force on the record's day: none of its rules gives a line, and an
  // explanation says so for each.
  void not_in_force(const std::vector<std::size_t>& rules, const std::string& why, Evaluation& out) {
    if (!tracing()) return;
    for (std::size_t index : rules) {
      const RuleInfo& info = r_.rules[r_.crules[index].info];
      std::vector<TraceStep> local{{"rule", info.qualified_id + " " + info.citation.clause},
                                   {"in force", why}};
      out.passed_over.push_back({info.policy_set, info.id, &info, std::move(local), "not_in_force"});
    }
  }

  // Keeps the trace of a rule that gave no line, so an explanation can say why not.
  void pass_over(const RuleInfo& info, std::vector<TraceStep>& local, Evaluation& out, const char* reason) {
    if (tracing()) out.passed_over.push_back({info.policy_set, info.id, &info, std::move(local), reason});
    finish_rule();
  }

  void decide(const RuleInfo& info, AwardLine& line, Evaluation& out) {
    auto it = e_.decided.find(info.qualified_id);
    if (it == e_.decided.end()) return;
    const Decimal& d = it->second;
    Finding f;
    f.policy_set = info.policy_set;
    f.check = "decided-amount";
    f.citation = &info.citation;
    if (line.status == LineStatus::band) {
      if (d < line.band.min || d > line.band.max) {
        f.passed = false;
        f.message = "decided amount outside its band";
        f.detail = info.qualified_id + ": decided " + d.to_string() + " outside [" + line.band.min.to_string() + ", " +
                   line.band.max.to_string() + "]";
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
      f.detail = info.qualified_id + ": decided " + d.to_string() + ", policy " + line.amount.to_string();
      out.findings.push_back(std::move(f));
    }
  }

  static const Decimal& value_of(const AwardLine& l) { return l.band.max; }

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
      AwardLine* keep = present.front();
      if (ex.higher) {
        for (AwardLine* l : present) {
          if (value_of(*l) > value_of(*keep)) keep = l;
        }
      }
      for (AwardLine* l : present) {
        if (l == keep) continue;
        l->withheld = true;
        l->note = "gave way to " + keep->qualified_rule() + " (" + ex.id + ": " + ex.reason + ", " +
                  (ex.higher ? "就高" : "priority") + ")";
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
          if (!l || l->status == LineStatus::unfixed || l->status == LineStatus::recognised) continue;
          not_evaluated(out, cap.set, l->rule, "rule", l->info, cap_needs(r_, c), err);
          out.lines.erase(out.lines.begin() + (l - out.lines.data()));
        }
        missing_ = false;
        continue;
      }
      Decimal left_max = left_min;
      for (std::size_t rule : cap.rules) {
        AwardLine* l = line_of(rule);
        if (!l || l->status == LineStatus::unfixed || l->status == LineStatus::recognised) continue;
        const Band before = l->band;
        l->band.min = Decimal::min(l->band.min, left_min);
        l->band.max = Decimal::min(l->band.max, left_max);
        left_min -= l->band.min;
        left_max -= l->band.max;
        if (l->status == LineStatus::exact || l->status == LineStatus::decided) l->amount = l->band.max;
        if (before.max != l->band.max || before.min != l->band.min) {
          l->note = "reduced by cap " + cap.id + " from " + before.max.to_string() + " to " + l->band.max.to_string();
          l->trace.push_back({"cap", l->note});
        }
      }
    }
  }

  void run_check(std::size_t index, Evaluation& out) {
    try {
      run_check_body(r_.checks[index], out);
    } catch (const Error& err) {
      if (!missing_) throw;
      not_evaluated(out, r_.checks[index].set, r_.checks[index].id, "check", nullptr, check_needs(r_, index), err);
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
    f.citation = &c.citation;
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
  bool missing_ = false;  ///< the error in flight is a missing fact
  std::string missing_name_;
};

std::string canonical_facts(const CompiledRules& r, const Enterprise& e) {
  std::ostringstream out;
  out << "id=" << e.id << "\nname=" << e.name << "\nyear=" << (e.year ? std::to_string(*e.year) : "") << "\n";
  for (std::size_t k = 0; k < e.facts.size() && k < r.facts.size(); ++k) {
    if (!e.facts[k]) continue;
    out << r.facts[k].name << "=";
    if (const auto* s = std::get_if<Scalar>(&*e.facts[k])) {
      out << value_to_string(to_value(*s));
    } else {
      for (const auto& rec : std::get<std::vector<Record>>(*e.facts[k])) {
        out << "{";
        for (std::size_t f = 0; f < rec.size(); ++f) {
          if (rec[f]) out << r.facts[k].fields[f].name << ":" << value_to_string(to_value(*rec[f])) << ";";
        }
        out << "}";
      }
    }
    out << "\n";
  }
  for (const auto& [rule, amount] : e.decided) out << "decided." << rule << "=" << amount.to_string() << "\n";
  return out.str();
}

std::string receipt_of(const CompiledRules& r, const Enterprise& e, const std::string& scenario_text) {
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

ResolvedScenario resolve_scenario(const RuleSet& rules, const Scenario& scenario) {
  const std::unique_ptr<Prepared> p = prepare(rules, scenario);
  const Period& q = p->period(scenario.on);
  ResolvedScenario out{q.params, p->options, p->set_active, p->defaults, {}, {}};
  for (std::size_t s = 0; s < out.set_active.size(); ++s) {
    if (!q.set_out[s].empty()) out.set_active[s] = false;
  }
  for (const auto& gap : q.param_gaps) out.param_known.push_back(gap.empty());
  for (const auto& why : q.rule_out) out.rule_active.push_back(why.empty());
  return out;
}

std::function<Evaluation(const Enterprise&, const Enterprise*)> reference_evaluator(const RuleSet& rules,
                                                                                  const Scenario& scenario) {
  std::shared_ptr<const Prepared> p = prepare(rules, scenario);
  return [p](const Enterprise& e, const Enterprise* previous) { return evaluate_prepared(*p, e, previous); };
}

std::vector<std::optional<std::size_t>> previous_records(
    std::size_t n, const std::function<std::pair<const std::string*, std::optional<std::int64_t>>(std::size_t)>& key) {
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

namespace {

const ParameterInfo& known_parameter(const RuleSet& rules, const std::string& name) {
  const ParameterInfo* p = rules.find_parameter(name);
  if (!p) {
    throw Error::expected(ErrorKind::parameter,
                          "a parameter name (policy-set.name, or a bare name used once)",
                          "'" + name + "'");
  }
  return *p;
}

}  // namespace

Decimal parameter_value(const RuleSet& rules, const std::string& name, std::string_view text) {
  const ParameterInfo& p = known_parameter(rules, name);
  const Amount amount = Decimal::parse_amount(text);
  detail::check_parameter_value(p, amount, std::string(text), Mark{});
  return amount.value;
}

Decimal parameter_value(const RuleSet& rules, const std::string& name, const Decimal& value) {
  const ParameterInfo& p = known_parameter(rules, name);
  detail::check_parameter_value(p, Amount{value, AmountUnit::number}, value.to_string(), Mark{});
  return value;
}

void Scenario::validate(const RuleSet& rules) const {
  const auto& r = rules.compiled();
  for (const auto& [name, choice] : options) {
    auto it = r.option_index.find(name);
    if (it == r.option_index.end()) {
      std::string known;
      for (const auto& o : r.options) known += (known.empty() ? "" : ", ") + o.name;
      throw Error::expected(ErrorKind::option, "an interpretation option (" + known + ")", "'" + name + "'");
    }
    const OptionInfo& o = r.options[it->second];
    const bool ok = std::any_of(o.choices.begin(), o.choices.end(), [&choice = choice](const auto& c) { return c.first == choice; });
    if (!ok) {
      std::string known;
      for (const auto& c : o.choices) known += (known.empty() ? "" : ", ") + c.first;
      throw Error::expected(ErrorKind::option, "a choice of option '" + name + "' (" + known + ")", "'" + choice + "'");
    }
  }
  for (const auto& [group, set] : choose) {
    auto it = r.group_index.find(group);
    if (it == r.group_index.end()) {
      throw Error::expected(ErrorKind::name, "an alternative group", "'" + group + "'");
    }
    const auto& members = r.groups[it->second].members;
    if (std::find(members.begin(), members.end(), set) == members.end()) {
      std::string known;
      for (const auto& m : members) known += (known.empty() ? "" : ", ") + m;
      throw Error::expected(ErrorKind::name, "a member of group '" + group + "' (" + known + ")", "'" + set + "'");
    }
  }
  for (const auto& [name, value] : parameters) {
    (void)known_parameter(rules, name);
    if (value.is_negative()) {
      throw Error::expected(ErrorKind::parameter, "a value of at least 0 for '" + name + "'", value.to_string());
    }
  }
}

std::string Scenario::canonical() const {
  std::string out = "on=" + (on ? on->to_string() : std::string("latest")) + "\n";
  for (const auto& [k, v] : options) out += "option." + k + "=" + v + "\n";
  for (const auto& [k, v] : choose) out += "choose." + k + "=" + v + "\n";
  for (const auto& [k, v] : parameters) out += "set." + k + "=" + v.to_string() + "\n";
  return out;
}

Evaluation evaluate(const RuleSet& rules, const Enterprise& enterprise, const Scenario& scenario) {
  const auto p = detail::prepare(rules, scenario);
  return detail::evaluate_prepared(*p, enterprise, nullptr);
}

std::vector<Evaluation> evaluate_batch(const RuleSet& rules, const std::vector<Enterprise>& batch,
                                       const Scenario& scenario, unsigned threads) {
  const auto prepared = detail::prepare(rules, scenario);
  const detail::Prepared& p = *prepared;
  // A multi-year population: each record can read its enterprise's record of the year before.
  const auto previous = detail::previous_records(batch.size(), [&](std::size_t i) {
    return std::make_pair(&batch[i].id, batch[i].year);
  });
  const auto prev = [&](std::size_t i) -> const Enterprise* { return previous[i] ? &batch[*previous[i]] : nullptr; };
  std::vector<Evaluation> out(batch.size());
  threads = static_cast<unsigned>(std::min<std::size_t>(detail::worker_threads(threads),
                                                        std::max<std::size_t>(1, batch.size())));
  if (threads <= 1) {
    for (std::size_t i = 0; i < batch.size(); ++i) out[i] = detail::evaluate_prepared(p, batch[i], prev(i));
    return out;
  }
  // Contiguous slices: each thread writes its own range, so results do not depend on scheduling.
  std::vector<std::thread> pool;
  const std::size_t n = batch.size();
  for (unsigned t = 0; t < threads; ++t) {
    const std::size_t from = n * t / threads;
    const std::size_t to = n * (t + 1) / threads;
    pool.emplace_back([&, from, to] {
      for (std::size_t i = from; i < to; ++i) out[i] = detail::evaluate_prepared(p, batch[i], prev(i));
    });
  }
  for (auto& th : pool) th.join();
  return out;
}

std::string receipt(const RuleSet& rules, const Enterprise& enterprise, const std::string& scenario) {
  return detail::receipt_of(rules.compiled(), enterprise, scenario);
}

Totals line_totals(const std::vector<AwardLine>& lines) {
  Totals out;
  detail::add_line_totals(out, lines);
  return out;
}

}  // namespace subsidy
