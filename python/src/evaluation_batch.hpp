// The evaluations of a batch as the bindings hold them, whichever engine computed them.
//
// The batch (columnar) engine computes award lines and totals; its rows are "partial": they have
// no findings, no list of evaluated policy sets and no `on` day, which only the reference
// evaluator reports. A partial row is completed by the reference evaluator when all of it is
// asked for (one evaluation, JSON, iteration), never for lines and totals, which are read from
// the engine's results in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "subsidy/columnar.hpp"

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

/// Whole evaluations completed and handed on a block at a time (bounded memory when written).
inline constexpr std::size_t kWholeBlock = 4096;

/// The evaluations of a batch. From the reference evaluator (evaluate_batch, or with traces):
/// one whole evaluation per row in `evaluations`. From the batch engine: the engine's results in
/// `columnar`, read in place for lines and totals (no evaluation object per row); rows the
/// engine left to the exact path, and rows completed later, hold a whole evaluation.
struct EvaluationBatch {
  EvaluationBatch(subsidy::RuleSet rules_, std::vector<subsidy::Evaluation> evaluations_,
                  std::shared_ptr<const RecordSource> records_,
                  std::optional<subsidy::Scenario> scenario_, std::vector<std::uint8_t> partial_)
      : rules(std::move(rules_)),
        evaluations(std::move(evaluations_)),
        records(std::move(records_)),
        scenario(std::move(scenario_)),
        partial(std::move(partial_)) {}

  subsidy::RuleSet rules;
  /// Whole evaluations: every row's for a reference batch, else the rows `whole_at` points to.
  std::vector<subsidy::Evaluation> evaluations;
  /// Set by the batch engine: the records and scenario, to complete partial evaluations.
  std::shared_ptr<const RecordSource> records;
  std::optional<subsidy::Scenario> scenario;
  std::vector<std::uint8_t> partial;  ///< 1 where the row's lines and totals are in `columnar`
  /// Batch engine only: the results, the rule of each of its rule indexes, and for each row the
  /// position of its whole evaluation in `evaluations` (kNoWhole: none yet).
  std::shared_ptr<const subsidy::ColumnarResult> columnar;
  std::vector<const subsidy::RuleInfo*> infos;
  std::vector<std::uint32_t> whole_at;
  std::vector<std::string> receipts;  ///< of the partial rows, once add_receipts ran

  static constexpr std::uint32_t kNoWhole = 0xffffffffu;

  std::size_t size() const { return columnar ? columnar->rows() : evaluations.size(); }
  bool is_partial(std::size_t row) const { return row < partial.size() && partial[row] != 0; }
  /// The whole evaluation of a row that is not partial.
  const subsidy::Evaluation& evaluation(std::size_t row) const {
    return whole_at.empty() ? evaluations[row] : evaluations[whole_at[row]];
  }
  /// A row's evaluation completed if partial (kept), as __getitem__ hands it on.
  const subsidy::Evaluation& at(std::size_t row) {
    complete({row}, 1);
    return evaluation(row);
  }
  const std::string& id(std::size_t row) const {
    return is_partial(row) ? records->id(row) : evaluation(row).enterprise;
  }
  const std::string& name(std::size_t row) const {
    return is_partial(row) ? records->name(row) : evaluation(row).name;
  }
  std::optional<std::int64_t> year(std::size_t row) const {
    return is_partial(row) ? records->year(row) : evaluation(row).year;
  }

  /// Computes the receipts of the partial rows (a SHA-256 of each record), once: only the
  /// enterprise totals show them, so a batch that is only summed never pays for them.
  void add_receipts(unsigned threads = 0);
  const std::string& receipt(std::size_t row) const {
    return is_partial(row) ? receipts[row] : evaluation(row).receipt;
  }

  /// Completes the partial rows among `rows` (all of them when empty) with the reference
  /// evaluator, each with its record of the year before, on `threads` threads.
  void complete(std::vector<std::size_t> rows = {}, unsigned threads = 0);
  /// The evaluations of rows [from, to), the partial ones completed into the copies returned and
  /// not kept: a batch read once from end to end stays at its own size.
  std::vector<subsidy::Evaluation> whole(std::size_t from, std::size_t to,
                                         unsigned threads = 0) const;

 private:
  /// The reference evaluations of `rows` (partial rows), each with its record of the year before.
  std::vector<subsidy::Evaluation> evaluate_whole(const std::vector<std::size_t>& rows,
                                                  unsigned threads) const;
  /// Each row's record of the year before (row index, or -1), found once per batch.
  const std::vector<std::int64_t>& previous() const;
  struct Previous {
    std::mutex lock;
    std::vector<std::int64_t> rows;
    bool found = false;
  };
  std::shared_ptr<Previous> previous_ = std::make_shared<Previous>();
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

/// Such a column read into Arrow list<struct> buffers: (list offsets as int32 bytes, validity or
/// None, null count, record count, per field of `decl`: (name, data, utf8 offsets or None,
/// validity or None, null count)); fields are decimal128 at their column exponent, bool or utf8.
/// None when list_column_is_plain would say false, or a field is text or a date.
py::object list_buffers(const subsidy::FactDecl& decl, const py::sequence& cells);

/// A scalar number column of Python objects (decimal.Decimal, int, None) as an Arrow decimal128
/// column at `exponent`: (data, validity or None, null count, each row's written exponent as
/// int8 bytes or None when every value is written at `exponent`), or None when some cell does not
/// keep its exact digits there (more decimals than the column keeps, a float, a NaN, a negative
/// amount where none is allowed, more than 38 digits): then the typed path reads the column.
py::object decimal_buffers(const py::sequence& cells, std::int32_t exponent, bool allow_negative);

/// Binds list_buffers (frame_columns.cpp).
void register_frame_columns(py::module_& m);

/// subsidy.compare's per-row work: compare_columns, budget_sums, complete_mask
/// (compare_columns.cpp); it also registers the batch results' columns (batch_frames.cpp).
void register_compare(py::module_& m);
/// Lines and totals of a batch as columns (codes into dictionaries of Python objects, NumPy
/// arrays), aggregates and masks, read from the batch engine's buffers (batch_frames.cpp).
void register_batch_frames(py::module_& m);

}  // namespace subsidy_py
