// The columnar batch path: facts as columns of scaled int64, rules compiled once per scenario into
// a program over checked int64 fixed-point arithmetic, results as columns.
//
// It sits beside the reference evaluator (evaluate.hpp) and never replaces it: any enterprise the
// program cannot compute exactly in int64 (a value that does not fit its column, an intermediate
// that overflows, a missing fact, an error, a decided amount) and every enterprise of a rule set
// using a construct the compiler does not handle is evaluated by the reference evaluator instead.
// So the results are always those of the reference path; only the speed differs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "subsidy/config.hpp"
#include "subsidy/decimal.hpp"
#include "subsidy/evaluate.hpp"
#include "subsidy/facts.hpp"
#include "subsidy/rules.hpp"

namespace subsidy {

/// The exponent a numeric column is stored at, by unit: money in 分 (−2), counts and years whole,
/// rates and plain numbers to 10^−6. A value with more digits sends its row to the reference path.
std::int32_t column_exponent(const Unit& unit);

/// One column of scalar values: numbers as int64 counts of 10^exponent, booleans 0/1,
/// enumeration values as their index in the declaration, dates as YYYYMMDD, text as a code
/// into `dictionary`.
///
/// A column is filled as int64 values and presence bytes (`values`, `present`); seal() then
/// packs the values into the narrowest of int8/16/32/64 that holds every one of them (lossless:
/// the width is chosen from the values, so nothing is ever truncated) and drops `present` when
/// every row has a value. Read a column through has() and at(), which work sealed or not.
struct FactColumn {
  UnitKind kind = UnitKind::number;
  std::int32_t exponent = 0;
  std::vector<std::int64_t> values;   ///< while filling (and after sealing at width 8)
  std::vector<std::uint8_t> present;  ///< 1 where the value was given; empty once sealed dense
  std::vector<std::string> dictionary;

  /// True when row `row` has a value (an ungiven column has none).
  SUBSIDY_ALWAYS_INLINE bool has(std::size_t row) const {
    return dense_ ? row < size_ : row < present.size() && present[row] != 0;
  }
  /// The value of a row that has one. (Inlined: the interpreter reads every value through it.)
  SUBSIDY_ALWAYS_INLINE std::int64_t at(std::size_t row) const {
    switch (width_) {
      case 1:
        return narrow8_[row];
      case 2:
        return narrow16_[row];
      case 4:
        return narrow32_[row];
      default:
        return values[row];
    }
  }
  /// The values of rows base + sel[j] into out[j], j < n, with the width decided once for all
  /// of them (the batch program's vector reads); a row without a value reads as 0.
  void gather(std::size_t base, const std::uint32_t* sel, std::size_t n, std::int64_t* out) const;
  /// True when every row below `rows` has a value.
  bool all_present(std::size_t rows) const { return dense_ && rows <= size_; }
  /// Packs the column (see above); writing to a sealed column is a bug: clear() it to refill.
  void seal();
  /// Empties the column and makes it writable again, sized for `rows` absent values.
  void clear(std::size_t rows);
  /// Bytes of values and presence the column holds.
  std::size_t bytes() const;

 private:
  std::vector<std::int8_t> narrow8_;
  std::vector<std::int16_t> narrow16_;
  std::vector<std::int32_t> narrow32_;
  std::size_t size_ = 0;
  std::uint8_t width_ = 8;
  bool dense_ = false;  ///< sealed with every row present
  bool sealed_ = false;
};

/// A list fact: record `k` of row `r` is at offsets[r] + k; one column per record field.
struct ListColumn {
  std::vector<std::uint32_t> offsets;  ///< rows + 1 entries
  std::vector<FactColumn> fields;      ///< by field position (FactDecl::fields)
  std::vector<std::uint8_t> present;   ///< 1 where the row gave the list; empty once sealed dense

  SUBSIDY_ALWAYS_INLINE bool has(std::size_t row) const {
    return dense_ ? row < size_ : row < present.size() && present[row] != 0;
  }
  /// Seals every field and drops `present` when every row gave the list.
  void seal();
  void clear(std::size_t rows);
  std::size_t bytes() const;

 private:
  std::size_t size_ = 0;
  bool dense_ = false;
  bool sealed_ = false;
};

/// The facts of many enterprises, by column. Built from typed enterprises, or column by column
/// (the Python Arrow path: give() a column, fill it). Holds the rule set it is shaped for.
class FactTable {
 public:
  FactTable() = default;
  /// An empty table shaped for `rules` with `rows` rows: every value absent, no column given.
  FactTable(const RuleSet& rules, std::size_t rows);
  static FactTable from_enterprises(const RuleSet& rules, const std::vector<Enterprise>& batch);

  std::size_t rows() const noexcept { return rows_; }
  const RuleSet& rules() const { return rules_.value(); }

  /// Gives a column: sized for every row, all absent, ready to be filled (values, present; for a
  /// list, offsets[r + 1] and the field columns appended record by record).
  FactColumn& give(std::size_t slot);
  ListColumn& give_list(std::size_t slot);
  FactColumn& give_year();
  /// Packs every column filled so far (FactColumn::seal); call it once columns are filled, after
  /// each one to keep peak memory low. A sealed column is read-only until given again.
  void seal();
  /// Bytes of values, presence and offsets the columns hold.
  std::size_t bytes() const;

