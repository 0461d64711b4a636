// The columnar batch path from Python: a fact table read from Arrow columns (arrow_import.cpp),
// a compiled Program run with the GIL released, and results handed back as raw buffers that the
// Python layer wraps as Arrow arrays (decimal128 amounts: exact, no float anywhere).
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "arrow_import.hpp"

namespace subsidy_py {

namespace {

__extension__ typedef __int128 Int128;

/// A compiled program with its rule set kept alive.
struct ProgramHandle {
  subsidy::RuleSet rules;
  std::shared_ptr<subsidy::Program> program;
};

/// A bytes object of `count` elements of T, filled in place (no intermediate vector).
template <class T>
std::pair<py::bytes, T*> bytes_of(std::size_t count) {
  PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(count * sizeof(T)));
  if (raw == nullptr) throw py::error_already_set();
  py::bytes bytes = py::reinterpret_steal<py::bytes>(raw);
  return {std::move(bytes), reinterpret_cast<T*>(PyBytes_AS_STRING(raw))};
}

py::dict total_dict(const subsidy::Total& t) {
  py::dict d;
  d["cash_floor"] = decimal_to_python(t.cash.min);
  d["cash_ceiling"] = decimal_to_python(t.cash.max);
  d["in_kind_floor"] = decimal_to_python(t.in_kind.min);
  d["in_kind_ceiling"] = decimal_to_python(t.in_kind.max);
  d["unfixed"] = t.unfixed;
  d["recognised"] = t.recognised;
  d["lines"] = t.lines;
  d["unevaluated"] = t.unevaluated;  // rules left out for want of a fact: incomplete when not 0
  return d;
}

/// Bits from .. to (from a multiple of 8) of a bitmap in Arrow's layout (bit i of byte i/8, least
/// significant first) set to `pred(i)`, in place; returns how many are set.
template <class Pred>
std::size_t fill_bits(std::uint8_t* bits, std::size_t from, std::size_t to, Pred pred) {
  std::size_t set = 0;
  for (std::size_t byte = from / 8; byte * 8 < to; ++byte) {
    std::uint8_t b = 0;
    const std::size_t end = std::min(to, byte * 8 + 8);
    for (std::size_t i = byte * 8; i < end; ++i) {
      const bool on = pred(i);
      b = static_cast<std::uint8_t>(b | (on ? 1u << (i & 7) : 0u));
      set += on ? 1 : 0;
    }
    bits[byte] = b;
  }
  return set;
}

/// The results as raw buffers: decimal128 amounts (16-byte little-endian), row indexes, codes,
/// and Arrow bitmaps (booleans, and the validity of amounts: unfixed and recognised lines have
/// none). Everything the Arrow arrays need is built here, so the Python layer only wraps buffers.
py::dict result_dict(const subsidy::ColumnarResult& r, unsigned threads) {
  const std::size_t n = r.lines.size();
  const std::size_t rows = r.rows();
  const std::size_t line_bits = (n + 7) / 8;
  const std::size_t row_bits = (rows + 7) / 8;
  // Most results have floor == ceiling on every line: then one buffer serves both columns.
  bool same_band = true;
  {
    py::gil_scoped_release release;
    for (const auto& l : r.lines) {
      if (l.min != l.max) {
        same_band = false;
        break;
      }
    }
  }
  auto [line_row, row_of] = bytes_of<std::int64_t>(n);
  auto [line_rule, rule] = bytes_of<std::uint32_t>(n);
  auto [line_status, status] = bytes_of<std::uint8_t>(n);
  auto [line_withheld, withheld] = bytes_of<std::uint8_t>(line_bits);
  auto [line_amount_valid, amount_valid] = bytes_of<std::uint8_t>(line_bits);
  auto [line_floor, floor] = bytes_of<Int128>(n);
  auto [line_ceiling, ceiling] = bytes_of<Int128>(same_band ? 0 : n);
  auto [cash_floor, row_floor] = bytes_of<Int128>(rows);
  auto [cash_ceiling, row_ceiling] = bytes_of<Int128>(rows);
  auto [by_reference, reference] = bytes_of<std::uint8_t>(row_bits);
  std::size_t with_amount = 0;
  {
    // The bytes objects are ours until returned: filled without the GIL, by halves (rows and
    // lines split at multiples of 8, so that no bitmap byte is shared) when threads allow.
    py::gil_scoped_release release;
    auto fill = [&](std::size_t row_from, std::size_t row_to, std::size_t from, std::size_t to) {
      for (std::size_t row = row_from; row < row_to; ++row) {
        std::fill(row_of + r.offsets[row], row_of + r.offsets[row + 1],
                  static_cast<std::int64_t>(row));
        row_floor[row] = r.cash_min[row];
        row_ceiling[row] = r.cash_max[row];
      }
      fill_bits(reference, row_from, row_to,
                [&](std::size_t row) { return r.by_reference[row] != 0; });
      for (std::size_t i = from; i < to; ++i) {
        const auto& l = r.lines[i];
        rule[i] = l.rule;
        status[i] = static_cast<std::uint8_t>(l.status);
        floor[i] = l.min;
      }
      if (!same_band) {
        for (std::size_t i = from; i < to; ++i) ceiling[i] = r.lines[i].max;
      }
      fill_bits(withheld, from, to, [&](std::size_t i) { return r.lines[i].withheld; });
      return fill_bits(amount_valid, from, to, [&](std::size_t i) {
        const auto s = r.lines[i].status;
        return s != subsidy::LineStatus::unfixed && s != subsidy::LineStatus::recognised;
      });
    };
    if (threads == 1 || n < (std::size_t{1} << 16)) {
      with_amount = fill(0, rows, 0, n);
    } else {
      const std::size_t row_mid = rows / 16 * 8;
      const std::size_t line_mid = n / 16 * 8;
      std::size_t second = 0;
      std::thread helper([&] { second = fill(row_mid, rows, line_mid, n); });
      with_amount = fill(0, row_mid, 0, line_mid);
      helper.join();
      with_amount += second;
    }
  }
  py::dict d;
  d["same_band"] = same_band;
  d["line_amount_nulls"] = n - with_amount;
  d["line_amount_valid"] = line_amount_valid;
  d["exponent"] = r.exponent;
  d["rules"] = r.rules;
  d["statuses"] = std::vector<std::string>{"exact", "band", "decided", "unfixed", "recognised"};
  d["rows"] = rows;
  d["lines"] = n;
  d["line_row"] = line_row;
  d["line_rule"] = line_rule;
  d["line_status"] = line_status;
  d["line_withheld"] = line_withheld;
  d["line_floor"] = line_floor;
  d["line_ceiling"] = line_ceiling;
  d["cash_floor"] = cash_floor;
  d["cash_ceiling"] = cash_ceiling;
  d["by_reference"] = by_reference;
  py::list exact;
  for (const auto& [row, ev] : r.exact) {
    py::dict e;
    e["row"] = row;
    e["error"] = ev.error ? error_to_python(*ev.error) : py::none();
    py::list lines;
    for (const auto& l : ev.lines) {
      lines.append(py::make_tuple(l.qualified_rule(), subsidy::to_string(l.status), l.withheld,
                                  decimal_to_python(l.band.min), decimal_to_python(l.band.max)));
    }
    e["lines"] = lines;
    py::list unevaluated;
    for (const auto& u : ev.unevaluated)
      unevaluated.append(py::make_tuple(u.qualified_id(), u.missing));
    e["unevaluated"] = unevaluated;
    exact.append(e);
  }
  d["exact"] = exact;
  py::dict by_payer, by_set;
  for (const auto& [k, t] : r.totals.by_payer) by_payer[py::str(k)] = total_dict(t);
  for (const auto& [k, t] : r.totals.by_policy_set) by_set[py::str(k)] = total_dict(t);
  d["total"] = total_dict(r.totals.all);
  d["by_payer"] = by_payer;
  d["by_policy_set"] = by_set;
  return d;
}

}  // namespace

