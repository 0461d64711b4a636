// Arrow columns read into a FactTable (see arrow_import.hpp): each column's Arrow type resolved
// once and checked against its fact's unit, values copied range by range, values too wide for
// their int64 column kept exactly for the row's reference evaluation.
#include "arrow_import.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace subsidy_py {

namespace {

__extension__ typedef __int128 Int128;

using subsidy::FactColumn;
using subsidy::FactDecl;
using subsidy::UnitKind;

/// A value that does not fit its column, kept exactly for the row's reference evaluation.
struct Patch {
  std::size_t slot = 0;
  std::int64_t child = -1;  ///< list facts: the record's index in the child array
  std::size_t field = 0;
  subsidy::Scalar value;
};

[[noreturn]] void column_error(const std::string& column, const std::string& message) {
  subsidy::Mark mark;
  mark.file = "<arrow table>";
  mark.field = column;
  throw subsidy::Error(subsidy::ErrorKind::fact, "column '" + column + "': " + message, mark);
}

bool valid(const ArrowArray& a, std::int64_t i) {
  if (a.null_count == 0 || a.n_buffers == 0 || a.buffers[0] == nullptr) return true;
  const auto* bits = static_cast<const std::uint8_t*>(a.buffers[0]);
  const std::int64_t k = i + a.offset;
  return ((bits[k >> 3] >> (k & 7)) & 1) != 0;
}

subsidy::Date civil_from_days(std::int64_t z) {
  // Howard Hinnant's days → civil algorithm (proleptic Gregorian).
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  subsidy::Date out;
  out.year = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
  out.month = static_cast<int>(m);
  out.day = static_cast<int>(d);
  return out;
}

subsidy::Decimal decimal_of(Int128 v, std::int32_t exponent) {
  const bool negative = v < 0;
  __extension__ typedef unsigned __int128 UInt128;
  const UInt128 m = negative ? -static_cast<UInt128>(v) : static_cast<UInt128>(v);
  return subsidy::Decimal::from_magnitude(negative, static_cast<std::uint64_t>(m >> 64),
                                          static_cast<std::uint64_t>(m), exponent);
}

/// Reads one Arrow array of scalars into a column. The Arrow type is resolved once, checked
/// against the fact's unit, and dictionaries are mapped to codes once, not per value.
class ColumnReader {
 public:
  ColumnReader(const std::string& name, const FactDecl& decl, const ArrowSchema& schema,
               const ArrowArray& array, FactColumn& column)
      : name_(name), decl_(decl), array_(array) {
    const std::string format = schema.format;
    const UnitKind kind = decl.unit.kind;
    const bool textual = kind == UnitKind::enumeration || kind == UnitKind::text;
    if (schema.dictionary != nullptr) {
      const std::string values = schema.dictionary->format;
      if ((values != "u" && values != "U") || !textual) {
        column_error(name,
                     "a dictionary of Arrow type '" + values + "' for " + decl.unit.to_string());
      }
      layout_ = integer_layout(format);
      if (layout_ == Layout::none)
        column_error(name, "dictionary indices of Arrow type '" + format + "'");
      dictionary_ = true;
      const ArrowArray& d = *array.dictionary;
      for (std::int64_t i = 0; i < d.length; ++i)
        codes_.push_back(code_of(text_at(d, values == "U", i), column));
      return;
    }
    if (format == "e" || format == "f" || format == "g") {
      column_error(name,
                   "floating-point values are inexact; use decimal128, an integer type or text");
    }
    if (kind == UnitKind::boolean) {
      if (format != "b") column_error(name, "expected booleans, found Arrow type '" + format + "'");
      layout_ = Layout::boolean;
    } else if (kind == UnitKind::date) {
      if (format != "tdD") column_error(name, "expected date32, found Arrow type '" + format + "'");
      layout_ = Layout::date32;
    } else if (textual) {
      if (format != "u" && format != "U")
        column_error(name, "expected text, found Arrow type '" + format + "'");
      layout_ = format == "U" ? Layout::large_utf8 : Layout::utf8;
    } else if (kind == UnitKind::list) {
      column_error(name, "a list inside a list");
    } else if (format.rfind("d:", 0) == 0) {
      const std::string rest = format.substr(format.find(',') + 1);
      if (rest.find(',') != std::string::npos && rest.substr(rest.find(',') + 1) != "128") {
        column_error(name, "only decimal128 is read, found '" + format + "'");
      }
      layout_ = Layout::decimal128;
      scale_ = std::stoi(rest);
    } else {
      layout_ = integer_layout(format);
      if (layout_ == Layout::none) {
        column_error(name, "expected a decimal128 or integer column for " + decl.unit.to_string() +
                               ", found Arrow type '" + format + "'");
      }
    }
    shift_ = -column.exponent - scale_;
  }

