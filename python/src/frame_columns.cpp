// pandas object columns read in C++ for the batch engine: amounts as Arrow decimal128 buffers,
// list-fact cells checked against their fields. Each value is read with the CPython C API (its
// type, and a decimal.Decimal's digits through str()), never through Python code or a float.
//
// A column is taken only when every value keeps exactly the digits the typed path would keep;
// otherwise the caller reads the frame on the typed path, which also reports bad values.
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "evaluation_batch.hpp"

namespace subsidy_py {

namespace {

__extension__ typedef __int128 Int128;

using subsidy::UnitKind;

PyTypeObject* decimal_class() {
  static PyObject* type = decimal_type().release().ptr();  // kept for the module's lifetime
  return reinterpret_cast<PyTypeObject*>(type);
}

bool is_number_unit(UnitKind kind) {
  return kind == UnitKind::money || kind == UnitKind::rate || kind == UnitKind::count ||
         kind == UnitKind::number || kind == UnitKind::measure || kind == UnitKind::year;
}

/// Multiplies by 10^k (k ≥ 0) while the result keeps within 38 digits.
bool scale_up(Int128& units, std::int32_t k) {
  static const Int128 kLimit = [] {
    Int128 x = 1;
    for (int i = 0; i < 38; ++i) x *= 10;
    return x;
  }();
  for (; k > 0; --k) {
    if (units >= kLimit / 10 || units <= -kLimit / 10) return false;
    units *= 10;
  }
  return true;
}

/// The value of a decimal.Decimal or int cell as a count of 10^exponent, when it is written at
/// that exponent or a larger one (fewer decimals: `written` says which; an int is written at
/// 0), fits 38 digits and is allowed in sign.
bool exact_units(PyObject* cell, std::int32_t exponent, bool allow_negative, Int128& out,
                 std::int32_t& written_out) {
  if (PyLong_CheckExact(cell)) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(cell, &overflow);
    if (overflow != 0 || (v == -1 && PyErr_Occurred())) {
      PyErr_Clear();
      return false;
    }
    if (v < 0 && !allow_negative) return false;
    out = v;
    written_out = 0;
    return exponent <= 0 && scale_up(out, -exponent);
  }
  if (Py_TYPE(cell) != decimal_class()) return false;
  PyObject* text = PyObject_Str(cell);
  if (text == nullptr) {
    PyErr_Clear();
    return false;
  }
  Py_ssize_t size = 0;
  const char* s = PyUnicode_AsUTF8AndSize(text, &size);
  const std::string_view t(s != nullptr ? s : "",
                           s != nullptr ? static_cast<std::size_t>(size) : 0);
  bool ok = s != nullptr;
  std::size_t i = 0;
  const bool negative = ok && !t.empty() && t[0] == '-';
  if (negative) ++i;
  Int128 units = 0;
  int digits = 0;
  std::int32_t written = 0;
  bool seen_digit = false, in_fraction = false;
  for (; ok && i < t.size(); ++i) {
    const char c = t[i];
    if (c >= '0' && c <= '9') {
      seen_digit = true;
      if (digits > 0 || c != '0') ++digits;
      if (digits > 38) ok = false;
      units = units * 10 + (c - '0');
      if (in_fraction) --written;
    } else if (c == '.' && !in_fraction) {
      in_fraction = true;
    } else if ((c == 'E' || c == 'e') && seen_digit) {
      long e = 0;
      bool e_negative = false;
      std::size_t j = i + 1;
      if (j < t.size() && (t[j] == '+' || t[j] == '-')) e_negative = t[j++] == '-';
      if (j == t.size() || t.size() - j > 7) ok = false;
      for (; ok && j < t.size(); ++j) {
        if (t[j] < '0' || t[j] > '9') ok = false;
        e = e * 10 + (t[j] - '0');
      }
      written += static_cast<std::int32_t>(e_negative ? -e : e);
      break;
    } else {
      ok = false;  // NaN, Infinity, sNaN
    }
  }
  Py_DECREF(text);
  // A negative zero stays on the typed path (it would come back as 0 from the column).
  if (!ok || !seen_digit || written < exponent || written > 0 ||
      (negative && (units == 0 || !allow_negative))) {
    return false;
  }
  out = negative ? -units : units;
  written_out = written;
  return scale_up(out, written - exponent);
}

}  // namespace

