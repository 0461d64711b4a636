// Typed facts: what an enterprise record carries, checked against the rule set's declarations.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "subsidy/decimal.hpp"
#include "subsidy/error.hpp"

namespace subsidy {

/// A calendar date (ISO 8601 YYYY-MM-DD), compared by value.
struct Date {
  int year = 0;
  int month = 0;
  int day = 0;
  static Date parse(std::string_view text);  ///< throws Error(parse)
  std::string to_string() const;
  friend bool operator==(const Date& a, const Date& b) {
    return a.year == b.year && a.month == b.month && a.day == b.day;
  }
  friend bool operator<(const Date& a, const Date& b) {
    if (a.year != b.year) return a.year < b.year;
    if (a.month != b.month) return a.month < b.month;
    return a.day < b.day;
  }
  friend bool operator!=(const Date& a, const Date& b) { return !(a == b); }
  friend bool operator<=(const Date& a, const Date& b) { return !(b < a); }
};

/// The unit (type) of a fact, parameter or expression.
enum class UnitKind : std::uint8_t {
  money,    ///< 元
  rate,     ///< 50%
  count,    ///< a whole number ≥ 0
  number,   ///< a plain decimal; a bare literal takes the unit of its partner
  measure,  ///< a quantity in a named unit (平方米)
  boolean,
  enumeration,
  date,
  year,
  text,
  list,
};

struct Unit {
  UnitKind kind = UnitKind::number;
  std::string measure;  ///< the unit name, for measure
  friend bool operator==(const Unit& a, const Unit& b) {
    return a.kind == b.kind && a.measure == b.measure;
  }
  friend bool operator!=(const Unit& a, const Unit& b) { return !(a == b); }
  std::string to_string() const;
  bool numeric() const {
    return kind == UnitKind::money || kind == UnitKind::rate || kind == UnitKind::count ||
           kind == UnitKind::number || kind == UnitKind::measure || kind == UnitKind::year;
  }
};

/// A scalar fact value: a number (money, rate, count, ...), a boolean, a string (enumeration or
/// text) or a date.
using Scalar = std::variant<Decimal, bool, std::string, Date>;

/// One record of a list fact: values by field position (see FactDecl::fields); empty = missing.
using Record = std::vector<std::optional<Scalar>>;

/// A fact value: a scalar, or the records of a list.
using FactValue = std::variant<Scalar, std::vector<Record>>;

/// A raw input value as read from a file or handed over by a binding, before typing:
/// text (numbers stay text so they are parsed exactly), a list, or a map.
struct RawValue {
  enum class Kind : std::uint8_t { null, text, list, map };
  Kind kind = Kind::null;
  std::string text;
  bool quoted = false;  ///< written as a quoted string (so "true" is text, not a boolean)
  std::vector<RawValue> items;
  std::vector<std::pair<std::string, RawValue>> entries;
  Mark mark;

  static RawValue of_text(std::string text, Mark mark = {});
};

/// An enterprise (or other unit) in one year: its identity and its facts, typed against a rule set.
struct Enterprise {
  std::string id;
  std::string name;
  std::optional<std::int64_t> year;
  /// Values by fact slot (RuleSet::facts() order); empty where the record did not give the fact.
  std::vector<std::optional<FactValue>> facts;
  /// Amounts decided for band rules, keyed "policy-set/rule-id".
  std::map<std::string, Decimal> decided;
  Mark mark;  ///< where the record starts
  /// The fingerprint of the rule set the facts were typed against (their slots are that rule
  /// set's): evaluating with another rule set is refused. Empty: built by hand, checked by size.
  std::string rules_fingerprint;
};

}  // namespace subsidy