  /// Stores element i of the array into (values[at], present[at]); false when it does not fit.
  bool read(std::int64_t i, FactColumn& column, std::size_t at, subsidy::Scalar& exact) const {
    if (!valid(array_, i)) return true;
    column.present[at] = 1;
    std::int64_t& out = column.values[at];
    const std::int64_t k = i + array_.offset;
    const void* b = array_.buffers[1];
    if (dictionary_) {
      out = codes_[static_cast<std::size_t>(integer_at(b, k))];
      return true;
    }
    switch (layout_) {
      case Layout::boolean:
        out = (static_cast<const std::uint8_t*>(b)[k >> 3] >> (k & 7)) & 1;
        return true;
      case Layout::date32: {
        const subsidy::Date d = civil_from_days(static_cast<const std::int32_t*>(b)[k]);
        out = std::int64_t{d.year} * 10000 + d.month * 100 + d.day;
        return true;
      }
      case Layout::utf8:
      case Layout::large_utf8:
        out = code_of(text_at(array_, layout_ == Layout::large_utf8, i), column);
        return true;
      case Layout::decimal128: {
        Int128 v;
        std::memcpy(&v, static_cast<const char*>(b) + 16 * k, 16);
        return number(v, out, exact);
      }
      default:
        return number(integer_at(b, k), out, exact);
    }
  }

