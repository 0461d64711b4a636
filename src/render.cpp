// The branch an expression took, with its figures, for explanations: each if() replaced by the
// branch taken, names by their values in the units they carry (50%, 1,125,000.00).
#include <string>
#include <variant>

#include "expression.hpp"

namespace subsidy::detail {

namespace {

// Strips the zeros a rate's digits end in: 0.500 → 50%, 0.125 → 12.5%.
std::string percent(const Decimal& rate) {
  std::string s = (rate * Decimal(100)).to_string();
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s + "%";
}

std::string figure(const Value& value, const Unit& unit) {
  if (const auto* d = std::get_if<Decimal>(&value)) {
    if (unit.kind == UnitKind::money) return d->to_money_string("");
    if (unit.kind == UnitKind::rate) return percent(*d);
    return d->to_string();
  }
  return value_to_string(value);
}

int precedence(Op op) {
  switch (op) {
    case Op::add:
    case Op::sub:
      return 1;
    case Op::mul:
      return 2;
    case Op::neg:
      return 3;
    default:
      return 4;
  }
}

class Renderer {
 public:
  Renderer(Env& env, bool figures) : env_(env), figures_(figures) {}

  std::string operator()(const Expr& x) {
    switch (x.op) {
      case Op::if_:
        return (*this)(taken(x));
      case Op::add:
      case Op::sub:
      case Op::mul: {
        const char* sign = x.op == Op::add ? " + " : x.op == Op::sub ? " - " : " × ";
        // The right operand of a subtraction keeps its parentheses at equal precedence.
        return operand(*x.args[0], x, false) + sign + operand(*x.args[1], x, x.op == Op::sub);
      }
      case Op::neg:
        return "-" + operand(*x.args[0], x, true);
      case Op::min:
      case Op::max: {
        if (figures_) return (*this)(taken(x));
        std::string out = x.op == Op::min ? "min(" : "max(";
        for (std::size_t k = 0; k < x.args.size(); ++k)
          out += (k ? ", " : "") + (*this)(*x.args[k]);
        return out + ")";
      }
      case Op::round:
        return "round(" + (*this)(*x.args[0]) + ", " + (*this)(*x.args[1]) + ")";
      case Op::number:
        return figure(x.number, x.unit);
      case Op::name:
        if (!figures_) return x.text;
        return figure(evaluate(x, env_), x.unit);
      default:
        // Folds over lists, options and conditions: their value, which the trace's notes explain.
        return figure(evaluate(x, env_), x.unit);
    }
  }

 private:
  // The branch an if() takes, followed through nested ifs; with the figures, also the argument
  // a min() or max() chose (the clamp that did not bite, or the one that did).
  const Expr& taken(const Expr& x) {
    if (x.op == Op::if_)
      return taken(std::get<bool>(evaluate(*x.args[0], env_)) ? *x.args[1] : *x.args[2]);
    if (figures_ && (x.op == Op::min || x.op == Op::max)) {
      std::size_t best = 0;
      Decimal chosen = std::get<Decimal>(evaluate(*x.args[0], env_));
      for (std::size_t k = 1; k < x.args.size(); ++k) {
        const Decimal v = std::get<Decimal>(evaluate(*x.args[k], env_));
        if (x.op == Op::min ? v < chosen : v > chosen) chosen = v, best = k;
      }
      return taken(*x.args[best]);
    }
    return x;
  }

  std::string operand(const Expr& child, const Expr& parent, bool tight) {
    const Expr& branch = taken(child);
    const int c = precedence(branch.op), p = precedence(parent.op);
    std::string s = (*this)(branch);
    return c < p || (tight && c == p) ? "(" + s + ")" : s;
  }

  Env& env_;
  bool figures_;
};

}  // namespace

std::string explain_number(const Expr& expr, const Decimal& value, Env& env) {
  const std::string names = Renderer(env, false)(expr);
  const std::string figures = Renderer(env, true)(expr);
  const std::string result = figure(value, expr.unit);
  std::string out = names;
  if (figures != names) out += " = " + figures;
  if (result != figures) out += " = " + result;
  return out;
}

}  // namespace subsidy::detail
