// The columnar batch path: a compiler from CompiledRules + Scenario to a tree of int64 fixed-point
// nodes, and its row-at-a-time interpreter over FactTable columns. Every operation is checked;
// whatever the program cannot do exactly is handed to the reference evaluator (see columnar.hpp).
#include "subsidy/columnar.hpp"

#include <algorithm>
#include <limits>
#include <mutex>
#include <thread>

#include "compiled.hpp"
#include "prepared.hpp"
#include "rounding.hpp"
#include "semantics.hpp"

namespace subsidy {

namespace {

using detail::Cmp;
using detail::CompiledAward;
using detail::CompiledRules;
using detail::Expr;
using detail::Op;
using detail::RefKind;

constexpr std::int64_t kPow10[19] = {1,
                                     10,
                                     100,
                                     1000,
                                     10000,
                                     100000,
                                     1000000,
                                     10000000,
                                     100000000,
                                     1000000000,
                                     10000000000,
                                     100000000000,
                                     1000000000000,
                                     10000000000000,
                                     100000000000000,
                                     1000000000000000,
                                     10000000000000000,
                                     100000000000000000,
                                     1000000000000000000};

/// Thrown inside the interpreter when a row must go to the reference evaluator; never escapes.
struct Fallback {};
[[noreturn]] void fall_back() { throw Fallback{}; }

/// A construct the compiler does not handle; the whole program then runs on the reference path.
struct Unsupported {
  std::string what;
};
[[noreturn]] void refuse(std::string what) { throw Unsupported{std::move(what)}; }

inline std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_add_overflow(a, b, &r)) fall_back();
  return r;
}
inline std::int64_t checked_sub(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) fall_back();
  return r;
}
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) fall_back();
  return r;
}
inline std::int64_t scale_up(std::int64_t v, std::int32_t digits) {
  return digits == 0 ? v : checked_mul(v, kPow10[digits]);
}

/// v / 10^digits rounded by `mode`: the library's one rounding decision (rounding.hpp).
std::int64_t scale_down(std::int64_t v, std::int32_t digits, Rounding mode) {
  return detail::round_scaled(v, kPow10[digits], mode);
}

std::int32_t checked_shift(std::int32_t digits) {
  if (digits < 0 || digits > 18)
    refuse("an exponent difference of " + std::to_string(digits) + " digits");
  return digits;
}

std::int64_t date_code(const Date& d) {
  return std::int64_t{d.year} * 10000 + d.month * 100 + d.day;
}
Date date_of(std::int64_t code) {
  Date d;
  d.year = static_cast<int>(code / 10000);
  d.month = static_cast<int>(code / 100 % 100);
  d.day = static_cast<int>(code % 100);
  return d;
}

// ---- nodes
// ---------------------------------------------------------------------------------------

enum class Kind : std::uint8_t { number, boolean, code, date, list, text };

enum class N : std::uint8_t {
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
  present_field,
  present_year,
  and_,
  or_,
  not_,
  cmp,
  in,
  last_year,  ///< a scalar fact of the row's previous-year row
  text_in,    ///< a text fact or field among some texts (slot; value: the text set)
};

// Sums of int64 amounts over a whole batch.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

constexpr std::uint32_t kNone = static_cast<std::uint32_t>(-1);
constexpr std::size_t kNoRow = static_cast<std::size_t>(-1);

struct Node {
  N op = N::constant;
  Kind kind = Kind::number;
  Cmp cmp = Cmp::eq;
  Rounding mode = Rounding::half_up;
  bool has_default = false;   ///< fact: a default stands in for an absent value
  bool of_field = false;      ///< text_in: a field of the list record, not a fact
  std::int32_t exponent = 0;  ///< numbers: the value is an int64 count of 10^exponent
  std::int32_t shift = 0;     ///< rescale / round: digits
  std::int64_t value = 0;     ///< constant; fact: the default
  std::size_t slot = 0;       ///< fact slot, field index
  std::vector<std::uint32_t> args;
  std::vector<std::int64_t> codes;                   ///< in: the codes that match
  std::string text;                                  ///< text constants (folded away)
  const std::vector<std::string>* values = nullptr;  ///< code: enumeration values
};

/// The interpreter's form of a node: small, arguments inline, common patterns fused.
enum class H : std::uint8_t {
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
};

struct Hot {
  H op = H::constant;
  Cmp cmp = Cmp::eq;
  Rounding mode = Rounding::half_up;
  bool flag =
      false;  ///< fact: has a default; list ops: the list has a default; fact_in: default matches
  std::int32_t exponent = 0;
  std::int32_t shift = 0;
  std::uint32_t a = static_cast<std::uint32_t>(-1);
  std::uint32_t b = static_cast<std::uint32_t>(-1);
  std::uint32_t c = static_cast<std::uint32_t>(-1);
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

constexpr std::size_t kMaxSummedLevels = 8;  ///< hit: sum tables whose label sets are listed

/// The texts lines refer to (tier labels, unfixed texts, notes), interned once from the rule set
/// whatever the scenario, so that every program of a rule set numbers them alike.
struct TextTable {
  std::vector<std::string> list{std::string()};
  std::map<std::string, std::uint32_t, std::less<>> index{{std::string(), 0}};

  std::uint32_t intern(const std::string& text) {
    auto [it, added] = index.emplace(text, static_cast<std::uint32_t>(list.size()));
    if (added) list.push_back(text);
    return it->second;
  }
  std::uint32_t at(const std::string& text) const { return index.at(text); }

  /// The labels of the levels in `mask`, as the reference path joins them.
  static std::string labels(const CompiledAward& a, std::size_t mask) {
    std::string out;
    for (std::size_t k = 0; k < a.levels.size(); ++k) {
      if ((mask >> k) & 1) detail::join_tier(out, a.levels[k].info.label);
    }
    return out;
  }

  void add_award(const CompiledAward& a) {
    if (a.kind == AmountKind::unfixed || a.kind == AmountKind::honour) intern(a.unfixed_text);
    if (a.each) add_award(*a.each);
    for (const auto& l : a.levels) {
      intern(l.info.label);
      add_award(*l.award);
    }
    if (a.kind == AmountKind::tiers && a.hit == HitPolicy::sum &&
        a.levels.size() <= kMaxSummedLevels) {
      for (std::size_t mask = 1; mask < (std::size_t{1} << a.levels.size()); ++mask) {
        intern(labels(a, mask));
      }
    }
  }

  explicit TextTable(const CompiledRules& r) {
    for (const auto& rule : r.crules) add_award(rule.award);
    for (const auto& ex : r.exclusions) {
      for (std::size_t rule : ex.rules) {
        intern(detail::exclusion_note(ex, r.rules[r.crules[rule].info].qualified_id));
      }
    }
  }
};

}  // namespace

// ---- FactTable
// -------------------------------------------------------------------------------------

std::int32_t column_exponent(const Unit& unit) {
  switch (unit.kind) {
    case UnitKind::money:
      return -2;
    case UnitKind::count:
    case UnitKind::year:
      return 0;
    default:
      return -6;
  }
}

