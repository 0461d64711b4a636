// Running and merging: each row on its year's program, rows the fixed-point domain cannot finish
// evaluated by the exact domain, chunks of rows on threads, and the results merged with exact
// totals.
#include <thread>

#include "program.hpp"

static_assert(sizeof(subsidy::ColumnarLine) <= 40, "a line is 40 bytes: they are most of a result");

namespace subsidy {

const std::string& Program::Impl::text_at(const Chunk& chunk, std::uint32_t index) const {
  return index < texts->list.size() ? texts->list[index]
                                    : chunk.new_list[index - texts->list.size()];
}

/// The text of tier labels `a` then `b`, joined as a line shows them.
std::uint32_t Program::Impl::joined(Chunk& chunk, std::uint32_t a, std::uint32_t b) const {
  auto [it, added] = chunk.joins.emplace(std::make_pair(a, b), 0);
  if (added) {
    std::string text = text_at(chunk, a);
    detail::join_tier(text, text_at(chunk, b));
    it->second = text_index(chunk, text);
  }
  return it->second;
}

std::uint32_t Program::Impl::text_index(Chunk& chunk, const std::string& text) const {
  auto it = texts->index.find(text);
  if (it != texts->index.end()) return it->second;
  const auto next = static_cast<std::uint32_t>(texts->list.size() + chunk.new_list.size());
  auto [j, added] = chunk.new_texts.emplace(text, next);
  if (added) chunk.new_list.push_back(text);
  return j->second;
}

void Program::Impl::count_line(Chunk& chunk, const ColumnarLine& l) const {
  if (l.withheld) return;
  RuleTotals& t = chunk.totals[l.rule];
  ++t.lines;
  if (l.status == LineStatus::unfixed) {
    ++t.unfixed;
  } else if (l.status == LineStatus::recognised) {
    ++t.recognised;
  } else {
    t.min += l.min;
    t.max += l.max;
  }
}

bool Program::Impl::row_cash(const std::vector<ColumnarLine>& lines, std::size_t first,
                             std::int64_t& lo, std::int64_t& hi) const {
  lo = hi = 0;
  for (std::size_t i = first; i < lines.size(); ++i) {
    const ColumnarLine& l = lines[i];
    if (l.withheld || l.status == LineStatus::unfixed || l.status == LineStatus::recognised)
      continue;
    if (rule_codes[l.rule].in_kind) continue;
    if (__builtin_add_overflow(lo, l.min, &lo) || __builtin_add_overflow(hi, l.max, &hi))
      return false;
  }
  return true;
}

/// Years are read as days 0001-12-31 .. 9999-12-31, as the reference evaluator reads them.
std::int64_t Program::Impl::clamp_year(std::int64_t year) {
  return std::clamp<std::int64_t>(year, 1, 9999);
}

const std::vector<std::optional<std::size_t>>& Program::Impl::RowPlan::previous(
    const FactTable& table) const {
  std::call_once(previous_once, [&] {
    const FactColumn& years = table.year();
    const auto& ids = table.row_ids();
    // A population of one year (the common case), or without years, has no previous rows: no
    // map of the ids.
    bool one_year = true;
    std::optional<std::int64_t> seen;
    for (std::size_t row = 0; row < table.rows() && one_year; ++row) {
      if (!years.has(row)) continue;
      if (!seen) seen = years.at(row);
      one_year = years.at(row) == *seen;
    }
    if (one_year) return;  // empty: no row has one
    previous_rows = detail::previous_records(table.rows(), [&](std::size_t row) {
      static const std::string none;
      std::optional<std::int64_t> year;
      if (row < ids.size() && years.has(row)) year = years.at(row);
      return std::make_pair(row < ids.size() ? &ids[row] : &none, year);
    });
  });
  return previous_rows;
}

void Program::Impl::plan_rows(const FactTable& table, RowPlan& plan) const {
  const FactColumn& years = table.year();
  const std::size_t rows = table.rows();
  plan.reads_last_year = compiled && reads_last_year();
  if (given.on) return;
  std::int64_t lo = 0, hi = -1;
  for (std::size_t row = 0; row < rows; ++row) {
    if (!years.has(row)) continue;
    const std::int64_t y = clamp_year(years.at(row));
    if (hi < lo) lo = hi = y;
    lo = std::min(lo, y);
    hi = std::max(hi, y);
  }
  if (hi < lo) return;
  plan.first_year = lo;
  plan.by_year.assign(static_cast<std::size_t>(hi - lo + 1), nullptr);
  const std::lock_guard<std::mutex> lock(years_mutex);
  for (std::size_t row = 0; row < rows; ++row) {
    if (!years.has(row)) continue;
    const std::int64_t y = clamp_year(years.at(row));
    const Impl*& slot = plan.by_year[static_cast<std::size_t>(y - lo)];
    if (slot != nullptr) continue;
    auto& program = year_programs[y];
    if (!program) {
      Scenario s = given;
      s.on = Date{static_cast<int>(y), 12, 31};
      program = std::make_unique<Impl>(rules, s);
      program->texts = texts;
      program->compile_all(selection);
    }
    slot = program.get();
    plan.reads_last_year =
        plan.reads_last_year || (program->compiled && program->reads_last_year());
  }
}

/// The reference evaluator's result for a row, as columnar lines (or kept whole).
void Program::Impl::reference_row(const FactTable& table, std::size_t row, const RowPlan& plan,
                                  Chunk& chunk) const {
  std::optional<Enterprise> previous;
  const auto& before = plan.previous(table);
  if (!before.empty() && before[row]) previous = table.enterprise(*before[row]);
  Evaluation ev = reference(table.enterprise(row), previous ? &*previous : nullptr);
  if (filtered) {
    ev.unevaluated.erase(std::remove_if(ev.unevaluated.begin(), ev.unevaluated.end(),
                                        [&](const Unevaluated& u) {
                                          auto it = r.rule_index.find(u.qualified_id());
                                          return u.kind != "rule" || it == r.rule_index.end() ||
                                                 program_rule[it->second] == kNone;
                                        }),
                         ev.unevaluated.end());
  }
  const std::size_t first = chunk.lines.size();
  bool fits = ev.complete();  // a row with rules not evaluated (missing facts) is kept whole
  for (const auto& l : ev.lines) {
    if (!fits) break;
    auto it = r.rule_index.find(l.info->qualified_id);
    const std::uint32_t index = it == r.rule_index.end() ? kNone : program_rule[it->second];
    if (index == kNone) continue;
    ColumnarLine line;
    line.rule = index;
    line.status = l.status;
    line.withheld = l.withheld;
    line.tier = text_index(chunk, l.tier);
    line.text = text_index(chunk, l.unfixed_text);
    line.note = text_index(chunk, l.note);
    line.items = static_cast<std::int32_t>(l.items);
    if (l.status != LineStatus::unfixed && l.status != LineStatus::recognised) {
      fits = l.band.min.to_scaled_int64(exponent, line.min) &&
             l.band.max.to_scaled_int64(exponent, line.max);
    }
    fits = fits && l.items <= std::numeric_limits<std::int32_t>::max();
    chunk.lines.push_back(line);
  }
  std::int64_t lo = 0, hi = 0;
  if (fits) fits = row_cash(chunk.lines, first, lo, hi);
  if (!fits) {
    chunk.lines.resize(first);
    if (ev.ok()) {
      if (filtered)
        ev.lines.erase(std::remove_if(ev.lines.begin(), ev.lines.end(),
                                      [&](const AwardLine& l) {
                                        auto it = r.rule_index.find(l.info->qualified_id);
                                        return it == r.rule_index.end() ||
                                               program_rule[it->second] == kNone;
                                      }),
                       ev.lines.end());
      detail::add_line_totals(chunk.reference_totals, ev.lines);
      detail::add_unevaluated_totals(chunk.reference_totals, ev.unevaluated);
    }
    chunk.exact.emplace(row, std::move(ev));
  } else {
    for (std::size_t i = first; i < chunk.lines.size(); ++i) count_line(chunk, chunk.lines[i]);
  }
  chunk.counts.push_back(static_cast<std::uint32_t>(chunk.lines.size() - first));
  chunk.cash_min.push_back(lo);
  chunk.cash_max.push_back(hi);
  chunk.by_reference.push_back(1);
}

/// Evaluates rows [from, to) into `chunk`, whose columns get room for `room` rows (the
/// first chunk reserves room for every row: see run()).
void Program::Impl::run_range(const FactTable& table, const RowPlan& plan, std::size_t from,
                              std::size_t to, std::size_t room, Chunk& chunk) const {
  chunk.totals.assign(rule_codes.size(), RuleTotals{});
  const std::size_t n = room;
  chunk.counts.reserve(to - from);
  chunk.cash_min.reserve(n);
  chunk.cash_max.reserve(n);
  chunk.by_reference.reserve(n);
  // Blocks of rows, each evaluated vector-at-a-time by its rows' programs (run_block), then
  // finished row by row in order: rows the fixed-point domain could not finish go to the exact
  // domain.
  // The cursors of a block, made once: each block only moves them to its rows.
  std::vector<Cursor> rows(std::min(kBlock, std::max<std::size_t>(to - from, 1)),
                           Cursor{table, from, kNoRow, chunk});
  Block block;
  block.rows = &rows;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].pos = static_cast<std::uint32_t>(i);
    rows[i].block = &block;
  }
  std::vector<const Impl*> program_of(kBlock);
  std::vector<std::vector<ColumnarLine>> lines(kBlock);
  std::vector<std::uint32_t> sel;
  sel.reserve(kBlock);
  const auto* previous = plan.reads_last_year ? &plan.previous(table) : nullptr;
  for (std::size_t start = from; start < to; start += kBlock) {
    if (start == from + kBlock) {
      // Lines for the rest, estimated from the first block (+12%): growing by doubling would
      // copy the lines and hold up to twice the memory.
      chunk.lines.reserve(chunk.lines.size() * n / kBlock + chunk.lines.size() * n / kBlock / 8 +
                          64);
    }
    const std::size_t size = std::min(to - start, kBlock);
    while (rows.size() > size) rows.pop_back();  // the last block may be shorter
    block.start = start;
    for (std::size_t i = 0; i < size; ++i) {
      const std::size_t row = start + i;
      const Impl& program = plan.program(table, row, *this);
      program_of[i] = program.compiled && !table.exact_only(row) ? &program : nullptr;
      Cursor& c = rows[i];
      c.row = row;
      c.previous = kNoRow;
      if (previous != nullptr && !previous->empty() && (*previous)[row])
        c.previous = *(*previous)[row];
      c.failed = false;
      lines[i].clear();
    }
    // One pass per program met in the block (rows of different years).
    for (std::size_t i = 0; i < size; ++i) {
      const Impl* program = program_of[i];
      const auto seen = program_of.begin() + static_cast<std::ptrdiff_t>(i);
      if (program == nullptr || std::find(program_of.begin(), seen, program) != seen) {
        continue;
      }
      sel.clear();
      for (std::size_t j = i; j < size; ++j) {
        if (program_of[j] == program) sel.push_back(static_cast<std::uint32_t>(j));
      }
      program->run_block(block, sel, lines);
    }
    for (std::size_t i = 0; i < size; ++i) {
      const std::size_t row = start + i;
      if (program_of[i] == nullptr) {
        reference_row(table, row, plan, chunk);
        continue;
      }
      if (lines[i].empty() && !rows[i].failed) {
        chunk.counts.push_back(0);
        chunk.cash_min.push_back(0);
        chunk.cash_max.push_back(0);
        chunk.by_reference.push_back(0);
        continue;
      }
      std::int64_t lo = 0, hi = 0;
      if (rows[i].failed || !row_cash(lines[i], 0, lo, hi)) {
        reference_row(table, row, plan, chunk);
        continue;
      }
      for (const ColumnarLine& l : lines[i]) {
        count_line(chunk, l);
        chunk.lines.push_back(l);
      }
      chunk.counts.push_back(static_cast<std::uint32_t>(lines[i].size()));
      chunk.cash_min.push_back(lo);
      chunk.cash_max.push_back(hi);
      chunk.by_reference.push_back(0);
    }
  }
}

