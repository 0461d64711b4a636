// Preparing a scenario: what does not depend on the day once, each day's parameter versions and
// periods of force the first time a record needs them.
#include "prepared.hpp"

namespace subsidy::detail {

Period Prepared::resolve(const std::optional<Date>& on) const {
  Period q;
  q.on = on;
  for (const auto& info : r.parameters) {
    const ParameterVersion* chosen = nullptr;
    std::string gap;
    if (on) {
      for (const auto& v : info.versions) {
        if (!v.from || *v.from <= *on) chosen = &v;
      }
      if (!chosen || !info.in_force.contains(*on)) {
        gap =
            "parameter '" + info.qualified_name + "' has no version in force on " + on->to_string();
        if (!info.in_force.contains(*on)) gap += " (" + info.in_force.why_not(*on) + ")";
        chosen = nullptr;
      }
    } else {
      chosen = &info.versions.back();
    }
    std::string note;
    Decimal value;
    if (chosen) {
      note = chosen->from ? "version from " + chosen->from->to_string() : std::string("in force");
      if (!chosen->reference.empty()) note += "; " + chosen->reference;
      value = chosen->value;
    }
    for (const auto& [name, v] : scenario.parameters) {
      if (name == info.qualified_name ||
          (name == info.name && rules.find_parameter(name) == &info)) {
        value = v;
        note =
            "what-if override (text: " + (chosen ? chosen->value.to_string() : "none on this day") +
            ")";
        gap.clear();
      }
    }
    q.params.push_back(std::move(value));
    q.param_notes.push_back(std::move(note));
    q.param_gaps.push_back(std::move(gap));
  }
  for (const auto& info : r.sets) {
    std::string why = on ? info.in_force.why_not(*on) : std::string();
    q.set_out.push_back(why.empty() ? why : "policy set " + info.id + " " + why);
  }
  for (const auto& cr : r.crules) {
    const RuleInfo& info = r.rules[cr.info];
    std::string why = on ? info.in_force.why_not(*on) : std::string();
    q.rule_out.push_back(why.empty() ? why : "rule " + info.qualified_id + " " + why);
  }
  return q;
}

Day resolve_day(const RuleSet& rules, const Scenario& scenario) {
  Day day;
  day.prepared = prepare(rules, scenario);
  day.period = &day.prepared->period(scenario.on);
  return day;
}

std::unique_ptr<Prepared> prepare(const RuleSet& rules, const Scenario& s) {
  s.validate(rules);
  const CompiledRules& r = detail::compiled(rules);
  auto p = std::make_unique<Prepared>(rules, s);
  for (const auto& o : r.options) {
    auto it = s.options.find(o.name);
    p->options.push_back(it == s.options.end() ? o.default_choice : it->second);
  }
  for (const auto& cs : r.csets) {
    bool active = true;
    if (cs.group) {
      const GroupInfo& g = r.groups[*cs.group];
      auto it = s.choose.find(g.id);
      active = r.sets[cs.info].id == (it == s.choose.end() ? g.default_member : it->second);
    }
    p->set_active.push_back(active);
  }
  for (const auto& f : r.facts) {
    p->defaults.push_back(
        f.default_value ? std::optional<FactValue>(parse_fact(f, *f.default_value)) : std::nullopt);
  }
  return p;
}

}  // namespace subsidy::detail
