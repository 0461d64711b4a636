// Comparing two batches, row by row, in C++: the per-enterprise changes of the cash totals and
// the sums of the lines each budget line covers, so subsidy.compare runs no Python per row.
#include <algorithm>
#include <set>

#include "evaluation_batch.hpp"

namespace subsidy_py {

namespace {

using namespace pybind11::literals;

bool complete(const subsidy::Evaluation& e) { return e.ok() && e.unevaluated.empty(); }

/// The error, else the rules left out and the facts they need (as Batch.totals words them).
py::object failure(const subsidy::Evaluation& e) {
  if (e.error) return py::str(e.error->what());
  if (e.unevaluated.empty()) return py::none();
  std::string text;
  for (const auto& u : e.unevaluated) {
    std::string facts;
    for (const auto& m : u.missing) facts += (facts.empty() ? "" : ", ") + m;
    text += (text.empty() ? "" : "; ") + u.qualified_id() + " needs " + facts;
  }
  return py::str(text);
}

/// Per enterprise: ok (complete under both), the cash bands under each and their change (None
/// where not ok); and the failed enterprises with both errors.
py::dict compare_columns(const EvaluationBatch& base, const EvaluationBatch& other) {
  if (base.evaluations.size() != other.evaluations.size()) {
    throw py::value_error("the population gave a different number of records to each side");
  }
  const std::size_t n = base.evaluations.size();
  py::list enterprise, name, ok, base_min, base_max, other_min, other_max, change_min, change_max,
      unfixed_change, failed_enterprise, base_error, other_error;
  for (std::size_t i = 0; i < n; ++i) {
    const subsidy::Evaluation& a = base.evaluations[i];
    const subsidy::Evaluation& b = other.evaluations[i];
    if (a.enterprise != b.enterprise) {
      throw py::value_error("the two sides read different enterprises from the population");
    }
    py::str id(a.enterprise);
    enterprise.append(id);
    name.append(py::str(a.name));
    const bool both = complete(a) && complete(b);
    ok.append(py::bool_(both));
    if (!both) {
      for (py::list* column : {&base_min, &base_max, &other_min, &other_max, &change_min,
                               &change_max, &unfixed_change}) {
        column->append(py::none());
      }
      failed_enterprise.append(id);
      base_error.append(failure(a));
      other_error.append(failure(b));
      continue;
    }
    const subsidy::Band& x = a.totals.all.cash;
    const subsidy::Band& y = b.totals.all.cash;
    base_min.append(decimal_to_python(x.min));
    base_max.append(decimal_to_python(x.max));
    other_min.append(decimal_to_python(y.min));
    other_max.append(decimal_to_python(y.max));
    change_min.append(decimal_to_python(y.min - x.min));
    change_max.append(decimal_to_python(y.max - x.max));
    unfixed_change.append(py::int_(b.totals.all.unfixed - a.totals.all.unfixed));
  }
  py::dict per_enterprise("enterprise"_a = enterprise, "name"_a = name, "ok"_a = ok,
                          "baseline_min"_a = base_min, "baseline_max"_a = base_max,
                          "scenario_min"_a = other_min, "scenario_max"_a = other_max,
                          "change_min"_a = change_min, "change_max"_a = change_max,
                          "unfixed_change"_a = unfixed_change);
  py::dict failed("enterprise"_a = failed_enterprise, "baseline_error"_a = base_error,
                  "scenario_error"_a = other_error);
  return py::dict("per_enterprise"_a = per_enterprise, "failed"_a = failed);
}

/// For the lines of the rules in `covers`: per year of the batch's lines (None when no line has
/// a year) the sum of their floors and ceilings and the number of unfixed lines.
py::list budget_sums(const EvaluationBatch& batch, const std::vector<std::string>& covers) {
  const std::set<std::string> covered(covers.begin(), covers.end());
  std::set<std::int64_t> years;
  for (const auto& e : batch.evaluations) {
    if (e.year && !e.lines.empty()) years.insert(*e.year);
  }
  std::vector<std::optional<std::int64_t>> periods(years.begin(), years.end());
  if (periods.empty()) periods.emplace_back();
  py::list out;
  for (const auto& year : periods) {
    subsidy::Decimal low, high;
    std::int64_t unfixed = 0;
    for (const auto& e : batch.evaluations) {
      if (year && e.year != year) continue;
      for (const auto& line : e.lines) {
        if (covered.count(line.qualified_rule()) == 0) continue;
        const auto s = line.status;
        if (s == subsidy::LineStatus::exact || s == subsidy::LineStatus::decided ||
            s == subsidy::LineStatus::band) {
          low += line.band.min;
          high += line.band.max;
        }
        if (s == subsidy::LineStatus::unfixed) ++unfixed;
      }
    }
    out.append(py::make_tuple(year ? py::object(py::int_(*year)) : py::object(py::none()),
                              decimal_to_python(low), decimal_to_python(high), unfixed));
  }
  return out;
}

}  // namespace

void register_compare(py::module_& m) {
  m.def("compare_columns", &compare_columns, py::arg("baseline"), py::arg("scenario"),
        "Per-enterprise cash bands under two batches and their changes, and the failed rows.");
  m.def("budget_sums", &budget_sums, py::arg("batch"), py::arg("covers"),
        "Per year of the lines: sums of the floors and ceilings of the covered rules' lines.");
  m.def(
      "complete_mask",
      [](const EvaluationBatch& batch) {
        std::vector<bool> out;
        out.reserve(batch.evaluations.size());
        for (const auto& e : batch.evaluations) out.push_back(complete(e));
        return out;
      },
      py::arg("batch"), "Evaluated without error and with no rule left out for want of a fact.");
}

}  // namespace subsidy_py