namespace {

/// One field of a list fact's records, filled record by record as an Arrow child array:
/// decimal128 at the field's column exponent, bool, or utf8 (enumerations).
class FieldBuffers {
 public:
  explicit FieldBuffers(const subsidy::FactDecl& field)
      : field_(field), exponent_(subsidy::column_exponent(field.unit)) {
    const UnitKind kind = field.unit.kind;
    kind_ = kind == UnitKind::boolean       ? 'b'
            : kind == UnitKind::enumeration ? 'u'
            : is_number_unit(kind)          ? 'd'
                                            : 0;
    offsets_.push_back(0);
  }
  /// False when the field is read on the typed path (text, dates).
  bool readable() const { return kind_ != 0; }
  /// Appends a record's value (nullptr: the record has no such key); false when it is not kept
  /// exactly (the typed path then reads the column).
  bool add(PyObject* value) {
    const std::size_t at = count_++;
    if (at % 8 == 0) {
      validity_.push_back(0);
      if (kind_ == 'b') bits_.push_back(0);
    }
    if (value == nullptr || value == Py_None) {
      ++nulls_;
      if (kind_ == 'd') data_.append(16, '\0');
      if (kind_ == 'u') offsets_.push_back(static_cast<std::int32_t>(data_.size()));
      return true;
    }
    validity_.back() = static_cast<char>(validity_.back() | (1 << (at % 8)));
    if (kind_ == 'b') {
      if (!PyBool_Check(value)) return false;
      if (value == Py_True) bits_.back() = static_cast<char>(bits_.back() | (1 << (at % 8)));
      return true;
    }
    if (kind_ == 'u') {
      if (!PyUnicode_CheckExact(value)) return false;
      Py_ssize_t size = 0;
      const char* text = PyUnicode_AsUTF8AndSize(value, &size);
      if (text == nullptr) {
        PyErr_Clear();
        return false;
      }
      data_.append(text, static_cast<std::size_t>(size));
      if (data_.size() > 0x7fffffffu) return false;
      offsets_.push_back(static_cast<std::int32_t>(data_.size()));
      return true;
    }
    Int128 units = 0;
    std::int32_t written = 0;
    // Record fields keep no exponent of their own: only values written at the column's are taken.
    if (!exact_units(value, exponent_, field_.allow_negative, units, written) ||
        written != exponent_) {
      return false;
    }
    char bytes[16];
    std::memcpy(bytes, &units, 16);  // little-endian two's complement, as Arrow's
    data_.append(bytes, 16);
    return true;
  }
  /// (name, data, offsets or None, validity or None, null count).
  py::tuple build() const {
    py::object validity = nulls_ ? py::object(py::bytes(validity_)) : py::none();
    if (kind_ == 'b')
      return py::make_tuple(field_.name, py::bytes(bits_), py::none(), validity, nulls_);
    py::object offsets = py::none();
    if (kind_ == 'u') {
      offsets = py::bytes(reinterpret_cast<const char*>(offsets_.data()),
                          offsets_.size() * sizeof(std::int32_t));
    }
    return py::make_tuple(field_.name, py::bytes(data_), offsets, validity, nulls_);
  }

 private:
  const subsidy::FactDecl& field_;
  std::int32_t exponent_;
  char kind_ = 0;
  std::size_t count_ = 0, nulls_ = 0;
  std::string data_, validity_, bits_;
  std::vector<std::int32_t> offsets_;
};

}  // namespace

