// Exact values across the boundary: subsidy::Decimal <-> decimal.Decimal, dates, raw records.
#include <string>
#include <utility>

#include "bindings.hpp"

namespace subsidy_py {

namespace {

PYBIND11_CONSTINIT py::gil_safe_call_once_and_store<py::object> decimal_storage;
PYBIND11_CONSTINIT py::gil_safe_call_once_and_store<std::pair<py::object, py::object>>
    datetime_storage;

const std::pair<py::object, py::object>& datetime_types() {
  return datetime_storage
      .call_once_and_store_result([] {
        py::module_ datetime = py::module_::import("datetime");
        return std::make_pair(datetime.attr("datetime"), datetime.attr("date"));
      })
      .get_stored();
}

std::string type_name(py::handle value) {
  return py::str(py::type::handle_of(value).attr("__qualname__")).cast<std::string>();
}

std::string repr_of(py::handle value) { return py::repr(value).cast<std::string>(); }

/// The dtype kind of a numpy scalar or array ('f', 'i', 'b', 'M', ...), or 0 for other objects.
char numpy_kind(py::handle value) {
  if (PyUnicode_Check(value.ptr()) || !py::hasattr(value, "dtype")) return 0;
  py::object dtype = value.attr("dtype");
  if (!py::hasattr(dtype, "kind")) return 0;
  std::string kind = py::str(dtype.attr("kind")).cast<std::string>();
  return kind.size() == 1 ? kind[0] : 0;
}

bool is_missing_marker(py::handle value) {
  // pandas.NA and pandas.NaT, recognised without importing pandas.
  std::string name = type_name(value);
  return name == "NAType" || name == "NaTType";
}

bool is_decimal(py::handle value) { return py::isinstance(value, decimal_type()); }

void check_finite(py::handle value, const std::string& what) {
  if (!value.attr("is_finite")().cast<bool>()) {
    throw py::value_error(what + ": " + repr_of(value) +
                          " is not a finite number; the library holds finite decimals only");
  }
}

// A Decimal's size is known from its exponent before any digit is written out: 1E+999999999 is
// refused here at once, instead of after formatting a billion zeros (or a MemoryError). Facts
// are handed over in plain notation, so the digits before the point count against the limit.
// Only C methods are called (adjusted, is_zero): no Python code runs per cell of a frame.
void check_size(py::handle value, const subsidy::Mark& mark) {
  if (value.attr("is_zero")().cast<bool>()) return;
  const auto adjusted = value.attr("adjusted")().cast<long long>();  // the first digit's exponent
  const auto most = static_cast<long long>(subsidy::Decimal::kMaxExponent);
  if (adjusted > most || adjusted < -most) {
    throw subsidy::Error(subsidy::ErrorKind::overflow,
                         repr_of(value) + " has the exponent " + std::to_string(adjusted) +
                             ", beyond the limit of ±" + std::to_string(most),
                         mark);
  }
  const auto limit = static_cast<long long>(subsidy::Decimal::kMaxDigits);
  if (adjusted + 1 > limit) {
    throw subsidy::Error(subsidy::ErrorKind::overflow,
                         repr_of(value) + " written out has " + std::to_string(adjusted + 1) +
                             " digits, beyond the limit of " + std::to_string(limit) + " digits",
                         mark);
  }
}

std::string child_field(const std::string& parent, const std::string& child) {
  return parent.empty() ? child : parent + "." + child;
}

}  // namespace

// --- decimals -----------------------------------------------------------------------------------

py::object decimal_type() {
  return decimal_storage
      .call_once_and_store_result([] { return py::module_::import("decimal").attr("Decimal"); })
      .get_stored();
}

py::object decimal_to_python(const subsidy::Decimal& value) {
  // The GDA scientific string keeps coefficient and exponent exactly (1.00 stays 1.00, 1E+2 stays
  // 1E+2), and decimal.Decimal reads it exactly whatever the current context's precision.
  return decimal_type()(py::str(value.to_scientific_string()));
}

bool is_float_like(py::handle value) {
  if (PyFloat_Check(value.ptr()) || PyComplex_Check(value.ptr())) return true;
  char kind = numpy_kind(value);
  return kind == 'f' || kind == 'c';
}

void refuse_float(py::handle value, const std::string& what) {
  throw py::type_error(what + ": " + repr_of(value) + " is a " + type_name(value) +
                       ", which is already inexact (binary floating point); pass a str or "
                       "decimal.Decimal instead, e.g. '0.1' or Decimal('0.1')");
}

bool decimal_from_python(py::handle value, subsidy::Decimal& out, const char* what) {
  if (!value || value.is_none() || PyBool_Check(value.ptr())) return false;
  if (is_decimal(value)) {
    check_finite(value, what);
    out = subsidy::Decimal::parse_scientific(py::str(value).cast<std::string>());
    return true;
  }
  if (PyLong_Check(value.ptr())) {
    out = subsidy::Decimal::parse_scientific(py::str(value).cast<std::string>());
    return true;
  }
  if (PyUnicode_Check(value.ptr())) {
    std::string text = value.cast<std::string>();
    try {
      out = subsidy::Decimal::parse(text);  // 0.1, 30万, 50%, 1,234.56
    } catch (const subsidy::Error& policy_text_error) {
      try {
        out = subsidy::Decimal::parse_scientific(text);  // 1.23E+5, as str(Decimal) writes it
      } catch (const subsidy::Error&) {
        throw policy_text_error;  // the policy-text parser says best what was expected
      }
    }
    return true;
  }
  if (is_float_like(value)) refuse_float(value, what);
  char kind = numpy_kind(value);
  if (kind == 'i' || kind == 'u') {
    py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr()));
    if (!index) throw py::error_already_set();
    out = subsidy::Decimal::parse_scientific(py::str(index).cast<std::string>());
    return true;
  }
  return false;
}

