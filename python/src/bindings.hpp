// Shared declarations of the subsidy._core bindings: one register_*.cpp per concept, and the value
// conversions they share. The bindings stay thin: every rule, number and decision is the engine's.
//
// Values cross the boundary exactly:
//   subsidy::Decimal  <->  decimal.Decimal   through GDA scientific strings
//   subsidy::Date     <->  datetime.date     through year / month / day
//   Python values      ->  subsidy::RawValue (str as text, Decimal as its plain digits, int as its
//                                              digits, bool as true/false, date as ISO)
// A Python float is refused everywhere with a TypeError: it is already inexact.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "subsidy/subsidy.hpp"

namespace subsidy_py {

namespace py = pybind11;

// --- errors (register_errors.cpp) ---------------------------------------------------------------
/// The Python exception type subsidy.SubsidyError.
py::object error_type();
/// A SubsidyError instance (not raised) carrying kind, file, line, column, field, message, errors.
py::object error_to_python(const subsidy::Error& error);

// --- values (register_decimal.cpp) --------------------------------------------------------------
/// decimal.Decimal.
py::object decimal_type();
py::object decimal_to_python(const subsidy::Decimal& value);
/// Converts decimal.Decimal, int or str (policy-text forms: 30万, 50%, 1,234.56) exactly.
/// Returns false for other types; throws py::type_error for floats (naming `what`).
bool decimal_from_python(py::handle value, subsidy::Decimal& out, const char* what = "a value");
/// Whether `value` is a binary floating-point number (Python float, numpy floating or complex).
bool is_float_like(py::handle value);
/// Throws TypeError: a float is already inexact, pass a str or Decimal.
[[noreturn]] void refuse_float(py::handle value, const std::string& what);

py::object date_to_python(const subsidy::Date& date);
/// datetime.date (a datetime only at midnight) or ISO text.
subsidy::Date date_from_python(py::handle value);

/// Python value -> RawValue, exactly (see the header comment); throws TypeError on floats and
/// on types with no exact text form.
subsidy::RawValue raw_from_python(py::handle value, const subsidy::Mark& mark);
/// RawValue -> plain Python (str, list, dict, None).
py::object raw_to_python(const subsidy::RawValue& value);

/// A thread count from Python: 0 means one per core; a negative count is a ValueError (the engine
/// cuts a count beyond the cores down itself).
inline unsigned thread_count(long long threads) {
  if (threads < 0) {
    throw py::value_error("threads must be 0 (one per core) or a positive count, found " +
                          std::to_string(threads));
  }
  return threads > 1'000'000 ? 1'000'000u : static_cast<unsigned>(threads);
}

// --- rule metadata (register_rules.cpp) -------------------------------------------------------
py::dict text_dict(const subsidy::Text& text);
py::dict citation_dict(const subsidy::Citation& citation);

// --- results (register_results.cpp) ------------------------------------------------------------
/// A result as a Python object: an instance of the `subsidy` package's subclass of its bound
/// class once the package has registered it (instantiated for subsidy::Total).
template <class T>
py::object make_result(T value);

// --- enterprise records (register_evaluate.cpp) -------------------------------------------------
/// Enterprise records typed against one rule set (identified by its fingerprint).
struct Enterprises {
  std::string fingerprint;
  std::vector<subsidy::Enterprise> items;
};

// --- registration -------------------------------------------------------------------------------
void register_errors(py::module_& m);
void register_decimal(py::module_& m);
void register_rules(py::module_& m);
void register_results(py::module_& m);
void register_evaluate(py::module_& m);
void register_columnar(py::module_& m);
void register_audit(py::module_& m);

}  // namespace subsidy_py

namespace pybind11::detail {

/// subsidy::Decimal <-> decimal.Decimal (accepting int and policy-text str on the way in).
template <>
struct type_caster<subsidy::Decimal> {
  PYBIND11_TYPE_CASTER(subsidy::Decimal, const_name("decimal.Decimal"));

  bool load(handle src, bool /*convert*/) {
    return subsidy_py::decimal_from_python(src, value, "an amount");
  }
  static handle cast(const subsidy::Decimal& src, return_value_policy /*policy*/,
                     handle /*parent*/) {
    return subsidy_py::decimal_to_python(src).release();
  }
};

/// subsidy::Date <-> datetime.date (accepting ISO text on the way in).
template <>
struct type_caster<subsidy::Date> {
  PYBIND11_TYPE_CASTER(subsidy::Date, const_name("datetime.date"));

  bool load(handle src, bool /*convert*/) {
    if (src.is_none()) return false;
    value = subsidy_py::date_from_python(src);
    return true;
  }
  static handle cast(const subsidy::Date& src, return_value_policy /*policy*/, handle /*parent*/) {
    return subsidy_py::date_to_python(src).release();
  }
};

}  // namespace pybind11::detail
