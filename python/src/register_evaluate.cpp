// Scenarios, enterprise records, evaluation (one or a batch, GIL released), results as the bound
// result types (one evaluation, register_results.cpp); a batch's columns are built in
// batch_frames.cpp.
#include <algorithm>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "evaluation_batch.hpp"
#include "subsidy/columnar.hpp"

namespace subsidy_py {

namespace {

using namespace pybind11::literals;

constexpr std::size_t kMaxListedErrors = 50;

/// Types raw records against the rule set (GIL released), appending to `out`; every bad record
/// is kept in `errors` (up to kMaxListedErrors), not just the first.
void type_into(const subsidy::RuleSet& rules, const std::vector<subsidy::RawValue>& records,
               Enterprises& out, std::vector<subsidy::Error>& errors) {
  py::gil_scoped_release release;
  for (const auto& record : records) {
    try {
      out.items.push_back(subsidy::make_enterprise(rules, record));
    } catch (const subsidy::Error& error) {
      if (errors.size() < kMaxListedErrors) errors.push_back(error);
    }
  }
}

Enterprises finish_typing(Enterprises out, std::vector<subsidy::Error> errors) {
  if (errors.size() == 1) throw errors.front();
  if (!errors.empty()) throw subsidy::ErrorList(std::move(errors));
  subsidy::check_population(out.items);
  return out;
}

Enterprises type_records(const subsidy::RuleSet& rules,
                         const std::vector<subsidy::RawValue>& records) {
  Enterprises out{rules.fingerprint(), {}};
  std::vector<subsidy::Error> errors;
  out.items.reserve(records.size());
  type_into(rules, records, out, errors);
  return finish_typing(std::move(out), std::move(errors));
}

subsidy::Mark row_mark(const std::string& source, std::size_t row, const std::string& field = {}) {
  subsidy::Mark mark;
  mark.file = source;
  mark.line = static_cast<int>(row + 1);
  mark.field = field;
  return mark;
}

/// `lines` (optional) gives each record's line or row in `source`, for error locations.
Enterprises from_records(const subsidy::RuleSet& rules, const py::sequence& records,
                         const std::string& source, const std::optional<std::vector<int>>& lines) {
  if (lines && lines->size() != records.size()) {
    throw py::value_error("from_records: " + std::to_string(lines->size()) + " lines for " +
                          std::to_string(records.size()) + " records");
  }
  // Typed a chunk at a time, so the untyped copy of only one chunk is held beside the records.
  constexpr std::size_t kChunk = 4096;
  Enterprises out{rules.fingerprint(), {}};
  out.items.reserve(records.size());
  std::vector<subsidy::Error> errors;
  std::vector<subsidy::RawValue> raw;
  raw.reserve(std::min(kChunk, records.size()));
  std::size_t row = 0;
  for (py::handle record : records) {
    if (!PyDict_Check(record.ptr()) && !py::hasattr(record, "items")) {
      throw py::type_error("record " + std::to_string(row + 1) +
                           ": expected a dict of facts, found " +
                           py::repr(record).cast<std::string>());
    }
    subsidy::Mark mark = row_mark(source, row);
    if (lines) mark.line = (*lines)[row];
    raw.push_back(raw_from_python(record, mark));
    ++row;
    if (raw.size() == kChunk) {
      type_into(rules, raw, out, errors);
      raw.clear();
    }
  }
  type_into(rules, raw, out, errors);
  return finish_typing(std::move(out), std::move(errors));
}

Enterprises from_columns(const subsidy::RuleSet& rules, const std::vector<std::string>& names,
                         const py::list& columns, std::size_t rows, const std::string& source) {
  if (columns.size() != names.size()) {
    throw py::value_error("from_columns: " + std::to_string(names.size()) + " names but " +
                          std::to_string(columns.size()) + " columns");
  }
  std::vector<subsidy::RawValue> raw(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    raw[i].kind = subsidy::RawValue::Kind::map;
    raw[i].mark = row_mark(source, i);
    raw[i].entries.reserve(names.size());
  }
  for (std::size_t j = 0; j < names.size(); ++j) {
    py::list column = columns[j].cast<py::list>();
    if (column.size() != rows) {
      throw py::value_error("from_columns: column '" + names[j] + "' has " +
                            std::to_string(column.size()) + " values, expected " +
                            std::to_string(rows));
    }
    for (std::size_t i = 0; i < rows; ++i) {
      py::handle value = column[i];
      if (value.is_none()) continue;  // a missing cell: the fact is not given
      subsidy::RawValue cell = raw_from_python(value, row_mark(source, i, names[j]));
      if (cell.kind == subsidy::RawValue::Kind::null) continue;
      raw[i].entries.emplace_back(names[j], std::move(cell));
    }
  }
  return type_records(rules, raw);
}

const subsidy::Enterprise& enterprise_at(const subsidy::RuleSet& rules, const Enterprises& batch,
                                         std::size_t index) {
  if (batch.fingerprint != rules.fingerprint()) {
    throw subsidy::Error(subsidy::ErrorKind::usage,
                         "these enterprise records were typed against another rule set");
  }
  if (index >= batch.items.size()) throw py::index_error("enterprise index out of range");
  return batch.items[index];
}

/// How the Python side reads a fact's column: as amounts, conditions, enumerations, or on the
/// typed path (text, dates, lists are checked cell by cell).
const char* unit_kind(subsidy::UnitKind kind) {
  switch (kind) {
    case subsidy::UnitKind::boolean:
      return "boolean";
    case subsidy::UnitKind::enumeration:
      return "enumeration";
    case subsidy::UnitKind::text:
      return "text";
    case subsidy::UnitKind::date:
      return "date";
    case subsidy::UnitKind::list:
      return "list";
    default:
      return "number";
  }
}

}  // namespace

void register_evaluate(py::module_& m) {
  using subsidy::Scenario;

  py::class_<Scenario>(m, "Scenario", "The choices an evaluation is made under (a what-if).")
      .def(py::init([](std::optional<subsidy::Date> on, std::map<std::string, std::string> options,
                       std::map<std::string, std::string> choose,
                       std::map<std::string, subsidy::Decimal> parameters, bool trace) {
             Scenario scenario;
             scenario.on = on;
             scenario.options = std::move(options);
             scenario.choose = std::move(choose);
             scenario.parameters = std::move(parameters);
             scenario.trace = trace;
             return scenario;
           }),
           py::kw_only(), py::arg("on") = py::none(),
           py::arg("options") = std::map<std::string, std::string>{},
           py::arg("choose") = std::map<std::string, std::string>{},
           py::arg("parameters") = std::map<std::string, subsidy::Decimal>{},
           py::arg("trace") = false)
      .def_property_readonly("on", [](const Scenario& s) { return s.on; })
      .def_property_readonly("options", [](const Scenario& s) { return s.options; })
      .def_property_readonly("choose", [](const Scenario& s) { return s.choose; })
      .def_property_readonly("parameters", [](const Scenario& s) { return s.parameters; })
      .def_property_readonly("trace", [](const Scenario& s) { return s.trace; })
      .def("validate", &Scenario::validate, py::arg("rules"),
           "Checks every name against the rule set; raises SubsidyError.")
      .def("canonical", &Scenario::canonical, "Canonical text, part of the receipt.");

  py::class_<Enterprises>(m, "Enterprises", "Enterprise records typed against one rule set.")
      .def_static("from_records", &from_records, py::arg("rules"), py::arg("records"),
                  py::arg("source") = "<records>", py::arg("lines") = py::none())
      .def_static("from_columns", &from_columns, py::arg("rules"), py::arg("names"),
                  py::arg("columns"), py::arg("rows"), py::arg("source") = "<frame>")
      .def_static(
          "load",
          [](const subsidy::RuleSet& rules, const std::string& path) {
            Enterprises out{rules.fingerprint(), {}};
            py::gil_scoped_release release;
            out.items = subsidy::load_enterprises(rules, path);
            return out;
          },
          py::arg("rules"), py::arg("path"), "Reads YAML, JSON or CSV enterprise records.")
      .def_static(
          "parse",
          [](const subsidy::RuleSet& rules, const std::string& name, const std::string& text) {
            Enterprises out{rules.fingerprint(), {}};
            py::gil_scoped_release release;
            out.items = subsidy::parse_enterprises(rules, name, text);
            return out;
          },
          py::arg("rules"), py::arg("name"), py::arg("text"))
      .def("__len__", [](const Enterprises& batch) { return batch.items.size(); })
      .def(
          "slice",
          [](const Enterprises& batch, std::size_t start, std::size_t stop) {
            stop = std::min(stop, batch.items.size());
            start = std::min(start, stop);
            return Enterprises{batch.fingerprint,
                               {batch.items.begin() + static_cast<std::ptrdiff_t>(start),
                                batch.items.begin() + static_cast<std::ptrdiff_t>(stop)}};
          },
          py::arg("start"), py::arg("stop"), "Records [start, stop): for chunked evaluation.")
      .def_static(
          "join",
          [](const std::vector<const Enterprises*>& parts) {
            Enterprises out;
            for (const Enterprises* part : parts) {
              if (!out.fingerprint.empty() && part->fingerprint != out.fingerprint) {
                throw subsidy::Error(subsidy::ErrorKind::usage,
                                     "records typed against different rule sets");
              }
              out.fingerprint = part->fingerprint;
              out.items.insert(out.items.end(), part->items.begin(), part->items.end());
            }
            subsidy::check_population(out.items);  // across the parts, as within one file
            return out;
          },
          py::arg("parts"), "The records of several files, in order.")
      .def(
          "extend",
          [](Enterprises& self, Enterprises& part) {
            if (part.fingerprint != self.fingerprint) {
              throw subsidy::Error(subsidy::ErrorKind::usage,
                                   "records typed against different rule sets");
            }
            self.items.insert(self.items.end(), std::make_move_iterator(part.items.begin()),
                              std::make_move_iterator(part.items.end()));
            part.items.clear();
            subsidy::check_population(self.items);
          },
          py::arg("part"),
          "Moves the records of `part` to the end (a file typed a chunk at a time, never held "
          "twice); checks the population as join does.")
      .def("years",
           [](const Enterprises& batch) {
             std::vector<std::optional<std::int64_t>> years;
             years.reserve(batch.items.size());
             for (const auto& item : batch.items) years.push_back(item.year);
             return years;
           })
      .def("ids", [](const Enterprises& batch) {
        std::vector<std::string> ids;
        ids.reserve(batch.items.size());
        for (const auto& item : batch.items) ids.push_back(item.id);
        return ids;
      });

  py::class_<EvaluationBatch>(m, "EvaluationBatch", "The evaluations of a batch, in input order.")
      .def("__len__", [](const EvaluationBatch& b) { return b.size(); })
      .def("__getitem__",
           [](EvaluationBatch& b, std::size_t i) {
             if (i >= b.size()) throw py::index_error("evaluation index out of range");
             return b.at(i);
           })
      .def(
          "complete",
          [](EvaluationBatch& b, long long threads) { b.complete({}, thread_count(threads)); },
          py::arg("threads") = 0,
          "Completes every evaluation the batch engine gave as lines and totals only (findings, "
          "policy sets) with the reference evaluator.")
      .def(
          "whole",
          [](const EvaluationBatch& b, std::size_t from, std::size_t to, long long threads) {
            return b.whole(from, to, thread_count(threads));
          },
          py::arg("start"), py::arg("stop"), py::arg("threads") = 0,
          "The evaluations of rows [start, stop), completed into the copies returned (not kept).")
      .def_property_readonly("partial",
                             [](const EvaluationBatch& b) {
                               return std::count(b.partial.begin(), b.partial.end(), 1);
                             })
      .def(
          "to_json",
          [](const EvaluationBatch& b, bool with_trace) {
            std::vector<std::string> out;
            out.reserve(b.size());
            // A block at a time, completed and written, so the whole evaluations are never all
            // held.
            for (std::size_t from = 0; from < b.size(); from += kWholeBlock) {
              const auto block = b.whole(from, from + kWholeBlock);
              py::gil_scoped_release release;  // writing a batch is engine work, not Python's
              for (const auto& e : block) out.push_back(subsidy::to_json(e, with_trace));
            }
            return out;
          },
          py::arg("with_trace") = false);

  m.def(
      "evaluate",
      [](const subsidy::RuleSet& rules, const Enterprises& enterprises, std::size_t index,
         const Scenario& scenario) {
        const subsidy::Enterprise& enterprise = enterprise_at(rules, enterprises, index);
        subsidy::Evaluation evaluation;
        {
          py::gil_scoped_release release;
          evaluation = subsidy::evaluate(rules, enterprise, scenario);
        }
        return evaluation;
      },
      py::arg("rules"), py::arg("enterprises"), py::arg("index"), py::arg("scenario"),
      "Evaluates one enterprise (GIL released).");
  m.def(
      "parameter_value",
      [](const subsidy::RuleSet& rules, const std::string& name, py::handle value) {
        if (PyUnicode_Check(value.ptr())) {
          return subsidy::parameter_value(rules, name, value.cast<std::string>());
        }
        subsidy::Decimal number;
        if (!decimal_from_python(value, number, "a parameter value")) {
          throw py::type_error("parameter '" + name +
                               "': expected a str, int or decimal.Decimal, found " +
                               py::repr(value).cast<std::string>());
        }
        return subsidy::parameter_value(rules, name, number);
      },
      py::arg("rules"), py::arg("name"), py::arg("value"),
      "An override's value, checked by the parameter's unit as a rule file's value is.");
  m.def(
      "evaluate_batch",
      [](const subsidy::RuleSet& rules, const Enterprises& enterprises, const Scenario& scenario,
         long long threads) {
        if (enterprises.fingerprint != rules.fingerprint()) {
          throw subsidy::Error(subsidy::ErrorKind::usage,
                               "these enterprise records were typed against another rule set");
        }
        std::vector<subsidy::Evaluation> evaluations;
        {
          py::gil_scoped_release release;
          evaluations =
              subsidy::evaluate_batch(rules, enterprises.items, scenario, thread_count(threads));
        }
        return EvaluationBatch{rules, std::move(evaluations), nullptr, std::nullopt, {}};
      },
      py::arg("rules"), py::arg("enterprises"), py::arg("scenario"), py::arg("threads") = 0,
      "Evaluates every enterprise on `threads` threads (0: all cores), GIL released.");
  m.def(
      "evaluate_batch_engine",
      [](const subsidy::RuleSet& rules, py::object enterprises, const Scenario& scenario,
         long long threads) {
        return evaluate_on_batch_engine(rules, std::move(enterprises), scenario,
                                        thread_count(threads));
      },
      py::arg("rules"), py::arg("enterprises"), py::arg("scenario"), py::arg("threads") = 0,
      "The evaluations evaluate_batch gives without traces, computed by the batch engine (GIL "
      "released); each is completed by the reference evaluator when all of it is asked for.");
  m.def(
      "evaluate_table_engine",
      [](const subsidy::RuleSet& rules, py::object table,
         std::vector<std::optional<std::string>> names, std::map<std::string, py::bytes> exponents,
         std::string source, const Scenario& scenario, long long threads) {
        std::map<std::string, std::string> written;
        for (auto& [fact, bytes] : exponents) written[fact] = std::string(bytes);
        return evaluate_table_on_batch_engine(rules, std::move(table), std::move(names),
                                              std::move(written), std::move(source), scenario,
                                              thread_count(threads));
      },
      py::arg("rules"), py::arg("table"), py::arg("names"), py::arg("exponents"), py::arg("source"),
      py::arg("scenario"), py::arg("threads") = 0,
      "evaluate_batch_engine for a FactTable read from a frame's columns (names by row).");
  m.def(
      "fact_layout",
      [](const subsidy::RuleSet& rules) {
        py::dict out;
        for (const auto& decl : rules.facts()) {
          const bool list = decl.unit.kind == subsidy::UnitKind::list;
          py::list fields;
          for (const auto& f : decl.fields) {
            fields.append(
                py::make_tuple(f.name, unit_kind(f.unit.kind), subsidy::column_exponent(f.unit)));
          }
          out[py::str(decl.name)] = py::make_tuple(unit_kind(decl.unit.kind),
                                                   list ? 0 : subsidy::column_exponent(decl.unit),
                                                   decl.allow_negative, decl.required, fields);
        }
        return out;
      },
      py::arg("rules"),
      "Each fact's (unit kind, column exponent, negative allowed, required, list fields as "
      "(name, kind, exponent)): how its column is read.");
  m.def("decimal_buffers", &decimal_buffers, py::arg("cells"), py::arg("exponent"),
        py::arg("allow_negative"));
  m.def(
      "list_column_is_plain",
      [](const subsidy::RuleSet& rules, const std::string& fact, const py::sequence& cells) {
        const auto slot = rules.fact_slot(fact);
        return slot && list_column_is_plain(rules.facts()[*slot], cells);
      },
      py::arg("rules"), py::arg("fact"), py::arg("cells"));
  register_compare(m);
}

}  // namespace subsidy_py