namespace {

FactColumn make_column(const FactDecl& decl, std::size_t rows) {
  FactColumn c;
  c.kind = decl.unit.kind;
  c.exponent = column_exponent(decl.unit);
  c.values.assign(rows, 0);
  c.present.assign(rows, 0);
  return c;
}

// Stores one scalar as a column value; false when it does not fit (the row goes exact).
bool store(FactColumn& c, const FactDecl& decl, const Scalar& s, std::int64_t& out) {
  if (const auto* d = std::get_if<Decimal>(&s)) return d->to_scaled_int64(c.exponent, out);
  if (const auto* b = std::get_if<bool>(&s)) {
    out = *b ? 1 : 0;
    return true;
  }
  if (const auto* date = std::get_if<Date>(&s)) {
    out = date_code(*date);
    return true;
  }
  const auto& text = std::get<std::string>(s);
  if (decl.unit.kind == UnitKind::enumeration) {
    auto it = std::find(decl.values.begin(), decl.values.end(), text);
    if (it == decl.values.end()) return false;
    out = it - decl.values.begin();
    return true;
  }
  auto it = std::find(c.dictionary.begin(), c.dictionary.end(), text);
  out = it - c.dictionary.begin();
  if (it == c.dictionary.end()) c.dictionary.push_back(text);
  return true;
}

Scalar load(const FactColumn& c, const FactDecl& decl, std::int64_t v) {
  switch (c.kind) {
    case UnitKind::boolean:
      return v != 0;
    case UnitKind::date:
      return date_of(v);
    case UnitKind::enumeration:
      return decl.values.at(static_cast<std::size_t>(v));
    case UnitKind::text:
      return c.dictionary.at(static_cast<std::size_t>(v));
    default:
      return Decimal::from_scaled_int64(v, c.exponent);
  }
}

}  // namespace

FactTable::FactTable(const RuleSet& rules, std::size_t rows) : rules_(rules), rows_(rows) {
  // Columns start empty (every value absent) and take memory only when given.
  const auto& facts = rules.facts();
  scalars_.resize(facts.size());
  lists_.resize(facts.size());
  for (std::size_t k = 0; k < facts.size(); ++k) {
    const FactDecl& decl = facts[k];
    if (decl.unit.kind == UnitKind::list) {
      for (const auto& f : decl.fields) lists_[k].fields.push_back(make_column(f, 0));
    } else {
      scalars_[k] = make_column(decl, 0);
    }
  }
  year_.kind = UnitKind::year;
}

namespace {

// Moves `values` into `into`, each narrowed to T (every value fits: the caller checked).
template <class T>
void pack(const std::vector<std::int64_t>& values, std::vector<T>& into) {
  into.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) into[i] = static_cast<T>(values[i]);
}

template <class T>
bool fits_in(std::int64_t lo, std::int64_t hi) {
  return lo >= std::numeric_limits<T>::min() && hi <= std::numeric_limits<T>::max();
}

bool all_set(const std::vector<std::uint8_t>& present) {
  return std::all_of(present.begin(), present.end(), [](std::uint8_t p) { return p != 0; });
}

}  // namespace