// --- dates --------------------------------------------------------------------------------------

py::object date_to_python(const subsidy::Date& date) {
  return datetime_types().second(date.year, date.month, date.day);
}

subsidy::Date date_from_python(py::handle value) {
  if (PyUnicode_Check(value.ptr())) return subsidy::Date::parse(value.cast<std::string>());
  const auto& [datetime_type, date_type] = datetime_types();
  if (py::isinstance(value, datetime_type)) {
    py::object time = value.attr("time")();
    bool midnight = time.attr("hour").cast<int>() == 0 && time.attr("minute").cast<int>() == 0 &&
                    time.attr("second").cast<int>() == 0 &&
                    time.attr("microsecond").cast<int>() == 0;
    if (!midnight) {
      throw py::type_error("expected a date, found the date and time " + repr_of(value) +
                           "; pass value.date() if the day is what counts");
    }
  }
  if (py::isinstance(value, date_type)) {
    subsidy::Date date;
    date.year = value.attr("year").cast<int>();
    date.month = value.attr("month").cast<int>();
    date.day = value.attr("day").cast<int>();
    return date;
  }
  if (numpy_kind(value) == 'M') {
    return subsidy::Date::parse(py::str(value.attr("astype")("datetime64[D]")).cast<std::string>());
  }
  throw py::type_error("expected a datetime.date or ISO text YYYY-MM-DD, found " + repr_of(value));
}

// --- raw records --------------------------------------------------------------------------------

