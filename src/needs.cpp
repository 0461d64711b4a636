// What each rule, check and cap reads: the facts a record must give for it to be evaluated.
#include "needs.hpp"

#include <algorithm>

namespace subsidy::detail {
namespace {

class Collector {
 public:
  explicit Collector(const CompiledRules& r) : r_(r), seen_derived_(r.derived.size(), false) {}

  void expr(const Expression& e) {
    if (e) walk(*e.root);
  }

  void award(const CompiledAward& a) {
    expr(a.a);
    expr(a.b);
    if (a.list_slot) slots_.push_back(*a.list_slot);
    expr(a.where);
    if (a.each) award(*a.each);
    for (const auto& level : a.levels) {
      expr(level.lower);
      expr(level.upper);
      if (level.award) award(*level.award);
    }
  }

  std::vector<std::size_t> take() {
    std::vector<std::size_t> out = slots_;
    // Declaration order, `year` (the largest slot value) last.
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  void walk(const Expr& x) {
    // present(fact) asks whether the record gives it: reading it needs nothing.
    if (x.op == Op::present) return;
    if (x.op == Op::name && x.ref == RefKind::fact) slots_.push_back(x.slot);
    if (x.op == Op::name && x.ref == RefKind::derived && x.slot < seen_derived_.size() &&
        !seen_derived_[x.slot]) {
      seen_derived_[x.slot] = true;
      expr(r_.derived[x.slot].expr);
    }
    for (const auto& arg : x.args) {
      if (arg) walk(*arg);
    }
  }

  const CompiledRules& r_;
  std::vector<bool> seen_derived_;
  std::vector<std::size_t> slots_;
};

}  // namespace

std::vector<std::size_t> rule_needs(const CompiledRules& r, std::size_t crule) {
  Collector c(r);
  const CompiledRule& rule = r.crules[crule];
  c.expr(r.csets[rule.set].applies_to);
  c.expr(rule.when);
  if (r.rules[rule.info].recurrence.kind == Recurrence::Kind::years_from) {
    c.expr(rule.recurrence_from);
  }
  c.award(rule.award);
  std::vector<std::size_t> out = c.take();
  if (r.rules[rule.info].recurrence.kind == Recurrence::Kind::years_from &&
      std::find(out.begin(), out.end(), kYearSlot) == out.end()) {
    out.push_back(kYearSlot);
  }
  return out;
}

std::vector<std::size_t> check_needs(const CompiledRules& r, std::size_t check) {
  Collector c(r);
  const CompiledCheck& k = r.checks[check];
  c.expr(r.csets[k.set].applies_to);
  c.expr(k.when);
  c.expr(k.require);
  return c.take();
}

std::vector<std::size_t> cap_needs(const CompiledRules& r, std::size_t cap) {
  Collector c(r);
  c.expr(r.csets[r.caps[cap].set].applies_to);
  c.expr(r.caps[cap].max);
  return c.take();
}

std::string fact_name(const CompiledRules& r, std::size_t slot) {
  return slot == kYearSlot ? std::string("year") : r.facts[slot].name;
}

}  // namespace subsidy::detail

namespace subsidy {

std::vector<std::string> facts_needed(const RuleSet& rules, const std::string& id) {
  using namespace detail;
  const CompiledRules& r = detail::compiled(rules);
  std::vector<std::size_t> slots;
  auto merge = [&](const std::vector<std::size_t>& more) {
    slots.insert(slots.end(), more.begin(), more.end());
  };
  bool found = false;
  if (auto it = r.rule_index.find(id); it != r.rule_index.end()) {
    merge(rule_needs(r, it->second));
    found = true;
  }
  for (std::size_t k = 0; k < r.checks.size(); ++k) {
    const std::string& set = r.sets[r.csets[r.checks[k].set].info].id;
    if (id == set + "/" + r.checks[k].id || id == set) {
      merge(check_needs(r, k));
      found = true;
    }
  }
  for (std::size_t k = 0; k < r.caps.size(); ++k) {
    const std::string& set = r.sets[r.csets[r.caps[k].set].info].id;
    if (id == set + "/" + r.caps[k].id || id == set) {
      merge(cap_needs(r, k));
      found = true;
    }
  }
  if (auto it = r.set_index.find(id); it != r.set_index.end()) {
    found = true;
    for (std::size_t crule = 0; crule < r.crules.size(); ++crule) {
      if (r.crules[crule].set == it->second) merge(rule_needs(r, crule));
    }
    Collector c(r);
    c.expr(r.csets[it->second].applies_to);
    merge(c.take());
  }
  if (!found) {
    throw Error::expected(ErrorKind::name, "a rule, check or cap (policy-set/id) or a policy set",
                          "'" + id + "'");
  }
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  std::vector<std::string> out;
  out.reserve(slots.size());
  for (std::size_t s : slots) out.push_back(fact_name(r, s));
  return out;
}

}  // namespace subsidy
