// Interpreting: the instructions over a row's columns, and the fixed-point domain through which
// the award semantics (semantics.hpp) compute a row's lines.
#include "program.hpp"

namespace subsidy {

/// sum / count / any / all over a list: out of eval() so that eval's frame stays small (its
/// prologue and epilogue are paid on every node).
std::int64_t Program::Impl::eval_list(const Instr& n, Cursor& c) const {
  const ListColumn& list = c.table.list(n.slot);
  std::uint32_t from = 0, to = 0;
  if (list.has(c.row)) {
    from = list.offsets[c.row];
    to = list.offsets[c.row + 1];
  } else if (!n.has_default) {
    return c.fail();
  }
  if ((n.op == Opcode::any || n.op == Opcode::count) && n.arg[0] != kNone &&
      instrs[n.arg[0]].op == Opcode::field_in) {
    // any / count of records whose enumeration field is in a set: one tight loop.
    const FactColumn& field = list.fields[instrs[n.arg[0]].slot];
    const std::int64_t mask = instrs[n.arg[0]].value;
    std::int64_t hits = 0;
    for (std::uint32_t i = from; i < to; ++i) {
      if (!field.has(i)) return c.fail();
      if (in_mask(field.at(i), mask)) {
        if (n.op == Opcode::any) return 1;
        ++hits;
      }
    }
    return hits;
  }
  const ListColumn* saved_list = c.list;
  const std::size_t saved_record = c.record;
  c.list = &list;
  std::int64_t acc = n.op == Opcode::all ? 1 : 0;
  for (std::uint32_t i = from; i < to; ++i) {
    c.record = i;
    if (n.op == Opcode::sum) {
      if (n.arg[1] != kNone && !eval(n.arg[1], c)) continue;
      acc = checked_add(acc, eval(n.arg[0], c), c.failed);
    } else if (n.op == Opcode::count) {
      if (n.arg[0] != kNone && !eval(n.arg[0], c)) continue;
      ++acc;
    } else {
      const bool v = eval(n.arg[0], c) != 0;
      if (n.op == Opcode::any && v) {
        acc = 1;
        break;
      }
      if (n.op == Opcode::all && !v) {
        acc = 0;
        break;
      }
    }
  }
  c.list = saved_list;
  c.record = saved_record;
  return acc;
}

std::int64_t Program::Impl::eval(std::uint32_t k, Cursor& c) const {
  const Instr& n = instrs[k];
  switch (n.op) {
    case Opcode::constant:
    case Opcode::fact:
    case Opcode::field:
    case Opcode::field_cmp_k:
    case Opcode::field_in:
      return operand(k, c);  // the leaves, computed inline there
    case Opcode::year: {
      const FactColumn& col = c.table.year();
      if (!col.has(c.row)) return c.fail();
      return col.at(c.row);
    }
    case Opcode::last_year: {
      // A previous row kept exact has no usable columns: the reference path reads its facts.
      if (c.previous == kNoRow || c.table.exact_only(c.previous)) return c.fail();
      const FactColumn& col = c.table.scalar(n.slot);
      if (col.has(c.previous)) return col.at(c.previous);
      if (n.has_default) return n.value;
      return c.fail();
    }
    case Opcode::rescale:
      return scale_up(eval(n.arg[0], c), n.digits, c.failed);
    case Opcode::round:
      return scale_down(eval(n.arg[0], c), n.digits, n.mode);
    case Opcode::add: {
      const std::int64_t a = operand(n.arg[0], c);
      return checked_add(a, operand(n.arg[1], c), c.failed);
    }
    case Opcode::sub: {
      const std::int64_t a = operand(n.arg[0], c);
      return checked_sub(a, operand(n.arg[1], c), c.failed);
    }
    case Opcode::mul: {
      const std::int64_t a = operand(n.arg[0], c);
      return checked_mul(a, operand(n.arg[1], c), c.failed);
    }
    case Opcode::neg:
      return checked_sub(0, eval(n.arg[0], c), c.failed);
    case Opcode::min: {
      const std::int64_t a = eval(n.arg[0], c);
      const std::int64_t b = eval(n.arg[1], c);
      return b < a ? b : a;
    }
    case Opcode::max: {
      const std::int64_t a = eval(n.arg[0], c);
      const std::int64_t b = eval(n.arg[1], c);
      return b > a ? b : a;
    }
    case Opcode::if_:
      return eval(n.arg[0], c) ? eval(n.arg[1], c) : eval(n.arg[2], c);
    case Opcode::sum:
    case Opcode::count:
    case Opcode::any:
    case Opcode::all:
      return eval_list(n, c);
    case Opcode::present_fact:
      return c.table.scalar(n.slot).has(c.row);
    case Opcode::present_list:
      return c.table.list(n.slot).has(c.row);
    case Opcode::present_field:
      return c.list != nullptr && c.list->fields[n.slot].has(c.record);
    case Opcode::present_year:
      return c.table.year().has(c.row);
    case Opcode::and_:
      return operand(n.arg[0], c) && operand(n.arg[1], c);
    case Opcode::or_:
      return operand(n.arg[0], c) || operand(n.arg[1], c);
    case Opcode::all_of:
      for (std::uint32_t i = n.arg[0]; i < n.arg[0] + n.arg[1]; ++i) {
        if (!operand(operands[i], c)) return 0;
      }
      return 1;
    case Opcode::any_of:
      for (std::uint32_t i = n.arg[0]; i < n.arg[0] + n.arg[1]; ++i) {
        if (operand(operands[i], c)) return 1;
      }
      return 0;
    case Opcode::not_:
      return !operand(n.arg[0], c);
    case Opcode::cmp: {
      const std::int64_t a = eval(n.arg[0], c);
      return compare(a, eval(n.arg[1], c), n.cmp);
    }
    case Opcode::cmp_k:
      return compare(operand(n.arg[0], c), n.value, n.cmp);
    case Opcode::in:
      return in_mask(eval(n.arg[0], c), n.value);
    case Opcode::fact_in: {
      const FactColumn& col = c.table.scalar(n.slot);
      if (col.has(c.row)) return in_mask(col.at(c.row), n.value);
      if (n.has_default) return n.default_matches;
      return c.fail();
    }
    case Opcode::text_fact_in: {
      const FactColumn& col = c.table.scalar(n.slot);
      if (col.has(c.row)) return text_in(col, col.at(c.row), n.value);
      if (n.has_default) return n.default_matches;
      return c.fail();
    }
    case Opcode::text_field_in: {
      const FactColumn& col = c.list->fields[n.slot];
      if (!col.has(c.record)) return c.fail();
      return text_in(col, col.at(c.record), n.value);
    }
    case Opcode::text_in:
      break;  // a plan operation: lowered to text_fact_in or text_field_in
  }
  return 0;
}

/// True when the dictionary code `code` of a text column is one of text_sets[set].
bool Program::Impl::text_in(const FactColumn& col, std::int64_t code, std::int64_t set) const {
  const std::string& text = col.dictionary.at(static_cast<std::size_t>(code));
  const auto& texts_in = text_sets[static_cast<std::size_t>(set)];
  return std::find(texts_in.begin(), texts_in.end(), text) != texts_in.end();
}

/// Evaluates one rule for the row; appends its line (if any). A row the fixed-point
/// domain cannot finish raises c.failed.
void Program::Impl::run_rule(std::uint32_t index, Cursor& c, std::vector<ColumnarLine>& out) const {
  const RuleCode& rule = rule_codes[index];
  FixedDomain d{*this, c};
  FixedDomain::Result o;
  if (detail::rule_outcome(d, rule, o) != detail::NoLine::none) return;
  if (o.items > std::numeric_limits<std::int32_t>::max()) {
    c.fail();  // more items than a line counts: the exact domain keeps the row whole
    return;
  }
  ColumnarLine line;
  line.rule = index;
  line.status = o.status;
  line.tier = o.tier;
  line.text = o.text;
  line.items = static_cast<std::int32_t>(o.items);
  if (o.status == LineStatus::exact || o.status == LineStatus::band) {
    line.min = o.min.v;  // rounded: at the result's exponent
    line.max = o.max.v;
  }
  out.push_back(line);
}

void Program::Impl::interactions(const SetCode& set, Cursor& c, std::vector<ColumnarLine>& out,
                                 std::size_t first) const {
  auto line_of = [&](std::uint32_t rule) -> ColumnarLine* {
    for (std::size_t i = first; i < out.size(); ++i) {
      if (!out[i].withheld && out[i].rule == rule) return &out[i];
    }
    return nullptr;
  };
  for (const auto& ex : set.exclusions) {
    ColumnarLine* present[16];
    std::size_t member[16];  ///< the position of present[i] in the exclusion
    std::size_t n = 0;
    for (std::size_t m = 0; m < ex.rules.size(); ++m) {
      if (ColumnarLine* l = line_of(ex.rules[m])) {
        if (n == 16) {
          c.fail();
          return;
        }
        member[n] = m;
        present[n++] = l;
      }
    }
    if (n < 2) continue;
    const std::size_t keep = detail::kept_line(n, ex.higher, [&](std::size_t i, std::size_t j) {
      return present[j]->max < present[i]->max;
    });
    for (std::size_t i = 0; i < n; ++i) {
      if (i == keep) continue;
      present[i]->withheld = true;
      present[i]->note = ex.notes[member[keep]];
    }
  }
  FixedDomain d{*this, c};
  for (const auto& cap : set.caps) {
    detail::apply_cap<FixedDomain, ColumnarLine>(
        d, d.value(cap.max), cap.rules.size(),
        [&](std::size_t k) -> ColumnarLine* {
          ColumnarLine* l = line_of(cap.rules[k]);
          const bool money =
              l && l->status != LineStatus::unfixed && l->status != LineStatus::recognised;
          return money ? l : nullptr;
        },
        [&](ColumnarLine& l, const Fixed&, const Fixed& before_max) {
          // The amount before, written as the rule rounded it (when that loses nothing).
          const Decimal at_result = Decimal::from_scaled_int64(before_max.v, before_max.e);
          const Decimal rounded = at_result.quantize(rule_codes[l.rule].rounding_exponent);
          l.note = text_index(
              c.chunk, detail::cap_note(r.caps[cap.cap], rounded == at_result ? rounded : at_result,
                                        Decimal::from_scaled_int64(l.max, exponent)));
        });
  }
}

/// The rows of `sel` that can have an item of the rule's per-item award over a list (`where`
/// computed over the block): a row none of whose records qualifies gives no line, so it is left
/// out; a row without the list stays (the semantics decide: a default, or the exact domain).
std::uint32_t Program::Impl::with_items(const RuleCode& rule, std::uint32_t* sel, std::uint32_t n,
                                        const Block& b) const {
  const AwardCode& a = rule.award;
  if (rule.from != kNone || a.kind != AmountKind::per_item || !a.for_each || a.where == kNone) {
    return n;
  }
  const ListColumn& list = (*b.rows)[0].table.list(a.list_slot);
  const bool computed = b.where == a.where;
  std::uint32_t kept = 0;
  for (std::uint32_t j = 0; j < n; ++j) {
    const std::size_t row = b.start + sel[j];
    bool keep = !list.has(row);
    if (!keep && computed) {
      for (std::uint32_t i = list.offsets[row]; i < list.offsets[row + 1] && !keep; ++i) {
        keep = b.where_values[i - b.where_base] != 0;
      }
    }
    if (keep) sel[kept++] = sel[j];
  }
  return kept;
}

/// True when the rule's line, once its condition holds, is the same for every row: no years to
/// check, and an award that reads no fact (words, or a fixed amount).
bool Program::Impl::row_independent(const RuleCode& rule) const {
  if (rule.from != kNone) return false;
  const AwardCode& a = rule.award;
  switch (a.kind) {
    case AmountKind::unfixed:
    case AmountKind::honour:
      return true;
    case AmountKind::fixed:
    case AmountKind::formula:
    case AmountKind::rate_of_base:
      return a.a != kNone && instrs[a.a].op == Opcode::constant;
    default:
      return false;
  }
}

void Program::Impl::run_block(Block& b, const std::vector<std::uint32_t>& sel,
                              std::vector<std::vector<ColumnarLine>>& lines) const {
  std::vector<Cursor>& rows = *b.rows;
  const std::size_t values_mark = b.values_used, selections_mark = b.selections_used;
  std::uint32_t* in_set = b.selection();
  std::uint32_t* chosen = b.selection();
  std::int64_t* v = b.values();
  // The rows of `from` that have not failed and where instruction k (if any) holds, into `to`.
  auto select = [&](std::uint32_t k, const std::uint32_t* from, std::uint32_t n,
                    std::uint32_t* to) {
    // Without branches: which rows stay is data, not something to predict.
    std::uint32_t m = 0;
    for (std::uint32_t j = 0; j < n; ++j) {
      to[m] = from[j];
      m += static_cast<std::uint32_t>(!rows[from[j]].failed);
    }
    if (k == kNone) return m;
    vec(k, to, m, v, b);
    std::uint32_t kept = 0;
    for (std::uint32_t j = 0; j < m; ++j) {
      const std::uint32_t position = to[j];
      to[kept] = position;
      kept += static_cast<std::uint32_t>(v[j] != 0 && !rows[position].failed);
    }
    return kept;
  };
  for (const SetCode& set : sets) {
    if (set.applies_to == kNone && set.rules.empty() && set.checks.empty()) continue;
    const std::uint32_t n_in =
        select(set.applies_to, sel.data(), static_cast<std::uint32_t>(sel.size()), in_set);
    for (std::uint32_t j = 0; j < n_in; ++j) b.first[in_set[j]] = lines[in_set[j]].size();
    for (std::uint32_t rule : set.rules) {
      const RuleCode& code = rule_codes[rule];
      const std::uint32_t n = select(code.when, in_set, n_in, chosen);
      if (n == 0) continue;
      std::uint32_t j = 0;
      if (row_independent(code)) {
        // The same line for every row selected: the semantics run on the first row; the
        // others get a copy (a row that failed there is finished row by row below).
        Cursor& c = rows[chosen[0]];
        std::vector<ColumnarLine>& out = lines[chosen[0]];
        const std::size_t before = out.size();
        c.selected = true;
        run_rule(rule, c, out);
        c.selected = false;
        if (c.failed) continue;
        for (j = 1; j < n; ++j) {
          if (rows[chosen[j]].failed) continue;
          if (out.size() > before) lines[chosen[j]].push_back(out.back());
        }
        continue;
      }
      const std::size_t rule_mark = b.values_used;
      precompute(code, chosen, n, b);
      const std::uint32_t m = with_items(code, chosen, n, b);
      for (; j < m; ++j) {
        Cursor& c = rows[chosen[j]];
        if (c.failed) continue;
        c.selected = true;
        run_rule(rule, c, lines[chosen[j]]);
        c.selected = false;
      }
      b.cached.clear();
      b.where = kNone;
      b.values_used = rule_mark;
    }
    if (!set.exclusions.empty() || !set.caps.empty()) {
      for (std::uint32_t j = 0; j < n_in; ++j) {
        Cursor& c = rows[in_set[j]];
        if (!c.failed) interactions(set, c, lines[in_set[j]], b.first[in_set[j]]);
      }
    }
    // Checks give findings, which the batch results leave out; they still run, because a check
    // that cannot be evaluated (a missing fact) makes the exact domain report an error.
    for (const auto& [check_when, require] : set.checks) {
      const std::uint32_t n = select(check_when, in_set, n_in, chosen);
      vec(require, chosen, n, v, b);
    }
  }
  b.values_used = values_mark;
  b.selections_used = selections_mark;
}

}  // namespace subsidy
