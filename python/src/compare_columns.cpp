// Comparing two batches, row by row, in C++: the per-enterprise changes of the cash totals and
// the sums of the lines each budget line covers, so subsidy.compare runs no Python per row. The
// batch engine's rows are read from its results in place (batch_rows.hpp).
#include <algorithm>
#include <set>

#include "batch_rows.hpp"

namespace subsidy_py {

namespace {

using namespace pybind11::literals;

/// The error of a row that is not complete, else the rules left out and the facts they need
/// (as Batch.totals words them).
py::object failure(const EvaluationBatch& batch, std::size_t row) {
  if (batch.is_partial(row)) return py::none();
  const subsidy::Evaluation& e = batch.evaluation(row);
  return e.error ? error_text(e) : incomplete_text(e);
}

/// Per enterprise: ok (complete under both), the cash bands under each and their change (None
/// where not ok); and the failed enterprises with both errors (None where a side did not fail).
/// Columns as batch_frames.cpp codes them.
py::dict compare_columns(const EvaluationBatch& base, const EvaluationBatch& other) {
  if (base.size() != other.size()) {
    throw py::value_error("the population gave a different number of records to each side");
  }
  const std::size_t n = base.size();
  DecimalObjects objects(base.columnar ? base.columnar->exponent : -2);
  TextColumn enterprise("enterprise"), name("name");
  enterprise.reserve(n);
  ArrayColumn<bool> ok("ok");
  DecimalColumn base_min("baseline_min", objects), base_max("baseline_max", objects),
      other_min("scenario_min", objects), other_max("scenario_max", objects),
      change_min("change_min", objects), change_max("change_max", objects);
  Coded<std::int64_t> unfixed_change("unfixed_change");
  py::list failed_enterprise, base_error, other_error;
  const bool same_units =
      base.columnar && other.columnar && base.columnar->exponent == other.columnar->exponent;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& id = base.id(i);
    if (id != other.id(i)) {
      throw py::value_error("the two sides read different enterprises from the population");
    }
    enterprise.distinct(id);
    name.add(base.name(i));
    const bool both = row_complete(base, i) && row_complete(other, i);
    ok.add(both);
    if (!both) {
      for (DecimalColumn* column :
           {&base_min, &base_max, &other_min, &other_max, &change_min, &change_max}) {
        column->none();
      }
      unfixed_change.none();
      failed_enterprise.append(py::str(id));
      base_error.append(failure(base, i));
      other_error.append(failure(other, i));
      continue;
    }
    std::int64_t change = 0;
    UnitsTotal x, y;
    std::int64_t low = 0, high = 0;
    if (same_units && base.is_partial(i) && other.is_partial(i) && row_units(base, i, x) &&
        row_units(other, i, y) && !__builtin_sub_overflow(y.cash_min, x.cash_min, &low) &&
        !__builtin_sub_overflow(y.cash_max, x.cash_max, &high)) {
      // In units, as the decimals would be: a side with no cash line is the zero sum.
      base_min.sum(x.cash_any, x.cash_min);
      base_max.sum(x.cash_any, x.cash_max);
      other_min.sum(y.cash_any, y.cash_min);
      other_max.sum(y.cash_any, y.cash_max);
      change_min.sum(x.cash_any || y.cash_any, low);
      change_max.sum(x.cash_any || y.cash_any, high);
      change = y.unfixed - x.unfixed;
    } else {
      const subsidy::Total a = row_total(base, i);
      const subsidy::Total b = row_total(other, i);
      base_min.value(a.cash.min);
      base_max.value(a.cash.max);
      other_min.value(b.cash.min);
      other_max.value(b.cash.max);
      change_min.value(b.cash.min - a.cash.min);
      change_max.value(b.cash.max - a.cash.max);
      change = b.unfixed - a.unfixed;
    }
    unfixed_change.push(unfixed_change.code(change, [&] { return py::int_(change); }));
  }
  py::list per_enterprise;
  per_enterprise.append(enterprise.build());
  per_enterprise.append(name.build());
  per_enterprise.append(ok.build());
  for (const DecimalColumn* column :
       {&base_min, &base_max, &other_min, &other_max, &change_min, &change_max}) {
    per_enterprise.append(column->build());
  }
  per_enterprise.append(unfixed_change.build("object"));  // ints, None where not ok
  py::dict failed("enterprise"_a = failed_enterprise, "baseline_error"_a = base_error,
                  "scenario_error"_a = other_error);
  return py::dict("per_enterprise"_a = per_enterprise, "failed"_a = failed);
}

/// For the lines of the rules in `covers`: per year of the batch's lines (None when no line has
/// a year) the sum of their floors and ceilings and the number of unfixed lines.
py::list budget_sums(const EvaluationBatch& batch, const std::vector<std::string>& covers) {
  const std::set<std::string> covered(covers.begin(), covers.end());
  std::vector<bool> rule_covered;
  for (const subsidy::RuleInfo* info : batch.infos)
    rule_covered.push_back(covered.count(info->policy_set + "/" + info->id) != 0);
  auto line_count = [&](std::size_t row) {
    if (!batch.is_partial(row)) return batch.evaluation(row).lines.size();
    return batch.columnar->offsets[row + 1] - batch.columnar->offsets[row];
  };
  std::set<std::int64_t> years;
  for (std::size_t row = 0; row < batch.size(); ++row) {
    const auto year = batch.year(row);
    if (year && line_count(row) != 0) years.insert(*year);
  }
  std::vector<std::optional<std::int64_t>> periods(years.begin(), years.end());
  if (periods.empty()) periods.emplace_back();
  py::list out;
  for (const auto& year : periods) {
    subsidy::Decimal low, high;
    std::int64_t unfixed = 0;
    auto add = [&](subsidy::LineStatus s, auto min, auto max) {
      if (has_band(s)) {
        low += min();
        high += max();
      }
      if (s == subsidy::LineStatus::unfixed) ++unfixed;
    };
    for (std::size_t row = 0; row < batch.size(); ++row) {
      if (year && batch.year(row) != year) continue;
      if (batch.is_partial(row)) {
        const subsidy::ColumnarResult& r = *batch.columnar;
        for (std::size_t k = r.offsets[row]; k < r.offsets[row + 1]; ++k) {
          const subsidy::ColumnarLine& l = r.lines[k];
          if (!rule_covered[l.rule]) continue;
          add(
              l.status, [&] { return r.amount(l.min); }, [&] { return r.amount(l.max); });
        }
        continue;
      }
      for (const auto& line : batch.evaluation(row).lines) {
        if (covered.count(line.qualified_rule()) == 0) continue;
        add(
            line.status, [&] { return line.band.min; }, [&] { return line.band.max; });
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
        std::vector<bool> out(batch.size());
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = row_complete(batch, i);
        return out;
      },
      py::arg("batch"), "Evaluated without error and with no rule left out for want of a fact.");
  register_batch_frames(m);
  register_frame_columns(m);
}

}  // namespace subsidy_py