  /// Stores elements first .. first+count of the array at at .. at+count of the column, calling
  /// overflow(j, exact) for each element j that does not fit. Without nulls (in the array and,
  /// for list fields, in the records: `all_valid`), the layout is resolved once for the whole
  /// range instead of per value; the values stored are the same as read()'s.
  template <class Overflow>
  void read_range(std::int64_t first, std::size_t count, FactColumn& column, std::size_t at,
                  bool all_valid, Overflow overflow) const {
    subsidy::Scalar exact;
    auto one_by_one = [&](std::size_t from) {
      for (std::size_t j = from; j < count; ++j) {
        if (!read(first + static_cast<std::int64_t>(j), column, at + j, exact))
          overflow(j, std::move(exact));
      }
    };
    if (!all_valid || array_.null_count != 0 || layout_ == Layout::utf8 ||
        layout_ == Layout::large_utf8) {
      one_by_one(0);
      return;
    }
    std::fill_n(column.present.begin() + static_cast<std::ptrdiff_t>(at), count, std::uint8_t{1});
    std::int64_t* out = column.values.data() + at;
    const std::int64_t k0 = first + array_.offset;
    const void* b = array_.buffers[1];
    auto copy = [&](const auto* in, auto map) {
      for (std::size_t j = 0; j < count; ++j) out[j] = map(in[k0 + static_cast<std::int64_t>(j)]);
    };
    auto same = [](auto v) { return static_cast<std::int64_t>(v); };
    auto code = [this](auto v) { return codes_[static_cast<std::size_t>(v)]; };
    if (dictionary_) {
      switch (layout_) {
        case Layout::i8:
          return copy(static_cast<const std::int8_t*>(b), code);
        case Layout::u8:
          return copy(static_cast<const std::uint8_t*>(b), code);
        case Layout::i16:
          return copy(static_cast<const std::int16_t*>(b), code);
        case Layout::i32:
          return copy(static_cast<const std::int32_t*>(b), code);
        default:
          return one_by_one(0);
      }
    }
    switch (layout_) {
      case Layout::boolean: {
        const auto* bits = static_cast<const std::uint8_t*>(b);
        for (std::size_t j = 0; j < count; ++j) {
          const std::int64_t k = k0 + static_cast<std::int64_t>(j);
          out[j] = (bits[k >> 3] >> (k & 7)) & 1;
        }
        return;
      }
      case Layout::decimal128:
        if (shift_ != 0) return one_by_one(0);
        // Little-endian halves: the value fits int64 when the high half is the low's sign.
        for (std::size_t j = 0; j < count; ++j) {
          std::int64_t half[2];
          std::memcpy(half, static_cast<const char*>(b) + 16 * (k0 + static_cast<std::int64_t>(j)),
                      16);
          if (half[1] != (half[0] < 0 ? -1 : 0)) {
            if (!read(first + static_cast<std::int64_t>(j), column, at + j, exact))
              overflow(j, std::move(exact));
            continue;
          }
          out[j] = half[0];
        }
        return;
      case Layout::i8:
        return copy(static_cast<const std::int8_t*>(b), same);
      case Layout::i16:
        return copy(static_cast<const std::int16_t*>(b), same);
      case Layout::i32:
        return copy(static_cast<const std::int32_t*>(b), same);
      case Layout::u8:
        return copy(static_cast<const std::uint8_t*>(b), same);
      case Layout::u16:
        return copy(static_cast<const std::uint16_t*>(b), same);
      case Layout::u32:
        return copy(static_cast<const std::uint32_t*>(b), same);
      default:
        return one_by_one(0);
    }
  }

 private:
  enum class Layout : std::uint8_t {
    none,
    boolean,
    date32,
    utf8,
    large_utf8,
    decimal128,
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32
  };

  static Layout integer_layout(const std::string& f) {
    if (f == "c") return Layout::i8;
    if (f == "s") return Layout::i16;
    if (f == "i") return Layout::i32;
    if (f == "l") return Layout::i64;
    if (f == "C") return Layout::u8;
    if (f == "S") return Layout::u16;
    if (f == "I") return Layout::u32;
    return Layout::none;
  }

  std::int64_t integer_at(const void* b, std::int64_t k) const {
    switch (layout_) {
      case Layout::i8:
        return static_cast<const std::int8_t*>(b)[k];
      case Layout::i16:
        return static_cast<const std::int16_t*>(b)[k];
      case Layout::i32:
        return static_cast<const std::int32_t*>(b)[k];
      case Layout::u8:
        return static_cast<const std::uint8_t*>(b)[k];
      case Layout::u16:
        return static_cast<const std::uint16_t*>(b)[k];
      case Layout::u32:
        return static_cast<const std::uint32_t*>(b)[k];
      default:
        return static_cast<const std::int64_t*>(b)[k];
    }
  }

  static std::string text_at(const ArrowArray& a, bool large, std::int64_t i) {
    const std::int64_t k = i + a.offset;
    const char* data = static_cast<const char*>(a.buffers[2]);
    if (large) {
      const auto* off = static_cast<const std::int64_t*>(a.buffers[1]);
      return std::string(data + off[k], static_cast<std::size_t>(off[k + 1] - off[k]));
    }
    const auto* off = static_cast<const std::int32_t*>(a.buffers[1]);
    return std::string(data + off[k], static_cast<std::size_t>(off[k + 1] - off[k]));
  }

