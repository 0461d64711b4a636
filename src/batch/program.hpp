// The batch program's one internal header: the plan (PlanNode, from the compiled rules and a
// scenario), its lowered instructions (Instr), the award/rule/set code over them, and
// Program::Impl, whose passes are defined in the files named after them:
//   plan_compile.cpp   CompiledRules + scenario → plan nodes and award code (constants folded,
//                      exponents aligned), or "unsupported" for a construct it does not take;
//   plan_lower.cpp     plan nodes → instructions (fused leaves, flattened and/or chains);
//   vector.cpp         the vector kernels: an instruction over a block's selection of rows;
//   interpret.cpp      a block's run (selections, award values), the row interpreter and the
//                      fixed-point domain of the award semantics (semantics.hpp);
//   result_merge.cpp   rows by year and chunk, rows finished by the exact domain, merged results.
// fact_table.cpp holds the columns the program reads (include/subsidy/columnar.hpp).
#pragma once

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../compiled.hpp"
#include "../prepared.hpp"
#include "../rounding.hpp"
#include "../semantics.hpp"
#include "checked.hpp"
#include "subsidy/columnar.hpp"
#include "text_table.hpp"

namespace subsidy {
namespace batch {

using detail::Cmp;
using detail::CompiledAward;
using detail::CompiledRules;
using detail::Expr;
using detail::Op;
using detail::RefKind;

inline std::int32_t checked_shift(std::int32_t digits) {
  if (digits < 0 || digits > 18)
    refuse("an exponent difference of " + std::to_string(digits) + " digits");
  return digits;
}

inline std::int64_t date_code(const Date& d) {
  return std::int64_t{d.year} * 10000 + d.month * 100 + d.day;
}
inline Date date_of(std::int64_t code) {
  Date d;
  d.year = static_cast<int>(code / 10000);
  d.month = static_cast<int>(code / 100 % 100);
  d.day = static_cast<int>(code % 100);
  return d;
}

// ---- nodes
// ---------------------------------------------------------------------------------------

enum class Kind : std::uint8_t { number, boolean, code, date, list, text };

// Sums of int64 amounts over a whole batch.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

constexpr std::uint32_t kNone = static_cast<std::uint32_t>(-1);
constexpr std::size_t kNoRow = static_cast<std::size_t>(-1);
constexpr std::size_t kBlock = 1024;  ///< rows evaluated vector-at-a-time

/// The operations of the plan and of the interpreter, one enumeration for both: a plan node
/// uses the plain operations; lowering adds the fused ones (cmp_k, fact_in, field_in,
/// field_cmp_k, all_of, any_of, text_fact_in, text_field_in) and replaces text_in.
enum class Opcode : std::uint8_t {
  constant,
  fact,
  field,
  year,
  rescale,
  round,
  add,
  sub,
  mul,
  neg,
  min,
  max,
  if_,
  sum,
  count,
  any,
  all,
  present_fact,
  present_list,
  present_field,
  present_year,
  and_,
  or_,
  not_,
  cmp,
  cmp_k,
  in,
  fact_in,
  field_in,
  field_cmp_k,
  last_year,
  all_of,         ///< a and b and …: operands[a .. a + b), flattened
  any_of,         ///< a or b or …
  text_fact_in,   ///< the text fact `slot` is one of text_sets[value]
  text_field_in,  ///< the text field `slot` of the record is one of text_sets[value]
  text_in,        ///< plan: a text fact or field among some texts (slot; value: the text set)
};

struct PlanNode {
  Opcode op = Opcode::constant;
  Kind kind = Kind::number;
  Cmp cmp = Cmp::eq;
  Rounding mode = Rounding::half_up;
  bool has_default = false;      ///< fact: a default stands in for an absent value
  bool of_field = false;         ///< text_in: a field of the list record, not a fact
  bool default_matches = false;  ///< text_in: the fact's default is among the texts
  std::int32_t exponent = 0;     ///< numbers: the value is an int64 count of 10^exponent
  std::int32_t digits = 0;       ///< rescale / round: the digits to scale by
  std::int64_t value = 0;        ///< constant; fact: the default
  std::size_t slot = 0;          ///< fact slot, field index
  std::vector<std::uint32_t> args;
  std::vector<std::int64_t> codes;                   ///< in: the codes that match
  std::string text;                                  ///< text constants (folded away)
  const std::vector<std::string>* values = nullptr;  ///< code: enumeration values
};

/// One instruction of the interpreter: small, arguments inline (indexes of other instructions).
struct Instr {
  Opcode op = Opcode::constant;
  Cmp cmp = Cmp::eq;
  Rounding mode = Rounding::half_up;
  bool has_default = false;      ///< fact: has a default; list ops: the list has a default
  bool default_matches = false;  ///< fact_in, text_fact_in: the default is among the texts
  std::int32_t exponent = 0;
  std::int32_t digits = 0;  ///< rescale, round: the digits to scale by
  /// The operands: instruction indexes (kNone: none); all_of / any_of: arg[0] is the first of
  /// arg[1] operands in Program::Impl::operands.
  std::uint32_t arg[3] = {kNone, kNone, kNone};
  std::uint32_t slot = 0;
  std::int64_t value = 0;  ///< constant, default, comparand, or the bit mask of matching codes
};

struct AwardCode {
  AmountKind kind = AmountKind::fixed;
  std::int32_t exponent = 0;  ///< of the outcome's amounts
  std::uint32_t a = kNone;
  std::uint32_t b = kNone;
  std::int32_t a_shift = 0;  ///< band: digits to bring a and b to `exponent`
  std::int32_t b_shift = 0;
  std::size_t list_slot = 0;
  bool for_each = false;
  std::uint32_t where = kNone;
  std::unique_ptr<AwardCode> each;
  struct Level {
    std::uint32_t lower = kNone;
    std::uint32_t upper = kNone;
    bool lower_inclusive = true;
    bool upper_inclusive = false;
    std::uint32_t label = 0;  ///< text index
    std::unique_ptr<AwardCode> award;
  };
  std::vector<Level> levels;
  HitPolicy hit = HitPolicy::unique;
  std::uint32_t text = 0;  ///< unfixed, honour: text index of the words
};

struct RuleCode {
  std::size_t crule = 0;
  std::uint32_t when = kNone;
  std::uint32_t from = kNone;  ///< years_from: the first year
  std::int64_t years = 0;
  AwardCode award;
  std::int32_t rounding_exponent = -2;
  Rounding rounding = Rounding::half_up;
  bool recognition = false;  ///< preference or honour: never money
  bool in_kind = false;
};

struct ExclusionCode {
  std::vector<std::uint32_t> rules;  ///< program rule indexes
  std::vector<std::uint32_t> notes;  ///< text index of "gave way to rules[k]", by k
  bool higher = true;
};

struct CapCode {
  std::size_t cap = 0;  ///< index into CompiledRules::caps
  std::vector<std::uint32_t> rules;
  std::uint32_t max = kNone;
};

struct SetCode {
  std::uint32_t applies_to = kNone;
  std::vector<std::uint32_t> rules;  ///< program rule indexes, in the set's order
  std::vector<ExclusionCode> exclusions;
  std::vector<CapCode> caps;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> checks;  ///< when (or kNone), require
};

/// Stores one scalar as a column value; false when it does not fit (the row goes exact).
bool store_scalar(FactColumn& c, const FactDecl& decl, const Scalar& s, std::int64_t& out);

}  // namespace batch

using namespace batch;  // NOLINT: this header is the batch files' own

struct Program::Impl {
  const RuleSet rules;  ///< a handle: keeps the compiled rules alive
  const CompiledRules& r;
  detail::Day scenario;  ///< the scenario on the program's day
  std::function<Evaluation(const Enterprise&, const Enterprise*)> reference;
  const Scenario given;                ///< as the caller gave it
  std::vector<std::string> selection;  ///< the rule selection
  /// Programs for the days rows are evaluated on when the scenario has no `on`: each row on the
  /// last day of its own year. Compiled the first time a run meets the year, then kept.
  mutable std::mutex years_mutex;
  mutable std::map<std::int64_t, std::unique_ptr<Impl>> year_programs;
  std::string unsupported_reason;
  bool compiled = false;
  bool filtered = false;
  std::int32_t exponent = -2;  ///< of every result amount

