// The expression language, exact evaluation: a tree walk over Decimal values, reading facts,
// parameters and derived values through an Env (the reference evaluator's).
#include "document.hpp"
#include "expression.hpp"

namespace subsidy::detail {

std::string value_to_string(const Value& value) {
  struct V {
    std::string operator()(const Decimal& d) const { return d.to_string(); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const Date& d) const { return d.to_string(); }
    std::string operator()(const std::vector<Record>* l) const {
      return std::to_string(l ? l->size() : 0) + " records";
    }
  };
  return std::visit(V{}, value);
}

Value to_value(const Scalar& scalar) {
  return std::visit([](const auto& v) -> Value { return v; }, scalar);
}

namespace {

const Decimal& num(const Value& v) { return std::get<Decimal>(v); }
bool truth(const Value& v) { return std::get<bool>(v); }

int compare_values(const Value& a, const Value& b) {
  if (std::holds_alternative<Decimal>(a)) return num(a).compare(num(b));
  if (std::holds_alternative<Date>(a)) {
    const Date& x = std::get<Date>(a);
    const Date& y = std::get<Date>(b);
    return x < y ? -1 : (y < x ? 1 : 0);
  }
  if (std::holds_alternative<bool>(a)) return truth(a) == truth(b) ? 0 : (truth(a) ? 1 : -1);
  const auto& s = std::get<std::string>(a);
  const auto& t = std::get<std::string>(b);
  return s < t ? -1 : (t < s ? 1 : 0);
}

const std::vector<Record>& list_of(const Expr& list, Env& env) {
  Value v = env.fact(list.slot);
  return *std::get<const std::vector<Record>*>(v);
}

struct RecordScope {
  Env& env;
  const Record* saved;
  RecordScope(Env& e, const Record* r) : env(e), saved(e.record) { env.record = r; }
  ~RecordScope() { env.record = saved; }
};

}  // namespace

Value evaluate(const Expr& x, Env& env) {
  switch (x.op) {
    case Op::number:
      return x.number;
    case Op::boolean:
      return x.boolean;
    case Op::string:
      return x.text;
    case Op::name: {
      Value v;
      switch (x.ref) {
        case RefKind::fact:
          v = env.fact(x.slot);
          break;
        case RefKind::parameter:
          v = env.parameter(x.slot);
          break;
        case RefKind::derived:
          v = env.derived(x.slot);
          break;
        case RefKind::field: {
          if (env.record == nullptr || x.slot >= env.record->size() || !(*env.record)[x.slot]) {
            const std::string list = env.record_decl ? env.record_decl->name : std::string("list");
            throw Error(ErrorKind::fact,
                        "a record of '" + list + "' lacks the field '" + x.text + "'");
          }
          v = to_value(*(*env.record)[x.slot]);
          return v;  // fields are shown with their record, not noted one by one
        }
        case RefKind::unresolved:
          throw Error(ErrorKind::usage, "expression evaluated before it was checked");
      }
      if (x.ref == RefKind::fact)
        env.note(x.text, v);  // parameters and derived values note themselves
      return v;
    }
    case Op::add:
      return num(evaluate(*x.args[0], env)) + num(evaluate(*x.args[1], env));
    case Op::sub:
      return num(evaluate(*x.args[0], env)) - num(evaluate(*x.args[1], env));
    case Op::mul:
      return num(evaluate(*x.args[0], env)) * num(evaluate(*x.args[1], env));
    case Op::neg:
      return -num(evaluate(*x.args[0], env));
    case Op::min:
    case Op::max: {
      Decimal best = num(evaluate(*x.args[0], env));
      for (std::size_t k = 1; k < x.args.size(); ++k) {
        Decimal v = num(evaluate(*x.args[k], env));
        if (x.op == Op::min ? v < best : v > best) best = std::move(v);
      }
      return best;
    }
    case Op::round:
      return num(evaluate(*x.args[0], env)).quantize(x.round_exponent, x.round_mode);
    case Op::if_:
      return truth(evaluate(*x.args[0], env)) ? evaluate(*x.args[1], env)
                                              : evaluate(*x.args[2], env);
    case Op::sum: {
      const auto& records = list_of(*x.args[0], env);
      Decimal total;
      for (const auto& r : records) {
        RecordScope scope(env, &r);
        if (x.args.size() == 3 && !truth(evaluate(*x.args[2], env))) continue;
        total += num(evaluate(*x.args[1], env));
      }
      return total;
    }
    case Op::count: {
      const auto& records = list_of(*x.args[0], env);
      std::int64_t n = 0;
      for (const auto& r : records) {
        RecordScope scope(env, &r);
        if (x.args.size() == 2 && !truth(evaluate(*x.args[1], env))) continue;
        ++n;
      }
      return Decimal(n);
    }
    case Op::any:
    case Op::all: {
      const auto& records = list_of(*x.args[0], env);
      for (const auto& r : records) {
        RecordScope scope(env, &r);
        const bool v = truth(evaluate(*x.args[1], env));
        if (x.op == Op::any && v) return true;
        if (x.op == Op::all && !v) return false;
      }
      return x.op == Op::all;
    }
    case Op::present: {
      const Expr& a = *x.args[0];
      if (a.ref == RefKind::field) {
        return env.record != nullptr && a.slot < env.record->size() &&
               (*env.record)[a.slot].has_value();
      }
      return env.present(a.slot);
    }
    case Op::option:
      return env.option(x.slot);
    case Op::last_year: {
      Value v = env.last_year(x.slot);
      env.note("last_year(" + x.args[0]->text + ")", v);
      return v;
    }
    case Op::and_:
      return truth(evaluate(*x.args[0], env)) && truth(evaluate(*x.args[1], env));
    case Op::or_:
      return truth(evaluate(*x.args[0], env)) || truth(evaluate(*x.args[1], env));
    case Op::not_:
      return !truth(evaluate(*x.args[0], env));
    case Op::compare: {
      const int c = compare_values(evaluate(*x.args[0], env), evaluate(*x.args[1], env));
      switch (x.cmp) {
        case Cmp::ge:
          return c >= 0;
        case Cmp::gt:
          return c > 0;
        case Cmp::le:
          return c <= 0;
        case Cmp::lt:
          return c < 0;
        case Cmp::eq:
          return c == 0;
        case Cmp::ne:
          return c != 0;
      }
      return false;
    }
    case Op::in: {
      const Value v = evaluate(*x.args[0], env);
      const auto& s = std::get<std::string>(v);
      for (const auto& candidate : x.strings) {
        if (candidate == s) return true;
      }
      return false;
    }
  }
  return false;
}

Decimal evaluate_number(const Expression& e, Env& env) { return num(evaluate(*e.root, env)); }
bool evaluate_condition(const Expression& e, Env& env) { return truth(evaluate(*e.root, env)); }

}  // namespace subsidy::detail