Decimal Program::Impl::to_decimal(Int128 v, std::int32_t exponent) {
  const bool negative = v < 0;
  const UInt128 m = negative ? -static_cast<UInt128>(v) : static_cast<UInt128>(v);
  return Decimal::from_magnitude(negative, static_cast<std::uint64_t>(m >> 64),
                                 static_cast<std::uint64_t>(m), exponent);
}

ColumnarResult Program::Impl::run(const FactTable& table, unsigned threads) const {
  // Columns are found by fact slot: a table shaped for other rules would be read wrongly.
  if (table.rows() != 0 && table.rules().fingerprint() != rules.fingerprint()) {
    throw Error(ErrorKind::usage, "the fact table was built for another rule set");
  }
  const std::size_t rows = table.rows();
  RowPlan plan;
  plan_rows(table, plan);
  threads = static_cast<unsigned>(std::min<std::size_t>(detail::worker_threads(threads),
                                                        std::max<std::size_t>(1, rows / 1024)));
  threads = std::max(threads, 1u);
  std::vector<Chunk> chunks(threads);
  if (threads == 1) {
    run_range(table, plan, 0, rows, rows, chunks[0]);
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        const std::size_t from = rows * t / threads;
        const std::size_t to = rows * (t + 1) / threads;
        run_range(table, plan, from, to, t == 0 ? rows : to - from, chunks[t]);
      });
    }
    for (auto& th : pool) th.join();
  }
  ColumnarResult out;
  out.exponent = exponent;
  out.rules = rule_ids;
  merge_texts(chunks, out);
  std::size_t total_lines = 0;
  for (const auto& ch : chunks) total_lines += ch.lines.size();
  // The first chunk's columns become the result's, without a copy; the first chunk reserved
  // room for every row (address space only: pages cost memory once written), so the other
  // chunks are appended in place and only one copy of the lines exists at any time.
  out.lines = std::move(chunks[0].lines);
  out.cash_min = std::move(chunks[0].cash_min);
  out.cash_max = std::move(chunks[0].cash_max);
  out.by_reference = std::move(chunks[0].by_reference);
  out.lines.reserve(total_lines);
  out.offsets.reserve(rows + 1);
  out.offsets.push_back(0);
  out.cash_min.reserve(rows);
  out.cash_max.reserve(rows);
  out.by_reference.reserve(rows);
  std::vector<RuleTotals> totals(rule_codes.size());
  for (std::size_t t = 0; t < chunks.size(); ++t) {
    Chunk& ch = chunks[t];
    for (std::uint32_t n : ch.counts) out.offsets.push_back(out.offsets.back() + n);
    if (t > 0) {
      out.lines.insert(out.lines.end(), ch.lines.begin(), ch.lines.end());
      out.cash_min.insert(out.cash_min.end(), ch.cash_min.begin(), ch.cash_min.end());
      out.cash_max.insert(out.cash_max.end(), ch.cash_max.begin(), ch.cash_max.end());
      out.by_reference.insert(out.by_reference.end(), ch.by_reference.begin(),
                              ch.by_reference.end());
    }
    for (auto& [row, ev] : ch.exact) out.exact.emplace(row, std::move(ev));
    for (std::size_t k = 0; k < totals.size(); ++k) {
      totals[k].lines += ch.totals[k].lines;
      totals[k].unfixed += ch.totals[k].unfixed;
      totals[k].recognised += ch.totals[k].recognised;
      totals[k].min += ch.totals[k].min;  // ≤ 2^63 per line × 2^32 lines: no overflow
      totals[k].max += ch.totals[k].max;
    }
    add_totals(out.totals, ch.reference_totals);
    ch = Chunk{};
  }
  for (std::size_t k = 0; k < totals.size(); ++k) {
    const RuleTotals& t = totals[k];
    if (t.lines == 0) continue;
    const RuleInfo& info = r.rules[r.crules[rule_codes[k].crule].info];
    Total add;
    add.lines = t.lines;
    add.unfixed = t.unfixed;
    add.recognised = t.recognised;
    Band& b = info.form == AwardForm::in_kind ? add.in_kind : add.cash;
    b.min = to_decimal(t.min, exponent);
    b.max = to_decimal(t.max, exponent);
    if (!info.payer.empty()) out.totals.by_payer[info.payer] += add;
    out.totals.by_policy_set[info.policy_set] += add;
    out.totals.all += add;
  }
  return out;
}