  std::vector<PlanNode> nodes;
  std::vector<std::uint32_t> derived_nodes;
  std::vector<RuleCode> rule_codes;
  std::vector<SetCode> sets;
  std::vector<std::uint32_t> program_rule;  ///< crules index → program rule index (or kNone)
  std::vector<std::string> rule_ids;
  std::shared_ptr<const TextTable> texts;           ///< shared by the programs of every year
  std::vector<std::vector<std::string>> text_sets;  ///< the texts a text_in node matches

  Impl(const RuleSet& rs, const Scenario& s)
      : rules(rs),
        r(detail::compiled(rs)),
        scenario(detail::resolve_day(rs, s)),
        reference(detail::reference_evaluator(scenario.prepared)),
        given(s) {}

  // ---- compiling ----

  std::uint32_t push(PlanNode n);

  std::uint32_t constant_number(const Decimal& d);
  std::uint32_t constant_bool(bool b);
  bool is_constant(std::uint32_t k) const { return nodes[k].op == Opcode::constant; }

  /// The node brought to exponent `to` (≤ its own), exactly.
  std::uint32_t align(std::uint32_t k, std::int32_t to);

  /// A node reading a fact or field column of the declared unit.
  static PlanNode column_node(Opcode op, std::size_t slot, const FactDecl& decl);

