// Reading a batch row by row without an evaluation object per row: the batch engine's rows are
// read in place from its results, the others from their whole evaluations. And the columns the
// Python layer turns into DataFrames: codes into dictionaries of Python objects (one object per
// distinct text or amount, since most cells repeat: rule ids, fixed amounts, zero totals) and
// NumPy arrays, so that no Python code runs per row.
#pragma once

#include <pybind11/numpy.h>

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "evaluation_batch.hpp"

namespace subsidy_py {

inline bool has_amount(subsidy::LineStatus status) {
  return status == subsidy::LineStatus::exact || status == subsidy::LineStatus::decided;
}

inline bool has_band(subsidy::LineStatus status) {
  return has_amount(status) || status == subsidy::LineStatus::band;
}

/// Adds one line of the engine's results to a total, as subsidy::line_totals adds an award line
/// (bands at the results' exponent, so the sums carry the same digits as the reference path's).
void add_line(subsidy::Total& total, const subsidy::ColumnarResult& result,
              const subsidy::ColumnarLine& line, bool in_kind);

/// The totals of every line of a row (what Evaluation::totals.all holds).
subsidy::Total row_total(const EvaluationBatch& batch, std::size_t row);

/// A partial row's total in the results' int64 units: the same sums as row_total without a
/// Decimal per line. A band no line added to is the zero row_total starts from (`*_any` false).
struct UnitsTotal {
  std::int64_t cash_min = 0, cash_max = 0, in_kind_min = 0, in_kind_max = 0;
  bool cash_any = false, in_kind_any = false;
  std::int64_t unfixed = 0, recognised = 0, lines = 0;
};
/// False when a sum leaves int64 (then use row_total).
bool row_units(const EvaluationBatch& batch, std::size_t row, UnitsTotal& out);

/// Whether a row was evaluated without error and with no rule left out for want of a fact.
bool row_complete(const EvaluationBatch& batch, std::size_t row);
bool row_ok(const EvaluationBatch& batch, std::size_t row);

/// The error of a failed row as text, else None.
py::object error_text(const subsidy::Evaluation& evaluation);
/// The rules a missing fact kept from being evaluated, with the facts they need; None if none.
py::object incomplete_text(const subsidy::Evaluation& evaluation);

/// One column for the Python layer: (name, kind, values, dictionary). kind "text", "object" or
/// "int": values are int32 codes into `dictionary` (str; decimal.Decimal or int; int objects), −1
/// for None; kind "array": values are the column itself (int64 or bool) and the dictionary is
/// empty. An "object" column stays of object dtype; "text" and "int" ones get the dtypes pandas
/// gives lists of the same cells.
using Column = py::tuple;

/// A column coded into a dictionary of distinct values, filled in row order.
template <class Key>
class Coded {
 public:
  explicit Coded(std::string name) : name_(std::move(name)) {}
  void reserve(std::size_t n) { codes_.reserve(n); }
  void push(std::int32_t code) { codes_.push_back(code); }
  void none() { codes_.push_back(-1); }
  /// A value of its own (one per row: ids, receipts), not looked up.
  void distinct(py::object value) {
    codes_.push_back(static_cast<std::int32_t>(values_.size()));
    values_.append(std::move(value));
  }
  /// The code of a value, made by `make()` (a Python object) the first time the key is met.
  template <class Make>
  std::int32_t code(const Key& key, Make make) {
    auto [it, fresh] = index_.try_emplace(key, static_cast<std::int32_t>(values_.size()));
    if (fresh) values_.append(make());
    return it->second;
  }
  Column build(const char* kind) const {
    py::array_t<std::int32_t> codes(static_cast<py::ssize_t>(codes_.size()));
    std::copy(codes_.begin(), codes_.end(), codes.mutable_data());
    return py::make_tuple(name_, kind, std::move(codes), values_);
  }

 private:
  std::string name_;
  std::vector<std::int32_t> codes_;
  std::unordered_map<Key, std::int32_t> index_;
  py::list values_;
};

/// A text column.
class TextColumn : public Coded<std::string> {
 public:
  using Coded::Coded;
  std::int32_t code(const std::string& text) {
    return Coded::code(text, [&] { return py::str(text); });
  }
  void add(const std::string& text) { push(code(text)); }
  void distinct(const std::string& text) { Coded::distinct(py::str(text)); }
  Column build() const { return Coded::build("text"); }
};

/// Decimal objects: one per distinct value, the engine's int64 units (at the results' exponent)
/// and whole evaluations' decimals kept apart, so each cell keeps the digits (exponent) the
/// reference path gives it. Shared by the amount columns of one frame.
class DecimalObjects {
 public:
  explicit DecimalObjects(std::int32_t exponent) : exponent_(exponent) {}
  std::int32_t units(std::int64_t units);
  std::int32_t value(const subsidy::Decimal& value);
  /// A band sum in units, or the zero a sum of no line is.
  std::int32_t sum(bool any, std::int64_t units) { return any ? this->units(units) : zero(); }
  std::int32_t zero() {
    if (zero_ < 0) zero_ = value(subsidy::Decimal());
    return zero_;
  }
  const py::list& values() const { return values_; }

 private:
  std::int32_t exponent_;
  std::int32_t zero_ = -1;
  std::unordered_map<std::int64_t, std::int32_t> units_;
  std::unordered_map<std::string, std::int32_t> texts_;
  py::list values_;
};

/// An amount column coded into a DecimalObjects dictionary.
class DecimalColumn {
 public:
  DecimalColumn(std::string name, DecimalObjects& objects)
      : name_(std::move(name)), objects_(objects) {}
  void reserve(std::size_t n) { codes_.reserve(n); }
  void units(std::int64_t units) { codes_.push_back(objects_.units(units)); }
  void sum(bool any, std::int64_t units) { codes_.push_back(objects_.sum(any, units)); }
  void value(const subsidy::Decimal& value) { codes_.push_back(objects_.value(value)); }
  void none() { codes_.push_back(-1); }
  Column build() const;

 private:
  std::string name_;
  DecimalObjects& objects_;
  std::vector<std::int32_t> codes_;
};

/// A column of plain values (int64 or bool) as a NumPy array.
template <class T>
class ArrayColumn {
 public:
  explicit ArrayColumn(std::string name) : name_(std::move(name)) {}
  void reserve(std::size_t n) { values_.reserve(n); }
  void add(T value) { values_.push_back(value); }
  Column build() const {
    py::array_t<T> out(static_cast<py::ssize_t>(values_.size()));
    std::copy(values_.begin(), values_.end(), out.mutable_data());
    return py::make_tuple(name_, "array", std::move(out), py::list());
  }

 private:
  std::string name_;
  std::vector<T> values_;
};

/// The four amounts and four counts of a total, as columns.
struct TotalColumns {
  explicit TotalColumns(DecimalObjects& objects)
      : cash_min("cash_min", objects),
        cash_max("cash_max", objects),
        in_kind_min("in_kind_min", objects),
        in_kind_max("in_kind_max", objects) {}
  void add(const subsidy::Total& total);
  void add(const UnitsTotal& total);
  void append_to(py::list& out) const;

  DecimalColumn cash_min, cash_max, in_kind_min, in_kind_max;
  ArrayColumn<std::int64_t> unfixed{"unfixed"}, recognised{"recognised"}, lines{"lines"},
      unevaluated{"unevaluated"};
};

}  // namespace subsidy_py
