// Typed records evaluated on the batch engine (subsidy::Program over a FactTable), the results
// kept as the engine gave them; rows are completed into whole evaluations by the reference
// evaluator when asked for. See evaluation_batch.hpp.
#include <algorithm>
#include <exception>
#include <map>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>

#include "evaluation_batch.hpp"
#include "subsidy/columnar.hpp"

namespace subsidy_py {

namespace {

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

/// Runs the batch engine over `table`, or over the typed records `typed` read into one. The
/// results stay as the engine gave them; the rows it left to the exact path (an error, a rule
/// left out for want of a fact, an amount beyond int64) are evaluated whole from their records,
/// which hold the names and marks a fact table does not.
EvaluationBatch run(const subsidy::RuleSet& rules, std::shared_ptr<const RecordSource> records,
                    const subsidy::FactTable* table, const std::vector<subsidy::Enterprise>* typed,
                    const subsidy::Scenario& scenario, unsigned threads) {
  EvaluationBatch out{rules, {}, std::move(records), scenario, {}};
  {
    py::gil_scoped_release release;
    const subsidy::Program program(rules, scenario);
    auto result = std::make_shared<subsidy::ColumnarResult>(
        table != nullptr
            ? program.run(*table, threads)
            : program.run(subsidy::FactTable::from_enterprises(rules, *typed), threads));
    out.infos.reserve(result->rules.size());
    for (const auto& id : result->rules) out.infos.push_back(rules.find_rule(id));
    out.partial.assign(result->rows(), 1);
    out.whole_at.assign(result->rows(), EvaluationBatch::kNoWhole);
    out.columnar = std::move(result);
  }
  std::vector<std::size_t> rest;
  for (const auto& entry : out.columnar->exact) rest.push_back(entry.first);
  if (!rest.empty()) out.complete(std::move(rest), threads);
  return out;
}

}  // namespace

void EvaluationBatch::add_receipts(unsigned threads) {
  if (!receipts.empty() || !columnar || !records || !scenario) return;
  std::vector<std::string> made(size());
  {
    py::gil_scoped_release release;
    const std::string scenario_text = scenario->canonical();
    in_parallel(made.size(), threads, [&](std::size_t, std::size_t from, std::size_t to) {
      for (std::size_t r = from; r < to; ++r) {
        if (is_partial(r)) made[r] = subsidy::receipt(rules, records->record(r), scenario_text);
      }
    });
  }
  receipts = std::move(made);
}

void EvaluationBatch::complete(std::vector<std::size_t> rows, unsigned threads) {
  if (!columnar || !records || !scenario) return;
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
  evaluations.reserve(evaluations.size() + done.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    whole_at[rows[k]] = static_cast<std::uint32_t>(evaluations.size());
    evaluations.push_back(std::move(done[k]));
    partial[rows[k]] = 0;
  }
}

std::vector<subsidy::Evaluation> EvaluationBatch::whole(std::size_t from, std::size_t to,
                                                        unsigned threads) const {
  to = std::min(to, size());
  from = std::min(from, to);
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
      out.push_back(evaluation(i));
    }
  }
  return out;
}

const std::vector<std::int64_t>& EvaluationBatch::previous() const {
  std::lock_guard<std::mutex> guard(previous_->lock);
  if (previous_->found) return previous_->rows;
  // The same pairing as the reference evaluator's batches: (id, year - 1) by row.
  const RecordSource& source = *records;
  std::map<std::pair<std::string_view, std::int64_t>, std::size_t> at;
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (const auto y = source.year(i))
      at.emplace(std::make_pair(std::string_view(source.id(i)), *y), i);
  }
  std::vector<std::int64_t>& rows = previous_->rows;
  rows.assign(source.size(), -1);
  for (std::size_t i = 0; i < source.size() && at.size() > 1; ++i) {
    if (const auto y = source.year(i)) {
      auto before = at.find({std::string_view(source.id(i)), *y - 1});
      if (before != at.end()) rows[i] = static_cast<std::int64_t>(before->second);
    }
  }
  previous_->found = true;
  return rows;
}

std::vector<subsidy::Evaluation> EvaluationBatch::evaluate_whole(
    const std::vector<std::size_t>& rows, unsigned threads) const {
  py::gil_scoped_release release;
  const RecordSource& source = *records;
  // Each row is evaluated with its record of the year before, which last_year(fact) reads.
  const std::vector<std::int64_t>& before = previous();
  std::vector<subsidy::Enterprise> sub;
  std::map<std::size_t, std::size_t> included;  // row → position in `sub`
  auto include = [&](std::size_t i) {
    const auto [it, fresh] = included.emplace(i, sub.size());
    if (fresh) sub.push_back(source.record(i));
    return it->second;
  };
  std::vector<std::size_t> position;
  for (std::size_t r : rows) {
    if (before[r] >= 0) include(static_cast<std::size_t>(before[r]));
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