  std::uint32_t compile_scalar_fact(std::size_t slot);

  std::uint32_t compile_field(const Expr& x, const FactDecl* record);

  std::uint32_t compile_list(const Expr& x);

  std::uint32_t binary(Opcode op, std::uint32_t a, std::uint32_t b, std::int32_t e);

  std::uint32_t code_match(std::uint32_t column, const std::vector<std::string>& wanted,
                           bool negate);

  /// The text fact or field `x` names (its slot, and whether it is a field), if it names one.
  std::optional<std::pair<std::size_t, bool>> text_ref(const Expr& x, const FactDecl* record) const;

  /// A text fact or field equal to one of `texts` (or to none, negated). Texts are read from the
  /// column's dictionary, which each table builds for itself, so the node keeps the texts.
  std::uint32_t text_match(std::pair<std::size_t, bool> ref, std::vector<std::string> texts_in,
                           bool negate);

  std::uint32_t compile(const Expr& x, const FactDecl* record);

  std::uint32_t compile_expression(const detail::Expression& e, Kind kind);

  AwardCode compile_award(const CompiledAward& a, const FactDecl* record);

  void compile_all(const std::vector<std::string>& only);

  // ---- lowering: nodes → the interpreter's compact form ----

  std::vector<Instr> instrs;
  std::vector<std::uint32_t> operands;  ///< of all_of / any_of nodes
  std::vector<std::uint32_t> lowered;   ///< node → instrs index

  std::uint32_t emit(const Instr& h);

  static std::int64_t mask_of(const std::vector<std::int64_t>& codes);

  /// The lowered operands of a chain of `op` (and_ / or_) rooted at node k, left to right.
  void flatten(std::uint32_t k, Opcode op, std::vector<std::uint32_t>& chain);

  std::uint32_t lower(std::uint32_t k);

  void lower_award(AwardCode& a);

  void lower_all();

  /// Two lowered expressions computing the same thing the same way.
  bool same(std::uint32_t x, std::uint32_t y) const;

  /// `when: any(list, C)` in front of `per_item: for_each list where C` (the O11/O21 shape)
  /// decides nothing the award does not: the award has an item exactly when some record meets C,
  /// and it evaluates C on every record `any` would. Without a recurrence to check in between, the
  /// condition is skipped and the list scanned once.
  bool when_is_implied(const RuleCode& rule) const;

  // ---- running ----

  struct Chunk;
  struct Block;

