// Typed records evaluated on the batch engine (subsidy::Program over a FactTable) and handed to
// Python as the evaluations the reference evaluator would give: lines and totals filled from the
// rule set by index, receipts from the records. See evaluation_batch.hpp.
#include <algorithm>
#include <exception>
#include <map>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>

#include "evaluation_batch.hpp"
#include "subsidy/columnar.hpp"

namespace subsidy_py {

namespace {

using subsidy::LineStatus;

/// Whether the batch results name each line's tier, unfixed text, item count and note.
template <class Line, class = void>
struct LinesCarryTexts : std::false_type {};
template <class Line>
struct LinesCarryTexts<Line, std::void_t<decltype(std::declval<const Line&>().note)>>
    : std::true_type {};

/// Fills what the batch line says beyond its amounts; false when the line may need a text the
/// batch results do not give (then the row is evaluated by the reference evaluator).
template <class Result, class Line>
bool fill_texts(subsidy::AwardLine& out, const Result& result, const Line& line) {
  if constexpr (LinesCarryTexts<Line>::value) {
    out.tier = result.texts[line.tier];
    out.unfixed_text = result.texts[line.text];
    out.note = result.texts[line.note];
    out.items = line.items;
    return true;
  } else {
    (void)result;
    using Kind = subsidy::AmountKind;
    const Kind kind = out.info->kind;
    const bool plain = kind == Kind::fixed || kind == Kind::band || kind == Kind::rate_of_base ||
                       kind == Kind::formula;
    return plain && (line.status == LineStatus::exact || line.status == LineStatus::band) &&
           !line.withheld;
  }
}

bool has_amount(LineStatus status) {
  return status == LineStatus::exact || status == LineStatus::decided;
}

class TypedRecords : public RecordSource {
 public:
  TypedRecords(py::object owner, const Enterprises& typed)
      : owner_(std::move(owner)), typed_(typed) {}
  ~TypedRecords() override {
    py::gil_scoped_acquire gil;  // the owner is a Python object
    owner_ = py::object();
  }
  std::size_t size() const override { return typed_.items.size(); }
  const std::string& id(std::size_t row) const override { return typed_.items[row].id; }
  std::optional<std::int64_t> year(std::size_t row) const override {
    return typed_.items[row].year;
  }
  const std::string& name(std::size_t row) const override { return typed_.items[row].name; }
  subsidy::Enterprise record(std::size_t row) const override { return typed_.items[row]; }

 private:
  py::object owner_;
  const Enterprises& typed_;
};

class TableRecords : public RecordSource {
 public:
  TableRecords(py::object owner, const subsidy::FactTable& table,
               std::vector<std::optional<std::string>> names,
               std::map<std::size_t, std::string> exponents, std::string source)
      : owner_(std::move(owner)),
        table_(table),
        names_(std::move(names)),
        exponents_(std::move(exponents)),
        source_(std::move(source)) {}
  ~TableRecords() override {
    py::gil_scoped_acquire gil;
    owner_ = py::object();
  }
  std::size_t size() const override { return table_.rows(); }
  const std::string& id(std::size_t row) const override { return table_.row_ids()[row]; }
  std::optional<std::int64_t> year(std::size_t row) const override {
    const subsidy::FactColumn& years = table_.year();
    return years.has(row) ? std::optional<std::int64_t>(years.at(row)) : std::nullopt;
  }
  const std::string& name(std::size_t row) const override {
    static const std::string none;
    return row < names_.size() && names_[row] ? *names_[row] : none;
  }
  subsidy::Enterprise record(std::size_t row) const override {
    subsidy::Enterprise e = table_.enterprise(row);
    if (row < names_.size() && names_[row]) e.name = *names_[row];
    // Each amount at the exponent it was written at (100, not 100.00), as the typed path keeps it.
    for (const auto& [slot, written] : exponents_) {
      auto& value = e.facts[slot];
      if (!value) continue;
      auto* number = std::get_if<subsidy::Decimal>(&std::get<subsidy::Scalar>(*value));
      const auto at = static_cast<std::int32_t>(static_cast<signed char>(written[row]));
      if (number) *number = number->quantize(at, subsidy::Rounding::down);
    }
    e.mark.file = source_;  // as a typed record of the same frame row is marked
    e.mark.line = static_cast<int>(row + 1);
    return e;
  }

