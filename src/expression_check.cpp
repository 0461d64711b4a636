// The expression language, second pass: names resolved against the policy set's scope and
// units checked (money, rate, count, ...), so that a rule file's unit error is found at load time.
#include "document.hpp"
#include "expression.hpp"

namespace subsidy::detail {

Unit money_unit() { return Unit{UnitKind::money, {}}; }
Unit rate_unit() { return Unit{UnitKind::rate, {}}; }
Unit count_unit() { return Unit{UnitKind::count, {}}; }
Unit number_unit() { return Unit{UnitKind::number, {}}; }
Unit boolean_unit() { return Unit{UnitKind::boolean, {}}; }

namespace {

class Checker {
 public:
  Checker(Expression& e, const Scope& scope) : e_(e), scope_(scope) {}

  Mark at(const Expr& x) const { return mark_at(e_.source, e_.mark, x.pos); }

  [[noreturn]] void unit_error(const Expr& x, const std::string& expected,
                               const Unit& found) const {
    throw Error::expected(ErrorKind::unit, expected, found.to_string(), at(x),
                          "in '" + e_.source + "'");
  }

  static bool is_bare(const Unit& u) { return u.kind == UnitKind::number; }

  // Unifies two numeric units for +, −, min, max, comparisons: equal, or one is a bare number.
  Unit unify(const Expr& at_expr, const Unit& a, const Unit& b) const {
    if (!a.numeric() && a.kind != UnitKind::date) unit_error(at_expr, "a number", a);
    if (!b.numeric() && b.kind != UnitKind::date) unit_error(at_expr, "a number", b);
    if (a == b) return a;
    if (is_bare(a) && b.kind != UnitKind::date) return b;
    if (is_bare(b) && a.kind != UnitKind::date) return a;
    if ((a.kind == UnitKind::count && b.kind == UnitKind::year) ||
        (a.kind == UnitKind::year && b.kind == UnitKind::count)) {
      return Unit{UnitKind::year, {}};
    }
    throw Error::expected(ErrorKind::unit, "values of the same unit",
                          a.to_string() + " with " + b.to_string(), at(at_expr),
                          "in '" + e_.source + "'");
  }

  // A bare literal beside a rate takes the rate's unit, so `growth >= 60` would mean 6000%:
  // above 1 a rate literal is written with its % sign (60%), as a rule file's rate value is.
  void bare_rate(const Expr& operand, const Unit& unit) const {
    if (unit.kind != UnitKind::rate || operand.op != Op::number || !is_bare(operand.unit)) return;
    if (!(Decimal(1) < operand.number) && !(operand.number < Decimal(-1))) return;
    throw Error::expected(ErrorKind::unit,
                          "a rate written with % (60%) or as a fraction of 1 (0.6)",
                          "the bare number '" + operand.text + "' beside a rate, which would be " +
                              (operand.number * Decimal(100)).to_string() + "%",
                          at(operand), "in '" + e_.source + "'");
  }

  Unit unify_operands(const Expr& at_expr, const Expr& a, const Expr& b) const {
    const Unit u = unify(at_expr, a.unit, b.unit);
    bare_rate(a, u);
    bare_rate(b, u);
    return u;
  }