  struct Cursor {
    const FactTable& table;
    std::size_t row;
    std::size_t previous = kNoRow;  ///< the same enterprise's row of the year before
    Chunk& chunk;                   ///< where texts the program's table lacks are kept
    const ListColumn* list = nullptr;
    std::size_t record = 0;
    /// Raised when the row needs the exact domain (an overflow, a missing fact, an error there):
    /// the row's fixed-point lines are then dropped. Values computed after it are meaningless
    /// but harmless (every index is checked).
    bool failed = false;
    bool selected = false;  ///< the rule's condition was found true over the block already
    std::uint32_t pos = 0;  ///< the row's position in its block
    const Block* block = nullptr;

    std::int64_t fail() {
      failed = true;
      return 0;
    }
  };

  /// A block's scratch for vector evaluation: value buffers (one int64 per selected row) and
  /// selections (ascending positions in the block), taken in stack order and given back by
  /// resetting the counts to a mark; and the values of instructions computed over the block for
  /// the rule being run, by position, which FixedDomain::value reads instead of walking the
  /// expression again for each row.
  struct Block {
    std::vector<Cursor>* rows = nullptr;
    std::size_t start = 0;  ///< the table row at position 0
    std::vector<std::unique_ptr<std::int64_t[]>> value_pool;
    std::vector<std::unique_ptr<std::uint32_t[]>> selection_pool;
    std::size_t values_used = 0, selections_used = 0;
    std::vector<std::pair<std::uint32_t, const std::int64_t*>> cached;
    std::vector<std::size_t> first = std::vector<std::size_t>(kBlock);  ///< a set's first line
    /// Set while the records of a list are evaluated (a list operation's operand): a selection
    /// then holds indexes t into `records` (the record) and `owner` (its row's position).
    const ListColumn* list = nullptr;
    const std::uint32_t* records = nullptr;
    const std::uint32_t* owner = nullptr;
    /// A per-item award's `where` over the records of the rows selected (record − where_base).
    std::uint32_t where = kNone;
    std::size_t where_base = 0;
    std::vector<std::int64_t> where_values;

    std::int64_t* values() {
      if (values_used == value_pool.size()) value_pool.emplace_back(new std::int64_t[kBlock]);
      return value_pool[values_used++].get();
    }
    std::uint32_t* selection() {
      if (selections_used == selection_pool.size())
        selection_pool.emplace_back(new std::uint32_t[kBlock]);
      return selection_pool[selections_used++].get();
    }
  };

  /// Instruction k over the rows at positions sel[0 .. n) of the block (ascending): out[j] is its
  /// value at sel[j]. One loop per operation; and/or/if narrow the selection as evaluating row
  /// by row would (an operand is evaluated only where it decides); list operations and the rare
  /// leaves are evaluated row by row. A row that cannot finish raises its `failed` flag.
  void vec(std::uint32_t k, const std::uint32_t* sel, std::uint32_t n, std::int64_t* out,
           Block& b) const;
  /// A chain of `and` (is_and) or `or` operands over a selection, narrowed operand by operand.
  void vec_chain(const std::uint32_t* chain, std::uint32_t count, bool is_and,
                 const std::uint32_t* sel, std::uint32_t n, std::int64_t* out, Block& b) const;
  /// sum / count / any / all over the lists of the selected rows, their records evaluated
  /// vector-at-a-time, up to a block of records at a time.
  void vec_list(const Instr& h, const std::uint32_t* sel, std::uint32_t n, std::int64_t* out,
                Block& b) const;
  /// A field of the records selected (record mode): an absent value fails the record's row.
  void vec_field(const Instr& h, const std::uint32_t* sel, std::uint32_t n, std::int64_t* out,
                 Block& b) const;
  /// A column read for the selection: an absent value is the default, or fails the row.
  void vec_column(const FactColumn& col, bool has_default, std::int64_t fallback,
                  const std::uint32_t* sel, std::uint32_t n, std::int64_t* out, Block& b) const;
  /// The values the rule's award reads on every row it gives a line for, computed over the
  /// selection into b.cached (the recurrence, when there is one, is checked first row by row).
  void precompute(const RuleCode& rule, const std::uint32_t* sel, std::uint32_t n, Block& b) const;
  /// A per-item award's `where` over every record of the rows selected, into b.where_values.
  void precompute_where(const AwardCode& a, const std::uint32_t* sel, std::uint32_t n,
                        Block& b) const;

