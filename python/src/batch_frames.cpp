// A batch's lines and totals as columns for DataFrames, its sums and masks: read from the batch
// engine's results in place (no evaluation object per row) and from the whole evaluations of the
// other rows. See batch_rows.hpp for the column encoding.
#include <algorithm>
#include <optional>
#include <set>

#include "batch_rows.hpp"

namespace subsidy_py {

using namespace pybind11::literals;
using subsidy::LineStatus;

void add_line(subsidy::Total& total, const subsidy::ColumnarResult& result,
              const subsidy::ColumnarLine& line, bool in_kind) {
  ++total.lines;
  if (line.status == LineStatus::unfixed) {
    ++total.unfixed;
    return;
  }
  if (line.status == LineStatus::recognised) {
    ++total.recognised;
    return;
  }
  subsidy::Band& band = in_kind ? total.in_kind : total.cash;
  band.min += result.amount(line.min);
  band.max += result.amount(line.max);
}

namespace {

bool in_kind(const EvaluationBatch& batch, const subsidy::ColumnarLine& line) {
  return batch.infos[line.rule]->form == subsidy::AwardForm::in_kind;
}

}  // namespace

subsidy::Total row_total(const EvaluationBatch& batch, std::size_t row) {
  if (!batch.is_partial(row)) return batch.evaluation(row).totals.all;
  const subsidy::ColumnarResult& r = *batch.columnar;
  subsidy::Total total;
  for (std::size_t k = r.offsets[row]; k < r.offsets[row + 1]; ++k) {
    if (!r.lines[k].withheld) add_line(total, r, r.lines[k], in_kind(batch, r.lines[k]));
  }
  return total;
}

bool row_units(const EvaluationBatch& batch, std::size_t row, UnitsTotal& out) {
  const subsidy::ColumnarResult& r = *batch.columnar;
  out = UnitsTotal{};
  bool fits = true;
  for (std::size_t k = r.offsets[row]; k < r.offsets[row + 1]; ++k) {
    const subsidy::ColumnarLine& l = r.lines[k];
    if (l.withheld) continue;
    ++out.lines;
    if (l.status == LineStatus::unfixed) {
      ++out.unfixed;
    } else if (l.status == LineStatus::recognised) {
      ++out.recognised;
    } else if (in_kind(batch, l)) {
      out.in_kind_any = true;
      fits = !__builtin_add_overflow(out.in_kind_min, l.min, &out.in_kind_min) &&
             !__builtin_add_overflow(out.in_kind_max, l.max, &out.in_kind_max) && fits;
    } else {
      out.cash_any = true;
      fits = !__builtin_add_overflow(out.cash_min, l.min, &out.cash_min) &&
             !__builtin_add_overflow(out.cash_max, l.max, &out.cash_max) && fits;
    }
  }
  return fits;
}

// The batch engine keeps only rows that succeeded with every rule evaluated; the others are
// whole evaluations.
bool row_complete(const EvaluationBatch& batch, std::size_t row) {
  return batch.is_partial(row) || batch.evaluation(row).complete();
}

bool row_ok(const EvaluationBatch& batch, std::size_t row) {
  return batch.is_partial(row) || batch.evaluation(row).ok();
}

py::object error_text(const subsidy::Evaluation& evaluation) {
  return evaluation.error ? py::object(py::str(evaluation.error->what())) : py::object(py::none());
}

py::object incomplete_text(const subsidy::Evaluation& evaluation) {
  if (evaluation.unevaluated.empty()) return py::none();
  std::string text;
  for (const auto& u : evaluation.unevaluated) {
    std::string facts;
    for (const auto& m : u.missing) facts += (facts.empty() ? "" : ", ") + m;
    text += (text.empty() ? "" : "; ") + u.qualified_id() + " needs " + facts;
  }
  return py::str(text);
}

std::int32_t DecimalObjects::units(std::int64_t units) {
  auto [it, fresh] = units_.try_emplace(units, static_cast<std::int32_t>(values_.size()));
  if (fresh)
    values_.append(decimal_to_python(subsidy::Decimal::from_scaled_int64(units, exponent_)));
  return it->second;
}

std::int32_t DecimalObjects::value(const subsidy::Decimal& value) {
  // decimal_to_python writes the scientific string: the same text is the same object.
  std::string text = value.to_scientific_string();
  auto [it, fresh] = texts_.try_emplace(std::move(text), static_cast<std::int32_t>(values_.size()));
  if (fresh) values_.append(decimal_to_python(value));
  return it->second;
}

Column DecimalColumn::build() const {
  py::array_t<std::int32_t> codes(static_cast<py::ssize_t>(codes_.size()));
  std::copy(codes_.begin(), codes_.end(), codes.mutable_data());
  return py::make_tuple(name_, "object", std::move(codes), objects_.values());
}

void TotalColumns::add(const subsidy::Total& total) {
  cash_min.value(total.cash.min);
  cash_max.value(total.cash.max);
  in_kind_min.value(total.in_kind.min);
  in_kind_max.value(total.in_kind.max);
  unfixed.add(total.unfixed);
  recognised.add(total.recognised);
  lines.add(total.lines);
  unevaluated.add(total.unevaluated);
}

void TotalColumns::add(const UnitsTotal& total) {
  cash_min.sum(total.cash_any, total.cash_min);
  cash_max.sum(total.cash_any, total.cash_max);
  in_kind_min.sum(total.in_kind_any, total.in_kind_min);
  in_kind_max.sum(total.in_kind_any, total.in_kind_max);
  unfixed.add(total.unfixed);
  recognised.add(total.recognised);
  lines.add(total.lines);
  unevaluated.add(0);
}

void TotalColumns::append_to(py::list& out) const {
  out.append(cash_min.build());
  out.append(cash_max.build());
  out.append(in_kind_min.build());
  out.append(in_kind_max.build());
  out.append(unfixed.build());
  out.append(recognised.build());
  out.append(lines.build());
  out.append(unevaluated.build());
}

namespace {

std::int32_t exponent_of(const EvaluationBatch& batch) {
  return batch.columnar ? batch.columnar->exponent : -2;
}

/// The enterprise, name and year columns, one entry per call to add(row).
struct RowColumns {
  explicit RowColumns(const EvaluationBatch& b) : batch(b) {}
  /// Codes of a row, found once per row however many lines it has.
  void start(std::size_t row) {
    id_code = enterprise.code(batch.id(row));
    name_code = name.code(batch.name(row));
    const auto y = batch.year(row);
    year_code = y ? year.code(*y, [&] { return py::int_(*y); }) : -1;
  }
  void add() {
    enterprise.push(id_code);
    name.push(name_code);
    year.push(year_code);
  }

