// Rule shapes (the compiled expressions as plain trees) and probes (the values their comparisons
// meet for one enterprise). See include/subsidy/structure.hpp.
#include "subsidy/structure.hpp"

#include <map>
#include <set>

#include "compiled.hpp"
#include "prepared.hpp"

namespace subsidy {

namespace {

using detail::CompiledAward;
using detail::CompiledRules;
using detail::Env;
using detail::Expr;
using detail::Expression;
using detail::Op;
using detail::RefKind;
using detail::Value;

const char* op_name(Op op) {
  static const char* const names[] = {
      "number",  "boolean", "string", "name",  "add", "sub",     "mul", "neg",
      "min",     "max",     "if",     "round", "sum", "count",   "any", "all",
      "present", "option",  "and",    "or",    "not", "compare", "in",  "last_year"};
  return names[static_cast<std::size_t>(op)];
}

const char* cmp_name(detail::Cmp cmp) {
  static const char* const names[] = {"ge", "gt", "le", "lt", "eq", "ne"};
  return names[static_cast<std::size_t>(cmp)];
}

const char* ref_name(RefKind ref) {
  static const char* const names[] = {"", "fact", "field", "parameter", "derived"};
  return names[static_cast<std::size_t>(ref)];
}

/// An environment over one enterprise (or none: then only literals and parameters have values).
class ProbeEnv : public Env {
 public:
  ProbeEnv(const CompiledRules& r, const detail::Day& s, const Enterprise* e)
      : r_(r), s_(s), e_(e), derived_(r.derived.size()) {}

  Value fact(std::size_t slot) override {
    if (e_ == nullptr) throw Error(ErrorKind::usage, "not a constant");
    if (slot == detail::kYearSlot) {
      if (!e_->year) throw Error(ErrorKind::fact, "no year");
      return Decimal(*e_->year);
    }
    const std::optional<FactValue>* value = &s_.default_of(slot);
    if (slot < e_->facts.size() && e_->facts[slot]) value = &e_->facts[slot];
    if (!*value) throw Error(ErrorKind::fact, "missing fact " + r_.facts[slot].name);
    if (const auto* scalar = std::get_if<Scalar>(&**value)) return detail::to_value(*scalar);
    return &std::get<std::vector<Record>>(**value);
  }
  bool present(std::size_t slot) override {
    if (e_ == nullptr) throw Error(ErrorKind::usage, "not a constant");
    if (slot == detail::kYearSlot) return e_->year.has_value();
    return slot < e_->facts.size() && e_->facts[slot].has_value();
  }
  // A probe sees one record alone: it has no earlier year.
  Value last_year(std::size_t slot) override {
    throw Error(ErrorKind::fact, "missing fact last_year(" + r_.facts[slot].name + ")");
  }
  Value parameter(std::size_t slot) override {
    if (!s_.param_known(slot)) {
      throw Error(ErrorKind::parameter, "parameter " + r_.parameters[slot].qualified_name +
                                            " has no version on the scenario's day");
    }
    return s_.param(slot);
  }
  Value derived(std::size_t slot) override {
    if (e_ == nullptr) throw Error(ErrorKind::usage, "not a constant");
    if (!derived_[slot]) derived_[slot] = detail::evaluate(r_.derived[slot].expr, *this);
    return *derived_[slot];
  }
  const std::string& option(std::size_t slot) override { return s_.option(slot); }

 private:
  const CompiledRules& r_;
  const detail::Day& s_;
  const Enterprise* e_;
  std::vector<std::optional<Value>> derived_;
};

/// Builds shapes, numbering nodes in order and remembering which compiled node each id is.
struct Builder {
  const CompiledRules& r;
  ProbeEnv constants;
  std::map<const Expr*, std::size_t> ids;
  std::vector<std::size_t> derived_order;  // derived slots met, in order
  std::set<std::size_t> derived_seen;
  std::size_t next = 0;