  bool row_independent(const RuleCode& rule) const;
  std::uint32_t with_items(const RuleCode& rule, std::uint32_t* sel, std::uint32_t n,
                           const Block& b) const;

  SUBSIDY_ALWAYS_INLINE static bool compare(std::int64_t a, std::int64_t b, Cmp cmp) {
    switch (cmp) {
      case Cmp::ge:
        return a >= b;
      case Cmp::gt:
        return a > b;
      case Cmp::le:
        return a <= b;
      case Cmp::lt:
        return a < b;
      case Cmp::eq:
        return a == b;
      case Cmp::ne:
        return a != b;
    }
    return false;
  }

  static bool in_mask(std::int64_t code, std::int64_t mask) {
    return code >= 0 && code < 63 && ((mask >> code) & 1) != 0;
  }

  SUBSIDY_ALWAYS_INLINE static std::int64_t fact_value(const Instr& n, Cursor& c) {
    const FactColumn& col = c.table.scalar(n.slot);
    if (col.has(c.row)) return col.at(c.row);
    if (n.has_default) return n.value;
    return c.fail();
  }
  SUBSIDY_ALWAYS_INLINE static std::int64_t field_value(const Instr& n, Cursor& c) {
    const FactColumn& col = c.list->fields[n.slot];
    if (!col.has(c.record)) return c.fail();
    return col.at(c.record);
  }

  /// The value of node k, with the commonest leaves computed inline: an operand costs a call
  /// (and eval's frame) only when it is an inner node.
  SUBSIDY_ALWAYS_INLINE std::int64_t operand(std::uint32_t k, Cursor& c) const {
    const Instr& n = instrs[k];
    switch (n.op) {
      case Opcode::constant:
        return n.value;
      case Opcode::fact:
        return fact_value(n, c);
      case Opcode::field:
        return field_value(n, c);
      case Opcode::field_cmp_k:
        return compare(field_value(n, c), n.value, n.cmp);
      case Opcode::field_in:
        return in_mask(field_value(n, c), n.value);
      default:
        return eval(k, c);
    }
  }

  /// sum / count / any / all over a list: out of eval() so that eval's frame stays small (its
  /// prologue and epilogue are paid on every node).
  [[gnu::noinline]] std::int64_t eval_list(const Instr& n, Cursor& c) const;

  std::int64_t eval(std::uint32_t k, Cursor& c) const;

  /// True when the dictionary code `code` of a text column is one of text_sets[set].
  bool text_in(const FactColumn& col, std::int64_t code, std::int64_t set) const;

  // ---- the fixed-point domain of the award semantics (semantics.hpp) ----

  /// A number of the fixed-point domain: v × 10^e.
  struct Fixed {
    std::int64_t v = 0;
    std::int32_t e = 0;
  };

  /// int64 at an exponent per value, texts as indexes, no trace. What it cannot hold exactly (an
  /// overflow, digits below a column's, an error of the exact domain) sends the row to it.
  struct FixedDomain {
    using Number = Fixed;
    using Text = std::uint32_t;
    using Award = AwardCode;
    using Rule = RuleCode;
    using Result = detail::Outcome<FixedDomain>;

    const Impl& p;
    Cursor& c;

