// Compiling: CompiledRules + a scenario → the plan. Parameters, options and defaults of the day
// are folded in as constants; numbers get the exponent they are held at; a construct the
// fixed-point domain does not take makes the whole program "unsupported" (every row then goes to
// the exact domain).
#include "program.hpp"

namespace subsidy {

std::uint32_t Program::Impl::push(PlanNode n) {
  nodes.push_back(std::move(n));
  return static_cast<std::uint32_t>(nodes.size() - 1);
}

std::uint32_t Program::Impl::constant_number(const Decimal& d) {
  PlanNode n;
  n.kind = Kind::number;
  n.exponent = std::min(d.exponent(), std::int32_t{0});
  if (!d.to_scaled_int64(n.exponent, n.value)) refuse("the constant " + d.to_string());
  return push(std::move(n));
}

std::uint32_t Program::Impl::constant_bool(bool b) {
  PlanNode n;
  n.kind = Kind::boolean;
  n.value = b ? 1 : 0;
  return push(std::move(n));
}

/// The node brought to exponent `to` (≤ its own), exactly.
std::uint32_t Program::Impl::align(std::uint32_t k, std::int32_t to) {
  const PlanNode& x = nodes[k];
  if (x.kind != Kind::number) refuse("arithmetic on a value that is not a number");
  if (x.exponent == to) return k;
  const std::int32_t shift = checked_shift(x.exponent - to);
  if (x.op == Opcode::constant) {
    std::int64_t v = 0;
    if (__builtin_mul_overflow(x.value, kPow10[shift], &v))
      refuse("a constant too large for int64");
    PlanNode n = x;
    n.value = v;
    n.exponent = to;
    return push(std::move(n));
  }
  PlanNode n;
  n.op = Opcode::rescale;
  n.kind = Kind::number;
  n.exponent = to;
  n.digits = shift;
  n.args = {k};
  return push(std::move(n));
}

/// A node reading a fact or field column of the declared unit.
PlanNode Program::Impl::column_node(Opcode op, std::size_t slot, const FactDecl& decl) {
  PlanNode n;
  n.op = op;
  n.slot = slot;
  n.exponent = column_exponent(decl.unit);
  switch (decl.unit.kind) {
    case UnitKind::boolean:
      n.kind = Kind::boolean;
      break;
    case UnitKind::date:
      n.kind = Kind::date;
      break;
    case UnitKind::enumeration:
      n.kind = Kind::code;
      n.values = &decl.values;
      break;
    case UnitKind::text:
      refuse("a text value in an expression (" + decl.name + ")");
    case UnitKind::list:
      refuse("a list inside a list (" + decl.name + ")");
    default:
      n.kind = Kind::number;
  }
  return n;
}

std::uint32_t Program::Impl::compile_scalar_fact(std::size_t slot) {
  const FactDecl& decl = r.facts[slot];
  PlanNode n = column_node(Opcode::fact, slot, decl);
  if (const auto& d = scenario.default_of(slot)) {
    FactColumn scratch;
    scratch.kind = decl.unit.kind;
    scratch.exponent = n.exponent;
    if (!store_scalar(scratch, decl, std::get<Scalar>(*d), n.value))
      refuse("the default of " + decl.name);
    n.has_default = true;
  }
  return push(std::move(n));
}

std::uint32_t Program::Impl::compile_field(const Expr& x, const FactDecl* record) {
  if (record == nullptr || x.slot >= record->fields.size()) refuse("a field outside a list");
  return push(column_node(Opcode::field, x.slot, record->fields[x.slot]));
}

std::uint32_t Program::Impl::compile_list(const Expr& x) {
  if (x.op != Op::name || x.ref != RefKind::fact || x.slot == detail::kYearSlot ||
      r.facts[x.slot].unit.kind != UnitKind::list) {
    refuse("a list that is not a list fact");
  }
  if (const auto& d = scenario.default_of(x.slot)) {
    const auto* records = std::get_if<std::vector<Record>>(&*d);
    if (!records || !records->empty())
      refuse("a non-empty default list (" + r.facts[x.slot].name + ")");
  }
  PlanNode n;
  n.op = Opcode::fact;
  n.kind = Kind::list;
  n.slot = x.slot;
  n.has_default = scenario.default_of(x.slot).has_value();
  return push(std::move(n));
}

std::uint32_t Program::Impl::binary(Opcode op, std::uint32_t a, std::uint32_t b, std::int32_t e) {
  PlanNode n;
  n.op = op;
  n.kind = Kind::number;
  n.exponent = e;
  n.args = {a, b};
  return push(std::move(n));
}

std::uint32_t Program::Impl::code_match(std::uint32_t column,
                                        const std::vector<std::string>& wanted, bool negate) {
  PlanNode n;
  n.op = Opcode::in;
  n.kind = Kind::boolean;
  n.args = {column};
  for (const auto& t : wanted) {
    auto it = std::find(nodes[column].values->begin(), nodes[column].values->end(), t);
    if (it != nodes[column].values->end()) n.codes.push_back(it - nodes[column].values->begin());
  }
  std::uint32_t k = push(std::move(n));
  if (!negate) return k;
  PlanNode no;
  no.op = Opcode::not_;
  no.kind = Kind::boolean;
  no.args = {k};
  return push(std::move(no));
}

/// The text fact or field `x` names (its slot, and whether it is a field), if it names one.
std::optional<std::pair<std::size_t, bool>> Program::Impl::text_ref(const Expr& x,
                                                                    const FactDecl* record) const {
  if (x.op != Op::name) return std::nullopt;
  if (x.ref == RefKind::fact && x.slot != detail::kYearSlot &&
      r.facts[x.slot].unit.kind == UnitKind::text) {
    return std::make_pair(x.slot, false);
  }
  if (x.ref == RefKind::field && record != nullptr && x.slot < record->fields.size() &&
      record->fields[x.slot].unit.kind == UnitKind::text) {
    return std::make_pair(x.slot, true);
  }
  return std::nullopt;
}

/// A text fact or field equal to one of `texts` (or to none, negated). Texts are read from the
/// column's dictionary, which each table builds for itself, so the node keeps the texts.
std::uint32_t Program::Impl::text_match(std::pair<std::size_t, bool> ref,
                                        std::vector<std::string> texts_in, bool negate) {
  PlanNode n;
  n.op = Opcode::text_in;
  n.kind = Kind::boolean;
  n.slot = ref.first;
  n.of_field = ref.second;
  n.value = static_cast<std::int64_t>(text_sets.size());
  if (!ref.second) {
    if (const auto& d = scenario.default_of(ref.first)) {
      const auto* text = std::get_if<std::string>(&std::get<Scalar>(*d));
      if (text == nullptr) refuse("a text fact whose default is not a text");
      n.has_default = true;
      n.default_matches = std::find(texts_in.begin(), texts_in.end(), *text) != texts_in.end();
    }
  }
  text_sets.push_back(std::move(texts_in));
  const std::uint32_t k = push(std::move(n));
  if (!negate) return k;
  PlanNode no;
  no.op = Opcode::not_;
  no.kind = Kind::boolean;
  no.args = {k};
  return push(std::move(no));
}

std::uint32_t Program::Impl::compile(const Expr& x, const FactDecl* record) {
  switch (x.op) {
    case Op::number:
      return constant_number(x.number);
    case Op::boolean:
      return constant_bool(x.boolean);
    case Op::string: {
      PlanNode n;
      n.kind = Kind::text;
      n.text = x.text;
      return push(std::move(n));
    }
    case Op::option: {
      PlanNode n;
      n.kind = Kind::text;
      n.text = scenario.option(x.slot);
      return push(std::move(n));
    }
    case Op::name:
      switch (x.ref) {
        case RefKind::fact:
          if (x.slot == detail::kYearSlot) {
            PlanNode n;
            n.op = Opcode::year;
            n.kind = Kind::number;
            return push(std::move(n));
          }
          if (r.facts[x.slot].unit.kind == UnitKind::list) return compile_list(x);
          return compile_scalar_fact(x.slot);
        case RefKind::field:
          return compile_field(x, record);
        case RefKind::parameter:
          // No version on the program's day: the reference path says why, row by row.
          if (!scenario.param_known(x.slot)) refuse("a parameter without a version on the day");
          return constant_number(scenario.param(x.slot));
        case RefKind::derived: {
          if (derived_nodes[x.slot] == kNone) {
            derived_nodes[x.slot] = compile(*r.derived[x.slot].expr.root, nullptr);
          }
          return derived_nodes[x.slot];
        }
        case RefKind::unresolved:
          refuse("an unresolved name");
      }
      break;
    case Op::add:
    case Op::sub: {
      const std::uint32_t a = compile(*x.args[0], record);
      const std::uint32_t b = compile(*x.args[1], record);
      const std::int32_t e = std::min(nodes[a].exponent, nodes[b].exponent);
      return binary(x.op == Op::add ? Opcode::add : Opcode::sub, align(a, e), align(b, e), e);
    }
    case Op::mul: {
      const std::uint32_t a = compile(*x.args[0], record);
      const std::uint32_t b = compile(*x.args[1], record);
      if (nodes[a].kind != Kind::number || nodes[b].kind != Kind::number)
        refuse("a product of non-numbers");
      const std::int32_t e = nodes[a].exponent + nodes[b].exponent;
      if (e < -18) refuse("a product with more than 18 decimals");
      return binary(Opcode::mul, a, b, e);
    }
    case Op::neg: {
      PlanNode n;
      n.op = Opcode::neg;
      n.args = {compile(*x.args[0], record)};
      n.exponent = nodes[n.args[0]].exponent;
      return push(std::move(n));
    }
    case Op::min:
    case Op::max: {
      std::vector<std::uint32_t> args;
      std::int32_t e = 0;
      for (const auto& a : x.args) {
        args.push_back(compile(*a, record));
        e = std::min(e, nodes[args.back()].exponent);
      }
      PlanNode n;
      n.op = x.op == Op::min ? Opcode::min : Opcode::max;
      n.exponent = e;
      for (std::uint32_t a : args) n.args.push_back(align(a, e));
      return push(std::move(n));
    }
    case Op::round: {
      const std::uint32_t a = compile(*x.args[0], record);
      const std::int32_t from = nodes[a].exponent;
      const std::int32_t to = x.round_exponent;
      if (to <= from) return align(a, to);
      PlanNode n;
      n.op = Opcode::round;
      n.exponent = to;
      n.digits = checked_shift(to - from);
      n.mode = x.round_mode;
      n.args = {a};
      return push(std::move(n));
    }
    case Op::if_: {
      const std::uint32_t c = compile(*x.args[0], record);
      if (is_constant(c)) return compile(*x.args[nodes[c].value ? 1 : 2], record);
      std::uint32_t a = compile(*x.args[1], record);
      std::uint32_t b = compile(*x.args[2], record);
      PlanNode n;
      n.op = Opcode::if_;
      n.kind = nodes[a].kind;
      if (n.kind == Kind::text || nodes[b].kind != n.kind) refuse("a text-valued if()");
      if (n.kind == Kind::code && nodes[a].values != nodes[b].values)
        refuse("if() over two enumerations");
      if (n.kind == Kind::number) {
        n.exponent = std::min(nodes[a].exponent, nodes[b].exponent);
        a = align(a, n.exponent);
        b = align(b, n.exponent);
      }
      n.values = nodes[a].values;
      n.args = {c, a, b};
      return push(std::move(n));
    }
    case Op::sum:
    case Op::count:
    case Op::any:
    case Op::all: {
      const std::uint32_t list = compile(*x.args[0], record);
      const FactDecl* decl = &r.facts[nodes[list].slot];
      PlanNode n;
      n.args = {list};
      for (std::size_t k = 1; k < x.args.size(); ++k) n.args.push_back(compile(*x.args[k], decl));
      switch (x.op) {
        case Op::sum:
          n.op = Opcode::sum;
          n.exponent = nodes[n.args[1]].exponent;
          break;
        case Op::count:
          n.op = Opcode::count;
          break;
        case Op::any:
          n.op = Opcode::any;
          n.kind = Kind::boolean;
          break;
        default:
          n.op = Opcode::all;
          n.kind = Kind::boolean;
      }
      return push(std::move(n));
    }
    case Op::last_year: {
      const std::uint32_t k = compile_scalar_fact(x.slot);
      nodes[k].op = Opcode::last_year;
      return k;
    }
    case Op::present: {
      const Expr& a = *x.args[0];
      PlanNode n;
      n.kind = Kind::boolean;
      n.slot = a.slot;
      if (a.ref == RefKind::field) {
        n.op = Opcode::present_field;
      } else if (a.slot == detail::kYearSlot) {
        n.op = Opcode::present_year;
      } else {
        n.op = Opcode::present_fact;
      }
      return push(std::move(n));
    }
    case Op::and_:
    case Op::or_: {
      const std::uint32_t a = compile(*x.args[0], record);
      const bool is_and = x.op == Op::and_;
      if (is_constant(a)) {
        if ((nodes[a].value != 0) != is_and) return a;  // false and …, true or …: decided
        return compile(*x.args[1], record);
      }
      PlanNode n;
      n.op = is_and ? Opcode::and_ : Opcode::or_;
      n.kind = Kind::boolean;
      n.args = {a, compile(*x.args[1], record)};
      return push(std::move(n));
    }
    case Op::not_: {
      const std::uint32_t a = compile(*x.args[0], record);
      if (is_constant(a)) return constant_bool(nodes[a].value == 0);
      PlanNode n;
      n.op = Opcode::not_;
      n.kind = Kind::boolean;
      n.args = {a};
      return push(std::move(n));
    }
    case Op::compare: {
      if (x.cmp == Cmp::eq || x.cmp == Cmp::ne) {
        const auto ra = text_ref(*x.args[0], record);
        const auto rb = text_ref(*x.args[1], record);
        if (ra.has_value() != rb.has_value()) {
          const std::uint32_t other = compile(*x.args[ra ? 1 : 0], record);
          if (nodes[other].kind != Kind::text) refuse("a text compared with a non-text");
          return text_match(ra ? *ra : *rb, {nodes[other].text}, x.cmp == Cmp::ne);
        }
      }
      std::uint32_t a = compile(*x.args[0], record);
      std::uint32_t b = compile(*x.args[1], record);
      const Kind ka = nodes[a].kind;
      const Kind kb = nodes[b].kind;
      if (ka == Kind::text || kb == Kind::text || ka == Kind::code || kb == Kind::code) {
        if (x.cmp != Cmp::eq && x.cmp != Cmp::ne) refuse("an ordering of texts");
        const bool negate = x.cmp == Cmp::ne;
        if (ka == Kind::text && kb == Kind::text)
          return constant_bool((nodes[a].text == nodes[b].text) != negate);
        if (ka == Kind::code && kb == Kind::text) return code_match(a, {nodes[b].text}, negate);
        if (kb == Kind::code && ka == Kind::text) return code_match(b, {nodes[a].text}, negate);
        refuse("a comparison of two enumeration values");
      }
      if (ka != kb) refuse("a comparison of different kinds");
      if (ka == Kind::number) {
        const std::int32_t e = std::min(nodes[a].exponent, nodes[b].exponent);
        a = align(a, e);
        b = align(b, e);
      }
      PlanNode n;
      n.op = Opcode::cmp;
      n.kind = Kind::boolean;
      n.cmp = x.cmp;
      n.args = {a, b};
      return push(std::move(n));
    }
    case Op::in: {
      if (const auto ref = text_ref(*x.args[0], record)) return text_match(*ref, x.strings, false);
      const std::uint32_t a = compile(*x.args[0], record);
      if (nodes[a].kind == Kind::text) {
        const bool hit =
            std::find(x.strings.begin(), x.strings.end(), nodes[a].text) != x.strings.end();
        return constant_bool(hit);
      }
      if (nodes[a].kind != Kind::code) refuse("'in' on a value that is not an enumeration");
      return code_match(a, x.strings, false);
    }
  }
  refuse("an expression operator");
}

std::uint32_t Program::Impl::compile_expression(const detail::Expression& e, Kind kind) {
  if (!e) return kNone;
  const std::uint32_t k = compile(*e.root, nullptr);
  if (nodes[k].kind != kind) refuse("an expression of an unexpected kind: " + e.source);
  return k;
}

AwardCode Program::Impl::compile_award(const CompiledAward& a, const FactDecl* record) {
  AwardCode c;
  c.kind = a.kind;
  auto number = [&](const detail::Expression& e) {
    const std::uint32_t k = compile(*e.root, record);
    if (nodes[k].kind != Kind::number) refuse("an amount that is not a number: " + e.source);
    return k;
  };
  switch (a.kind) {
    case AmountKind::fixed:
    case AmountKind::formula:
      c.a = number(a.a);
      c.exponent = nodes[c.a].exponent;
      break;
    case AmountKind::rate_of_base: {
      const std::uint32_t rate = number(a.a);
      const std::uint32_t base = number(a.b);
      c.exponent = nodes[rate].exponent + nodes[base].exponent;
      if (c.exponent < -18) refuse("a rate × base with more than 18 decimals");
      c.a = binary(Opcode::mul, rate, base, c.exponent);
      break;
    }
    case AmountKind::band:
      c.a = number(a.a);
      c.b = number(a.b);
      c.exponent = std::min(nodes[c.a].exponent, nodes[c.b].exponent);
      c.a = align(c.a, c.exponent);
      c.b = align(c.b, c.exponent);
      break;
    case AmountKind::unfixed:
    case AmountKind::honour:
      c.text = texts->at(a.unfixed_text);
      break;
    case AmountKind::per_item: {
      const FactDecl* inner = record;
      if (a.list_slot) {
        detail::Expr name;
        name.op = Op::name;
        name.ref = RefKind::fact;
        name.slot = *a.list_slot;
        compile_list(name);
        c.for_each = true;
        c.list_slot = *a.list_slot;
        inner = a.list_decl;
        if (a.where) {
          c.where = compile(*a.where.root, inner);
          if (nodes[c.where].kind != Kind::boolean) refuse("a where that is not a condition");
        }
      } else {
        c.a = number(a.a);
      }
      c.each = std::make_unique<AwardCode>(compile_award(*a.each, inner));
      c.exponent = c.each->exponent;
      break;
    }
    case AmountKind::tiers: {
      c.a = number(a.a);
      c.hit = a.hit;
      c.exponent = 0;
      for (const auto& l : a.levels) {
        AwardCode::Level level;
        level.lower_inclusive = l.info.lower_inclusive;
        level.upper_inclusive = l.info.upper_inclusive;
        level.label = texts->at(l.info.label);
        if (l.lower) level.lower = number(l.lower);
        if (l.upper) level.upper = number(l.upper);
        level.award = std::make_unique<AwardCode>(compile_award(*l.award, record));
        c.exponent = std::min(c.exponent, level.award->exponent);
        c.levels.push_back(std::move(level));
      }
      break;
    }
  }
  return c;
}

void Program::Impl::compile_all(const std::vector<std::string>& only) {
  selection = only;
  if (!texts) texts = std::make_shared<const TextTable>(r);
  program_rule.assign(r.crules.size(), kNone);
  filtered = !only.empty();
  std::vector<bool> keep(r.crules.size(), only.empty());
  for (const auto& id : only) {
    auto it = r.rule_index.find(id);
    if (it == r.rule_index.end())
      throw Error::expected(ErrorKind::name, "a qualified rule id", "'" + id + "'");
    keep[it->second] = true;
  }
  exponent = 0;
  for (const auto& cs : r.csets) {
    for (std::size_t rule : cs.rules) {
      if (!keep[rule]) continue;
      program_rule[rule] = static_cast<std::uint32_t>(rule_ids.size());
      const RuleInfo& info = r.rules[r.crules[rule].info];
      rule_ids.push_back(info.qualified_id);
      exponent = std::min(exponent, info.rounding_exponent);
    }
    // A filter must not cut through an exclusion or a cap: the kept lines would differ.
    auto whole = [&](const std::vector<std::size_t>& rs) {
      const auto kept = std::count_if(rs.begin(), rs.end(), [&](std::size_t k) { return keep[k]; });
      if (kept != 0 && kept != static_cast<std::ptrdiff_t>(rs.size())) {
        throw Error(ErrorKind::usage,
                    "the rule selection splits an exclusion or a cap of policy set '" +
                        r.sets[cs.info].id + "'; keep all its rules or none");
      }
    };
    for (std::size_t x : cs.exclusions) whole(r.exclusions[x].rules);
    for (std::size_t x : cs.caps) whole(r.caps[x].rules);
  }
  try {
    derived_nodes.assign(r.derived.size(), kNone);
    for (std::size_t s = 0; s < r.csets.size(); ++s) {
      SetCode set;
      const auto& cs = r.csets[s];
      const bool kept = std::any_of(cs.rules.begin(), cs.rules.end(),
                                    [&](std::size_t rule) { return program_rule[rule] != kNone; });
      if (scenario.set_active(s) && (kept || !filtered)) {
        set.applies_to = compile_expression(cs.applies_to, Kind::boolean);
        for (std::size_t rule : cs.rules) {
          if (program_rule[rule] != kNone && scenario.rule_active(rule)) {
            set.rules.push_back(program_rule[rule]);
          }
        }
        for (std::size_t x : cs.exclusions) {
          const auto& ex = r.exclusions[x];
          if (program_rule[ex.rules.front()] == kNone) continue;
          ExclusionCode code;
          code.higher = ex.higher;
          for (std::size_t rule : ex.rules) {
            code.rules.push_back(program_rule[rule]);
            code.notes.push_back(
                texts->at(detail::exclusion_note(ex, r.rules[r.crules[rule].info].qualified_id)));
          }
          set.exclusions.push_back(std::move(code));
        }
        for (std::size_t x : cs.caps) {
          const auto& cap = r.caps[x];
          if (program_rule[cap.rules.front()] == kNone) continue;
          CapCode code;
          code.cap = x;
          code.max = compile_expression(cap.max, Kind::number);
          for (std::size_t rule : cap.rules) code.rules.push_back(program_rule[rule]);
          set.caps.push_back(std::move(code));
        }
        for (std::size_t c : cs.checks) {
          const auto& check = r.checks[c];
          set.checks.emplace_back(compile_expression(check.when, Kind::boolean),
                                  compile_expression(check.require, Kind::boolean));
        }
      }
      sets.push_back(std::move(set));
    }
    rule_codes.resize(rule_ids.size());
    for (std::size_t rule = 0; rule < r.crules.size(); ++rule) {
      if (program_rule[rule] == kNone) continue;
      const auto& cr = r.crules[rule];
      const RuleInfo& info = r.rules[cr.info];
      RuleCode& code = rule_codes[program_rule[rule]];
      code.crule = rule;
      code.in_kind = info.form == AwardForm::in_kind;
      // Not evaluated on this day (its set not chosen or not in force, the rule not in force):
      // its parameters may have no version then, so its code is not compiled.
      if (!scenario.set_active(cr.set) || !scenario.rule_active(rule)) continue;
      code.when = compile_expression(cr.when, Kind::boolean);
      if (info.recurrence.kind == Recurrence::Kind::years_from) {
        code.from = compile_expression(cr.recurrence_from, Kind::number);
        code.years = info.recurrence.years;
      }
      code.award = compile_award(cr.award, nullptr);
      code.rounding_exponent = info.rounding_exponent;
      code.rounding = info.rounding;
      code.recognition = info.form == AwardForm::preference || info.form == AwardForm::honour;
      code.in_kind = info.form == AwardForm::in_kind;
      checked_shift(code.rounding_exponent - exponent);
    }
    lower_all();
    compiled = true;
  } catch (const Unsupported& u) {
    unsupported_reason = u.what;
    compiled = false;
  }
}

}  // namespace subsidy