  void check(Expr& x) {
    switch (x.op) {
      case Op::number:
        return;  // unit set by the parser
      case Op::boolean:
        x.unit = boolean_unit();
        return;
      case Op::string:
        x.unit = Unit{UnitKind::text, {}};
        return;
      case Op::name: {
        std::optional<Binding> b;
        if (record_ != nullptr) {
          for (std::size_t k = 0; k < record_->fields.size(); ++k) {
            if (record_->fields[k].name == x.text) {
              const FactDecl& f = record_->fields[k];
              b = Binding{RefKind::field, k, f.unit,
                          f.unit.kind == UnitKind::enumeration ? &f.values : nullptr, nullptr};
            }
          }
        }
        if (!b) b = scope_.lookup(x.text);
        if (!b) {
          throw Error(ErrorKind::name,
                      "'" + x.text + "' is not a declared fact, parameter or derived value" +
                          (record_ ? " nor a field of '" + record_->name + "'" : std::string()),
                      at(x));
        }
        if (b->unit.kind == UnitKind::list) {
          throw Error::expected(ErrorKind::unit,
                                "a value (a list is read with sum, count, any or all)",
                                "the list '" + x.text + "'", at(x));
        }
        x.ref = b->ref;
        x.slot = b->slot;
        x.unit = b->unit;
        x.enum_values = b->enum_values;
        if (b->ref == RefKind::derived) scope_.uses_derived(b->slot);
        return;
      }
      case Op::add:
      case Op::sub: {
        check(*x.args[0]);
        check(*x.args[1]);
        const Unit& a = x.args[0]->unit;
        const Unit& b = x.args[1]->unit;
        if (x.op == Op::sub && a.kind == UnitKind::year && b.kind == UnitKind::year) {
          x.unit = count_unit();
          return;
        }
        x.unit = unify_operands(x, *x.args[0], *x.args[1]);
        if (x.unit.kind == UnitKind::date) unit_error(x, "numbers (dates cannot be added)", x.unit);
        return;
      }
      case Op::mul: {
        check(*x.args[0]);
        check(*x.args[1]);
        x.unit = multiply(x, x.args[0]->unit, x.args[1]->unit);
        return;
      }
      case Op::neg:
        check(*x.args[0]);
        if (!x.args[0]->unit.numeric()) unit_error(x, "a number", x.args[0]->unit);
        x.unit = x.args[0]->unit;
        return;
      case Op::min:
      case Op::max: {
        if (x.args.size() < 2) {
          throw Error::expected(ErrorKind::parse, "at least two arguments",
                                std::to_string(x.args.size()), at(x), x.text + "()");
        }
        Unit u = number_unit();
        for (auto& a : x.args) {
          check(*a);
          u = unify(*a, u, a->unit);
        }
        for (const auto& a : x.args) bare_rate(*a, u);
        x.unit = u;
        return;
      }
      case Op::if_: {
        arity(x, 3);
        check(*x.args[0]);
        need_boolean(*x.args[0]);
        check(*x.args[1]);
        check(*x.args[2]);
        const Unit& a = x.args[1]->unit;
        const Unit& b = x.args[2]->unit;
        x.unit = (a.numeric() && b.numeric()) ? unify(x, a, b) : a;
        if (!(a.numeric() && b.numeric()) && a != b) {
          unit_error(*x.args[2], "the same unit as the other branch (" + a.to_string() + ")", b);
        }
        return;
      }
      case Op::round: {
        // round(x, 0.01[, 'half_even']): rounding where a rule says so, with the mode it says.
        if (x.args.size() < 2 || x.args.size() > 3) {
          throw Error::expected(ErrorKind::parse,
                                "round(value, quantum) or round(value, quantum, 'mode')",
                                std::to_string(x.args.size()) + " arguments", at(x));
        }
        check(*x.args[0]);
        if (!x.args[0]->unit.numeric())
          unit_error(*x.args[0], "a number to round", x.args[0]->unit);
        const Expr& q = *x.args[1];
        const Decimal quantum = q.op == Op::number ? q.number.reduce() : Decimal();
        if (q.op != Op::number || quantum.coefficient_int64() != 1) {
          throw Error::expected(ErrorKind::parse, "a power of ten as the quantum (0.01, 1, 100)",
                                "'" + q.text + "'", at(q), "round()");
        }
        x.round_exponent = quantum.exponent();
        if (x.args.size() == 3) {
          const Expr& m = *x.args[2];
          if (m.op != Op::string) {
            throw Error::expected(ErrorKind::parse,
                                  "a quoted rounding mode ('half_up', 'half_even', ...)",
                                  "an expression", at(m), "round()");
          }
          try {
            x.round_mode = parse_rounding(m.text);
          } catch (const Error& e) {
            throw Error(ErrorKind::parse, e.message(), at(m));
          }
        }
        x.unit = x.args[0]->unit;
        return;
      }
      case Op::sum:
      case Op::count:
      case Op::any:
      case Op::all: {
        const bool is_sum = x.op == Op::sum;
        const std::size_t min_args = is_sum ? 2 : (x.op == Op::count ? 1 : 2);
        const std::size_t max_args = is_sum ? 3 : 2;
        if (x.args.size() < min_args || x.args.size() > max_args) {
          throw Error::expected(
              ErrorKind::parse,
              std::to_string(min_args) + " to " + std::to_string(max_args) + " arguments",
              std::to_string(x.args.size()), at(x), x.text + "()");
        }
        Expr& list = *x.args[0];
        if (list.op != Op::name) unit_error(list, "the name of a list fact", list.unit);
        if (record_ != nullptr) {
          throw Error(ErrorKind::parse, "list functions cannot be nested", at(x));
        }
        auto b = scope_.lookup(list.text);
        if (!b || b->unit.kind != UnitKind::list || b->ref != RefKind::fact) {
          throw Error::expected(ErrorKind::name, "the name of a list fact", "'" + list.text + "'",
                                at(list));
        }
        list.ref = RefKind::fact;
        list.slot = b->slot;
        list.unit = b->unit;
        record_ = b->list;
        for (std::size_t k = 1; k < x.args.size(); ++k) check(*x.args[k]);
        record_ = nullptr;
        if (is_sum) {
          if (!x.args[1]->unit.numeric())
            unit_error(*x.args[1], "a number to add up", x.args[1]->unit);
          x.unit = x.args[1]->unit;
          if (x.args.size() == 3) need_boolean(*x.args[2]);
        } else if (x.op == Op::count) {
          if (x.args.size() == 2) need_boolean(*x.args[1]);
          x.unit = count_unit();
        } else {
          need_boolean(*x.args[1]);
          x.unit = boolean_unit();
        }
        return;
      }
      case Op::present: {
        Expr& a = *x.args[0];
        std::optional<Binding> b;
        if (record_ != nullptr) {
          for (std::size_t k = 0; k < record_->fields.size(); ++k) {
            if (record_->fields[k].name == a.text)
              b = Binding{RefKind::field, k, record_->fields[k].unit, nullptr, nullptr};
          }
        }
        if (!b) b = scope_.lookup(a.text);
        if (!b || (b->ref != RefKind::fact && b->ref != RefKind::field)) {
          throw Error::expected(ErrorKind::name, "the name of a fact", "'" + a.text + "'", at(a),
                                "present()");
        }
        a.ref = b->ref;
        a.slot = b->slot;
        a.unit = b->unit;
        x.unit = boolean_unit();
        return;
      }
      case Op::last_year: {
        Expr& a = *x.args[0];
        std::optional<Binding> b = record_ == nullptr ? scope_.lookup(a.text) : std::nullopt;
        if (!b || b->ref != RefKind::fact || b->slot == kYearSlot ||
            b->unit.kind == UnitKind::list) {
          throw Error::expected(ErrorKind::name,
                                "the name of a fact that is not a list (nor the year)",
                                "'" + a.text + "'", at(a), "last_year()");
        }
        a.ref = b->ref;
        a.slot = b->slot;
        a.unit = b->unit;
        a.enum_values = b->enum_values;
        x.slot = b->slot;
        x.unit = b->unit;
        x.enum_values = b->enum_values;
        return;
      }
      case Op::option: {
        Expr& a = *x.args[0];
        auto o = scope_.option(a.text);
        if (!o) {
          throw Error(ErrorKind::option, "'" + a.text + "' is not a declared option", at(a));
        }
        x.slot = o->first;
        x.unit = Unit{UnitKind::enumeration, {}};
        x.option_info = o->second;
        x.text = "option(" + a.text + ")";
        return;
      }
      case Op::and_:
      case Op::or_:
        for (auto& a : x.args) {
          check(*a);
          need_boolean(*a);
        }
        x.unit = boolean_unit();
        return;
      case Op::not_:
        check(*x.args[0]);
        need_boolean(*x.args[0]);
        x.unit = boolean_unit();
        return;
      case Op::compare: {
        check(*x.args[0]);
        check(*x.args[1]);
        Expr& a = *x.args[0];
        Expr& b = *x.args[1];
        if (x.cmp == Cmp::eq || x.cmp == Cmp::ne) {
          if (a.unit.numeric() || b.unit.numeric()) {
            unify_operands(x, a, b);
          } else {
            check_symbolic_equal(x, a, b);
          }
        } else {
          unify_operands(x, a, b);
        }
        x.unit = boolean_unit();
        return;
      }
      case Op::in: {
        Expr& a = *x.args[0];
        check(a);
        if (a.unit.kind != UnitKind::enumeration && a.unit.kind != UnitKind::text) {
          unit_error(a, "an enumeration or text", a.unit);
        }
        for (const auto& s : x.strings) check_enum_value(a, s, x);
        x.unit = boolean_unit();
        return;
      }
    }
  }