  /// Column access by fact slot (RuleSet::facts() order); the year has its own column.
  const FactColumn& scalar(std::size_t slot) const { return scalars_[slot]; }
  const ListColumn& list(std::size_t slot) const { return lists_[slot]; }
  const FactColumn& year() const { return year_; }
  std::vector<std::string>& ids() { return ids_; }
  const std::vector<std::string>& row_ids() const { return ids_; }

  /// Marks a row for the reference path, keeping its exact facts (a value too wide for int64).
  void keep_exact(std::size_t row, Enterprise enterprise);
  /// True when the row must be evaluated by the reference path whatever the program.
  bool exact_only(std::size_t row) const { return exact_.count(row) != 0; }

  /// The enterprise of one row, rebuilt from the columns (or the exact copy kept for it).
  Enterprise enterprise(std::size_t row) const;

 private:
  std::optional<RuleSet> rules_;
  std::size_t rows_ = 0;
  std::vector<FactColumn> scalars_;  ///< by fact slot; unused for list facts
  std::vector<ListColumn> lists_;    ///< by fact slot; unused for scalar facts
  FactColumn year_;
  std::vector<std::string> ids_;
  std::map<std::size_t, Enterprise> exact_;
};

/// One award line of the columnar results. Texts (tier labels, unfixed texts, notes) are indexes
/// into ColumnarResult::texts, whose entry 0 is the empty text: a line carries no string.
struct ColumnarLine {
  std::uint32_t rule = 0;  ///< index into ColumnarResult::rules
  std::uint32_t tier = 0;  ///< the tier(s) reached, for tier awards (texts index)
  std::uint32_t text = 0;  ///< the words of an unfixed amount or a recognition (texts index)
  std::uint32_t note = 0;  ///< why the line was withheld or reduced (texts index)
  LineStatus status = LineStatus::exact;
  bool withheld = false;
  /// Number of items, for per-item awards (a row with more than 2^31 − 1 items is kept whole in
  /// ColumnarResult::exact: a line is 40 bytes, and lines are most of a batch's results).
  std::int32_t items = 0;
  std::int64_t min = 0;  ///< band floor (the amount for exact lines), in 10^exponent units
  std::int64_t max = 0;  ///< band ceiling (the amount for exact lines)
};

/// The results of a batch, by row: award lines (sparse: only lines that exist), per-row cash
/// totals and the exact totals of the whole batch.
struct ColumnarResult {
  std::int32_t exponent = -2;      ///< amounts are int64 counts of 10^exponent (分 for −2)
  std::vector<std::string> rules;  ///< qualified rule ids, the program's order
  /// Every text a line refers to: tier labels, unfixed texts and notes (texts[0] is empty). The
  /// program's own texts come first, in the rule set's order; texts met only on rows the
  /// reference path computed follow.
  std::vector<std::string> texts{std::string()};
  std::vector<std::size_t>
      offsets;  ///< rows + 1: lines of row r are lines[offsets[r] .. offsets[r+1])
  std::vector<ColumnarLine> lines;
  std::vector<std::int64_t> cash_min;  ///< per row, non-withheld cash lines
  std::vector<std::int64_t> cash_max;
  std::vector<std::uint8_t> by_reference;  ///< 1 where the reference evaluator computed the row
  /// Rows whose evaluation failed, or whose amounts do not fit int64: the full reference result.
  std::map<std::size_t, Evaluation> exact;
  Totals totals;  ///< exact, over every row (as evaluate_batch's totals would add up)

  std::size_t rows() const { return cash_min.size(); }
  Decimal amount(std::int64_t units) const { return Decimal::from_scaled_int64(units, exponent); }
  const std::string& tier(const ColumnarLine& l) const { return texts[l.tier]; }
  const std::string& unfixed_text(const ColumnarLine& l) const { return texts[l.text]; }
  const std::string& note(const ColumnarLine& l) const { return texts[l.note]; }
};

/// Rules compiled for one scenario into checked int64 fixed-point code. Without a date in the
/// scenario each row is evaluated at its own year (as the reference evaluator does): the program
/// compiles one variant per year it meets, with that year's parameter versions and policy sets in
/// force, and reads last_year(fact) from the row of the same id and the year before.
class Program {
 public:
  /// `only`: qualified rule ids to keep (empty: every rule). Exclusions and caps apply among the
  /// kept rules, and only the policy sets holding a kept rule are evaluated (applies_to, checks):
  /// a row that fails elsewhere fails only if it goes to the reference path. Throws what
  /// Scenario::validate throws, and Error(name) for an unknown rule id.
  Program(const RuleSet& rules, const Scenario& scenario,
          const std::vector<std::string>& only = {});
  ~Program();
  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;

  /// False when some rule uses a construct the compiler does not handle: then every row goes to
  /// the reference evaluator. unsupported() says which construct.
  bool compiled() const noexcept;
  const std::string& unsupported() const noexcept;
  /// The number of rules the program evaluates per row.
  std::size_t rule_count() const noexcept;

  /// Evaluates every row on `threads` threads (0: hardware concurrency); identical results
  /// whatever the thread count.
  ColumnarResult run(const FactTable& table, unsigned threads = 1) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace subsidy
