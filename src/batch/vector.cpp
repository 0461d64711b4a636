// Vector-at-a-time evaluation: an instruction over a selection of a block's rows into a buffer of
// int64 values, one tight loop per operation (in the manner of DuckDB's vectors and selection
// vectors). A row that cannot finish in the fixed-point domain raises its `failed` flag, as the
// row interpreter (interpret.cpp) does; its values are then meaningless but harmless.
#include "program.hpp"

namespace subsidy {

namespace {

/// out[j] = a[j] op b(j) under the comparison `cmp`, the switch taken once for the loop.
template <class B>
void compare_into(std::int64_t* out, const std::int64_t* a, B b, Cmp cmp, std::uint32_t n) {
  switch (cmp) {
    case Cmp::ge:
      for (std::uint32_t j = 0; j < n; ++j) out[j] = a[j] >= b(j);
      return;
    case Cmp::gt:
      for (std::uint32_t j = 0; j < n; ++j) out[j] = a[j] > b(j);
      return;
    case Cmp::le:
      for (std::uint32_t j = 0; j < n; ++j) out[j] = a[j] <= b(j);
      return;
    case Cmp::lt:
      for (std::uint32_t j = 0; j < n; ++j) out[j] = a[j] < b(j);
      return;
    case Cmp::eq:
      for (std::uint32_t j = 0; j < n; ++j) out[j] = a[j] == b(j);
      return;
    case Cmp::ne:
      for (std::uint32_t j = 0; j < n; ++j) out[j] = a[j] != b(j);
      return;
  }
}

/// out[j] = a[j] op b(j) by a checked builtin; a row whose result overflows fails (value 0).
template <class B, class Op, class Fail>
void checked_into(std::int64_t* out, const std::int64_t* a, B b, Op op, std::uint32_t n,
                  Fail fail) {
  std::uint8_t overflowed[kBlock];
  bool any = false;
  for (std::uint32_t j = 0; j < n; ++j) {
    std::int64_t r;
    const bool o = op(a[j], b(j), &r);
    out[j] = o ? 0 : r;
    overflowed[j] = o;
    any |= o;
  }
  if (!any) return;
  for (std::uint32_t j = 0; j < n; ++j) {
    if (overflowed[j]) fail(j);
  }
}

// The checked operations as types, so that each kernel's loop inlines its builtin.
struct AddOverflows {
  bool operator()(std::int64_t a, std::int64_t b, std::int64_t* r) const {
    return __builtin_add_overflow(a, b, r);
  }
};
struct SubOverflows {
  bool operator()(std::int64_t a, std::int64_t b, std::int64_t* r) const {
    return __builtin_sub_overflow(a, b, r);
  }
};
struct MulOverflows {
  bool operator()(std::int64_t a, std::int64_t b, std::int64_t* r) const {
    return __builtin_mul_overflow(a, b, r);
  }
};

/// The records of the selected rows' lists (a row without its list has none), in order, up to a
/// block of them at a time: `visit(m, records, index, all)` gets m records, each record's row as
/// its position j in `sel` (index), and the identity selection 0 .. m − 1 (all). While it runs,
/// b.list / b.records / b.owner let vec() read the records' fields.
template <class Block, class Visit>
void record_blocks(const ListColumn& list, const std::uint32_t* sel, std::uint32_t n, Block& b,
                   Visit visit) {
  std::uint32_t* records = b.selection();
  std::uint32_t* owner = b.selection();  // the record's row position
  std::uint32_t* index = b.selection();  // the record's row, as j
  std::uint32_t* all = b.selection();
  for (std::uint32_t t = 0; t < kBlock; ++t) all[t] = t;
  std::uint32_t m = 0;
  auto flush = [&] {
    b.list = &list;
    b.records = records;
    b.owner = owner;
    visit(m, static_cast<const std::uint32_t*>(records), static_cast<const std::uint32_t*>(index),
          static_cast<const std::uint32_t*>(all));
    b.list = nullptr;
    b.records = b.owner = nullptr;
    m = 0;
  };
  for (std::uint32_t j = 0; j < n; ++j) {
    const std::size_t row = b.start + sel[j];
    if (!list.has(row)) continue;
    for (std::uint32_t record = list.offsets[row]; record < list.offsets[row + 1]; ++record) {
      records[m] = record;
      owner[m] = sel[j];
      index[m] = j;
      if (++m == kBlock) flush();
    }
  }
  if (m > 0) flush();
}

}  // namespace

void Program::Impl::vec_column(const FactColumn& col, bool has_default, std::int64_t fallback,
                               const std::uint32_t* sel, std::uint32_t n, std::int64_t* out,
                               Block& b) const {
  if (n == 0) return;
  col.gather(b.start, sel, n, out);
  if (col.all_present(b.start + sel[n - 1] + 1)) return;
  Cursor* rows = b.rows->data();
  for (std::uint32_t j = 0; j < n; ++j) {
    if (col.has(b.start + sel[j])) continue;
    if (has_default) {
      out[j] = fallback;
    } else {
      out[j] = 0;
      rows[sel[j]].failed = true;
    }
  }
}

void Program::Impl::vec_chain(const std::uint32_t* chain, std::uint32_t count, bool is_and,
                              const std::uint32_t* sel, std::uint32_t n, std::int64_t* out,
                              Block& b) const {
  // The rows still undecided: their indexes j and their positions; an operand is evaluated only
  // on them, and a row leaves once an operand decides it (false for and, true for or).
  const std::size_t values_mark = b.values_used, selections_mark = b.selections_used;
  std::uint32_t* undecided = b.selection();
  std::uint32_t* positions = b.selection();
  std::int64_t* v = b.values();
  std::uint32_t m = n;
  for (std::uint32_t j = 0; j < n; ++j) {
    undecided[j] = j;
    positions[j] = sel[j];
    out[j] = is_and ? 1 : 0;
  }
  for (std::uint32_t i = 0; i < count && m > 0; ++i) {
    vec(chain[i], positions, m, v, b);
    // Without branches: a row kept stays undecided (1 for and, 0 for or), a row decided gets
    // the other value, so out = keep for and, !keep for or.
    std::uint32_t kept = 0;
    for (std::uint32_t t = 0; t < m; ++t) {
      const bool keep = (v[t] != 0) == is_and;
      const std::uint32_t j = undecided[t];
      out[j] = is_and ? keep : !keep;
      undecided[kept] = j;
      positions[kept] = positions[t];
      kept += static_cast<std::uint32_t>(keep);
    }
    m = kept;
  }
  b.values_used = values_mark;
  b.selections_used = selections_mark;
}

void Program::Impl::vec(std::uint32_t k, const std::uint32_t* sel, std::uint32_t n,
                        std::int64_t* out, Block& b) const {
  if (n == 0) return;
  const Instr& h = instrs[k];
  Cursor* rows = b.rows->data();
  const FactTable& table = rows[0].table;
  const std::size_t values_mark = b.values_used, selections_mark = b.selections_used;
  const std::uint32_t* owner = b.owner;  // record mode: a record's row
  auto fail = [rows, sel, owner](std::uint32_t j) {
    rows[owner != nullptr ? owner[sel[j]] : sel[j]].failed = true;
  };
  // The row interpreter over the selection, for what has no kernel (in record mode, on the
  // record's row with the record as its cursor's).
  auto one_by_one = [&] {
    for (std::uint32_t j = 0; j < n; ++j) {
      if (owner == nullptr) {
        out[j] = eval(k, rows[sel[j]]);
        continue;
      }
      Cursor& c = rows[owner[sel[j]]];
      c.list = b.list;
      c.record = b.records[sel[j]];
      out[j] = eval(k, c);
      c.list = nullptr;
    }
  };
  if (b.list != nullptr) {
    // Record mode: fields are read from the list; the row's own facts row by row (below).
    switch (h.op) {
      case Opcode::field:
      case Opcode::field_in:
      case Opcode::field_cmp_k:
      case Opcode::present_field:
        vec_field(h, sel, n, out, b);
        return;
      case Opcode::fact:
      case Opcode::year:
      case Opcode::fact_in:
      case Opcode::present_fact:
      case Opcode::present_year:
      case Opcode::present_list:
      case Opcode::sum:
      case Opcode::count:
      case Opcode::any:
      case Opcode::all:
        one_by_one();
        return;
      default:
        break;
    }
  }
  switch (h.op) {
    case Opcode::constant:
      std::fill(out, out + n, h.value);
      return;
    case Opcode::fact:
      vec_column(table.scalar(h.slot), h.has_default, h.value, sel, n, out, b);
      return;
    case Opcode::year:
      vec_column(table.year(), false, 0, sel, n, out, b);
      return;
    case Opcode::fact_in: {
      const FactColumn& col = table.scalar(h.slot);
      vec_column(col, h.has_default, 0, sel, n, out, b);
      for (std::uint32_t j = 0; j < n; ++j) out[j] = in_mask(out[j], h.value);
      if (h.has_default && !col.all_present(b.start + sel[n - 1] + 1)) {
        for (std::uint32_t j = 0; j < n; ++j) {
          if (!col.has(b.start + sel[j])) out[j] = h.default_matches;
        }
      }
      return;
    }
    case Opcode::present_fact:
    case Opcode::present_year: {
      const FactColumn& col = h.op == Opcode::present_year ? table.year() : table.scalar(h.slot);
      for (std::uint32_t j = 0; j < n; ++j) out[j] = col.has(b.start + sel[j]);
      return;
    }
    case Opcode::present_list: {
      const ListColumn& list = table.list(h.slot);
      for (std::uint32_t j = 0; j < n; ++j) out[j] = list.has(b.start + sel[j]);
      return;
    }
    case Opcode::rescale: {
      vec(h.arg[0], sel, n, out, b);
      if (h.digits == 0) return;
      const std::int64_t unit = kPow10[h.digits];
      checked_into(
          out, out, [unit](std::uint32_t) { return unit; }, MulOverflows{}, n, fail);
      return;
    }
    case Opcode::round:
      vec(h.arg[0], sel, n, out, b);
      for (std::uint32_t j = 0; j < n; ++j) out[j] = scale_down(out[j], h.digits, h.mode);
      return;
    case Opcode::add:
    case Opcode::sub:
    case Opcode::mul: {
      vec(h.arg[0], sel, n, out, b);
      const Instr& right = instrs[h.arg[1]];
      if (right.op == Opcode::constant) {
        const std::int64_t c = right.value;
        auto k_of = [c](std::uint32_t) { return c; };
        if (h.op == Opcode::add) checked_into(out, out, k_of, AddOverflows{}, n, fail);
        if (h.op == Opcode::sub) checked_into(out, out, k_of, SubOverflows{}, n, fail);
        if (h.op == Opcode::mul) checked_into(out, out, k_of, MulOverflows{}, n, fail);
        return;
      }
      std::int64_t* t = b.values();
      vec(h.arg[1], sel, n, t, b);
      auto t_of = [t](std::uint32_t j) { return t[j]; };
      if (h.op == Opcode::add) checked_into(out, out, t_of, AddOverflows{}, n, fail);
      if (h.op == Opcode::sub) checked_into(out, out, t_of, SubOverflows{}, n, fail);
      if (h.op == Opcode::mul) checked_into(out, out, t_of, MulOverflows{}, n, fail);
      b.values_used = values_mark;
      return;
    }
    case Opcode::neg: {
      std::int64_t* t = b.values();
      vec(h.arg[0], sel, n, t, b);
      std::fill(out, out + n, 0);
      checked_into(
          out, out, [t](std::uint32_t j) { return t[j]; }, SubOverflows{}, n, fail);
      b.values_used = values_mark;
      return;
    }
    case Opcode::min:
    case Opcode::max: {
      vec(h.arg[0], sel, n, out, b);
      std::int64_t* t = b.values();
      vec(h.arg[1], sel, n, t, b);
      if (h.op == Opcode::min) {
        for (std::uint32_t j = 0; j < n; ++j) out[j] = t[j] < out[j] ? t[j] : out[j];
      } else {
        for (std::uint32_t j = 0; j < n; ++j) out[j] = t[j] > out[j] ? t[j] : out[j];
      }
      b.values_used = values_mark;
      return;
    }
    case Opcode::if_: {
      // The condition, then each branch on the rows that take it; merged back in order.
      vec(h.arg[0], sel, n, out, b);
      std::uint32_t* yes = b.selection();
      std::uint32_t* no = b.selection();
      std::uint32_t n_yes = 0, n_no = 0;
      for (std::uint32_t j = 0; j < n; ++j) {
        if (out[j] != 0) {
          yes[n_yes++] = sel[j];
        } else {
          no[n_no++] = sel[j];
        }
      }
      std::int64_t* v_yes = b.values();
      std::int64_t* v_no = b.values();
      vec(h.arg[1], yes, n_yes, v_yes, b);
      vec(h.arg[2], no, n_no, v_no, b);
      std::uint32_t p_yes = 0, p_no = 0;
      for (std::uint32_t j = 0; j < n; ++j) out[j] = out[j] != 0 ? v_yes[p_yes++] : v_no[p_no++];
      b.values_used = values_mark;
      b.selections_used = selections_mark;
      return;
    }
    case Opcode::and_:
    case Opcode::or_:
      vec_chain(h.arg, 2, h.op == Opcode::and_, sel, n, out, b);
      return;
    case Opcode::all_of:
    case Opcode::any_of:
      vec_chain(operands.data() + h.arg[0], h.arg[1], h.op == Opcode::all_of, sel, n, out, b);
      return;
    case Opcode::not_:
      vec(h.arg[0], sel, n, out, b);
      for (std::uint32_t j = 0; j < n; ++j) out[j] = out[j] == 0;
      return;
    case Opcode::cmp: {
      vec(h.arg[0], sel, n, out, b);
      std::int64_t* t = b.values();
      vec(h.arg[1], sel, n, t, b);
      compare_into(
          out, out, [t](std::uint32_t j) { return t[j]; }, h.cmp, n);
      b.values_used = values_mark;
      return;
    }
    case Opcode::cmp_k: {
      vec(h.arg[0], sel, n, out, b);
      const std::int64_t c = h.value;
      compare_into(
          out, out, [c](std::uint32_t) { return c; }, h.cmp, n);
      return;
    }
    case Opcode::in:
      vec(h.arg[0], sel, n, out, b);
      for (std::uint32_t j = 0; j < n; ++j) out[j] = in_mask(out[j], h.value);
      return;
    case Opcode::sum:
    case Opcode::count:
    case Opcode::any:
    case Opcode::all:
      vec_list(h, sel, n, out, b);
      return;
    default:
      // Last year's facts, text sets: row by row.
      one_by_one();
      return;
  }
}

void Program::Impl::vec_field(const Instr& h, const std::uint32_t* sel, std::uint32_t n,
                              std::int64_t* out, Block& b) const {
  const FactColumn& col = b.list->fields[h.slot];
  std::uint32_t* at = b.selection();
  for (std::uint32_t j = 0; j < n; ++j) at[j] = b.records[sel[j]];
  if (h.op == Opcode::present_field) {
    for (std::uint32_t j = 0; j < n; ++j) out[j] = col.has(at[j]);
    --b.selections_used;
    return;
  }
  col.gather(0, at, n, out);
  if (!col.all_present(std::size_t{at[n - 1]} + 1)) {
    Cursor* rows = b.rows->data();
    for (std::uint32_t j = 0; j < n; ++j) {
      if (!col.has(at[j])) rows[b.owner[sel[j]]].failed = true;
    }
  }
  --b.selections_used;
  if (h.op == Opcode::field_in) {
    for (std::uint32_t j = 0; j < n; ++j) out[j] = in_mask(out[j], h.value);
  } else if (h.op == Opcode::field_cmp_k) {
    const std::int64_t c = h.value;
    compare_into(
        out, out, [c](std::uint32_t) { return c; }, h.cmp, n);
  }
}

void Program::Impl::vec_list(const Instr& h, const std::uint32_t* sel, std::uint32_t n,
                             std::int64_t* out, Block& b) const {
  Cursor* rows = b.rows->data();
  const ListColumn& list = rows[0].table.list(h.slot);
  const std::size_t values_mark = b.values_used, selections_mark = b.selections_used;
  // Each row's records [from[j], to[j]); an absent list is empty when it has a default.
  std::uint32_t* from = b.selection();
  std::uint32_t* to = b.selection();
  for (std::uint32_t j = 0; j < n; ++j) {
    const std::size_t row = b.start + sel[j];
    from[j] = to[j] = 0;
    if (list.has(row)) {
      from[j] = list.offsets[row];
      to[j] = list.offsets[row + 1];
    } else if (!h.has_default) {
      rows[sel[j]].failed = true;
    }
    out[j] = h.op == Opcode::all ? 1 : 0;
  }
  // The operand evaluated on every record (where: sum's arg[1], count's arg[0]).
  const std::uint32_t where = h.op == Opcode::sum ? h.arg[1] : h.arg[0];
  if (h.op == Opcode::count && where == kNone) {
    for (std::uint32_t j = 0; j < n; ++j) out[j] = to[j] - from[j];
    b.selections_used = selections_mark;
    return;
  }
  if ((h.op == Opcode::any || h.op == Opcode::count) && instrs[where].op == Opcode::field_in) {
    // any / count of records whose enumeration field is in a set: one loop over the records.
    const FactColumn& field = list.fields[instrs[where].slot];
    const std::int64_t mask = instrs[where].value;
    for (std::uint32_t j = 0; j < n; ++j) {
      for (std::uint32_t i = from[j]; i < to[j]; ++i) {
        if (!field.has(i)) {
          rows[sel[j]].failed = true;
          break;
        }
        if (in_mask(field.at(i), mask)) {
          ++out[j];
          if (h.op == Opcode::any) break;
        }
      }
    }
    b.selections_used = selections_mark;
    return;
  }
  std::uint32_t* kept = b.selection();
  std::int64_t* v = b.values();
  std::int64_t* w = b.values();
  // Records in order, a block at a time: reductions see them as a row loop would.
  record_blocks(list, sel, n, b,
                [&](std::uint32_t m, const std::uint32_t*, const std::uint32_t* index,
                    const std::uint32_t* all) {
                  const std::uint32_t* on = all;
                  std::uint32_t count = m;
                  if (where != kNone && h.op != Opcode::any && h.op != Opcode::all) {
                    vec(where, all, m, w, b);
                    count = 0;
                    for (std::uint32_t t = 0; t < m; ++t) {
                      if (w[t] != 0) kept[count++] = t;
                    }
                    on = kept;
                  }
                  if (h.op == Opcode::sum) {
                    vec(h.arg[0], on, count, v, b);
                    for (std::uint32_t t = 0; t < count; ++t) {
                      std::int64_t& acc = out[index[on[t]]];
                      if (__builtin_add_overflow(acc, v[t], &acc)) {
                        acc = 0;
                        rows[sel[index[on[t]]]].failed = true;
                      }
                    }
                  } else if (h.op == Opcode::count) {
                    for (std::uint32_t t = 0; t < count; ++t) ++out[index[on[t]]];
                  } else {
                    vec(where, all, m, v, b);
                    const bool any = h.op == Opcode::any;
                    for (std::uint32_t t = 0; t < m; ++t) {
                      if ((v[t] != 0) == any) out[index[t]] = any ? 1 : 0;
                    }
                  }
                });
  b.values_used = values_mark;
  b.selections_used = selections_mark;
}

void Program::Impl::precompute_where(const AwardCode& a, const std::uint32_t* sel, std::uint32_t n,
                                     Block& b) const {
  const ListColumn& list = (*b.rows)[0].table.list(a.list_slot);
  std::uint32_t base = std::numeric_limits<std::uint32_t>::max(), end = 0;
  for (std::uint32_t j = 0; j < n; ++j) {
    const std::size_t row = b.start + sel[j];
    if (!list.has(row) || list.offsets[row] == list.offsets[row + 1]) continue;
    base = std::min(base, list.offsets[row]);
    end = std::max(end, list.offsets[row + 1]);
  }
  if (end <= base) return;
  const std::size_t mark = b.selections_used, values_mark = b.values_used;
  b.where_values.assign(end - base, 0);
  std::int64_t* v = b.values();
  record_blocks(list, sel, n, b,
                [&](std::uint32_t m, const std::uint32_t* records, const std::uint32_t*,
                    const std::uint32_t* all) {
                  vec(a.where, all, m, v, b);
                  for (std::uint32_t t = 0; t < m; ++t) b.where_values[records[t] - base] = v[t];
                });
  b.where = a.where;
  b.where_base = base;
  b.selections_used = mark;
  b.values_used = values_mark;
}

void Program::Impl::precompute(const RuleCode& rule, const std::uint32_t* sel, std::uint32_t n,
                               Block& b) const {
  // With a recurrence, the years are checked before the award is read: the award's values are
  // then read row by row, so that a row outside its years is not failed by them.
  if (rule.from != kNone) return;
  auto cache = [&](std::uint32_t k) {
    if (k == kNone || instrs[k].op == Opcode::constant) return;
    std::int64_t* dense = b.values();
    std::int64_t* by_pos = b.values();
    vec(k, sel, n, dense, b);
    for (std::uint32_t j = 0; j < n; ++j) by_pos[sel[j]] = dense[j];
    b.cached.emplace_back(k, by_pos);
  };
  const AwardCode& a = rule.award;
  switch (a.kind) {
    case AmountKind::fixed:
    case AmountKind::formula:
    case AmountKind::rate_of_base:
    case AmountKind::tiers:
      cache(a.a);
      return;
    case AmountKind::band:
      cache(a.a);
      cache(a.b);
      return;
    case AmountKind::per_item:
      if (!a.for_each) cache(a.a);
      if (a.for_each && a.where != kNone) precompute_where(a, sel, n, b);
      return;
    case AmountKind::unfixed:
    case AmountKind::honour:
      return;
  }
}

}  // namespace subsidy