void register_columnar(py::module_& m) {
  py::class_<subsidy::FactTable>(m, "FactTable", "Facts by column, read from Arrow arrays.")
      .def_static("from_arrow", &table_from_arrow, py::arg("rules"), py::arg("columns"),
                  py::arg("rows"),
                  "columns: [(name, schema capsule, array capsule)] from __arrow_c_array__().")
      .def_property_readonly("rows", &subsidy::FactTable::rows);

  py::class_<ProgramHandle>(m, "Program", "Rules compiled for one scenario (the columnar path).")
      .def(py::init([](const subsidy::RuleSet& rules, const subsidy::Scenario& scenario,
                       const std::vector<std::string>& only) {
             return ProgramHandle{rules, std::make_shared<subsidy::Program>(rules, scenario, only)};
           }),
           py::arg("rules"), py::arg("scenario"), py::arg("only") = std::vector<std::string>{})
      .def_property_readonly("compiled",
                             [](const ProgramHandle& h) { return h.program->compiled(); })
      .def_property_readonly("unsupported",
                             [](const ProgramHandle& h) { return h.program->unsupported(); })
      .def_property_readonly("rule_count",
                             [](const ProgramHandle& h) { return h.program->rule_count(); })
      .def(
          "run",
          [](const ProgramHandle& h, const subsidy::FactTable& table, long long requested) {
            const unsigned threads = thread_count(requested);
            subsidy::ColumnarResult result;
            {
              py::gil_scoped_release release;
              result = h.program->run(table, threads);
            }
            return result_dict(result, threads);
          },
          py::arg("table"), py::arg("threads") = 0);
}

}  // namespace subsidy_py