 private:
  py::object owner_;
  const subsidy::FactTable& table_;
  std::vector<std::optional<std::string>> names_;
  std::map<std::size_t, std::string> exponents_;  ///< by fact slot: each row's written exponent
  std::string source_;
};

/// Rows [from, to) of the batch engine's results as evaluations; rows the results cannot
/// describe and rows the engine left to the reference evaluator go to `rest`.
void fill_rows(EvaluationBatch& out, const subsidy::ColumnarResult& result,
               const std::vector<std::shared_ptr<const subsidy::RuleInfo>>& infos, std::size_t from,
               std::size_t to, std::vector<std::size_t>& rest) {
  const RecordSource& records = *out.records;
  for (std::size_t r = from; r < to; ++r) {
    out.partial[r] = 1;
    if (result.exact.count(r) != 0) {
      rest.push_back(r);
      continue;
    }
    subsidy::Evaluation& evaluation = out.evaluations[r];
    bool described = true;
    evaluation.lines.reserve(result.offsets[r + 1] - result.offsets[r]);
    for (std::size_t k = result.offsets[r]; k < result.offsets[r + 1]; ++k) {
      const subsidy::ColumnarLine& l = result.lines[k];
      subsidy::AwardLine line;
      line.info = infos[l.rule];
      line.policy_set = line.info->policy_set;
      line.rule = line.info->id;
      line.status = l.status;
      line.withheld = l.withheld;
      if (has_amount(l.status) || l.status == LineStatus::band) {
        line.band = {result.amount(l.min), result.amount(l.max)};
        if (has_amount(l.status)) line.amount = line.band.min;
      }
      described = fill_texts(line, result, l) && described;
      evaluation.lines.push_back(std::move(line));
    }
    if (!described) {
      rest.push_back(r);
      continue;
    }
    evaluation.enterprise = records.id(r);
    evaluation.name = records.name(r);
    evaluation.year = records.year(r);
    evaluation.totals = subsidy::line_totals(evaluation.lines);
  }
}

/// Runs `body(from, to)` over [0, n) split among up to `threads` threads (0: one per core),
/// rethrowing the first failure.
std::size_t worker_count(std::size_t n, unsigned threads) {
  constexpr std::size_t kRowsPerWorker = 4096;
  const std::size_t wanted =
      threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads;
  return std::max<std::size_t>(1, std::min(wanted, n / kRowsPerWorker));
}

template <class Body>
void in_parallel(std::size_t n, unsigned threads, Body body) {
  const std::size_t workers = worker_count(n, threads);
  std::vector<std::exception_ptr> failed(workers);
  auto work = [&](std::size_t w) {
    try {
      body(w, n * w / workers, n * (w + 1) / workers);
    } catch (...) {
      failed[w] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  for (const auto& e : failed) {
    if (e) std::rethrow_exception(e);
  }
}

/// The batch engine's results as evaluations, on up to `threads` threads (0: one per core).
/// Returns the rows to evaluate from their records, in order.
std::vector<std::size_t> fill(EvaluationBatch& out, const subsidy::ColumnarResult& result,
                              unsigned threads) {
  std::vector<std::shared_ptr<const subsidy::RuleInfo>> infos;
  infos.reserve(result.rules.size());
  for (const auto& id : result.rules) infos.push_back(out.rules.rule(id));
  const std::size_t n = out.records->size();
  out.evaluations.resize(n);
  out.partial.assign(n, 0);
  out.receipts = false;
  std::vector<std::vector<std::size_t>> rest(worker_count(n, threads));
  in_parallel(n, threads, [&](std::size_t w, std::size_t from, std::size_t to) {
    fill_rows(out, result, infos, from, to, rest[w]);
  });
  std::vector<std::size_t> all;
  for (auto& part : rest) all.insert(all.end(), part.begin(), part.end());
  return all;
}

/// Runs the batch engine over `table`, or over the typed records `typed` read into one.
EvaluationBatch run(const subsidy::RuleSet& rules, std::shared_ptr<const RecordSource> records,
                    const subsidy::FactTable* table, const std::vector<subsidy::Enterprise>* typed,
                    const subsidy::Scenario& scenario, unsigned threads) {
  EvaluationBatch out{rules, {}, std::move(records), scenario, {}};
  std::vector<std::size_t> rest;
  {
    py::gil_scoped_release release;
    const subsidy::Program program(rules, scenario);
    // A fact table holds no names or marks: the rows the engine left to the reference
    // evaluator are evaluated again from their whole records.
    rest = fill(out,
                table != nullptr
                    ? program.run(*table, threads)
                    : program.run(subsidy::FactTable::from_enterprises(rules, *typed), threads),
                threads);
  }
  if (!rest.empty()) out.complete(std::move(rest), threads);
  return out;
}

}  // namespace

void EvaluationBatch::add_receipts(unsigned threads) {
  if (receipts || !records || !scenario) return;
  py::gil_scoped_release release;
  const std::string scenario_text = scenario->canonical();
  in_parallel(evaluations.size(), threads, [&](std::size_t, std::size_t from, std::size_t to) {
    for (std::size_t r = from; r < to; ++r) {
      if (is_partial(r))
        evaluations[r].receipt = subsidy::receipt(rules, records->record(r), scenario_text);
    }
  });
  receipts = true;
}

void EvaluationBatch::complete(std::vector<std::size_t> rows, unsigned threads) {
  if (!records || !scenario) return;
  if (rows.empty()) {
    for (std::size_t i = 0; i < partial.size(); ++i) {
      if (partial[i]) rows.push_back(i);
    }
  } else {
    std::vector<std::size_t> wanted;
    for (std::size_t i : rows) {
      if (is_partial(i)) wanted.push_back(i);
    }
    rows = std::move(wanted);
  }
  if (rows.empty()) return;
  std::vector<subsidy::Evaluation> done = evaluate_whole(rows, threads);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    evaluations[rows[k]] = std::move(done[k]);
    partial[rows[k]] = 0;
  }
}

std::vector<subsidy::Evaluation> EvaluationBatch::whole(std::size_t from, std::size_t to,
                                                        unsigned threads) const {
  to = std::min(to, evaluations.size());
  std::vector<std::size_t> rows;
  for (std::size_t i = from; i < to; ++i) {
    if (is_partial(i)) rows.push_back(i);
  }
  std::vector<subsidy::Evaluation> done;
  if (!rows.empty() && records && scenario) done = evaluate_whole(rows, threads);
  std::vector<subsidy::Evaluation> out;
  out.reserve(to > from ? to - from : 0);
  std::size_t k = 0;
  for (std::size_t i = from; i < to; ++i) {
    if (k < done.size() && rows[k] == i) {
      out.push_back(std::move(done[k++]));
    } else {
      out.push_back(evaluations[i]);
    }
  }
  return out;
}

std::vector<subsidy::Evaluation> EvaluationBatch::evaluate_whole(
    const std::vector<std::size_t>& rows, unsigned threads) const {
  py::gil_scoped_release release;
  const RecordSource& source = *records;
  // Each row is evaluated with its record of the year before, which last_year(fact) reads.
  std::map<std::pair<std::string_view, std::int64_t>, std::size_t> at;
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (const auto y = source.year(i))
      at.emplace(std::make_pair(std::string_view(source.id(i)), *y), i);
  }
  std::vector<subsidy::Enterprise> sub;
  std::map<std::size_t, std::size_t> included;  // row → position in `sub`
  auto include = [&](std::size_t i) {
    const auto [it, fresh] = included.emplace(i, sub.size());
    if (fresh) sub.push_back(source.record(i));
    return it->second;
  };
  std::vector<std::size_t> position;
  for (std::size_t r : rows) {
    if (const auto y = source.year(r)) {
      auto before = at.find({std::string_view(source.id(r)), *y - 1});
      if (before != at.end()) include(before->second);
    }
    position.push_back(include(r));
  }
  std::vector<subsidy::Evaluation> done = subsidy::evaluate_batch(rules, sub, *scenario, threads);
  std::vector<subsidy::Evaluation> out;
  out.reserve(rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) out.push_back(std::move(done[position[k]]));
  return out;
}

EvaluationBatch evaluate_on_batch_engine(const subsidy::RuleSet& rules, py::object records,
                                         const subsidy::Scenario& scenario, unsigned threads) {
  const Enterprises& typed = records.cast<const Enterprises&>();
  if (typed.fingerprint != rules.fingerprint()) {
    throw subsidy::Error(subsidy::ErrorKind::usage,
                         "these enterprise records were typed against another rule set");
  }
  return run(rules, std::make_shared<TypedRecords>(std::move(records), typed), nullptr,
             &typed.items, scenario, threads);
}

EvaluationBatch evaluate_table_on_batch_engine(const subsidy::RuleSet& rules, py::object table,
                                               std::vector<std::optional<std::string>> names,
                                               std::map<std::string, std::string> exponents,
                                               std::string source,
                                               const subsidy::Scenario& scenario,
                                               unsigned threads) {
  const subsidy::FactTable& facts = table.cast<const subsidy::FactTable&>();
  if (facts.rules().fingerprint() != rules.fingerprint()) {
    throw subsidy::Error(subsidy::ErrorKind::usage,
                         "this fact table was read for another rule set");
  }
  if (facts.row_ids().size() != facts.rows()) {
    throw py::value_error("the fact table has no 'id' column");
  }
  std::map<std::size_t, std::string> by_slot;
  for (auto& [fact, written] : exponents) {
    const auto slot = rules.fact_slot(fact);
    if (!slot || written.size() != facts.rows()) {
      throw py::value_error("exponents for '" + fact + "' do not match the table");
    }
    by_slot[*slot] = std::move(written);
  }
  auto records = std::make_shared<TableRecords>(std::move(table), facts, std::move(names),
                                                std::move(by_slot), std::move(source));
  return run(rules, std::move(records), &facts, nullptr, scenario, threads);
}

}  // namespace subsidy_py
