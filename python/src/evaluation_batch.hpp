// The evaluations of a batch as the bindings hold them, whichever engine computed them.
//
// The batch (columnar) engine computes award lines and totals; the evaluations it gives are
// "partial": they have no findings, no list of evaluated policy sets and no `on` day, which only
// the reference evaluator reports. A partial evaluation is completed by the reference evaluator
// when all of it is asked for (one evaluation, JSON, iteration), never for lines and totals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"

namespace subsidy_py {

/// Where a batch's records come from: typed records, or a fact table read from columns.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  virtual std::size_t size() const = 0;
  virtual const std::string& id(std::size_t row) const = 0;
  virtual std::optional<std::int64_t> year(std::size_t row) const = 0;
  virtual const std::string& name(std::size_t row) const = 0;
  /// The record as the typed path would have built it (id, name, year, facts, mark).
  virtual subsidy::Enterprise record(std::size_t row) const = 0;
};

struct EvaluationBatch {
  subsidy::RuleSet rules;
  std::vector<subsidy::Evaluation> evaluations;
  /// Set by the batch engine: the records and scenario, to complete partial evaluations.
  std::shared_ptr<const RecordSource> records;
  std::optional<subsidy::Scenario> scenario;
  std::vector<std::uint8_t> partial;  ///< 1 where evaluations[i] holds lines and totals only
  bool receipts = true;  ///< false until the partial evaluations' receipts are computed

  /// Computes the receipts of the partial evaluations (a SHA-256 of each record), once: only
  /// the enterprise totals show them, so a batch that is only summed never pays for them.
  void add_receipts(unsigned threads = 0);

  /// Completes the partial evaluations among `rows` (all of them when empty) with the
  /// reference evaluator, each with its record of the year before, on `threads` threads.
  void complete(std::vector<std::size_t> rows = {}, unsigned threads = 0);
  /// The evaluations of rows [from, to), the partial ones completed into the copies returned and
  /// not kept: a batch read once from end to end stays at its own size.
  std::vector<subsidy::Evaluation> whole(std::size_t from, std::size_t to,
                                         unsigned threads = 0) const;
  bool is_partial(std::size_t row) const { return row < partial.size() && partial[row] != 0; }

 private:
  /// The reference evaluations of `rows` (partial rows), each with its record of the year before.
  std::vector<subsidy::Evaluation> evaluate_whole(const std::vector<std::size_t>& rows,
                                                  unsigned threads) const;
};

/// Evaluates typed records (a Python Enterprises object) on the batch engine, GIL released: the
/// same evaluations as subsidy::evaluate_batch without traces, lines and totals computed
/// vector-at-a-time; rows the batch results cannot describe exactly are evaluated by the
/// reference evaluator.
EvaluationBatch evaluate_on_batch_engine(const subsidy::RuleSet& rules, py::object records,
                                         const subsidy::Scenario& scenario, unsigned threads);

/// The same for a fact table read from columns (a Python FactTable object); `names` are the
/// records' names (None: none), `source` the name error locations give ("<DataFrame>").
/// `exponents`: for a number fact whose values are written at other exponents than its column's
/// (100 or 100.5 in a column of 分), the exponent of each row's value (int8 by row), so the
/// records rebuilt from the table are the ones the typed path would have built.
EvaluationBatch evaluate_table_on_batch_engine(const subsidy::RuleSet& rules, py::object table,
                                               std::vector<std::optional<std::string>> names,
                                               std::map<std::string, std::string> exponents,
                                               std::string source,
                                               const subsidy::Scenario& scenario, unsigned threads);

// --- pandas columns read in C++ (frame_columns.cpp) -------------------------------------------

/// Whether every cell of a list-fact column is None or a list of dicts whose keys are fields of
/// `decl` and whose values have the fields' types exactly as the typed path would keep them:
/// str for an enumeration, bool for a condition, int for a count or year, decimal.Decimal with
/// exactly the field's column exponent for an amount (so its digits survive the column), None
/// anywhere. Read with the C API, no Python code per value. False: the typed path reads it.
bool list_column_is_plain(const subsidy::FactDecl& decl, const py::sequence& cells);

/// A scalar number column of Python objects (decimal.Decimal, int, None) as an Arrow decimal128
/// column at `exponent`: (data, validity or None, null count, each row's written exponent as
/// int8 bytes or None when every value is written at `exponent`), or None when some cell does not
/// keep its exact digits there (more decimals than the column keeps, a float, a NaN, a negative
/// amount where none is allowed, more than 38 digits): then the typed path reads the column.
py::object decimal_buffers(const py::sequence& cells, std::int32_t exponent, bool allow_negative);

/// subsidy.compare's per-row work: compare_columns, budget_sums, complete_mask
/// (compare_columns.cpp).
void register_compare(py::module_& m);

}  // namespace subsidy_py