/// The result's texts: the program's, then those only reference rows met, each once; lines
/// of reference rows renumbered to them.
void Program::Impl::merge_texts(std::vector<Chunk>& chunks, ColumnarResult& out) const {
  out.texts = texts->list;
  const std::uint32_t own = static_cast<std::uint32_t>(texts->list.size());
  // In text order, so that the numbering does not depend on the threads or the order rows ran.
  std::map<std::string, std::uint32_t, std::less<>> added;
  for (const Chunk& ch : chunks) {
    for (const auto& text : ch.new_list) added.emplace(text, 0);
  }
  for (auto& [text, index] : added) {
    index = static_cast<std::uint32_t>(out.texts.size());
    out.texts.push_back(text);
  }
  for (Chunk& ch : chunks) {
    if (ch.new_list.empty()) continue;
    std::vector<std::uint32_t> to;
    for (const auto& text : ch.new_list) to.push_back(added.find(text)->second);
    for (ColumnarLine& l : ch.lines) {
      for (std::uint32_t* t : {&l.tier, &l.text, &l.note}) {
        if (*t >= own) *t = to[*t - own];
      }
    }
  }
}

void Program::Impl::add_totals(Totals& into, const Totals& x) {
  for (const auto& [k, t] : x.by_payer) into.by_payer[k] += t;
  for (const auto& [k, t] : x.by_policy_set) into.by_policy_set[k] += t;
  into.all += x.all;
}

Program::Program(const RuleSet& rules, const Scenario& scenario,
                 const std::vector<std::string>& only)
    : impl_(std::make_unique<Impl>(rules, scenario)) {
  impl_->compile_all(only);
}
Program::~Program() = default;
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;

bool Program::compiled() const noexcept { return impl_->compiled; }
const std::string& Program::unsupported() const noexcept { return impl_->unsupported_reason; }
std::size_t Program::rule_count() const noexcept { return impl_->rule_ids.size(); }

ColumnarResult Program::run(const FactTable& table, unsigned threads) const {
  return impl_->run(table, threads);
}

}  // namespace subsidy