  void check_symbolic_equal(const Expr& at_expr, const Expr& a, const Expr& b) const {
    const bool a_str = a.op == Op::string;
    const bool b_str = b.op == Op::string;
    if (a_str && (b.unit.kind == UnitKind::enumeration || b.unit.kind == UnitKind::text)) {
      check_enum_value(b, a.text, at_expr);
      return;
    }
    if (b_str && (a.unit.kind == UnitKind::enumeration || a.unit.kind == UnitKind::text)) {
      check_enum_value(a, b.text, at_expr);
      return;
    }
    if (a.unit.kind != b.unit.kind) {
      throw Error::expected(ErrorKind::unit, "values of the same unit",
                            a.unit.to_string() + " with " + b.unit.to_string(), at(at_expr),
                            "in '" + e_.source + "'");
    }
  }

  void check_enum_value(const Expr& e, const std::string& value, const Expr& at_expr) const {
    std::vector<std::string> allowed;
    if (e.option_info != nullptr) {
      for (const auto& c : e.option_info->choices) allowed.push_back(c.first);
    } else if (e.enum_values != nullptr) {
      allowed = *e.enum_values;
    } else {
      return;
    }
    for (const auto& v : allowed) {
      if (v == value) return;
    }
    std::string list;
    for (const auto& v : allowed) list += (list.empty() ? "" : ", ") + v;
    throw Error::expected(e.option_info != nullptr ? ErrorKind::option : ErrorKind::name,
                          "one of " + list + " for '" + e.text + "'", "'" + value + "'",
                          at(at_expr), "in '" + e_.source + "'");
  }

