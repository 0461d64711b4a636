// Periods of force: when a policy set, a rule or a parameter applies, why a rule gives no line on
// a day outside them, and what `check` warns about dates that do not fit together.
#include <functional>
#include <set>

#include "compiled.hpp"
#include "subsidy/rules.hpp"

namespace subsidy {

std::string InForce::to_string() const {
  if (from && until) return "from " + from->to_string() + " until " + until->to_string();
  if (from) return "from " + from->to_string();
  if (until) return "until " + until->to_string();
  return "always";
}

std::string InForce::why_not(const Date& day) const {
  if (contains(day)) return {};
  return "not in force on " + day.to_string() + ": in force " + to_string();
}

std::string RuleSet::not_in_force(const RuleInfo& rule, const Date& day) const {
  const auto& r = detail::compiled(*this);
  const PolicySetInfo& set = r.sets[r.set_index.find(rule.policy_set)->second];
  if (std::string why = set.in_force.why_not(day); !why.empty()) {
    return "policy set " + set.id + " " + why;
  }
  if (std::string why = rule.in_force.why_not(day); !why.empty()) {
    return "rule " + rule.qualified_id + " " + why;
  }
  return {};
}

namespace {

Date day_before(Date d) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (--d.day > 0) return d;
  if (--d.month == 0) {
    d.month = 12;
    --d.year;
  }
  const bool leap = (d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0;
  d.day = d.month == 2 && leap ? 29 : days[d.month - 1];
  return d;
}

/// The days a parameter has a value: from its first version, within its own in_force.
InForce valued(const ParameterInfo& p) {
  InForce v = p.in_force;
  const auto& first = p.versions.front().from;
  if (first && (!v.from || *v.from < *first)) v.from = first;
  return v;
}

/// Where `outer` reaches beyond `inner` ("before 2010-01-28", "after 2012-12-31"); empty if inside.
std::string outside(const InForce& outer, const InForce& inner) {
  std::string out;
  if (inner.from && (!outer.from || *outer.from < *inner.from)) {
    out = (outer.from ? "from " + outer.from->to_string() + " " : std::string("up ")) + "to " +
          day_before(*inner.from).to_string();
  }
  if (inner.until && (!outer.until || *inner.until < *outer.until)) {
    if (!out.empty()) out += " and ";
    out += "after " + inner.until->to_string();
  }
  return out;
}

InForce intersect(InForce a, const InForce& b) {
  if (b.from && (!a.from || *a.from < *b.from)) a.from = b.from;
  if (b.until && (!a.until || *b.until < *a.until)) a.until = b.until;
  return a;
}

void parameters_of(const detail::Expr* e, const detail::CompiledRules& r,
                   std::set<std::size_t>& out, std::set<std::size_t>& seen_derived) {
  if (e == nullptr) return;
  if (e->op == detail::Op::name && e->ref == detail::RefKind::parameter) out.insert(e->slot);
  if (e->op == detail::Op::name && e->ref == detail::RefKind::derived &&
      seen_derived.insert(e->slot).second) {
    parameters_of(r.derived[e->slot].expr.root.get(), r, out, seen_derived);
  }
  for (const auto& a : e->args) parameters_of(a.get(), r, out, seen_derived);
}

void parameters_of(const detail::CompiledAward& a, const detail::CompiledRules& r,
                   std::set<std::size_t>& out, std::set<std::size_t>& seen) {
  for (const detail::Expression* e : {&a.a, &a.b, &a.where})
    parameters_of(e->root.get(), r, out, seen);
  if (a.each) parameters_of(*a.each, r, out, seen);
  for (const auto& l : a.levels) {
    parameters_of(l.lower.root.get(), r, out, seen);
    parameters_of(l.upper.root.get(), r, out, seen);
    if (l.award) parameters_of(*l.award, r, out, seen);
  }
}

}  // namespace

std::vector<std::string> RuleSet::period_warnings() const {
  const auto& r = detail::compiled(*this);
  std::vector<std::string> out;
  for (const ParameterInfo& p : r.parameters) {
    if (p.policy_set.empty()) continue;
    const PolicySetInfo& set = r.sets[r.set_index.find(p.policy_set)->second];
    if (!set.in_force.bounded()) continue;
    if (std::string gap = outside(set.in_force, valued(p)); !gap.empty()) {
      out.push_back("parameter '" + p.qualified_name + "' has no version " + gap +
                    ", inside policy set " + set.id + "'s period of force (" +
                    set.in_force.to_string() + ")");
    }
  }
  for (const detail::CompiledRule& cr : r.crules) {
    const RuleInfo& info = r.rules[cr.info];
    const InForce period = intersect(r.sets[cr.set].in_force, info.in_force);
    std::set<std::size_t> params, seen;
    for (const detail::Expression* e : {&cr.when, &cr.recurrence_from}) {
      parameters_of(e->root.get(), r, params, seen);
    }
    parameters_of(cr.award, r, params, seen);
    for (std::size_t k : params) {
      const ParameterInfo& p = r.parameters[k];
      // Another policy set's parameter, or one of a set without dates: the gap check above and
      // that set's own rules speak for it.
      if (p.policy_set != info.policy_set || !period.bounded()) continue;
      if (std::string gap = outside(period, valued(p)); !gap.empty()) {
        out.push_back("rule '" + info.qualified_id + "' (in force " + period.to_string() +
                      ") reads parameter '" + p.qualified_name + "', which has no value " + gap);
      }
    }
  }
  return out;
}

}  // namespace subsidy