    /// `x` at exponent e ≤ x.e, exactly.
    std::int64_t at(const Fixed& x, std::int32_t e) const {
      if (x.e - e > 18) return c.fail();
      return scale_up(x.v, x.e - e, c.failed);
    }
    /// `x` at the result's exponent, exactly (digits below it send the row to the exact domain).
    std::int64_t at_result(const Fixed& x) const {
      if (x.e >= p.exponent) return at(x, p.exponent);
      const std::int32_t drop = p.exponent - x.e;
      if (drop > 18 || x.v % kPow10[drop] != 0) return c.fail();
      return x.v / kPow10[drop];
    }
    Fixed add(const Fixed& a, const Fixed& b) const {
      const std::int32_t e = std::min(a.e, b.e);
      return {checked_add(at(a, e), at(b, e), c.failed), e};
    }
    Fixed sub(const Fixed& a, const Fixed& b) const {
      const std::int32_t e = std::min(a.e, b.e);
      return {checked_sub(at(a, e), at(b, e), c.failed), e};
    }
    bool less(const Fixed& a, const Fixed& b) const {
      const std::int32_t e = std::min(a.e, b.e);
      return at(a, e) < at(b, e);
    }
    static bool negative(const Fixed& a) { return a.v < 0; }
    Fixed times(const Fixed& a, std::int64_t count) const {
      return {checked_mul(a.v, count, c.failed), a.e};
    }
    std::int64_t add_count(std::int64_t a, std::int64_t b) const {
      return checked_add(a, b, c.failed);
    }
    void join_tier(std::uint32_t& into, std::uint32_t label) const {
      if (label == 0) return;
      if (into == 0) {
        into = label;
        return;
      }
      into = p.joined(c.chunk, into, label);
    }
    static bool empty(std::uint32_t text) { return text == 0; }

    static AmountKind kind(const AwardCode& a) { return a.kind; }
    static HitPolicy hit(const AwardCode& a) { return a.hit; }
    static const AwardCode& each(const AwardCode& a) { return *a.each; }
    static bool for_each(const AwardCode& a) { return a.for_each; }
    static std::size_t level_count(const AwardCode& a) { return a.levels.size(); }
    static const AwardCode& level_award(const AwardCode& a, std::size_t k) {
      return *a.levels[k].award;
    }
    static std::uint32_t label(const AwardCode& a, std::size_t k) { return a.levels[k].label; }
    static Result level_outcome(const AwardCode&, std::size_t, Result o) { return o; }
    static const AwardCode& award_of(const RuleCode& rule) { return rule.award; }

    Fixed value(std::uint32_t k) const {
      if (c.block != nullptr) {
        for (const auto& [key, by_pos] : c.block->cached) {
          if (key == k) return {by_pos[c.pos], p.instrs[k].exponent};
        }
      }
      return {p.eval(k, c), p.instrs[k].exponent};
    }
    Fixed amount(const AwardCode& a) const { return value(a.a); }
    Fixed rate_times_base(const AwardCode& a) const { return value(a.a); }  // compiled as a product
    Fixed band_min(const AwardCode& a) const { return value(a.a); }
    Fixed band_max(const AwardCode& a) const { return value(a.b); }
    void band_upside_down(const Fixed&, const Fixed&) const {
      c.fail();  // an error of the exact domain
    }
    static std::uint32_t words(const AwardCode& a, LineStatus) { return a.text; }

    std::int64_t item_count(const AwardCode& a) const {
      const Fixed n = value(a.a);
      std::int64_t count = n.v;
      if (n.e < 0) {
        if (-n.e > 18 || n.v % kPow10[-n.e] != 0) return c.fail();
        count = n.v / kPow10[-n.e];
      } else {
        count = scale_up(n.v, n.e, c.failed);
      }
      if (count < 0) return c.fail();
      return count;
    }
    static void trace_items(std::int64_t) {}