  ExprShape shape(const Expr& x, const std::string& list) {
    ExprShape out;
    out.id = next++;
    ids[&x] = out.id;
    out.op = op_name(x.op);
    out.text = x.text;
    out.unit = x.unit.to_string();
    out.boolean = x.boolean;
    out.strings = x.strings;
    out.pos = x.pos;
    if (x.op == Op::compare) out.cmp = cmp_name(x.cmp);
    if (x.op == Op::number) out.value = x.number;
    if (x.op == Op::name) {
      out.ref = ref_name(x.ref);
      switch (x.ref) {
        case RefKind::parameter:
          out.qualified = r.parameters[x.slot].qualified_name;
          break;
        case RefKind::derived: {
          const auto& d = r.derived[x.slot];
          out.qualified = r.sets[r.csets[d.set].info].id + "." + d.name;
          if (derived_seen.insert(x.slot).second) derived_order.push_back(x.slot);
          break;
        }
        case RefKind::field:
          out.qualified = list + "." + x.text;
          break;
        default:
          out.qualified = x.text;
      }
    }
    std::string inner = list;
    if ((x.op == Op::sum || x.op == Op::count || x.op == Op::any || x.op == Op::all) &&
        !x.args.empty()) {
      inner = x.args[0]->text;
    }
    for (std::size_t k = 0; k < x.args.size(); ++k)
      out.args.push_back(shape(*x.args[k], k == 0 ? list : inner));
    if (x.unit.numeric() && x.op != Op::number && constant(x)) {
      try {
        Value v = detail::evaluate(x, constants);
        if (const auto* d = std::get_if<Decimal>(&v)) out.value = *d;
      } catch (const Error&) {
        // not a constant after all (an option-dependent branch): no value
      }
    }
    return out;
  }

  static bool constant(const Expr& x) {
    if (x.op == Op::name) return x.ref == RefKind::parameter;
    if (x.op == Op::option || x.op == Op::present || x.op == Op::sum || x.op == Op::count ||
        x.op == Op::any || x.op == Op::all) {
      return false;
    }
    for (const auto& a : x.args) {
      if (!constant(*a)) return false;
    }
    return true;
  }

  std::optional<ExprShape> shape(const Expression& e) {
    if (!e) return std::nullopt;
    return shape(*e.root, "");
  }

  AwardShape award(const CompiledAward& a) {
    AwardShape out;
    out.kind = to_string(a.kind);
    out.hit = to_string(a.hit);
    out.a = shape(a.a);
    out.b = shape(a.b);
    if (a.list_decl != nullptr) out.list = a.list_decl->name;
    if (a.where) out.where = shape(*a.where.root, out.list);
    if (a.each) out.each.push_back(award(*a.each));
    for (const auto& level : a.levels) {
      LevelShape l;
      l.info = level.info;
      l.lower = shape(level.lower);
      l.upper = shape(level.upper);
      if (level.award) l.award.push_back(award(*level.award));
      out.levels.push_back(std::move(l));
    }
    return out;
  }
};

const detail::CompiledRule& find_rule(const CompiledRules& r, std::string_view id) {
  auto it = r.rule_index.find(id);
  if (it == r.rule_index.end()) throw Error(ErrorKind::usage, "no rule '" + std::string(id) + "'");
  return r.crules[it->second];
}

RuleShape build(const RuleSet& rules, std::string_view id, Builder& b) {
  const CompiledRules& r = detail::compiled(rules);
  const detail::CompiledRule& rule = find_rule(r, id);
  RuleShape out;
  out.qualified_id = r.rules[rule.info].qualified_id;
  out.when_source = rule.when.source;
  out.when = b.shape(rule.when);
  const detail::CompiledSet& set = r.csets[rule.set];
  out.applies_to_source = set.applies_to.source;
  out.applies_to = b.shape(set.applies_to);
  out.award = b.award(rule.award);
  for (std::size_t k = 0; k < b.derived_order.size();
       ++k) {  // grows while derived values are shaped
    const auto& d = r.derived[b.derived_order[k]];
    RuleShape::Derived entry{r.sets[r.csets[d.set].info].id + "." + d.name, d.expr.source, {}};
    entry.shape = b.shape(*d.expr.root, "");
    out.derived.push_back(std::move(entry));
  }
  out.nodes = b.next;
  return out;
}

/// Walks a compiled expression, recording the numeric values of comparison sides.
struct Prober {
  const std::map<const Expr*, std::size_t>& ids;
  ProbeEnv& env;
  std::vector<std::pair<std::size_t, Decimal>> out;

