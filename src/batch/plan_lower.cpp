// Lowering: plan nodes → the interpreter's instructions, small and with their arguments inline;
// common leaves fused (a field compared with a constant, an enumeration in a set), and/or chains
// flattened.
#include "program.hpp"

namespace subsidy {

std::uint32_t Program::Impl::emit(const Hot& h) {
  hot.push_back(h);
  return static_cast<std::uint32_t>(hot.size() - 1);
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
void Program::Impl::flatten(std::uint32_t k, N op, std::vector<std::uint32_t>& chain) {
  if (nodes[k].op != op) {
    chain.push_back(lower(k));
    return;
  }
  for (std::uint32_t a : nodes[k].args) flatten(a, op, chain);
}

std::uint32_t Program::Impl::lower(std::uint32_t k) {
  if (k == kNone) return kNone;
  if (lowered[k] != kNone) return lowered[k];
  const Node& n = nodes[k];
  Hot h;
  h.exponent = n.exponent;
  h.shift = n.shift;
  h.cmp = n.cmp;
  h.mode = n.mode;
  h.slot = static_cast<std::uint32_t>(n.slot);
  h.value = n.value;
  h.flag = n.has_default;
  auto arg = [&](std::size_t i) { return i < n.args.size() ? lower(n.args[i]) : kNone; };
  switch (n.op) {
    case N::constant:
      h.op = H::constant;
      break;
    case N::fact:
      h.op = H::fact;
      break;
    case N::last_year:
      h.op = H::last_year;
      break;
    case N::field:
      h.op = H::field;
      break;
    case N::year:
      h.op = H::year;
      break;
    case N::rescale:
      h.op = H::rescale;
      h.a = arg(0);
      break;
    case N::round:
      h.op = H::round;
      h.a = arg(0);
      break;
    case N::add:
      h.op = H::add;
      h.a = arg(0);
      h.b = arg(1);
      break;
    case N::sub:
      h.op = H::sub;
      h.a = arg(0);
      h.b = arg(1);
      break;
    case N::mul:
      h.op = H::mul;
      h.a = arg(0);
      h.b = arg(1);
      break;
    case N::neg:
      h.op = H::neg;
      h.a = arg(0);
      break;
    case N::min:
    case N::max: {
      // n-ary min/max as a chain of binary ones, in argument order.
      std::uint32_t acc = arg(0);
      for (std::size_t i = 1; i < n.args.size(); ++i) {
        Hot m = h;
        m.op = n.op == N::min ? H::min : H::max;
        m.a = acc;
        m.b = arg(i);
        acc = emit(m);
      }
      lowered[k] = acc;
      return acc;
    }
    case N::if_:
      h.op = H::if_;
      h.a = arg(0);
      h.b = arg(1);
      h.c = arg(2);
      break;
    case N::sum:
    case N::count:
    case N::any:
    case N::all:
      h.op = n.op == N::sum     ? H::sum
             : n.op == N::count ? H::count
             : n.op == N::any   ? H::any
                                : H::all;
      h.slot = static_cast<std::uint32_t>(nodes[n.args[0]].slot);
      h.flag = nodes[n.args[0]].has_default;
      h.a = arg(1);
      h.b = arg(2);
      break;
    case N::present_fact:
      h.op = r.facts[n.slot].unit.kind == UnitKind::list ? H::present_list : H::present_fact;
      break;
    case N::present_field:
      h.op = H::present_field;
      break;
    case N::present_year:
      h.op = H::present_year;
      break;
    case N::and_:
    case N::or_: {
      // A chain `a and b and c` (nested either way) becomes one node over its operands, in
      // order: short-circuit evaluation is associative, so the same operands are evaluated.
      std::vector<std::uint32_t> chain;
      flatten(k, n.op, chain);
      const bool is_and = n.op == N::and_;
      if (chain.size() == 2) {
        h.op = is_and ? H::and_ : H::or_;
        h.a = chain[0];
        h.b = chain[1];
      } else {
        h.op = is_and ? H::all_of : H::any_of;
        h.a = static_cast<std::uint32_t>(operands.size());
        h.b = static_cast<std::uint32_t>(chain.size());
        operands.insert(operands.end(), chain.begin(), chain.end());
      }
      break;
    }
    case N::not_:
      h.op = H::not_;
      h.a = arg(0);
      break;
    case N::text_in:
      h.op = n.of_field ? H::text_field_in : H::text_fact_in;
      break;
    case N::cmp: {
      const Node& left = nodes[n.args[0]];
      const Node& right = nodes[n.args[1]];
      if (right.op == N::constant && left.op == N::field) {
        h.op = H::field_cmp_k;
        h.slot = static_cast<std::uint32_t>(left.slot);
        h.value = right.value;
      } else if (right.op == N::constant) {
        h.op = H::cmp_k;
        h.a = arg(0);
        h.value = right.value;
      } else {
        h.op = H::cmp;
        h.a = arg(0);
        h.b = arg(1);
      }
      break;
    }
    case N::in: {
      const Node& column = nodes[n.args[0]];
      h.value = mask_of(n.codes);
      if (column.op == N::field) {
        h.op = H::field_in;
        h.slot = static_cast<std::uint32_t>(column.slot);
      } else if (column.op == N::fact) {
        h.op = H::fact_in;
        h.slot = static_cast<std::uint32_t>(column.slot);
        h.flag = column.has_default;
        h.shift = column.has_default && in_mask(column.value, h.value) ? 1 : 0;
      } else {
        h.op = H::in;
        h.a = arg(0);
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
  const Hot& a = hot[x];
  const Hot& b = hot[y];
  if (a.op == H::all_of || a.op == H::any_of) {
    if (a.op != b.op || a.b != b.b) return false;
    for (std::uint32_t i = 0; i < a.b; ++i) {
      if (!same(operands[a.a + i], operands[b.a + i])) return false;
    }
    return true;
  }
  return a.op == b.op && a.cmp == b.cmp && a.mode == b.mode && a.flag == b.flag &&
         a.exponent == b.exponent && a.shift == b.shift && a.slot == b.slot && a.value == b.value &&
         same(a.a, b.a) && same(a.b, b.b) && same(a.c, b.c);
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
  const Hot& when = hot[rule.when];
  return when.op == H::any && when.slot == a.list_slot && same(when.a, a.where);
}

}  // namespace subsidy
