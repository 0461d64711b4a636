// The expression language of rule files: parse, type-check (units), evaluate exactly.
// See docs/rule-language.md#expressions. No I/O, no loops beyond list folds, no code execution.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "subsidy/decimal.hpp"
#include "subsidy/facts.hpp"
#include "subsidy/rules.hpp"

namespace subsidy::detail {

enum class Op : std::uint8_t {
  number,
  boolean,
  string,
  name,
  add,
  sub,
  mul,
  neg,
  min,
  max,
  if_,
  round,
  sum,
  count,
  any,
  all,
  present,
  option,
  and_,
  or_,
  not_,
  compare,
  in,
  last_year,  ///< last_year(fact): the fact in the same enterprise's record of the year before
};
enum class Cmp : std::uint8_t { ge, gt, le, lt, eq, ne };
/// The fact slot of the record's `year`, which every enterprise record may carry.
constexpr std::size_t kYearSlot = static_cast<std::size_t>(-1);

enum class RefKind : std::uint8_t { unresolved, fact, field, parameter, derived };

struct Expr {
  Op op = Op::number;
  int pos = 0;  ///< byte offset in the expression text, for error columns
  Unit unit;    ///< filled in by type checking
  Decimal number;
  bool boolean = false;
  std::string text;                  ///< name, string literal, or the comparison word as written
  std::vector<std::string> strings;  ///< the list of an `in`
  Cmp cmp = Cmp::eq;
  RefKind ref = RefKind::unresolved;
  std::size_t slot = 0;  ///< fact / field / parameter / derived / option index
  const std::vector<std::string>* enum_values = nullptr;  ///< for enumeration names
  const OptionInfo* option_info = nullptr;                ///< for option(name)
  std::int32_t round_exponent = -2;                       ///< for round(x, quantum, mode)
  Rounding round_mode = Rounding::half_up;
  std::vector<std::unique_ptr<Expr>> args;
};

/// A parsed expression with its source, for errors and traces.
struct Expression {
  std::string source;
  Mark mark;
  std::unique_ptr<Expr> root;
  explicit operator bool() const { return root != nullptr; }
};

/// Parses `text` (syntax only); errors carry `mark` advanced to the offending column.
Expression parse_expression(const std::string& text, const Mark& mark);

/// Where byte `pos` of an expression written at `mark` lies: `mark` advanced by the characters
/// before it (the parser's and the checker's error locations).
Mark mark_at(const std::string& text, const Mark& mark, int pos);

/// What a name means in the scope of a policy set.
struct Binding {
  RefKind ref = RefKind::unresolved;
  std::size_t slot = 0;
  Unit unit;
  const std::vector<std::string>* enum_values = nullptr;
  const FactDecl* list = nullptr;  ///< for list facts: the declaration (fields)
};

class Scope {
 public:
  virtual ~Scope() = default;
  virtual std::optional<Binding> lookup(const std::string& name) const = 0;
  /// Option index and declaration.
  virtual std::optional<std::pair<std::size_t, const OptionInfo*>> option(
      const std::string& name) const = 0;
  /// Called for every derived value an expression reads (dependency graph for cycle checks).
  virtual void uses_derived(std::size_t /*slot*/) const {}
};

/// Resolves names and checks units; throws Error(name / unit) located in the expression.
/// `expected` (if given) is the unit the context needs; a bare number is accepted for it.
void check_expression(Expression& expression, const Scope& scope,
                      std::optional<Unit> expected = std::nullopt);

Unit money_unit();
Unit rate_unit();
Unit count_unit();
Unit number_unit();
Unit boolean_unit();

using Value = std::variant<Decimal, bool, std::string, Date, const std::vector<Record>*>;

std::string value_to_string(const Value& value);

/// Where an evaluation gets its values.
class Env {
 public:
  virtual ~Env() = default;
  virtual Value fact(std::size_t slot) = 0;  ///< throws Error(fact) if missing without default
  virtual bool present(std::size_t slot) = 0;
  /// A scalar fact of the same enterprise's record of the year before; throws Error(fact) when
  /// there is none (no such record, or it lacks the fact and there is no default).
  virtual Value last_year(std::size_t slot) = 0;
  virtual Value parameter(std::size_t slot) = 0;
  virtual Value derived(std::size_t slot) = 0;
  virtual const std::string& option(std::size_t slot) = 0;
  /// Names read while tracing ("name = value").
  virtual void note(const std::string& /*name*/, const Value& /*value*/) {}

  const Record* record = nullptr;  ///< the list record in scope, inside sum/count/any/all
  const FactDecl* record_decl = nullptr;
};

Value evaluate(const Expr& expr, Env& env);
inline Value evaluate(const Expression& e, Env& env) { return evaluate(*e.root, env); }
Decimal evaluate_number(const Expression& e, Env& env);
bool evaluate_condition(const Expression& e, Env& env);

/// An evaluated number explained for a reader: the branch each if() took, then the same with
/// the figures, then the value (`a * x + b * y = 50% × 1,125,000.00 + 70% × 4,500,000.00 =
/// 3,712,500.00`), each part only where it adds something. Evaluates again: tracing only.
std::string explain_number(const Expr& expr, const Decimal& value, Env& env);

/// Scalar → Value.
Value to_value(const Scalar& scalar);

}  // namespace subsidy::detail