py::object list_buffers(const subsidy::FactDecl& decl, const py::sequence& cells) {
  std::vector<FieldBuffers> fields;
  fields.reserve(decl.fields.size());
  for (const auto& f : decl.fields) {
    fields.emplace_back(f);
    if (!fields.back().readable()) return py::none();
  }
  const std::size_t n = cells.size();
  std::vector<std::int32_t> offsets{0};
  offsets.reserve(n + 1);
  std::string validity((n + 7) / 8, '\0');
  std::size_t nulls = 0, row = 0;
  std::int64_t records = 0;
  std::vector<PyObject*> values(decl.fields.size());
  for (py::handle cell : cells) {
    PyObject* list = cell.ptr();
    py::object converted;
    if (list != Py_None && !PyList_CheckExact(list)) {
      // A NumPy array of records (a list cell as pyarrow's to_pandas() gives it), as the typed
      // path reads it: through its tolist().
      if (!py::hasattr(cell, "dtype") || !py::hasattr(cell, "tolist")) return py::none();
      converted = cell.attr("tolist")();
      list = converted.ptr();
      if (!PyList_CheckExact(list)) return py::none();
    }
    if (list == Py_None) {
      ++nulls;
    } else {
      validity[row >> 3] = static_cast<char>(validity[row >> 3] | (1 << (row & 7)));
      for (Py_ssize_t k = 0; k < PyList_GET_SIZE(list); ++k) {
        PyObject* record = PyList_GET_ITEM(list, k);
        if (!PyDict_CheckExact(record)) return py::none();
        std::fill(values.begin(), values.end(), nullptr);
        PyObject* key = nullptr;
        PyObject* value = nullptr;
        Py_ssize_t at = 0;
        while (PyDict_Next(record, &at, &key, &value)) {
          if (!PyUnicode_CheckExact(key)) return py::none();
          Py_ssize_t size = 0;
          const char* name = PyUnicode_AsUTF8AndSize(key, &size);
          if (name == nullptr) {
            PyErr_Clear();
            return py::none();
          }
          const std::string_view key_text(name, static_cast<std::size_t>(size));
          std::size_t f = 0;
          while (f < decl.fields.size() && decl.fields[f].name != key_text) ++f;
          if (f == decl.fields.size()) return py::none();
          values[f] = value;
        }
        for (std::size_t f = 0; f < fields.size(); ++f) {
          if (!fields[f].add(values[f])) return py::none();
        }
        if (++records > 0x7fffffff) return py::none();
      }
    }
    offsets.push_back(static_cast<std::int32_t>(records));
    ++row;
  }
  py::list built;
  for (const auto& f : fields) built.append(f.build());
  return py::make_tuple(py::bytes(reinterpret_cast<const char*>(offsets.data()),
                                  offsets.size() * sizeof(std::int32_t)),
                        nulls ? py::object(py::bytes(validity)) : py::none(), nulls, records,
                        built);
}

bool list_column_is_plain(const subsidy::FactDecl& decl, const py::sequence& cells) {
  return !list_buffers(decl, cells).is_none();
}

void register_frame_columns(py::module_& m) {
  m.def(
      "list_buffers",
      [](const subsidy::RuleSet& rules, const std::string& fact, const py::sequence& cells) {
        const auto slot = rules.fact_slot(fact);
        return slot ? list_buffers(rules.facts()[*slot], cells) : py::object(py::none());
      },
      py::arg("rules"), py::arg("fact"), py::arg("cells"),
      "A list-fact column of None or lists of dicts as Arrow buffers (list offsets, validity, "
      "null count, record count, and per field: name, data, offsets, validity, null count), or "
      "None when some cell is not kept exactly (list_column_is_plain): the typed path reads it.");
}

py::object decimal_buffers(const py::sequence& cells, std::int32_t exponent, bool allow_negative) {
  const std::size_t n = cells.size();
  std::string data(n * 16, '\0');
  std::string validity((n + 7) / 8, '\0');
  std::string written(n, static_cast<char>(exponent));
  bool mixed = false;
  std::size_t nulls = 0;
  std::size_t row = 0;
  for (py::handle cell : cells) {
    if (cell.ptr() == Py_None) {
      ++nulls;
      ++row;
      continue;
    }
    Int128 units = 0;
    std::int32_t at = 0;
    if (!exact_units(cell.ptr(), exponent, allow_negative, units, at)) return py::none();
    std::memcpy(&data[row * 16], &units, 16);  // little-endian two's complement, as Arrow's
    validity[row >> 3] = static_cast<char>(validity[row >> 3] | (1 << (row & 7)));
    written[row] = static_cast<char>(at);
    mixed = mixed || at != exponent;
    ++row;
  }
  return py::make_tuple(py::bytes(data), nulls ? py::object(py::bytes(validity)) : py::none(),
                        nulls, mixed ? py::object(py::bytes(written)) : py::none());
}

}  // namespace subsidy_py