    /// The records of the row's list, [from, to), or the row goes exact when the list is absent.
    std::pair<std::uint32_t, std::uint32_t> records(const AwardCode& a) const {
      const ListColumn& list = c.table.list(a.list_slot);
      if (list.has(c.row)) return {list.offsets[c.row], list.offsets[c.row + 1]};
      if (!p.scenario.default_of(a.list_slot)) c.fail();
      return {0, 0};
    }
    /// The award's `where` for record i of the list (c.list, c.record set), as computed over
    /// the block when it was.
    bool where_holds(const AwardCode& a, std::uint32_t i) const {
      if (a.where == kNone) return true;
      const Block* b = c.block;
      if (b != nullptr && b->where == a.where && i >= b->where_base &&
          i - b->where_base < b->where_values.size()) {
        return b->where_values[i - b->where_base] != 0;
      }
      return p.eval(a.where, c) != 0;
    }
    /// A fixed amount per matching record: the count times the amount, the list scanned once.
    bool count_records(const AwardCode& a, Result& total) const {
      const AwardCode& each = *a.each;
      if (each.kind != AmountKind::fixed || p.instrs[each.a].op != Opcode::constant) return false;
      const auto [from, to] = records(a);
      std::int64_t count = 0;
      const ListColumn* saved_list = c.list;
      const std::size_t saved_record = c.record;
      c.list = &c.table.list(a.list_slot);
      for (std::uint32_t i = from; i < to; ++i) {
        c.record = i;
        if (where_holds(a, i)) ++count;
      }
      c.list = saved_list;
      c.record = saved_record;
      if (count == 0) return true;
      total.any = true;
      total.amount = total.min = total.max = times(value(each.a), count);
      total.items = count;
      return true;
    }
    template <class F>
    void each_record(const AwardCode& a, F f) const {
      const auto [from, to] = records(a);
      const ListColumn* saved_list = c.list;
      const std::size_t saved_record = c.record;
      c.list = &c.table.list(a.list_slot);
      for (std::uint32_t i = from; i < to; ++i) {
        c.record = i;
        if (!where_holds(a, i)) continue;
        f();
      }
      c.list = saved_list;
      c.record = saved_record;
    }

    Fixed tier_value(const AwardCode& a) const { return value(a.a); }
    bool in_level(const AwardCode& a, std::size_t k, const Fixed& v) const {
      const auto& l = a.levels[k];
      if (l.lower != kNone) {
        const Fixed lo = value(l.lower);
        if (l.lower_inclusive ? less(v, lo) : !less(lo, v)) return false;
      }
      if (l.upper != kNone) {
        const Fixed hi = value(l.upper);
        if (l.upper_inclusive ? less(hi, v) : !less(v, hi)) return false;
      }
      return true;
    }
    static void trace_no_tier(const Fixed&) {}
    void two_tiers(const AwardCode&, const Fixed&, std::size_t, std::size_t) const {
      c.fail();  // an error of the exact domain
    }
    static void trace_tier(const AwardCode&, const Fixed&, std::size_t) {}

    bool condition_holds(const RuleCode& rule) const {
      return c.selected || rule.when == kNone || p.eval(rule.when, c) != 0;
    }
    bool within_years(const RuleCode& rule) const {
      if (rule.from == kNone) return true;
      const FactColumn& years = c.table.year();
      if (!years.has(c.row)) return c.fail() != 0;
      const Fixed from = value(rule.from);
      const Fixed year{years.at(c.row), 0};
      return !less(year, from) && less(year, add(from, Fixed{rule.years, 0}));
    }
    static void trace_nothing(bool) {}
    void negative_award(const Fixed&) const { c.fail(); }  // an error of the exact domain
    static bool recognition(const RuleCode& rule) { return rule.recognition; }
    /// Rounded by the rule, once, then at the result's exponent.
    Fixed round(const RuleCode& rule, const Fixed& v) const {
      const std::int32_t to = rule.rounding_exponent;
      if (to - v.e > 18) return {c.fail(), p.exponent};
      const std::int64_t rounded = to <= v.e ? at(v, to) : scale_down(v.v, to - v.e, rule.rounding);
      return {at(Fixed{rounded, to}, p.exponent), p.exponent};
    }
    static void trace_rounding(const RuleCode&, const Fixed&, const Fixed&) {}
    static void trace_band(const Fixed&, const Fixed&) {}

    Fixed floor_of(const ColumnarLine& l) const { return {l.min, p.exponent}; }
    Fixed ceiling_of(const ColumnarLine& l) const { return {l.max, p.exponent}; }
    void set_band(ColumnarLine& l, const Fixed& min, const Fixed& max) const {
      l.min = at_result(min);
      l.max = at_result(max);
    }
  };

  /// Evaluates one rule for the row; appends its line (if any). A row the fixed-point
  /// domain cannot finish raises c.failed.
  void run_rule(std::uint32_t index, Cursor& c, std::vector<ColumnarLine>& out) const;

  void interactions(const SetCode& set, Cursor& c, std::vector<ColumnarLine>& out,
                    std::size_t first) const;