  const EvaluationBatch& batch;
  TextColumn enterprise{"enterprise"}, name{"name"};
  Coded<std::int64_t> year{"year"};
  std::int32_t id_code = 0, name_code = 0, year_code = -1;
};

py::list lines_columns(const EvaluationBatch& batch) {
  DecimalObjects objects(exponent_of(batch));
  RowColumns rows(batch);
  TextColumn policy_set("policy_set"), rule("rule"), payer("payer"), form("form"), status("status"),
      tier("tier"), unfixed_text("unfixed_text"), note("note"), clause("clause");
  DecimalColumn amount("amount", objects), min("min", objects), max("max", objects);
  ArrayColumn<std::int64_t> items("items");
  ArrayColumn<bool> withheld("withheld");
  // Per rule and per text of the engine's results: the codes, found once.
  struct RuleCodes {
    std::int32_t policy_set, rule, payer, form, clause;
  };
  std::vector<RuleCodes> rule_codes;
  std::vector<std::int32_t> tier_codes, text_codes, note_codes;
  if (batch.columnar) {
    for (const subsidy::RuleInfo* info : batch.infos) {
      rule_codes.push_back({policy_set.code(info->policy_set), rule.code(info->id),
                            payer.code(info->payer), form.code(subsidy::to_string(info->form)),
                            clause.code(info->citation.clause)});
    }
    for (const auto& text : batch.columnar->texts) {
      tier_codes.push_back(tier.code(text));
      text_codes.push_back(unfixed_text.code(text));
      note_codes.push_back(note.code(text));
    }
  }
  std::int32_t status_codes[8];
  for (auto s : {LineStatus::exact, LineStatus::band, LineStatus::decided, LineStatus::unfixed,
                 LineStatus::recognised}) {
    status_codes[static_cast<int>(s)] = status.code(subsidy::to_string(s));
  }
  for (std::size_t row = 0; row < batch.size(); ++row) {
    if (batch.is_partial(row)) {
      const subsidy::ColumnarResult& r = *batch.columnar;
      if (r.offsets[row] == r.offsets[row + 1]) continue;
      rows.start(row);
      for (std::size_t k = r.offsets[row]; k < r.offsets[row + 1]; ++k) {
        const subsidy::ColumnarLine& l = r.lines[k];
        const RuleCodes& c = rule_codes[l.rule];
        rows.add();
        policy_set.push(c.policy_set);
        rule.push(c.rule);
        payer.push(c.payer);
        form.push(c.form);
        status.push(status_codes[static_cast<int>(l.status)]);
        has_amount(l.status) ? amount.units(l.min) : amount.none();
        has_band(l.status) ? min.units(l.min) : min.none();
        has_band(l.status) ? max.units(l.max) : max.none();
        tier.push(tier_codes[l.tier]);
        items.add(l.items);
        unfixed_text.push(text_codes[l.text]);
        withheld.add(l.withheld);
        note.push(note_codes[l.note]);
        clause.push(c.clause);
      }
      continue;
    }
    const subsidy::Evaluation& e = batch.evaluation(row);
    if (e.lines.empty()) continue;
    rows.start(row);
    for (const auto& line : e.lines) {
      const subsidy::RuleInfo* info = line.info.get();
      rows.add();
      policy_set.add(line.policy_set);
      rule.add(line.rule);
      payer.add(info ? info->payer : std::string());
      form.add(info ? subsidy::to_string(info->form) : "");
      status.push(status_codes[static_cast<int>(line.status)]);
      has_amount(line.status) ? amount.value(line.amount) : amount.none();
      has_band(line.status) ? min.value(line.band.min) : min.none();
      has_band(line.status) ? max.value(line.band.max) : max.none();
      tier.add(line.tier);
      items.add(line.items);
      unfixed_text.add(line.unfixed_text);
      withheld.add(line.withheld);
      note.add(line.note);
      clause.add(info ? info->citation.clause : std::string());
    }
  }
  py::list out;
  out.append(rows.enterprise.build());
  out.append(rows.name.build());
  out.append(rows.year.build("int"));
  for (const TextColumn* c : {&policy_set, &rule, &payer, &form, &status}) out.append(c->build());
  for (const DecimalColumn* c : {&amount, &min, &max}) out.append(c->build());
  out.append(tier.build());
  out.append(items.build());
  out.append(unfixed_text.build());
  out.append(withheld.build());
  out.append(note.build());
  out.append(clause.build());
  return out;
}

/// One row per enterprise (by "enterprise": with ok, error, incomplete and receipt), or per
/// enterprise and payer / policy set for the rows that succeeded.
py::list totals_columns(EvaluationBatch& batch, const std::string& by) {
  DecimalObjects objects(exponent_of(batch));
  TotalColumns totals(objects);
  TextColumn enterprise("enterprise"), name("name");
  py::list out;
  if (by == "enterprise") {
    batch.add_receipts();
    ArrayColumn<bool> ok("ok");
    TextColumn error("error"), incomplete("incomplete"), receipt("receipt");
    enterprise.reserve(batch.size());
    receipt.reserve(batch.size());
    UnitsTotal units;
    for (std::size_t row = 0; row < batch.size(); ++row) {
      enterprise.distinct(batch.id(row));
      name.add(batch.name(row));
      receipt.distinct(batch.receipt(row));
      if (batch.is_partial(row)) {
        ok.add(true);
        error.none();
        incomplete.none();
        row_units(batch, row, units) ? totals.add(units) : totals.add(row_total(batch, row));
        continue;
      }
      const subsidy::Evaluation& e = batch.evaluation(row);
      ok.add(e.ok());
      e.error ? error.add(e.error->what()) : error.none();
      py::object missing = incomplete_text(e);
      missing.is_none() ? incomplete.none() : incomplete.add(missing.cast<std::string>());
      totals.add(e.totals.all);
    }
    out.append(enterprise.build());
    out.append(name.build());
    out.append(ok.build());
    out.append(error.build());
    out.append(incomplete.build());
    totals.append_to(out);
    out.append(receipt.build());
    return out;
  }
  if (by != "payer" && by != "policy_set") {
    throw py::value_error("by must be 'enterprise', 'payer' or 'policy_set', not '" + by + "'");
  }
  const bool payers = by == "payer";
  TextColumn key(by);
  std::map<std::string, subsidy::Total> sums;
  for (std::size_t row = 0; row < batch.size(); ++row) {
    const std::map<std::string, subsidy::Total>* row_totals = nullptr;
    if (batch.is_partial(row)) {
      // As subsidy::line_totals keys them: lines given way to add nothing, not even a key.
      sums.clear();
      const subsidy::ColumnarResult& r = *batch.columnar;
      for (std::size_t k = r.offsets[row]; k < r.offsets[row + 1]; ++k) {
        const subsidy::ColumnarLine& l = r.lines[k];
        const subsidy::RuleInfo& info = *batch.infos[l.rule];
        if (l.withheld || (payers && info.payer.empty())) continue;
        add_line(sums[payers ? info.payer : info.policy_set], r, l, in_kind(batch, l));
      }
      row_totals = &sums;
    } else {
      const subsidy::Evaluation& e = batch.evaluation(row);
      if (!e.ok()) continue;
      row_totals = payers ? &e.totals.by_payer : &e.totals.by_policy_set;
    }
    if (row_totals->empty()) continue;
    const std::int32_t id = enterprise.code(batch.id(row));
    const std::int32_t named = name.code(batch.name(row));
    for (const auto& [k, total] : *row_totals) {
      enterprise.push(id);
      name.push(named);
      key.add(k);
      totals.add(total);
    }
  }
  out.append(enterprise.build());
  out.append(name.build());
  out.append(key.build());
  totals.append_to(out);
  return out;
}

/// Exact sums of the totals of the rows that succeeded (and that `mask` selects, if given): by
/// "all", "payer" or "policy_set".
py::dict aggregate(const EvaluationBatch& batch, const std::string& by,
                   const std::optional<std::vector<bool>>& mask) {
  if (by != "all" && by != "payer" && by != "policy_set") {
    throw py::value_error("by must be 'all', 'payer' or 'policy_set', not '" + by + "'");
  }
  if (mask && mask->size() != batch.size()) {
    throw py::value_error("aggregate: the mask has " + std::to_string(mask->size()) +
                          " entries for " + std::to_string(batch.size()) + " evaluations");
  }
  std::map<std::string, subsidy::Total> sums;
  {
    py::gil_scoped_release release;
    // The engine's lines go straight into the sums, each rule's sum found once. A key appears
    // only when a line gave it (or, for "all", a row), as in the rows' own totals.
    auto key_of = [&](const subsidy::RuleInfo& info) -> const std::string& {
      return by == "all" ? by : by == "payer" ? info.payer : info.policy_set;
    };
    std::vector<subsidy::Total*> rule_sum(batch.infos.size(), nullptr);
    for (std::size_t row = 0; row < batch.size(); ++row) {
      if ((mask && !(*mask)[row]) || !row_ok(batch, row)) continue;
      if (batch.is_partial(row)) {
        if (by == "all") sums[by];
        const subsidy::ColumnarResult& r = *batch.columnar;
        for (std::size_t k = r.offsets[row]; k < r.offsets[row + 1]; ++k) {
          const subsidy::ColumnarLine& l = r.lines[k];
          if (l.withheld) continue;
          subsidy::Total*& into = rule_sum[l.rule];
          if (into == nullptr) {
            const std::string& key = key_of(*batch.infos[l.rule]);
            if (key.empty()) continue;
            into = &sums[key];
          }
          add_line(*into, r, l, in_kind(batch, l));
        }
        continue;
      }
      const subsidy::Evaluation& e = batch.evaluation(row);
      if (by == "all") {
        sums[by] += e.totals.all;
        continue;
      }
      for (const auto& [key, total] : by == "payer" ? e.totals.by_payer : e.totals.by_policy_set)
        sums[key] += total;
    }
  }
  py::dict out;
  for (const auto& [key, total] : sums) out[py::str(key)] = make_result(total);
  return out;
}

}  // namespace

void register_batch_frames(py::module_& m) {
  m.attr("WHOLE_BLOCK") = kWholeBlock;
  m.def("batch_lines", &lines_columns, py::arg("batch"),
        "One entry per award line, as coded columns (see subsidy._frames).");
  m.def("batch_totals", &totals_columns, py::arg("batch"), py::arg("by") = "enterprise",
        "One entry per enterprise (or per enterprise and payer / policy set), as coded columns.");
  m.def("batch_aggregate", &aggregate, py::arg("batch"), py::arg("by") = "payer",
        py::arg("mask") = py::none(),
        "Exact sums of the totals of the evaluations that succeeded (and `mask` selects).");
  m.def(
      "batch_ok",
      [](const EvaluationBatch& batch) {
        std::vector<bool> out(batch.size());
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = row_ok(batch, i);
        return out;
      },
      py::arg("batch"), "Evaluated without error, by row.");
  m.def(
      "batch_failures",
      [](const EvaluationBatch& batch) {
        py::list out;
        for (std::size_t i = 0; i < batch.size(); ++i) {
          if (batch.is_partial(i)) continue;
          const subsidy::Evaluation& e = batch.evaluation(i);
          if (e.ok() && e.unevaluated.empty()) continue;
          out.append(py::make_tuple(e.enterprise, error_text(e), incomplete_text(e)));
        }
        return out;
      },
      py::arg("batch"),
      "(enterprise, error or None, rules left out for want of a fact or None) of each row that "
      "failed or is incomplete, in order.");
}

}  // namespace subsidy_py
