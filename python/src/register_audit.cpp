// Audit: ledgers (from a file, or rows a spreadsheet reader split) and the audit itself, GIL
// released. Reports cross as their canonical JSON and Markdown; the Python layer reads the JSON.
#include <cstddef>
#include <string>
#include <vector>

#include "bindings.hpp"

namespace subsidy_py {

namespace {

/// A ledger read and typed, kept on the C++ side until it is audited.
struct Ledger {
  std::vector<subsidy::Grant> grants;
};

/// Rows of cells (str or None) under a header, each row with its sheet row number: the shape a
/// spreadsheet reader gives. Every cell keeps its own mark, so errors name row and column.
Ledger from_rows(const std::string& source, const std::vector<std::string>& header,
                 const py::list& rows) {
  subsidy::RawValue list;
  list.kind = subsidy::RawValue::Kind::list;
  for (py::handle item : rows) {
    auto row = item.cast<py::tuple>();
    if (row.size() != 2) throw py::value_error("from_rows: each row is (row_number, cells)");
    const int line = row[0].cast<int>();
    auto cells = row[1].cast<py::list>();
    subsidy::RawValue record;
    record.kind = subsidy::RawValue::Kind::map;
    record.mark = subsidy::Mark{source, line, 0, {}};
    if (cells.size() > header.size()) {
      throw subsidy::Error::expected(subsidy::ErrorKind::audit,
                                     std::to_string(header.size()) + " cells",
                                     std::to_string(cells.size()), record.mark, "ledger row");
    }
    for (std::size_t j = 0; j < cells.size(); ++j) {
      if (cells[j].is_none()) continue;
      subsidy::Mark mark{source, line, static_cast<int>(j + 1), header[j]};
      if (!PyUnicode_Check(cells[j].ptr())) {
        if (is_float_like(cells[j])) refuse_float(cells[j], "a ledger cell (" + header[j] + ")");
        throw py::type_error("ledger cell " + header[j] + " of row " + std::to_string(line) +
                             ": expected text");
      }
      record.entries.emplace_back(header[j],
                                  subsidy::RawValue::of_text(cells[j].cast<std::string>(), mark));
    }
    list.items.push_back(std::move(record));
  }
  Ledger out;
  py::gil_scoped_release release;
  out.grants = subsidy::ledger_from_records(list);
  return out;
}

}  // namespace

void register_audit(py::module_& m) {
  py::class_<Ledger>(m, "Ledger", "Grants made, read exactly from a ledger.")
      .def_static(
          "load",
          [](const std::string& path) {
            Ledger out;
            py::gil_scoped_release release;
            out.grants = subsidy::load_ledger(path);
            return out;
          },
          py::arg("path"), "Reads a CSV, YAML or JSON ledger.")
      .def_static(
          "parse",
          [](const std::string& name, const std::string& text) {
            Ledger out;
            py::gil_scoped_release release;
            out.grants = subsidy::parse_ledger(name, text);
            return out;
          },
          py::arg("name"), py::arg("text"))
      .def_static("from_rows", &from_rows, py::arg("source"), py::arg("header"), py::arg("rows"),
                  "Types spreadsheet rows: (row_number, [cell text or None, ...]) under `header`.")
      .def("__len__", [](const Ledger& l) { return l.grants.size(); });

  m.def(
      "audit",
      [](const subsidy::RuleSet& rules, const Enterprises& enterprises, const Ledger& ledger,
         const subsidy::Scenario& scenario) {
        if (enterprises.fingerprint != rules.fingerprint()) {
          throw subsidy::Error(subsidy::ErrorKind::usage,
                               "these enterprise records were typed against another rule set");
        }
        std::string json, markdown;
        {
          py::gil_scoped_release release;
          const subsidy::AuditReport report =
              subsidy::audit(rules, enterprises.items, ledger.grants, scenario);
          json = subsidy::to_json(report);
          markdown = subsidy::to_markdown(report);
        }
        return py::make_tuple(json, markdown);
      },
      py::arg("rules"), py::arg("enterprises"), py::arg("ledger"), py::arg("scenario"),
      "Audits a ledger; returns the report as (canonical JSON, Markdown).");
}

}  // namespace subsidy_py
