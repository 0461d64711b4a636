// Lowering: plan nodes → the interpreter's instructions, small and with their arguments inline;
// common leaves fused (a field compared with a constant, an enumeration in a set), and/or chains
// flattened.
#include "program.hpp"

namespace subsidy {

std::uint32_t Program::Impl::emit(const Instr& h) {
  instrs.push_back(h);
  return static_cast<std::uint32_t>(instrs.size() - 1);
}

std::int64_t Program::Impl::mask_of(const std::vector<std::int64_t>& codes) {
  std::int64_t mask = 0;
  for (std::int64_t code : codes) {
    if (code < 0 || code >= 63) refuse("an enumeration of more than 63 values");
    mask |= std::int64_t{1} << code;
  }
  return mask;
}

/// The lowered operands of a chain of `op` (and_ / or_) rooted at node k, left to right.
void Program::Impl::flatten(std::uint32_t k, Opcode op, std::vector<std::uint32_t>& chain) {
  if (nodes[k].op != op) {
    chain.push_back(lower(k));
    return;
  }
  for (std::uint32_t a : nodes[k].args) flatten(a, op, chain);
}

std::uint32_t Program::Impl::lower(std::uint32_t k) {
  if (k == kNone) return kNone;
  if (lowered[k] != kNone) return lowered[k];
  const PlanNode& n = nodes[k];
  Instr h;
  h.exponent = n.exponent;
  h.digits = n.digits;
  h.default_matches = n.default_matches;
  h.cmp = n.cmp;
  h.mode = n.mode;
  h.slot = static_cast<std::uint32_t>(n.slot);
  h.value = n.value;
  h.has_default = n.has_default;
  auto arg = [&](std::size_t i) { return i < n.args.size() ? lower(n.args[i]) : kNone; };
  switch (n.op) {
    case Opcode::constant:
      h.op = Opcode::constant;
      break;
    case Opcode::fact:
      h.op = Opcode::fact;
      break;
    case Opcode::last_year:
      h.op = Opcode::last_year;
      break;
    case Opcode::field:
      h.op = Opcode::field;
      break;
    case Opcode::year:
      h.op = Opcode::year;
      break;
    case Opcode::rescale:
      h.op = Opcode::rescale;
      h.arg[0] = arg(0);
      break;
    case Opcode::round:
      h.op = Opcode::round;
      h.arg[0] = arg(0);
      break;
    case Opcode::add:
      h.op = Opcode::add;
      h.arg[0] = arg(0);
      h.arg[1] = arg(1);
      break;
    case Opcode::sub:
      h.op = Opcode::sub;
      h.arg[0] = arg(0);
      h.arg[1] = arg(1);
      break;
    case Opcode::mul:
      h.op = Opcode::mul;
      h.arg[0] = arg(0);
      h.arg[1] = arg(1);
      break;
    case Opcode::neg:
      h.op = Opcode::neg;
      h.arg[0] = arg(0);
      break;
    case Opcode::min:
    case Opcode::max: {
      // n-ary min/max as a chain of binary ones, in argument order.
      std::uint32_t acc = arg(0);
      for (std::size_t i = 1; i < n.args.size(); ++i) {
        Instr m = h;
        m.op = n.op == Opcode::min ? Opcode::min : Opcode::max;
        m.arg[0] = acc;
        m.arg[1] = arg(i);
        acc = emit(m);
      }
      lowered[k] = acc;
      return acc;
    }
    case Opcode::if_:
      h.op = Opcode::if_;
      h.arg[0] = arg(0);
      h.arg[1] = arg(1);
      h.arg[2] = arg(2);
      break;
    case Opcode::sum:
    case Opcode::count:
    case Opcode::any:
    case Opcode::all:
      h.op = n.op == Opcode::sum     ? Opcode::sum
             : n.op == Opcode::count ? Opcode::count
             : n.op == Opcode::any   ? Opcode::any
                                     : Opcode::all;
      h.slot = static_cast<std::uint32_t>(nodes[n.args[0]].slot);
      h.has_default = nodes[n.args[0]].has_default;
      h.arg[0] = arg(1);
      h.arg[1] = arg(2);
      break;
    case Opcode::present_fact:
      h.op =
          r.facts[n.slot].unit.kind == UnitKind::list ? Opcode::present_list : Opcode::present_fact;
      break;
    case Opcode::present_field:
      h.op = Opcode::present_field;
      break;
    case Opcode::present_year:
      h.op = Opcode::present_year;
      break;
    case Opcode::and_:
    case Opcode::or_: {
      // A chain `a and b and c` (nested either way) becomes one node over its operands, in
      // order: short-circuit evaluation is associative, so the same operands are evaluated.
      std::vector<std::uint32_t> chain;
      flatten(k, n.op, chain);
      const bool is_and = n.op == Opcode::and_;
      if (chain.size() == 2) {
        h.op = is_and ? Opcode::and_ : Opcode::or_;
        h.arg[0] = chain[0];
        h.arg[1] = chain[1];
      } else {
        h.op = is_and ? Opcode::all_of : Opcode::any_of;
        h.arg[0] = static_cast<std::uint32_t>(operands.size());
        h.arg[1] = static_cast<std::uint32_t>(chain.size());
        operands.insert(operands.end(), chain.begin(), chain.end());
      }
      break;
    }
    case Opcode::not_:
      h.op = Opcode::not_;
      h.arg[0] = arg(0);
      break;
    case Opcode::text_in:
      h.op = n.of_field ? Opcode::text_field_in : Opcode::text_fact_in;
      break;
    case Opcode::present_list:
    case Opcode::cmp_k:
    case Opcode::fact_in:
    case Opcode::field_in:
    case Opcode::field_cmp_k:
    case Opcode::all_of:
    case Opcode::any_of:
    case Opcode::text_fact_in:
    case Opcode::text_field_in:
      refuse("an instruction in the plan");  // lowering makes them; compiling never does
    case Opcode::cmp: {
      const PlanNode& left = nodes[n.args[0]];
      const PlanNode& right = nodes[n.args[1]];
      if (right.op == Opcode::constant && left.op == Opcode::field) {
        h.op = Opcode::field_cmp_k;
        h.slot = static_cast<std::uint32_t>(left.slot);
        h.value = right.value;
      } else if (right.op == Opcode::constant) {
        h.op = Opcode::cmp_k;
        h.arg[0] = arg(0);
        h.value = right.value;
      } else {
        h.op = Opcode::cmp;
        h.arg[0] = arg(0);
        h.arg[1] = arg(1);
      }
      break;
    }
    case Opcode::in: {
      const PlanNode& column = nodes[n.args[0]];
      h.value = mask_of(n.codes);
      if (column.op == Opcode::field) {
        h.op = Opcode::field_in;
        h.slot = static_cast<std::uint32_t>(column.slot);
      } else if (column.op == Opcode::fact) {
        h.op = Opcode::fact_in;
        h.slot = static_cast<std::uint32_t>(column.slot);
        h.has_default = column.has_default;
        h.default_matches = column.has_default && in_mask(column.value, h.value);
      } else {
        h.op = Opcode::in;
        h.arg[0] = arg(0);
      }
      break;
    }
  }
  const std::uint32_t index = emit(h);
  lowered[k] = index;
  return index;
}

void Program::Impl::lower_award(AwardCode& a) {
  a.a = lower(a.a);
  a.b = lower(a.b);
  a.where = lower(a.where);
  if (a.each) lower_award(*a.each);
  for (auto& l : a.levels) {
    l.lower = lower(l.lower);
    l.upper = lower(l.upper);
    lower_award(*l.award);
  }
}

void Program::Impl::lower_all() {
  lowered.assign(nodes.size(), kNone);
  for (auto& set : sets) {
    set.applies_to = lower(set.applies_to);
    for (auto& cap : set.caps) cap.max = lower(cap.max);
    for (auto& [when, require] : set.checks) {
      when = lower(when);
      require = lower(require);
    }
  }
  for (auto& rule : rule_codes) {
    rule.when = lower(rule.when);
    rule.from = lower(rule.from);
    lower_award(rule.award);
    if (when_is_implied(rule)) rule.when = kNone;
  }
}

/// Two lowered expressions computing the same thing the same way.
bool Program::Impl::same(std::uint32_t x, std::uint32_t y) const {
  if (x == y) return true;
  if (x == kNone || y == kNone) return false;
  const Instr& a = instrs[x];
  const Instr& b = instrs[y];
  if (a.op == Opcode::all_of || a.op == Opcode::any_of) {
    if (a.op != b.op || a.arg[1] != b.arg[1]) return false;
    for (std::uint32_t i = 0; i < a.arg[1]; ++i) {
      if (!same(operands[a.arg[0] + i], operands[b.arg[0] + i])) return false;
    }
    return true;
  }
  return a.op == b.op && a.cmp == b.cmp && a.mode == b.mode && a.has_default == b.has_default &&
         a.default_matches == b.default_matches && a.exponent == b.exponent &&
         a.digits == b.digits && a.slot == b.slot && a.value == b.value &&
         same(a.arg[0], b.arg[0]) && same(a.arg[1], b.arg[1]) && same(a.arg[2], b.arg[2]);
}

/// `when: any(list, C)` in front of `per_item: for_each list where C` (the O11/O21 shape)
/// decides nothing the award does not: the award has an item exactly when some record meets C,
/// and it evaluates C on every record `any` would. Without a recurrence to check in between, the
/// condition is skipped and the list scanned once.
bool Program::Impl::when_is_implied(const RuleCode& rule) const {
  const AwardCode& a = rule.award;
  if (rule.when == kNone || rule.from != kNone || a.kind != AmountKind::per_item || !a.for_each ||
      a.where == kNone) {
    return false;
  }
  const Instr& when = instrs[rule.when];
  return when.op == Opcode::any && when.slot == a.list_slot && same(when.arg[0], a.where);
}

}  // namespace subsidy