  std::int64_t code_of(const std::string& s, FactColumn& column) const {
    if (decl_.unit.kind == UnitKind::enumeration) {
      auto it = std::find(decl_.values.begin(), decl_.values.end(), s);
      if (it == decl_.values.end()) {
        std::string known;
        for (const auto& v : decl_.values) known += (known.empty() ? "" : ", ") + v;
        column_error(name_, "'" + s + "' is not one of " + known);
      }
      return it - decl_.values.begin();
    }
    auto it = std::find(column.dictionary.begin(), column.dictionary.end(), s);
    const std::int64_t code = it - column.dictionary.begin();
    if (it == column.dictionary.end()) column.dictionary.push_back(s);
    return code;
  }

  /// v × 10^-scale brought to the column's exponent exactly, or kept whole for the exact path.
  bool number(Int128 v, std::int64_t& out, subsidy::Scalar& exact) const {
    Int128 scaled = v;
    bool fits = true;
    for (std::int32_t shift = shift_; shift > 0 && fits; --shift) {
      fits = !__builtin_mul_overflow(scaled, Int128{10}, &scaled);
    }
    for (std::int32_t shift = shift_; shift < 0 && fits; ++shift) {
      fits = scaled % 10 == 0;
      scaled /= 10;
    }
    if (fits && scaled >= INT64_MIN && scaled <= INT64_MAX) {
      out = static_cast<std::int64_t>(scaled);
      return true;
    }
    out = 0;
    exact = decimal_of(v, -scale_);
    return false;
  }

  const std::string& name_;
  const FactDecl& decl_;
  const ArrowArray& array_;
  Layout layout_ = Layout::none;
  bool dictionary_ = false;
  std::vector<std::int64_t> codes_;
  std::int32_t scale_ = 0;  ///< value = raw × 10^-scale
  std::int32_t shift_ = 0;  ///< digits from the Arrow scale to the column's exponent
};

struct ImportedColumn {
  std::string name;
  py::object schema_capsule;
  py::object array_capsule;
  const ArrowSchema* schema = nullptr;
  const ArrowArray* array = nullptr;
};

template <class T>
T* capsule_pointer(const py::object& capsule, const char* name) {
  void* p = PyCapsule_GetPointer(capsule.ptr(), name);
  if (p == nullptr) throw py::error_already_set();
  return static_cast<T*>(p);
}

}  // namespace