void FactColumn::seal() {
  if (sealed_) return;
  sealed_ = true;
  size_ = present.size();
  // Absent rows hold 0 (or whatever was written): the width covers them too, so at() of any
  // row returns exactly what was stored.
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  for (std::int64_t v : values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (fits_in<std::int8_t>(lo, hi)) {
    width_ = 1;
    pack(values, narrow8_);
  } else if (fits_in<std::int16_t>(lo, hi)) {
    width_ = 2;
    pack(values, narrow16_);
  } else if (fits_in<std::int32_t>(lo, hi)) {
    width_ = 4;
    pack(values, narrow32_);
  }
  if (width_ != 8) std::vector<std::int64_t>().swap(values);
  dense_ = size_ != 0 && all_set(present);
  if (dense_) std::vector<std::uint8_t>().swap(present);
}

void FactColumn::clear(std::size_t rows) {
  values.assign(rows, 0);
  present.assign(rows, 0);
  std::vector<std::int8_t>().swap(narrow8_);
  std::vector<std::int16_t>().swap(narrow16_);
  std::vector<std::int32_t>().swap(narrow32_);
  size_ = 0;
  width_ = 8;
  dense_ = false;
  sealed_ = false;
}

std::size_t FactColumn::bytes() const {
  return values.capacity() * 8 + present.capacity() + narrow8_.capacity() +
         narrow16_.capacity() * 2 + narrow32_.capacity() * 4;
}

void ListColumn::seal() {
  for (auto& f : fields) f.seal();
  if (sealed_) return;
  sealed_ = true;
  size_ = present.size();
  dense_ = size_ != 0 && all_set(present);
  if (dense_) std::vector<std::uint8_t>().swap(present);
}

void ListColumn::clear(std::size_t rows) {
  offsets.assign(rows + 1, 0);
  present.assign(rows, 0);
  for (auto& f : fields) f.clear(0);
  size_ = 0;
  dense_ = false;
  sealed_ = false;
}

std::size_t ListColumn::bytes() const {
  std::size_t b = offsets.capacity() * 4 + present.capacity();
  for (const auto& f : fields) b += f.bytes();
  return b;
}

FactColumn& FactTable::give(std::size_t slot) {
  FactColumn& c = scalars_.at(slot);
  if (rules_->facts()[slot].unit.kind == UnitKind::list) {
    throw Error(ErrorKind::usage, "fact '" + rules_->facts()[slot].name + "' is a list");
  }
  c.clear(rows_);
  return c;
}

ListColumn& FactTable::give_list(std::size_t slot) {
  ListColumn& l = lists_.at(slot);
  if (rules_->facts()[slot].unit.kind != UnitKind::list) {
    throw Error(ErrorKind::usage, "fact '" + rules_->facts()[slot].name + "' is not a list");
  }
  l.clear(rows_);
  return l;
}

FactColumn& FactTable::give_year() {
  year_.clear(rows_);
  return year_;
}

void FactTable::seal() {
  year_.seal();
  for (auto& c : scalars_) c.seal();
  for (auto& l : lists_) l.seal();
}

std::size_t FactTable::bytes() const {
  std::size_t b = year_.bytes();
  for (const auto& c : scalars_) b += c.bytes();
  for (const auto& l : lists_) b += l.bytes();
  return b;
}

FactTable FactTable::from_enterprises(const RuleSet& rules, const std::vector<Enterprise>& batch) {
  FactTable t(rules, batch.size());
  const auto& facts = rules.facts();
  t.give_year();
  for (std::size_t k = 0; k < facts.size(); ++k) {
    if (facts[k].unit.kind == UnitKind::list) {
      t.give_list(k);
    } else {
      t.give(k);
    }
  }
  for (const Enterprise& e : batch) {
    if ((!e.rules_fingerprint.empty() && e.rules_fingerprint != rules.fingerprint()) ||
        e.facts.size() != facts.size()) {
      throw Error(ErrorKind::usage, "enterprise '" + e.id + "' was typed against another rule set",
                  e.mark);
    }
  }
  for (std::size_t r = 0; r < batch.size(); ++r) {
    const Enterprise& e = batch[r];
    t.ids_.push_back(e.id);
    bool fits = e.decided.empty();
    if (e.year) {
      t.year_.values[r] = *e.year;
      t.year_.present[r] = 1;
    }
    for (std::size_t k = 0; k < facts.size(); ++k) {
      const FactDecl& decl = facts[k];
      const bool given = k < e.facts.size() && e.facts[k].has_value();
      if (decl.unit.kind == UnitKind::list) {
        ListColumn& l = t.lists_[k];
        if (given) {
          l.present[r] = 1;
          for (const auto& rec : std::get<std::vector<Record>>(*e.facts[k])) {
            for (std::size_t f = 0; f < l.fields.size(); ++f) {
              FactColumn& c = l.fields[f];
              std::int64_t v = 0;
              const bool has = f < rec.size() && rec[f].has_value();
              if (has && !store(c, decl.fields[f], *rec[f], v)) fits = false;
              c.values.push_back(v);
              c.present.push_back(has ? 1 : 0);
            }
          }
        }
        l.offsets[r + 1] =
            static_cast<std::uint32_t>(l.fields.empty() ? 0 : l.fields[0].values.size());
        continue;
      }
      if (!given) continue;
      FactColumn& c = t.scalars_[k];
      if (!store(c, decl, std::get<Scalar>(*e.facts[k]), c.values[r])) {
        fits = false;
        c.values[r] = 0;
      }
      c.present[r] = 1;
    }
    if (!fits) t.keep_exact(r, e);
  }
  t.seal();
  return t;
}

void FactTable::keep_exact(std::size_t row, Enterprise enterprise) {
  exact_[row] = std::move(enterprise);
}

Enterprise FactTable::enterprise(std::size_t row) const {
  auto kept = exact_.find(row);
  if (kept != exact_.end()) return kept->second;
  Enterprise e;
  e.rules_fingerprint = rules_->fingerprint();
  e.id = row < ids_.size() ? ids_[row] : "row " + std::to_string(row);
  if (year_.has(row)) e.year = year_.at(row);
  const auto& facts = rules_->facts();
  e.facts.resize(facts.size());
  for (std::size_t k = 0; k < facts.size(); ++k) {
    const FactDecl& decl = facts[k];
    if (decl.unit.kind == UnitKind::list) {
      const ListColumn& l = lists_[k];
      if (!l.has(row)) continue;
      std::vector<Record> records;
      for (std::uint32_t i = l.offsets[row]; i < l.offsets[row + 1]; ++i) {
        Record rec(l.fields.size());
        for (std::size_t f = 0; f < l.fields.size(); ++f) {
          if (l.fields[f].has(i)) rec[f] = load(l.fields[f], decl.fields[f], l.fields[f].at(i));
        }
        records.push_back(std::move(rec));
      }
      e.facts[k] = FactValue(std::move(records));
      continue;
    }
    const FactColumn& c = scalars_[k];
    if (c.has(row)) e.facts[k] = FactValue(load(c, decl, c.at(row)));
  }
  return e;
}

// ---- Program
// ---------------------------------------------------------------------------------------

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

  std::vector<Node> nodes;
  std::vector<std::uint32_t> derived_nodes;
  std::vector<RuleCode> rule_codes;
  std::vector<SetCode> sets;
  std::vector<std::uint32_t> program_rule;  ///< crules index → program rule index (or kNone)
  std::vector<std::string> rule_ids;
  std::shared_ptr<const TextTable> texts;           ///< shared by the programs of every year
  std::vector<std::vector<std::string>> text_sets;  ///< the texts a text_in node matches

  Impl(const RuleSet& rs, const Scenario& s)
      : rules(rs),
        r(rs.compiled()),
        scenario(detail::resolve_day(rs, s)),
        reference(detail::reference_evaluator(scenario.prepared)),
        given(s) {}

  // ---- compiling ----

  std::uint32_t push(Node n) {
    nodes.push_back(std::move(n));
    return static_cast<std::uint32_t>(nodes.size() - 1);
  }

  std::uint32_t constant_number(const Decimal& d) {
    Node n;
    n.kind = Kind::number;
    n.exponent = std::min(d.exponent(), std::int32_t{0});
    if (!d.to_scaled_int64(n.exponent, n.value)) refuse("the constant " + d.to_string());
    return push(std::move(n));
  }
  std::uint32_t constant_bool(bool b) {
    Node n;
    n.kind = Kind::boolean;
    n.value = b ? 1 : 0;
    return push(std::move(n));
  }
  bool is_constant(std::uint32_t k) const { return nodes[k].op == N::constant; }

  /// The node brought to exponent `to` (≤ its own), exactly.
  std::uint32_t align(std::uint32_t k, std::int32_t to) {
    const Node& x = nodes[k];
    if (x.kind != Kind::number) refuse("arithmetic on a value that is not a number");
    if (x.exponent == to) return k;
    const std::int32_t shift = checked_shift(x.exponent - to);
    if (x.op == N::constant) {
      std::int64_t v = 0;
      if (__builtin_mul_overflow(x.value, kPow10[shift], &v))
        refuse("a constant too large for int64");
      Node n = x;
      n.value = v;
      n.exponent = to;
      return push(std::move(n));
    }
    Node n;
    n.op = N::rescale;
    n.kind = Kind::number;
    n.exponent = to;
    n.shift = shift;
    n.args = {k};
    return push(std::move(n));
  }

  /// A node reading a fact or field column of the declared unit.
  static Node column_node(N op, std::size_t slot, const FactDecl& decl) {
    Node n;
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

  std::uint32_t compile_scalar_fact(std::size_t slot) {
    const FactDecl& decl = r.facts[slot];
    Node n = column_node(N::fact, slot, decl);
    if (const auto& d = scenario.default_of(slot)) {
      FactColumn scratch;
      scratch.kind = decl.unit.kind;
      scratch.exponent = n.exponent;
      if (!store(scratch, decl, std::get<Scalar>(*d), n.value))
        refuse("the default of " + decl.name);
      n.has_default = true;
    }
    return push(std::move(n));
  }

  std::uint32_t compile_field(const Expr& x, const FactDecl* record) {
    if (record == nullptr || x.slot >= record->fields.size()) refuse("a field outside a list");
    return push(column_node(N::field, x.slot, record->fields[x.slot]));
  }

  std::uint32_t compile_list(const Expr& x) {
    if (x.op != Op::name || x.ref != RefKind::fact || x.slot == detail::kYearSlot ||
        r.facts[x.slot].unit.kind != UnitKind::list) {
      refuse("a list that is not a list fact");
    }
    if (const auto& d = scenario.default_of(x.slot)) {
      const auto* records = std::get_if<std::vector<Record>>(&*d);
      if (!records || !records->empty())
        refuse("a non-empty default list (" + r.facts[x.slot].name + ")");
    }
    Node n;
    n.op = N::fact;
    n.kind = Kind::list;
    n.slot = x.slot;
    n.has_default = scenario.default_of(x.slot).has_value();
    return push(std::move(n));
  }

  std::uint32_t binary(N op, std::uint32_t a, std::uint32_t b, std::int32_t e) {
    Node n;
    n.op = op;
    n.kind = Kind::number;
    n.exponent = e;
    n.args = {a, b};
    return push(std::move(n));
  }

  std::uint32_t code_match(std::uint32_t column, const std::vector<std::string>& wanted,
                           bool negate) {
    Node n;
    n.op = N::in;
    n.kind = Kind::boolean;
    n.args = {column};
    for (const auto& t : wanted) {
      auto it = std::find(nodes[column].values->begin(), nodes[column].values->end(), t);
      if (it != nodes[column].values->end()) n.codes.push_back(it - nodes[column].values->begin());
    }
    std::uint32_t k = push(std::move(n));
    if (!negate) return k;
    Node no;
    no.op = N::not_;
    no.kind = Kind::boolean;
    no.args = {k};
    return push(std::move(no));
  }

  /// The text fact or field `x` names (its slot, and whether it is a field), if it names one.
  std::optional<std::pair<std::size_t, bool>> text_ref(const Expr& x,
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
  std::uint32_t text_match(std::pair<std::size_t, bool> ref, std::vector<std::string> texts_in,
                           bool negate) {
    Node n;
    n.op = N::text_in;
    n.kind = Kind::boolean;
    n.slot = ref.first;
    n.of_field = ref.second;
    n.value = static_cast<std::int64_t>(text_sets.size());
    if (!ref.second) {
      if (const auto& d = scenario.default_of(ref.first)) {
        const auto* text = std::get_if<std::string>(&std::get<Scalar>(*d));
        if (text == nullptr) refuse("a text fact whose default is not a text");
        n.has_default = true;
        n.shift = std::find(texts_in.begin(), texts_in.end(), *text) != texts_in.end() ? 1 : 0;
      }
    }
    text_sets.push_back(std::move(texts_in));
    const std::uint32_t k = push(std::move(n));
    if (!negate) return k;
    Node no;
    no.op = N::not_;
    no.kind = Kind::boolean;
    no.args = {k};
    return push(std::move(no));
  }

  std::uint32_t compile(const Expr& x, const FactDecl* record) {
    switch (x.op) {
      case Op::number:
        return constant_number(x.number);
      case Op::boolean:
        return constant_bool(x.boolean);
      case Op::string: {
        Node n;
        n.kind = Kind::text;
        n.text = x.text;
        return push(std::move(n));
      }
      case Op::option: {
        Node n;
        n.kind = Kind::text;
        n.text = scenario.option(x.slot);
        return push(std::move(n));
      }
      case Op::name:
        switch (x.ref) {
          case RefKind::fact:
            if (x.slot == detail::kYearSlot) {
              Node n;
              n.op = N::year;
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
        return binary(x.op == Op::add ? N::add : N::sub, align(a, e), align(b, e), e);
      }
      case Op::mul: {
        const std::uint32_t a = compile(*x.args[0], record);
        const std::uint32_t b = compile(*x.args[1], record);
        if (nodes[a].kind != Kind::number || nodes[b].kind != Kind::number)
          refuse("a product of non-numbers");
        const std::int32_t e = nodes[a].exponent + nodes[b].exponent;
        if (e < -18) refuse("a product with more than 18 decimals");
        return binary(N::mul, a, b, e);
      }
      case Op::neg: {
        Node n;
        n.op = N::neg;
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
        Node n;
        n.op = x.op == Op::min ? N::min : N::max;
        n.exponent = e;
        for (std::uint32_t a : args) n.args.push_back(align(a, e));
        return push(std::move(n));
      }
      case Op::round: {
        const std::uint32_t a = compile(*x.args[0], record);
        const std::int32_t from = nodes[a].exponent;
        const std::int32_t to = x.round_exponent;
        if (to <= from) return align(a, to);
        Node n;
        n.op = N::round;
        n.exponent = to;
        n.shift = checked_shift(to - from);
        n.mode = x.round_mode;
        n.args = {a};
        return push(std::move(n));
      }
      case Op::if_: {
        const std::uint32_t c = compile(*x.args[0], record);
        if (is_constant(c)) return compile(*x.args[nodes[c].value ? 1 : 2], record);
        std::uint32_t a = compile(*x.args[1], record);
        std::uint32_t b = compile(*x.args[2], record);
        Node n;
        n.op = N::if_;
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
        Node n;
        n.args = {list};
        for (std::size_t k = 1; k < x.args.size(); ++k) n.args.push_back(compile(*x.args[k], decl));
        switch (x.op) {
          case Op::sum:
            n.op = N::sum;
            n.exponent = nodes[n.args[1]].exponent;
            break;
          case Op::count:
            n.op = N::count;
            break;
          case Op::any:
            n.op = N::any;
            n.kind = Kind::boolean;
            break;
          default:
            n.op = N::all;
            n.kind = Kind::boolean;
        }
        return push(std::move(n));
      }
      case Op::last_year: {
        const std::uint32_t k = compile_scalar_fact(x.slot);
        nodes[k].op = N::last_year;
        return k;
      }
      case Op::present: {
        const Expr& a = *x.args[0];
        Node n;
        n.kind = Kind::boolean;
        n.slot = a.slot;
        if (a.ref == RefKind::field) {
          n.op = N::present_field;
        } else if (a.slot == detail::kYearSlot) {
          n.op = N::present_year;
        } else {
          n.op = N::present_fact;
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
        Node n;
        n.op = is_and ? N::and_ : N::or_;
        n.kind = Kind::boolean;
        n.args = {a, compile(*x.args[1], record)};
        return push(std::move(n));
      }
      case Op::not_: {
        const std::uint32_t a = compile(*x.args[0], record);
        if (is_constant(a)) return constant_bool(nodes[a].value == 0);
        Node n;
        n.op = N::not_;
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
        Node n;
        n.op = N::cmp;
        n.kind = Kind::boolean;
        n.cmp = x.cmp;
        n.args = {a, b};
        return push(std::move(n));
      }
      case Op::in: {
        if (const auto ref = text_ref(*x.args[0], record))
          return text_match(*ref, x.strings, false);
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

  std::uint32_t compile_expression(const detail::Expression& e, Kind kind) {
    if (!e) return kNone;
    const std::uint32_t k = compile(*e.root, nullptr);
    if (nodes[k].kind != kind) refuse("an expression of an unexpected kind: " + e.source);
    return k;
  }

  AwardCode compile_award(const CompiledAward& a, const FactDecl* record) {
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
        c.a = binary(N::mul, rate, base, c.exponent);
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

  void compile_all(const std::vector<std::string>& only) {
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
        const auto kept =
            std::count_if(rs.begin(), rs.end(), [&](std::size_t k) { return keep[k]; });
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
        const bool kept = std::any_of(cs.rules.begin(), cs.rules.end(), [&](std::size_t rule) {
          return program_rule[rule] != kNone;
        });
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

  // ---- lowering: nodes → the interpreter's compact form ----

  std::vector<Hot> hot;
  std::vector<std::uint32_t> operands;  ///< of all_of / any_of nodes
  std::vector<std::uint32_t> lowered;   ///< node → hot index

  std::uint32_t emit(const Hot& h) {
    hot.push_back(h);
    return static_cast<std::uint32_t>(hot.size() - 1);
  }

  static std::int64_t mask_of(const std::vector<std::int64_t>& codes) {
    std::int64_t mask = 0;
    for (std::int64_t code : codes) {
      if (code < 0 || code >= 63) refuse("an enumeration of more than 63 values");
      mask |= std::int64_t{1} << code;
    }
    return mask;
  }

  /// The lowered operands of a chain of `op` (and_ / or_) rooted at node k, left to right.
  void flatten(std::uint32_t k, N op, std::vector<std::uint32_t>& chain) {
    if (nodes[k].op != op) {
      chain.push_back(lower(k));
      return;
    }
    for (std::uint32_t a : nodes[k].args) flatten(a, op, chain);
  }

  std::uint32_t lower(std::uint32_t k) {
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

  void lower_award(AwardCode& a) {
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

  void lower_all() {
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
  bool same(std::uint32_t x, std::uint32_t y) const {
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
           a.exponent == b.exponent && a.shift == b.shift && a.slot == b.slot &&
           a.value == b.value && same(a.a, b.a) && same(a.b, b.b) && same(a.c, b.c);
  }

  /// `when: any(list, C)` in front of `per_item: for_each list where C` (the O11/O21 shape)
  /// decides nothing the award does not: the award has an item exactly when some record meets C,
  /// and it evaluates C on every record `any` would. Without a recurrence to check in between, the
  /// condition is skipped and the list scanned once.
  bool when_is_implied(const RuleCode& rule) const {
    const AwardCode& a = rule.award;
    if (rule.when == kNone || rule.from != kNone || a.kind != AmountKind::per_item || !a.for_each ||
        a.where == kNone) {
      return false;
    }
    const Hot& when = hot[rule.when];
    return when.op == H::any && when.slot == a.list_slot && same(when.a, a.where);
  }

  // ---- running ----

  struct Chunk;

  struct Cursor {
    const FactTable& table;
    std::size_t row;
    std::size_t previous = kNoRow;  ///< the same enterprise's row of the year before
    Chunk& chunk;                   ///< where texts the program's table lacks are kept
    const ListColumn* list = nullptr;
    std::size_t record = 0;
  };

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

  SUBSIDY_ALWAYS_INLINE static std::int64_t fact_value(const Hot& n, const Cursor& c) {
    const FactColumn& col = c.table.scalar(n.slot);
    if (col.has(c.row)) return col.at(c.row);
    if (n.flag) return n.value;
    fall_back();
  }
  SUBSIDY_ALWAYS_INLINE static std::int64_t field_value(const Hot& n, const Cursor& c) {
    const FactColumn& col = c.list->fields[n.slot];
    if (!col.has(c.record)) fall_back();
    return col.at(c.record);
  }

  /// The value of node k, with the commonest leaves computed inline: an operand costs a call
  /// (and eval's frame) only when it is an inner node.
  SUBSIDY_ALWAYS_INLINE std::int64_t operand(std::uint32_t k, Cursor& c) const {
    const Hot& n = hot[k];
    switch (n.op) {
      case H::constant:
        return n.value;
      case H::fact:
        return fact_value(n, c);
      case H::field:
        return field_value(n, c);
      case H::field_cmp_k:
        return compare(field_value(n, c), n.value, n.cmp);
      case H::field_in:
        return in_mask(field_value(n, c), n.value);
      default:
        return eval(k, c);
    }
  }

  /// sum / count / any / all over a list: out of eval() so that eval's frame stays small (its
  /// prologue and epilogue are paid on every node).
  [[gnu::noinline]] std::int64_t eval_list(const Hot& n, Cursor& c) const {
    const ListColumn& list = c.table.list(n.slot);
    std::uint32_t from = 0, to = 0;
    if (list.has(c.row)) {
      from = list.offsets[c.row];
      to = list.offsets[c.row + 1];
    } else if (!n.flag) {
      fall_back();
    }
    if ((n.op == H::any || n.op == H::count) && n.a != kNone && hot[n.a].op == H::field_in) {
      // any / count of records whose enumeration field is in a set: one tight loop.
      const FactColumn& field = list.fields[hot[n.a].slot];
      const std::int64_t mask = hot[n.a].value;
      std::int64_t hits = 0;
      for (std::uint32_t i = from; i < to; ++i) {
        if (!field.has(i)) fall_back();
        if (in_mask(field.at(i), mask)) {
          if (n.op == H::any) return 1;
          ++hits;
        }
      }
      return hits;
    }
    const ListColumn* saved_list = c.list;
    const std::size_t saved_record = c.record;
    c.list = &list;
    std::int64_t acc = n.op == H::all ? 1 : 0;
    for (std::uint32_t i = from; i < to; ++i) {
      c.record = i;
      if (n.op == H::sum) {
        if (n.b != kNone && !eval(n.b, c)) continue;
        acc = checked_add(acc, eval(n.a, c));
      } else if (n.op == H::count) {
        if (n.a != kNone && !eval(n.a, c)) continue;
        ++acc;
      } else {
        const bool v = eval(n.a, c) != 0;
        if (n.op == H::any && v) {
          acc = 1;
          break;
        }
        if (n.op == H::all && !v) {
          acc = 0;
          break;
        }
      }
    }
    c.list = saved_list;
    c.record = saved_record;
    return acc;
  }

  std::int64_t eval(std::uint32_t k, Cursor& c) const {
    const Hot& n = hot[k];
    switch (n.op) {
      case H::constant:
      case H::fact:
      case H::field:
      case H::field_cmp_k:
      case H::field_in:
        return operand(k, c);  // the leaves, computed inline there
      case H::year: {
        const FactColumn& col = c.table.year();
        if (!col.has(c.row)) fall_back();
        return col.at(c.row);
      }
      case H::last_year: {
        // A previous row kept exact has no usable columns: the reference path reads its facts.
        if (c.previous == kNoRow || c.table.exact_only(c.previous)) fall_back();
        const FactColumn& col = c.table.scalar(n.slot);
        if (col.has(c.previous)) return col.at(c.previous);
        if (n.flag) return n.value;
        fall_back();
      }
      case H::rescale:
        return scale_up(eval(n.a, c), n.shift);
      case H::round:
        return scale_down(eval(n.a, c), n.shift, n.mode);
      case H::add: {
        const std::int64_t a = operand(n.a, c);
        return checked_add(a, operand(n.b, c));
      }
      case H::sub: {
        const std::int64_t a = operand(n.a, c);
        return checked_sub(a, operand(n.b, c));
      }
      case H::mul: {
        const std::int64_t a = operand(n.a, c);
        return checked_mul(a, operand(n.b, c));
      }
      case H::neg:
        return checked_sub(0, eval(n.a, c));
      case H::min: {
        const std::int64_t a = eval(n.a, c);
        const std::int64_t b = eval(n.b, c);
        return b < a ? b : a;
      }
      case H::max: {
        const std::int64_t a = eval(n.a, c);
        const std::int64_t b = eval(n.b, c);
        return b > a ? b : a;
      }
      case H::if_:
        return eval(n.a, c) ? eval(n.b, c) : eval(n.c, c);
      case H::sum:
      case H::count:
      case H::any:
      case H::all:
        return eval_list(n, c);
      case H::present_fact:
        return c.table.scalar(n.slot).has(c.row);
      case H::present_list:
        return c.table.list(n.slot).has(c.row);
      case H::present_field:
        return c.list != nullptr && c.list->fields[n.slot].has(c.record);
      case H::present_year:
        return c.table.year().has(c.row);
      case H::and_:
        return operand(n.a, c) && operand(n.b, c);
      case H::or_:
        return operand(n.a, c) || operand(n.b, c);
      case H::all_of:
        for (std::uint32_t i = n.a; i < n.a + n.b; ++i) {
          if (!operand(operands[i], c)) return 0;
        }
        return 1;
      case H::any_of:
        for (std::uint32_t i = n.a; i < n.a + n.b; ++i) {
          if (operand(operands[i], c)) return 1;
        }
        return 0;
      case H::not_:
        return !operand(n.a, c);
      case H::cmp: {
        const std::int64_t a = eval(n.a, c);
        return compare(a, eval(n.b, c), n.cmp);
      }
      case H::cmp_k:
        return compare(operand(n.a, c), n.value, n.cmp);
      case H::in:
        return in_mask(eval(n.a, c), n.value);
      case H::fact_in: {
        const FactColumn& col = c.table.scalar(n.slot);
        if (col.has(c.row)) return in_mask(col.at(c.row), n.value);
        if (n.flag) return n.shift;
        fall_back();
      }
      case H::text_fact_in: {
        const FactColumn& col = c.table.scalar(n.slot);
        if (col.has(c.row)) return text_in(col, col.at(c.row), n.value);
        if (n.flag) return n.shift;
        fall_back();
      }
      case H::text_field_in: {
        const FactColumn& col = c.list->fields[n.slot];
        if (!col.has(c.record)) fall_back();
        return text_in(col, col.at(c.record), n.value);
      }
    }
    return 0;
  }

  /// True when the dictionary code `code` of a text column is one of text_sets[set].
  bool text_in(const FactColumn& col, std::int64_t code, std::int64_t set) const {
    const std::string& text = col.dictionary.at(static_cast<std::size_t>(code));
    const auto& texts_in = text_sets[static_cast<std::size_t>(set)];
    return std::find(texts_in.begin(), texts_in.end(), text) != texts_in.end();
  }

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
    static std::int64_t at(const Fixed& x, std::int32_t e) {
      if (x.e - e > 18) fall_back();
      return scale_up(x.v, x.e - e);
    }
    /// `x` at the result's exponent, exactly (digits below it send the row to the exact domain).
    std::int64_t at_result(const Fixed& x) const {
      if (x.e >= p.exponent) return at(x, p.exponent);
      const std::int32_t drop = p.exponent - x.e;
      if (drop > 18 || x.v % kPow10[drop] != 0) fall_back();
      return x.v / kPow10[drop];
    }
    static Fixed add(const Fixed& a, const Fixed& b) {
      const std::int32_t e = std::min(a.e, b.e);
      return {checked_add(at(a, e), at(b, e)), e};
    }
    static Fixed sub(const Fixed& a, const Fixed& b) {
      const std::int32_t e = std::min(a.e, b.e);
      return {checked_sub(at(a, e), at(b, e)), e};
    }
    static bool less(const Fixed& a, const Fixed& b) {
      const std::int32_t e = std::min(a.e, b.e);
      return at(a, e) < at(b, e);
    }
    static bool negative(const Fixed& a) { return a.v < 0; }
    static Fixed times(const Fixed& a, std::int64_t count) {
      return {checked_mul(a.v, count), a.e};
    }
    static std::int64_t add_count(std::int64_t a, std::int64_t b) { return checked_add(a, b); }
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

    Fixed value(std::uint32_t k) const { return {p.eval(k, c), p.hot[k].exponent}; }
    Fixed amount(const AwardCode& a) const { return value(a.a); }
    Fixed rate_times_base(const AwardCode& a) const { return value(a.a); }  // compiled as a product
    Fixed band_min(const AwardCode& a) const { return value(a.a); }
    Fixed band_max(const AwardCode& a) const { return value(a.b); }
    [[noreturn]] static void band_upside_down(const Fixed&, const Fixed&) { fall_back(); }
    static std::uint32_t words(const AwardCode& a, LineStatus) { return a.text; }

    std::int64_t item_count(const AwardCode& a) const {
      const Fixed n = value(a.a);
      std::int64_t count = n.v;
      if (n.e < 0) {
        if (-n.e > 18 || n.v % kPow10[-n.e] != 0) fall_back();
        count = n.v / kPow10[-n.e];
      } else {
        count = scale_up(n.v, n.e);
      }
      if (count < 0) fall_back();
      return count;
    }
    static void trace_items(std::int64_t) {}

    /// The records of the row's list, [from, to), or the row goes exact when the list is absent.
    std::pair<std::uint32_t, std::uint32_t> records(const AwardCode& a) const {
      const ListColumn& list = c.table.list(a.list_slot);
      if (list.has(c.row)) return {list.offsets[c.row], list.offsets[c.row + 1]};
      if (!p.scenario.default_of(a.list_slot)) fall_back();
      return {0, 0};
    }
    /// A fixed amount per matching record: the count times the amount, the list scanned once.
    bool count_records(const AwardCode& a, Result& total) const {
      const AwardCode& each = *a.each;
      if (each.kind != AmountKind::fixed || p.hot[each.a].op != H::constant) return false;
      const auto [from, to] = records(a);
      std::int64_t count = 0;
      const ListColumn* saved_list = c.list;
      const std::size_t saved_record = c.record;
      c.list = &c.table.list(a.list_slot);
      for (std::uint32_t i = from; i < to; ++i) {
        c.record = i;
        if (a.where == kNone || p.eval(a.where, c)) ++count;
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
        if (a.where != kNone && !p.eval(a.where, c)) continue;
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
    [[noreturn]] static void two_tiers(const AwardCode&, const Fixed&, std::size_t, std::size_t) {
      fall_back();
    }
    static void trace_tier(const AwardCode&, const Fixed&, std::size_t) {}

    bool condition_holds(const RuleCode& rule) const {
      return rule.when == kNone || p.eval(rule.when, c) != 0;
    }
    bool within_years(const RuleCode& rule) const {
      if (rule.from == kNone) return true;
      const FactColumn& years = c.table.year();
      if (!years.has(c.row)) fall_back();
      const Fixed from = value(rule.from);
      const Fixed year{years.at(c.row), 0};
      return !less(year, from) && less(year, add(from, Fixed{rule.years, 0}));
    }
    static void trace_nothing(bool) {}
    [[noreturn]] static void negative_award(const Fixed&) { fall_back(); }
    static bool recognition(const RuleCode& rule) { return rule.recognition; }
    /// Rounded by the rule, once, then at the result's exponent.
    Fixed round(const RuleCode& rule, const Fixed& v) const {
      const std::int32_t to = rule.rounding_exponent;
      if (to - v.e > 18) fall_back();
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

  /// Evaluates one rule for the row; appends its line (if any). Throws Fallback.
  void run_rule(std::uint32_t index, Cursor& c, std::vector<ColumnarLine>& out) const {
    const RuleCode& rule = rule_codes[index];
    FixedDomain d{*this, c};
    FixedDomain::Result o;
    if (detail::rule_outcome(d, rule, o) != detail::NoLine::none) return;
    ColumnarLine line;
    line.rule = index;
    line.status = o.status;
    line.tier = o.tier;
    line.text = o.text;
    line.items = o.items;
    if (o.status == LineStatus::exact || o.status == LineStatus::band) {
      line.min = o.min.v;  // rounded: at the result's exponent
      line.max = o.max.v;
    }
    out.push_back(line);
  }

  void interactions(const SetCode& set, Cursor& c, std::vector<ColumnarLine>& out,
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
          if (n == 16) fall_back();
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
            l.note =
                text_index(c.chunk, detail::cap_note(r.caps[cap.cap],
                                                     rounded == at_result ? rounded : at_result,
                                                     Decimal::from_scaled_int64(l.max, exponent)));
          });
    }
  }

  /// The fast path for one row: its lines appended to `out`. Throws Fallback.
  void run_row(Cursor& c, std::vector<ColumnarLine>& out) const {
    for (const SetCode& set : sets) {
      if (set.applies_to == kNone && set.rules.empty() && set.checks.empty()) {
        continue;  // inactive set (or one with nothing to do)
      }
      if (set.applies_to != kNone && !eval(set.applies_to, c)) continue;
      const std::size_t first = out.size();
      for (std::uint32_t rule : set.rules) run_rule(rule, c, out);
      interactions(set, c, out, first);
      // Checks give findings, which the columnar results leave out; they still run, because a
      // check that cannot be evaluated (a missing fact) makes the reference report an error.
      for (const auto& [when, require] : set.checks) {
        if (when != kNone && !eval(when, c)) continue;
        eval(require, c);
      }
    }
  }

  // ---- results ----

  struct RuleTotals {
    std::int64_t lines = 0, unfixed = 0, recognised = 0;
    Int128 min = 0, max = 0;
  };

  struct alignas(64) Chunk {          // own cache lines: two threads write neighbouring chunks
    std::vector<std::size_t> counts;  ///< lines per row
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

  const std::string& text_at(const Chunk& chunk, std::uint32_t index) const {
    return index < texts->list.size() ? texts->list[index]
                                      : chunk.new_list[index - texts->list.size()];
  }

  /// The text of tier labels `a` then `b`, joined as a line shows them.
  std::uint32_t joined(Chunk& chunk, std::uint32_t a, std::uint32_t b) const {
    auto [it, added] = chunk.joins.emplace(std::make_pair(a, b), 0);
    if (added) {
      std::string text = text_at(chunk, a);
      detail::join_tier(text, text_at(chunk, b));
      it->second = text_index(chunk, text);
    }
    return it->second;
  }

  std::uint32_t text_index(Chunk& chunk, const std::string& text) const {
    auto it = texts->index.find(text);
    if (it != texts->index.end()) return it->second;
    const auto next = static_cast<std::uint32_t>(texts->list.size() + chunk.new_list.size());
    auto [j, added] = chunk.new_texts.emplace(text, next);
    if (added) chunk.new_list.push_back(text);
    return j->second;
  }

  void count_line(Chunk& chunk, const ColumnarLine& l) const {
    if (l.withheld) return;
    RuleTotals& t = chunk.totals[l.rule];
    ++t.lines;
    if (l.status == LineStatus::unfixed) {
      ++t.unfixed;
    } else if (l.status == LineStatus::recognised) {
      ++t.recognised;
    } else {
      t.min += l.min;
      t.max += l.max;
    }
  }

  bool row_cash(const std::vector<ColumnarLine>& lines, std::size_t first, std::int64_t& lo,
                std::int64_t& hi) const {
    lo = hi = 0;
    for (std::size_t i = first; i < lines.size(); ++i) {
      const ColumnarLine& l = lines[i];
      if (l.withheld || l.status == LineStatus::unfixed || l.status == LineStatus::recognised)
        continue;
      if (rule_codes[l.rule].in_kind) continue;
      if (__builtin_add_overflow(lo, l.min, &lo) || __builtin_add_overflow(hi, l.max, &hi))
        return false;
    }
    return true;
  }

  /// Which program evaluates each row (the row's own year's, unless the scenario fixes the day),
  /// and each row's previous-year row of the same enterprise.
  struct RowPlan {
    std::int64_t first_year = 0;
    std::vector<const Impl*> by_year;  ///< by year − first_year
    std::vector<std::optional<std::size_t>> previous;
    const Impl& program(const FactTable& table, std::size_t row, const Impl& self) const {
      if (by_year.empty() || !table.year().has(row)) return self;
      return *by_year[static_cast<std::size_t>(clamp_year(table.year().at(row)) - first_year)];
    }
  };

  /// Years are read as days 0001-12-31 .. 9999-12-31, as the reference evaluator reads them.
  static std::int64_t clamp_year(std::int64_t year) {
    return std::clamp<std::int64_t>(year, 1, 9999);
  }

  RowPlan plan_rows(const FactTable& table) const {
    RowPlan plan;
    const FactColumn& years = table.year();
    const std::size_t rows = table.rows();
    const auto& ids = table.row_ids();
    plan.previous = detail::previous_records(rows, [&](std::size_t row) {
      static const std::string none;
      std::optional<std::int64_t> year;
      if (row < ids.size() && years.has(row)) year = years.at(row);
      return std::make_pair(row < ids.size() ? &ids[row] : &none, year);
    });
    if (given.on) return plan;
    std::int64_t lo = 0, hi = -1;
    for (std::size_t row = 0; row < rows; ++row) {
      if (!years.has(row)) continue;
      const std::int64_t y = clamp_year(years.at(row));
      if (hi < lo) lo = hi = y;
      lo = std::min(lo, y);
      hi = std::max(hi, y);
    }
    if (hi < lo) return plan;
    plan.first_year = lo;
    plan.by_year.assign(static_cast<std::size_t>(hi - lo + 1), nullptr);
    const std::lock_guard<std::mutex> lock(years_mutex);
    for (std::size_t row = 0; row < rows; ++row) {
      if (!years.has(row)) continue;
      const std::int64_t y = clamp_year(years.at(row));
      const Impl*& slot = plan.by_year[static_cast<std::size_t>(y - lo)];
      if (slot != nullptr) continue;
      auto& program = year_programs[y];
      if (!program) {
        Scenario s = given;
        s.on = Date{static_cast<int>(y), 12, 31};
        program = std::make_unique<Impl>(rules, s);
        program->texts = texts;
        program->compile_all(selection);
      }
      slot = program.get();
    }
    return plan;
  }

  /// The reference evaluator's result for a row, as columnar lines (or kept whole).
  void reference_row(const FactTable& table, std::size_t row, const RowPlan& plan,
                     Chunk& chunk) const {
    std::optional<Enterprise> previous;
    if (plan.previous[row]) previous = table.enterprise(*plan.previous[row]);
    Evaluation ev = reference(table.enterprise(row), previous ? &*previous : nullptr);
    if (filtered) {
      ev.unevaluated.erase(std::remove_if(ev.unevaluated.begin(), ev.unevaluated.end(),
                                          [&](const Unevaluated& u) {
                                            auto it = r.rule_index.find(u.qualified_id());
                                            return u.kind != "rule" || it == r.rule_index.end() ||
                                                   program_rule[it->second] == kNone;
                                          }),
                           ev.unevaluated.end());
    }
    const std::size_t first = chunk.lines.size();
    bool fits = ev.complete();  // a row with rules not evaluated (missing facts) is kept whole
    for (const auto& l : ev.lines) {
      if (!fits) break;
      auto it = r.rule_index.find(l.info->qualified_id);
      const std::uint32_t index = it == r.rule_index.end() ? kNone : program_rule[it->second];
      if (index == kNone) continue;
      ColumnarLine line;
      line.rule = index;
      line.status = l.status;
      line.withheld = l.withheld;
      line.tier = text_index(chunk, l.tier);
      line.text = text_index(chunk, l.unfixed_text);
      line.note = text_index(chunk, l.note);
      line.items = l.items;
      if (l.status != LineStatus::unfixed && l.status != LineStatus::recognised) {
        fits = l.band.min.to_scaled_int64(exponent, line.min) &&
               l.band.max.to_scaled_int64(exponent, line.max);
      }
      chunk.lines.push_back(line);
    }
    std::int64_t lo = 0, hi = 0;
    if (fits) fits = row_cash(chunk.lines, first, lo, hi);
    if (!fits) {
      chunk.lines.resize(first);
      if (ev.ok()) {
        if (filtered)
          ev.lines.erase(std::remove_if(ev.lines.begin(), ev.lines.end(),
                                        [&](const AwardLine& l) {
                                          auto it = r.rule_index.find(l.info->qualified_id);
                                          return it == r.rule_index.end() ||
                                                 program_rule[it->second] == kNone;
                                        }),
                         ev.lines.end());
        detail::add_line_totals(chunk.reference_totals, ev.lines);
        detail::add_unevaluated_totals(chunk.reference_totals, ev.unevaluated);
      }
      chunk.exact.emplace(row, std::move(ev));
    } else {
      for (std::size_t i = first; i < chunk.lines.size(); ++i) count_line(chunk, chunk.lines[i]);
    }
    chunk.counts.push_back(chunk.lines.size() - first);
    chunk.cash_min.push_back(lo);
    chunk.cash_max.push_back(hi);
    chunk.by_reference.push_back(1);
  }

  /// Evaluates rows [from, to) into `chunk`, whose columns get room for `room` rows (the
  /// first chunk reserves room for every row: see run()).
  void run_range(const FactTable& table, const RowPlan& plan, std::size_t from, std::size_t to,
                 std::size_t room, Chunk& chunk) const {
    chunk.totals.assign(rule_codes.size(), RuleTotals{});
    const std::size_t n = room;
    chunk.counts.reserve(to - from);
    chunk.cash_min.reserve(n);
    chunk.cash_max.reserve(n);
    chunk.by_reference.reserve(n);
    constexpr std::size_t kSample = 1024;
    for (std::size_t row = from; row < to; ++row) {
      if (row == from + kSample) {
        // Lines for the rest, estimated from the first rows (+12%): growing by doubling would
        // copy the lines and hold up to twice the memory.
        chunk.lines.reserve(chunk.lines.size() * n / kSample +
                            chunk.lines.size() * n / kSample / 8 + 64);
      }
      const Impl& program = plan.program(table, row, *this);
      if (!program.compiled || table.exact_only(row)) {
        reference_row(table, row, plan, chunk);
        continue;
      }
      const std::size_t first = chunk.lines.size();
      Cursor c{table, row, plan.previous[row] ? *plan.previous[row] : kNoRow, chunk};
      std::int64_t lo = 0, hi = 0;
      bool ok = true;
      try {
        program.run_row(c, chunk.lines);
        ok = row_cash(chunk.lines, first, lo, hi);
      } catch (const Fallback&) {
        ok = false;
      }
      if (!ok) {
        chunk.lines.resize(first);
        reference_row(table, row, plan, chunk);
        continue;
      }
      for (std::size_t i = first; i < chunk.lines.size(); ++i) count_line(chunk, chunk.lines[i]);
      chunk.counts.push_back(chunk.lines.size() - first);
      chunk.cash_min.push_back(lo);
      chunk.cash_max.push_back(hi);
      chunk.by_reference.push_back(0);
    }
  }

  static Decimal to_decimal(Int128 v, std::int32_t exponent) {
    const bool negative = v < 0;
    const UInt128 m = negative ? -static_cast<UInt128>(v) : static_cast<UInt128>(v);
    BigInt b(static_cast<std::uint64_t>(m >> 64));
    b <<= 64;
    b += static_cast<std::uint64_t>(m);
    return Decimal(negative ? BigInt(-b) : b, exponent);
  }

  ColumnarResult run(const FactTable& table, unsigned threads) const {
    // Columns are found by fact slot: a table shaped for other rules would be read wrongly.
    if (table.rows() != 0 && table.rules().fingerprint() != rules.fingerprint()) {
      throw Error(ErrorKind::usage, "the fact table was built for another rule set");
    }
    const std::size_t rows = table.rows();
    const RowPlan plan = plan_rows(table);
    threads = static_cast<unsigned>(std::min<std::size_t>(detail::worker_threads(threads),
                                                          std::max<std::size_t>(1, rows / 1024)));
    threads = std::max(threads, 1u);
    std::vector<Chunk> chunks(threads);
    if (threads == 1) {
      run_range(table, plan, 0, rows, rows, chunks[0]);
    } else {
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
          const std::size_t from = rows * t / threads;
          const std::size_t to = rows * (t + 1) / threads;
          run_range(table, plan, from, to, t == 0 ? rows : to - from, chunks[t]);
        });
      }
      for (auto& th : pool) th.join();
    }
    ColumnarResult out;
    out.exponent = exponent;
    out.rules = rule_ids;
    merge_texts(chunks, out);
    std::size_t total_lines = 0;
    for (const auto& ch : chunks) total_lines += ch.lines.size();
    // The first chunk's columns become the result's, without a copy; the first chunk reserved
    // room for every row (address space only: pages cost memory once written), so the other
    // chunks are appended in place and only one copy of the lines exists at any time.
    out.lines = std::move(chunks[0].lines);
    out.cash_min = std::move(chunks[0].cash_min);
    out.cash_max = std::move(chunks[0].cash_max);
    out.by_reference = std::move(chunks[0].by_reference);
    out.lines.reserve(total_lines);
    out.offsets.reserve(rows + 1);
    out.offsets.push_back(0);
    out.cash_min.reserve(rows);
    out.cash_max.reserve(rows);
    out.by_reference.reserve(rows);
    std::vector<RuleTotals> totals(rule_codes.size());
    for (std::size_t t = 0; t < chunks.size(); ++t) {
      Chunk& ch = chunks[t];
      for (std::size_t n : ch.counts) out.offsets.push_back(out.offsets.back() + n);
      if (t > 0) {
        out.lines.insert(out.lines.end(), ch.lines.begin(), ch.lines.end());
        out.cash_min.insert(out.cash_min.end(), ch.cash_min.begin(), ch.cash_min.end());
        out.cash_max.insert(out.cash_max.end(), ch.cash_max.begin(), ch.cash_max.end());
        out.by_reference.insert(out.by_reference.end(), ch.by_reference.begin(),
                                ch.by_reference.end());
      }
      for (auto& [row, ev] : ch.exact) out.exact.emplace(row, std::move(ev));
      for (std::size_t k = 0; k < totals.size(); ++k) {
        totals[k].lines += ch.totals[k].lines;
        totals[k].unfixed += ch.totals[k].unfixed;
        totals[k].recognised += ch.totals[k].recognised;
        totals[k].min += ch.totals[k].min;  // ≤ 2^63 per line × 2^32 lines: no overflow
        totals[k].max += ch.totals[k].max;
      }
      add_totals(out.totals, ch.reference_totals);
      ch = Chunk{};
    }
    for (std::size_t k = 0; k < totals.size(); ++k) {
      const RuleTotals& t = totals[k];
      if (t.lines == 0) continue;
      const RuleInfo& info = r.rules[r.crules[rule_codes[k].crule].info];
      Total add;
      add.lines = t.lines;
      add.unfixed = t.unfixed;
      add.recognised = t.recognised;
      Band& b = info.form == AwardForm::in_kind ? add.in_kind : add.cash;
      b.min = to_decimal(t.min, exponent);
      b.max = to_decimal(t.max, exponent);
      if (!info.payer.empty()) out.totals.by_payer[info.payer] += add;
      out.totals.by_policy_set[info.policy_set] += add;
      out.totals.all += add;
    }
    return out;
  }

  /// The result's texts: the program's, then those only reference rows met, each once; lines
  /// of reference rows renumbered to them.
  void merge_texts(std::vector<Chunk>& chunks, ColumnarResult& out) const {
    out.texts = texts->list;
    const std::uint32_t own = static_cast<std::uint32_t>(texts->list.size());
    std::map<std::string, std::uint32_t, std::less<>> added;
    for (Chunk& ch : chunks) {
      if (ch.new_list.empty()) continue;
      std::vector<std::uint32_t> to;
      for (const auto& text : ch.new_list) {
        auto [it, fresh] = added.emplace(text, static_cast<std::uint32_t>(out.texts.size()));
        if (fresh) out.texts.push_back(text);
        to.push_back(it->second);
      }
      for (ColumnarLine& l : ch.lines) {
        for (std::uint32_t* t : {&l.tier, &l.text, &l.note}) {
          if (*t >= own) *t = to[*t - own];
        }
      }
    }
  }

  static void add_totals(Totals& into, const Totals& x) {
    for (const auto& [k, t] : x.by_payer) into.by_payer[k] += t;
    for (const auto& [k, t] : x.by_policy_set) into.by_policy_set[k] += t;
    into.all += x.all;
  }
};

Program::Program(const RuleSet& rules, const Scenario& scenario,
                 const std::vector<std::string>& only)
    : impl_(std::make_unique<Impl>(rules, scenario)) {
  impl_->compile_all(only);
}
Program::~Program() = default;
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;

bool Program::compiled() const noexcept { return impl_->compiled; }
const std::string& Program::unsupported() const noexcept { return impl_->unsupported_reason; }
std::size_t Program::rule_count() const noexcept { return impl_->rule_ids.size(); }

ColumnarResult Program::run(const FactTable& table, unsigned threads) const {
  return impl_->run(table, threads);
}

}  // namespace subsidy