  void record(const Expr& x) {
    auto it = ids.find(&x);
    if (it == ids.end() || !x.unit.numeric()) return;
    try {
      Value v = detail::evaluate(x, env);
      if (const auto* d = std::get_if<Decimal>(&v)) out.emplace_back(it->second, *d);
    } catch (const Error&) {
      // a side that cannot be evaluated for this enterprise is left out, never guessed
    }
  }

  static void leaves(const Expr& x, Op op, std::vector<const Expr*>& out) {
    if (x.op != op) {
      out.push_back(&x);
      return;
    }
    for (const auto& a : x.args) leaves(*a, op, out);
  }

  /// An and/or chain: its outcome (1 or 0) under its own id, then each operand's truth, when
  /// every operand can be evaluated.
  void group(const Expr& x) {
    std::vector<const Expr*> operands;
    leaves(x, x.op, operands);
    std::vector<std::pair<std::size_t, Decimal>> values;
    bool all = true, any = false;
    try {
      for (const Expr* operand : operands) {
        Value v = detail::evaluate(*operand, env);
        const auto* truth = std::get_if<bool>(&v);
        if (truth == nullptr) return;
        all = all && *truth;
        any = any || *truth;
        values.emplace_back(ids.at(operand), Decimal(*truth ? 1 : 0));
      }
    } catch (const Error&) {
      return;
    }
    out.emplace_back(ids.at(&x), Decimal((x.op == Op::and_ ? all : any) ? 1 : 0));
    out.insert(out.end(), values.begin(), values.end());
  }

  void walk(const Expr& x, bool in_chain = false) {
    if (x.op == Op::compare) {
      for (const auto& a : x.args) record(*a);
    }
    if ((x.op == Op::and_ || x.op == Op::or_) && !in_chain) group(x);
    const bool fold = x.op == Op::sum || x.op == Op::count || x.op == Op::any || x.op == Op::all;
    if (fold && !x.args.empty()) {
      const std::vector<Record>* records = nullptr;
      try {
        Value v = env.fact(x.args[0]->slot);
        if (const auto* list = std::get_if<const std::vector<Record>*>(&v)) records = *list;
      } catch (const Error&) {
        return;
      }
      if (records == nullptr) return;
      for (const auto& one : *records) {
        const Record* saved = env.record;
        env.record = &one;
        for (std::size_t k = 1; k < x.args.size(); ++k) walk(*x.args[k]);
        env.record = saved;
      }
      return;
    }
    for (const auto& a : x.args) walk(*a, a->op == x.op && (x.op == Op::and_ || x.op == Op::or_));
  }

  void award(const CompiledAward& a) {
    if (a.kind == AmountKind::tiers && a.a) record(*a.a.root);
    for (const auto* e : {&a.a, &a.b}) {
      if (*e) walk(*e->root);
    }
    for (const auto& level : a.levels) {
      if (level.award) award(*level.award);
    }
  }
};

}  // namespace

RuleShape rule_shape(const RuleSet& rules, std::string_view qualified_id,
                     const Scenario& scenario) {
  const detail::Day s = detail::resolve_day(rules, scenario);
  Builder b{detail::compiled(rules), ProbeEnv(detail::compiled(rules), s, nullptr), {}, {}, {}, 0};
  return build(rules, qualified_id, b);
}

std::vector<std::pair<std::size_t, Decimal>> probe_rule(const RuleSet& rules,
                                                        std::string_view qualified_id,
                                                        const Enterprise& enterprise,
                                                        const Scenario& scenario) {
  const detail::Day s = detail::resolve_day(rules, scenario);
  const CompiledRules& r = detail::compiled(rules);
  Builder b{r, ProbeEnv(r, s, nullptr), {}, {}, {}, 0};
  build(rules, qualified_id, b);
  ProbeEnv env(r, s, &enterprise);
  Prober p{b.ids, env, {}};
  const detail::CompiledRule& rule = find_rule(r, qualified_id);
  if (rule.when) p.walk(*rule.when.root);
  if (r.csets[rule.set].applies_to) p.walk(*r.csets[rule.set].applies_to.root);
  p.award(rule.award);
  for (std::size_t slot : b.derived_order) p.walk(*r.derived[slot].expr.root);
  return std::move(p.out);
}

std::vector<Decimal> parameter_values(const RuleSet& rules, const Scenario& scenario) {
  return detail::resolve_day(rules, scenario).period->params;
}

}  // namespace subsidy