/// Builds the fact table (GIL released while reading the buffers).
subsidy::FactTable table_from_arrow(const subsidy::RuleSet& rules, const py::list& columns,
                                    std::size_t rows) {
  std::vector<ImportedColumn> imported;
  for (py::handle item : columns) {
    auto tuple = item.cast<py::tuple>();
    ImportedColumn c;
    c.name = tuple[0].cast<std::string>();
    c.schema_capsule = tuple[1];
    c.array_capsule = tuple[2];
    c.schema = capsule_pointer<ArrowSchema>(c.schema_capsule, "arrow_schema");
    c.array = capsule_pointer<ArrowArray>(c.array_capsule, "arrow_array");
    if (static_cast<std::size_t>(c.array->length) != rows)
      column_error(c.name, "length differs from the table's");
    imported.push_back(std::move(c));
  }
  py::gil_scoped_release release;
  subsidy::FactTable table(rules, rows);
  FactDecl year_decl;
  year_decl.name = "year";
  year_decl.unit.kind = UnitKind::year;
  // Columns are independent: each is given, filled and packed (FactColumn::seal) by one of up to
  // two workers, so at most two int64 staging columns exist at a time. Errors are rethrown in
  // column order, as a serial read would report them; a column named twice is read serially
  // (the last one wins, as before).
  auto import_one = [&](const ImportedColumn& c,
                        std::map<std::size_t, std::vector<Patch>>& patches) {
    if (c.name == "id") {
      const std::string format = c.schema->format;
      if (format != "u" && format != "U") column_error("id", "expected text");
      auto& ids = table.ids();
      for (std::size_t r = 0; r < rows; ++r) {
        const std::int64_t k = static_cast<std::int64_t>(r) + c.array->offset;
        const char* data = static_cast<const char*>(c.array->buffers[2]);
        if (format == "U") {
          const auto* off = static_cast<const std::int64_t*>(c.array->buffers[1]);
          ids.emplace_back(data + off[k], static_cast<std::size_t>(off[k + 1] - off[k]));
        } else {
          const auto* off = static_cast<const std::int32_t*>(c.array->buffers[1]);
          ids.emplace_back(data + off[k], static_cast<std::size_t>(off[k + 1] - off[k]));
        }
      }
      return;
    }
    if (c.name == "year") {
      FactColumn& column = table.give_year();
      ColumnReader reader(c.name, year_decl, *c.schema, *c.array, column);
      subsidy::Scalar exact;
      for (std::size_t r = 0; r < rows; ++r) {
        if (!reader.read(static_cast<std::int64_t>(r), column, r, exact))
          column_error("year", "a year beyond int64");
      }
      column.seal();
      return;
    }
    const auto slot = rules.fact_slot(c.name);
    if (!slot) column_error(c.name, "the rule set declares no such fact (nor id, year)");
    const FactDecl& decl = rules.facts()[*slot];
    if (decl.unit.kind != UnitKind::list) {
      FactColumn& column = table.give(*slot);
      ColumnReader reader(c.name, decl, *c.schema, *c.array, column);
      reader.read_range(0, rows, column, 0, true, [&](std::size_t r, subsidy::Scalar exact) {
        patches[r].push_back({*slot, -1, 0, std::move(exact)});
      });
      column.seal();
      return;
    }
    // A list fact: list<struct<field, ...>>.
    const std::string format = c.schema->format;
    if ((format != "+l" && format != "+L") || c.schema->n_children != 1 ||
        std::string(c.schema->children[0]->format) != "+s") {
      column_error(c.name, "expected a list of structs, found Arrow type '" + format + "'");
    }
    const ArrowSchema& record_schema = *c.schema->children[0];
    const ArrowArray& records = *c.array->children[0];
    subsidy::ListColumn& list = table.give_list(*slot);
    std::vector<std::unique_ptr<ColumnReader>> readers(decl.fields.size());
    std::vector<std::string> field_names(decl.fields.size());
    for (std::int64_t f = 0; f < record_schema.n_children; ++f) {
      const std::string field = record_schema.children[f]->name;
      std::size_t index = 0;
      while (index < decl.fields.size() && decl.fields[index].name != field) ++index;
      if (index == decl.fields.size())
        column_error(c.name + "." + field, "no such field in '" + c.name + "'");
      field_names[index] = c.name + "." + field;
      readers[index] = std::make_unique<ColumnReader>(field_names[index], decl.fields[index],
                                                      *record_schema.children[f],
                                                      *records.children[f], list.fields[index]);
    }
    for (auto& field : list.fields) {
      field.values.reserve(static_cast<std::size_t>(records.length));
      field.present.reserve(static_cast<std::size_t>(records.length));
    }
    const bool large = format == "+L";
    const std::int64_t base = c.array->offset;
    auto offset_at = [&](std::int64_t k) {
      return large ? static_cast<const std::int64_t*>(c.array->buffers[1])[k]
                   : std::int64_t{static_cast<const std::int32_t*>(c.array->buffers[1])[k]};
    };
    // Offsets and presence first; when the kept records form one run of the child array (the
    // usual layout), each field is then read in one pass over it.
    const std::int64_t first = offset_at(base);
    std::int64_t expected = first;
    bool contiguous = true;
    std::size_t count = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const auto k = static_cast<std::int64_t>(r);
      const std::int64_t from = offset_at(base + k);
      const std::int64_t to = offset_at(base + k + 1);
      contiguous = contiguous && from == expected;
      expected = to;
      if (valid(*c.array, k)) {
        list.present[r] = 1;
        count += static_cast<std::size_t>(to - from);
      } else {
        contiguous = contiguous && to == from;
      }
      list.offsets[r + 1] = static_cast<std::uint32_t>(count);
    }
    if (contiguous) {
      for (std::size_t f = 0; f < decl.fields.size(); ++f) {
        FactColumn& field = list.fields[f];
        field.values.assign(count, 0);
        field.present.assign(count, 0);
        if (!readers[f]) continue;
        auto patch = [&](std::size_t j, subsidy::Scalar exact) {
          const auto at = std::upper_bound(list.offsets.begin(), list.offsets.end(), j);
          const auto row = static_cast<std::size_t>(at - list.offsets.begin() - 1);
          patches[row].push_back({*slot, static_cast<std::int64_t>(j), f, std::move(exact)});
        };
        if (records.null_count == 0) {
          readers[f]->read_range(first, count, field, 0, true, patch);
          continue;
        }
        subsidy::Scalar exact;
        for (std::size_t j = 0; j < count; ++j) {
          const std::int64_t i = first + static_cast<std::int64_t>(j);
          // Records are read through the struct's validity too: a null record has no fields.
          if (valid(records, i) && !readers[f]->read(i, field, j, exact))
            patch(j, std::move(exact));
        }
      }
      list.seal();
      return;
    }
    count = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const auto k = static_cast<std::int64_t>(r);
      if (valid(*c.array, k)) {
        const std::int64_t from = offset_at(base + k);
        const std::int64_t to = offset_at(base + k + 1);
        for (std::int64_t i = from; i < to; ++i) {
          for (std::size_t f = 0; f < decl.fields.size(); ++f) {
            FactColumn& field = list.fields[f];
            field.values.push_back(0);
            field.present.push_back(0);
            subsidy::Scalar exact;
            if (readers[f] && valid(records, i) && !readers[f]->read(i, field, count, exact)) {
              patches[r].push_back({*slot, static_cast<std::int64_t>(count), f, exact});
            }
          }
          ++count;
        }
      }
      list.offsets[r + 1] = static_cast<std::uint32_t>(count);
    }
    list.seal();
  };
  std::vector<std::string> names;
  for (const auto& c : imported) names.push_back(c.name);
  std::sort(names.begin(), names.end());
  const bool distinct = std::adjacent_find(names.begin(), names.end()) == names.end();
  const std::size_t workers =
      distinct ? std::min<std::size_t>(
                     {2, imported.size(), std::max(1u, std::thread::hardware_concurrency())})
               : 1;
  std::vector<std::map<std::size_t, std::vector<Patch>>> found(std::max<std::size_t>(workers, 1));
  std::vector<std::exception_ptr> failures(imported.size());
  std::atomic<std::size_t> next{0};
  auto work = [&](std::size_t w) {
    for (std::size_t i = next++; i < imported.size(); i = next++) {
      try {
        import_one(imported[i], found[w]);
      } catch (...) {
        failures[i] = std::current_exception();
      }
    }
  };
  {
    std::vector<std::thread> helpers;
    for (std::size_t w = 1; w < workers; ++w) helpers.emplace_back(work, w);
    work(0);
    for (auto& t : helpers) t.join();
  }
  for (const auto& f : failures) {
    if (f) std::rethrow_exception(f);
  }
  std::map<std::size_t, std::vector<Patch>> patches;
  for (auto& part : found) {
    for (auto& [row, list] : part) {
      auto& into = patches[row];
      for (auto& p : list) into.push_back(std::move(p));
    }
  }
  table.seal();
  for (auto& [row, list] : patches) {
    subsidy::Enterprise e = table.enterprise(row);
    for (auto& p : list) {
      if (p.child < 0) {
        e.facts[p.slot] = subsidy::FactValue(std::move(p.value));
      } else {
        auto& records = std::get<std::vector<subsidy::Record>>(*e.facts[p.slot]);
        records[static_cast<std::size_t>(p.child) - table.list(p.slot).offsets[row]][p.field] =
            std::move(p.value);
      }
    }
    table.keep_exact(row, std::move(e));
  }
  return table;
}

}  // namespace subsidy_py