  /// Vector-at-a-time over a block of rows (`sel`: positions in the block whose program this
  /// is): each set's applies_to and each rule's condition over the selection, the award's values
  /// over the rows selected; lines appended to lines[position]. Failed rows drop out.
  void run_block(Block& b, const std::vector<std::uint32_t>& sel,
                 std::vector<std::vector<ColumnarLine>>& lines) const;

  // ---- results ----

  struct RuleTotals {
    std::int64_t lines = 0, unfixed = 0, recognised = 0;
    Int128 min = 0, max = 0;
  };

  struct alignas(64) Chunk {            // own cache lines: two threads write neighbouring chunks
    std::vector<std::uint32_t> counts;  ///< lines per row
    std::vector<ColumnarLine> lines;
    std::vector<std::int64_t> cash_min, cash_max;
    std::vector<std::uint8_t> by_reference;
    std::map<std::size_t, Evaluation> exact;
    std::vector<RuleTotals> totals;
    Totals reference_totals;  ///< rows kept whole in `exact`
    /// Texts of reference rows that the program's table lacks (a join of tier labels per item,
    /// a cap's note), numbered after the table's own until the chunks are merged.
    std::map<std::string, std::uint32_t, std::less<>> new_texts;
    std::vector<std::string> new_list;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> joins;
  };

  const std::string& text_at(const Chunk& chunk, std::uint32_t index) const;

  /// The text of tier labels `a` then `b`, joined as a line shows them.
  std::uint32_t joined(Chunk& chunk, std::uint32_t a, std::uint32_t b) const;

  std::uint32_t text_index(Chunk& chunk, const std::string& text) const;

  void count_line(Chunk& chunk, const ColumnarLine& l) const;

  bool row_cash(const std::vector<ColumnarLine>& lines, std::size_t first, std::int64_t& lo,
                std::int64_t& hi) const;

  /// Which program evaluates each row (the row's own year's, unless the scenario fixes the day),
  /// and each row's previous-year row of the same enterprise.
  struct RowPlan {
    std::int64_t first_year = 0;
    std::vector<const Impl*> by_year;  ///< by year − first_year
    /// Each row's previous-year row (empty: none has one): found (a map of every id and year)
    /// only when a program reads last_year() or a row goes to the exact domain, at most once,
    /// by whichever thread needs it first.
    const std::vector<std::optional<std::size_t>>& previous(const FactTable& table) const;
    bool reads_last_year = false;
    mutable std::once_flag previous_once;
    mutable std::vector<std::optional<std::size_t>> previous_rows;
    const Impl& program(const FactTable& table, std::size_t row, const Impl& self) const {
      if (by_year.empty() || !table.year().has(row)) return self;
      return *by_year[static_cast<std::size_t>(clamp_year(table.year().at(row)) - first_year)];
    }
  };

  /// Years are read as days 0001-12-31 .. 9999-12-31, as the reference evaluator reads them.
  static std::int64_t clamp_year(std::int64_t year);

  void plan_rows(const FactTable& table, RowPlan& plan) const;
  bool reads_last_year() const {
    return std::any_of(instrs.begin(), instrs.end(),
                       [](const Instr& h) { return h.op == Opcode::last_year; });
  }

  /// The reference evaluator's result for a row, as columnar lines (or kept whole).
  void reference_row(const FactTable& table, std::size_t row, const RowPlan& plan,
                     Chunk& chunk) const;

  /// Evaluates rows [from, to) into `chunk`, whose columns get room for `room` rows (the
  /// first chunk reserves room for every row: see run()).
  void run_range(const FactTable& table, const RowPlan& plan, std::size_t from, std::size_t to,
                 std::size_t room, Chunk& chunk) const;

  static Decimal to_decimal(Int128 v, std::int32_t exponent);

  ColumnarResult run(const FactTable& table, unsigned threads) const;

  /// The result's texts: the program's, then those only reference rows met, each once; lines
  /// of reference rows renumbered to them.
  void merge_texts(std::vector<Chunk>& chunks, ColumnarResult& out) const;

  static void add_totals(Totals& into, const Totals& x);
};

}  // namespace subsidy
