// Evaluation: rules × facts × scenario → award lines, totals as bands, findings, receipt.
#include "subsidy/evaluate.hpp"

#include <algorithm>
#include <memory>
#include <sstream>
#include <thread>

#include "compiled.hpp"
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

/// The scenario resolved against a rule set once, shared by every enterprise of a batch.
struct Prepared {
  const CompiledRules& r;
  std::vector<Decimal> params;
  std::vector<std::string> param_notes;
  std::vector<std::string> options;     // chosen choice per option
  std::vector<bool> set_active;         // policy sets chosen (or outside any group)
  std::vector<std::optional<FactValue>> defaults;
  std::string scenario_text;
  bool trace = false;
};

Prepared prepare(const RuleSet& rules, const Scenario& s) {
  s.validate(rules);
  const CompiledRules& r = rules.compiled();
  Prepared p{r, {}, {}, {}, {}, {}, s.canonical(), s.trace};
  for (const auto& info : r.parameters) {
    const ParameterVersion* chosen = nullptr;
    if (s.on) {
      for (const auto& v : info.versions) {
        if (!v.from || *v.from <= *s.on) chosen = &v;
      }
      if (!chosen) {
        throw Error(ErrorKind::parameter, "parameter '" + info.qualified_name + "' has no version in force on " +
                                              s.on->to_string());
      }
    } else {
      chosen = &info.versions.back();
    }
    std::string note = chosen->from ? "version from " + chosen->from->to_string() : std::string("in force");
    if (!chosen->reference.empty()) note += "; " + chosen->reference;
    Decimal value = chosen->value;
    for (const auto& [name, v] : s.parameters) {
      if (name == info.qualified_name || (name == info.name && rules.find_parameter(name) == &info)) {
        value = v;
        note = "what-if override (text: " + chosen->value.to_string() + ")";
      }
    }
    p.params.push_back(std::move(value));
    p.param_notes.push_back(std::move(note));
  }
  for (const auto& o : r.options) {
    auto it = s.options.find(o.name);
    p.options.push_back(it == s.options.end() ? o.default_choice : it->second);
  }
  for (const auto& cs : r.csets) {
    bool active = true;
    if (cs.group) {
      const GroupInfo& g = r.groups[*cs.group];
      auto it = s.choose.find(g.id);
      active = r.sets[cs.info].id == (it == s.choose.end() ? g.default_member : it->second);
    }
    p.set_active.push_back(active);
  }
  for (const auto& f : r.facts) {
    p.defaults.push_back(f.default_value ? std::optional<FactValue>(parse_fact(f, *f.default_value)) : std::nullopt);
  }
  return p;
}

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
  Evaluator(const Prepared& p, const Enterprise& e) : p_(p), r_(p.r), e_(e), derived_(p.r.derived.size()) {}

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
  Value parameter(std::size_t slot) override {
    if (tracing()) notes_.push_back(r_.parameters[slot].name + " = " + p_.params[slot].to_string() + " (" +
                                    p_.param_notes[slot] + ")");
    return p_.params[slot];
  }
  Value derived(std::size_t slot) override {
    if (!derived_[slot]) {
      const CompiledDerived& d = r_.derived[slot];
      std::vector<std::string> saved;
      saved.swap(notes_);
      Value v = evaluate(d.expr, *this);
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
    try {
      for (std::size_t s = 0; s < r_.csets.size(); ++s) {
        if (!p_.set_active[s]) continue;
        const CompiledSet& cs = r_.csets[s];
        if (cs.applies_to && !evaluate_condition(cs.applies_to, *this)) continue;
        out.policy_sets.push_back(r_.sets[cs.info].id);
        const std::size_t first_line = out.lines.size();
        for (std::size_t rule : cs.rules) evaluate_rule(rule, out);
        interactions(cs, out, first_line);
        for (std::size_t c : cs.checks) run_check(r_.checks[c], out);
      }
    } catch (Error& err) {
      if (!current_rule_.empty()) {
        err = Error(err.kind(), "rule " + current_rule_ + ": " + err.message(), err.mark());
      }
      err.locate(e_.mark);
      out.lines.clear();
      out.findings.clear();
      out.error = err;
    }
    totals(out);
    return out;
  }

 private:
  bool tracing() const { return p_.trace; }

  [[noreturn]] void missing(const std::string& name, const std::string& label) {
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

  void evaluate_rule(std::size_t index, Evaluation& out) {
    const CompiledRule& rule = r_.crules[index];
    const RuleInfo& info = r_.rules[rule.info];
    current_rule_ = info.qualified_id;
    std::vector<TraceStep> local;
    std::vector<TraceStep>* trace = tracing() ? &local : nullptr;
    notes_.clear();
    // The cited sentence is the line's citation; the trace names the rule and clause only.
    step(trace, "rule", info.qualified_id + " " + info.citation.clause);
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
      Decimal left_min = evaluate_number(cap.max, *this);
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

  void run_check(const CompiledCheck& c, Evaluation& out) {
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

  void totals(Evaluation& out) { add_line_totals(out.totals, out.lines); }

  const Prepared& p_;
  const CompiledRules& r_;
  const Enterprise& e_;
  std::vector<std::optional<Value>> derived_;
  std::vector<std::string> notes_;
  std::string current_rule_;
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

Evaluation evaluate_prepared(const Prepared& p, const Enterprise& e) {
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
  Evaluator ev(p, e);
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
  Sha256 h;
  h.update(engine_version()).update("\n").update(p.r.fingerprint).update("\n");
  h.update(canonical_facts(p.r, e)).update("\n").update(p.scenario_text);
  out.receipt = h.hex();
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

ResolvedScenario resolve_scenario(const RuleSet& rules, const Scenario& scenario) {
  Prepared p = prepare(rules, scenario);
  return {std::move(p.params), std::move(p.options), std::move(p.set_active), std::move(p.defaults)};
}

std::function<Evaluation(const Enterprise&)> reference_evaluator(const RuleSet& rules, const Scenario& scenario) {
  auto p = std::make_shared<const Prepared>(prepare(rules, scenario));
  return [p](const Enterprise& e) { return evaluate_prepared(*p, e); };
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
  const detail::Prepared p = detail::prepare(rules, scenario);
  return detail::evaluate_prepared(p, enterprise);
}

std::vector<Evaluation> evaluate_batch(const RuleSet& rules, const std::vector<Enterprise>& batch,
                                       const Scenario& scenario, unsigned threads) {
  const detail::Prepared p = detail::prepare(rules, scenario);
  std::vector<Evaluation> out(batch.size());
  threads = static_cast<unsigned>(std::min<std::size_t>(detail::worker_threads(threads),
                                                        std::max<std::size_t>(1, batch.size())));
  if (threads <= 1) {
    for (std::size_t i = 0; i < batch.size(); ++i) out[i] = detail::evaluate_prepared(p, batch[i]);
    return out;
  }
  // Contiguous slices: each thread writes its own range, so results do not depend on scheduling.
  std::vector<std::thread> pool;
  const std::size_t n = batch.size();
  for (unsigned t = 0; t < threads; ++t) {
    const std::size_t from = n * t / threads;
    const std::size_t to = n * (t + 1) / threads;
    pool.emplace_back([&, from, to] {
      for (std::size_t i = from; i < to; ++i) out[i] = detail::evaluate_prepared(p, batch[i]);
    });
  }
  for (auto& th : pool) th.join();
  return out;
}

}  // namespace subsidy