  Unit multiply(const Expr& x, const Unit& a, const Unit& b) const {
    if (!a.numeric()) unit_error(x, "a number", a);
    if (!b.numeric()) unit_error(x, "a number", b);
    if (is_bare(a)) return b;
    if (is_bare(b)) return a;
    auto is = [](const Unit& u, UnitKind k) { return u.kind == k; };
    if ((is(a, UnitKind::money) && (is(b, UnitKind::rate) || is(b, UnitKind::count))) ||
        (is(b, UnitKind::money) && (is(a, UnitKind::rate) || is(a, UnitKind::count)))) {
      return money_unit();
    }
    if (is(a, UnitKind::rate) && is(b, UnitKind::rate)) return rate_unit();
    if ((is(a, UnitKind::rate) && is(b, UnitKind::count)) ||
        (is(a, UnitKind::count) && is(b, UnitKind::rate))) {
      return rate_unit();
    }
    if (is(a, UnitKind::count) && is(b, UnitKind::count)) return count_unit();
    if (is(a, UnitKind::measure) && (is(b, UnitKind::rate) || is(b, UnitKind::count))) return a;
    if (is(b, UnitKind::measure) && (is(a, UnitKind::rate) || is(a, UnitKind::count))) return b;
    throw Error::expected(ErrorKind::unit,
                          "a product with a meaning (money × rate, count × money, rate × rate)",
                          a.to_string() + " × " + b.to_string(), at(x), "in '" + e_.source + "'");
  }

  void need_boolean(const Expr& x) const {
    if (x.unit.kind != UnitKind::boolean) unit_error(x, "a condition (true or false)", x.unit);
  }

  void arity(const Expr& x, std::size_t n) const {
    if (x.args.size() != n) {
      throw Error::expected(ErrorKind::parse, std::to_string(n) + " arguments",
                            std::to_string(x.args.size()), at(x), x.text + "()");
    }
  }

  Expression& e_;
  const Scope& scope_;
  const FactDecl* record_ = nullptr;
};

}  // namespace

void check_expression(Expression& expression, const Scope& scope, std::optional<Unit> expected) {
  Checker checker(expression, scope);
  checker.check(*expression.root);
  if (expected) {
    const Unit& u = expression.root->unit;
    const bool ok = u == *expected || (u.kind == UnitKind::number && expected->numeric()) ||
                    (expected->kind == UnitKind::count && u.kind == UnitKind::number);
    if (!ok) checker.unit_error(*expression.root, expected->to_string(), u);
  }
}

}  // namespace subsidy::detail