subsidy::RawValue raw_from_python(py::handle value, const subsidy::Mark& mark) {
  subsidy::RawValue raw;
  raw.mark = mark;
  if (value.is_none() || is_missing_marker(value)) return raw;  // null: the fact is not given

  const std::string what =
      mark.field.empty() ? std::string("a value") : "fact '" + mark.field + "'";
  char kind = numpy_kind(value);
  if (PyBool_Check(value.ptr()) || kind == 'b') {
    return subsidy::RawValue::of_text(value.cast<bool>() ? "true" : "false", mark);
  }
  if (PyUnicode_Check(value.ptr()))
    return subsidy::RawValue::of_text(value.cast<std::string>(), mark);
  if (is_decimal(value)) {
    check_finite(value, what);
    check_size(value, mark);
    // Plain notation with every digit the exponent implies: the engine's parser reads it exactly.
    py::object plain =
        py::reinterpret_steal<py::object>(PyObject_Format(value.ptr(), py::str("f").ptr()));
    if (!plain) throw py::error_already_set();
    return subsidy::RawValue::of_text(plain.cast<std::string>(), mark);
  }
  if (PyLong_Check(value.ptr())) return subsidy::RawValue::of_text(py::str(value), mark);
  if (is_float_like(value)) refuse_float(value, what);
  if (kind == 'i' || kind == 'u') {
    py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr()));
    if (!index) throw py::error_already_set();
    return subsidy::RawValue::of_text(py::str(index), mark);
  }
  if (kind == 'M' || py::isinstance(value, datetime_types().second)) {
    return subsidy::RawValue::of_text(date_from_python(value).to_string(), mark);
  }
  if (PyBytes_Check(value.ptr()) || PyByteArray_Check(value.ptr())) {
    throw py::type_error(what + ": bytes are not text; decode them first");
  }
  if (PyDict_Check(value.ptr()) || (py::hasattr(value, "keys") && py::hasattr(value, "items"))) {
    raw.kind = subsidy::RawValue::Kind::map;
    for (py::handle item : value.attr("items")()) {
      py::tuple pair = py::reinterpret_borrow<py::tuple>(item);
      if (!PyUnicode_Check(pair[0].ptr())) {
        throw py::type_error(what + ": keys must be str, found " + repr_of(pair[0]));
      }
      std::string key = pair[0].cast<std::string>();
      subsidy::Mark child = mark;
      child.field = child_field(mark.field, key);
      raw.entries.emplace_back(key, raw_from_python(pair[1], child));
    }
    return raw;
  }
  if (PyList_Check(value.ptr()) || PyTuple_Check(value.ptr())) {
    raw.kind = subsidy::RawValue::Kind::list;
    py::sequence items = py::reinterpret_borrow<py::sequence>(value);
    raw.items.reserve(items.size());
    std::size_t index = 0;
    for (py::handle item : items) {
      subsidy::Mark child = mark;
      child.field = mark.field + "[" + std::to_string(index++) + "]";
      raw.items.push_back(raw_from_python(item, child));
    }
    return raw;
  }
  if (kind != 0 && py::hasattr(value, "tolist")) {  // a numpy array (pyarrow list cells)
    return raw_from_python(value.attr("tolist")(), mark);
  }
  throw py::type_error(what + ": a " + type_name(value) +
                       " has no exact text form; pass str, int, decimal.Decimal, bool, "
                       "datetime.date, a list or a dict");
}

py::object raw_to_python(const subsidy::RawValue& value) {
  switch (value.kind) {
    case subsidy::RawValue::Kind::null:
      return py::none();
    case subsidy::RawValue::Kind::text:
      return py::str(value.text);
    case subsidy::RawValue::Kind::list: {
      py::list out;
      for (const auto& item : value.items) out.append(raw_to_python(item));
      return out;
    }
    case subsidy::RawValue::Kind::map: {
      py::dict out;
      for (const auto& [key, item] : value.entries) out[py::str(key)] = raw_to_python(item);
      return out;
    }
  }
  return py::none();
}

// --- registration -------------------------------------------------------------------------------

void register_decimal(py::module_& m) {
  using subsidy::Decimal;
  m.def(
      "parse_decimal", [](const std::string& text) { return Decimal::parse(text); },
      py::arg("text"),
      "Parses an amount as policy texts write it (1234.56, 30万, 1.2亿, 50%, 百分之一), exactly.");
  m.def(
      "parse_amount",
      [](const std::string& text) {
        subsidy::Amount amount = Decimal::parse_amount(text);
        const char* unit = amount.unit == subsidy::AmountUnit::yuan   ? "yuan"
                           : amount.unit == subsidy::AmountUnit::rate ? "rate"
                                                                      : "number";
        return py::make_tuple(decimal_to_python(amount.value), py::str(unit));
      },
      py::arg("text"), "Like parse_decimal, and also says the unit: 'number', 'yuan' or 'rate'.");
  m.def(
      "as_decimal", [](const Decimal& value) { return value; }, py::arg("value"),
      "Converts a Decimal, int or str to the engine's exact decimal and back (floats are "
      "refused).");
  m.def(
      "format_money",
      [](const Decimal& value, const std::string& symbol) { return value.to_money_string(symbol); },
      py::arg("value"), py::arg("symbol") = "¥", "Grouped money text: ¥1,234,567.89.");
  m.def(
      "format_wan", [](const Decimal& value) { return value.to_wan_string(); }, py::arg("value"),
      "The amount in 万元, exact: 300000 -> '30万元'.");
  m.attr("MAX_DIGITS") = py::int_(Decimal::kMaxDigits);
  m.attr("MAX_EXPONENT") = py::int_(Decimal::kMaxExponent);
}

}  // namespace subsidy_py
