// The columnar path against the reference evaluator: on the repository's rules and on an invented
// "Testville" policy using every award form, tiers, exclusions, caps, recurrence and checks, for
// thousands of random enterprises (including amounts too wide for int64 and intermediates that
// overflow it, missing facts and decided amounts), under several scenarios and thread counts.
// Every line (rule, status, withheld, floor, ceiling) and every total must be identical.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "batch_compare.hpp"
#include "rounding.hpp"
#include "subsidy/subsidy.hpp"

namespace fs = std::filesystem;
using namespace subsidy;
using subsidy::testing::compare_row;

namespace {

struct SplitMix {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::int64_t below(std::int64_t n) {
    return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n));
  }
  bool chance(int percent) { return below(100) < percent; }
};

/// A random amount: mostly ordinary money in 分, sometimes on a tier bound, sometimes with more
/// decimals than the column keeps, sometimes too wide for int64, sometimes near its limit.
Decimal random_number(SplitMix& g, const Unit& unit, bool wild) {
  const std::int64_t pick = wild ? g.below(100) : 10 + g.below(90);
  if (unit.kind == UnitKind::count || unit.kind == UnitKind::year) {
    if (unit.kind == UnitKind::year) return Decimal(2005 + g.below(15));
    return Decimal(pick < 95 ? g.below(6) : g.below(1000000));
  }
  if (unit.kind == UnitKind::rate) return Decimal(g.below(10001), -4);
  if (pick < 3)  // > int64
    return Decimal::from_coefficient(std::to_string(g.below(1000000)) + std::string(21, '0'), -2);
  if (pick < 6) return Decimal(g.below(100000), -5);  // finer than the money column
  if (pick < 10) return Decimal(9000000000000000000LL + g.below(1000), -2);  // near the limit
  if (pick < 25) {
    static const char* const kBounds[] = {"1亿",  "5亿",  "100万", "12万",
                                          "48万", "96万", "130万", "0"};
    Decimal d = Decimal::parse(kBounds[g.below(8)]);
    return g.chance(50) ? d : d + Decimal(1, -2);
  }
  const std::int64_t magnitude = std::int64_t{1} << g.below(42);
  return Decimal(g.below(magnitude) + 1, -2);
}

std::optional<Scalar> random_scalar(SplitMix& g, const FactDecl& decl, bool wild) {
  switch (decl.unit.kind) {
    case UnitKind::boolean:
      return Scalar(g.chance(50));
    case UnitKind::enumeration:
      if (decl.values.empty()) return std::nullopt;
      return Scalar(decl.values[static_cast<std::size_t>(
          g.below(static_cast<std::int64_t>(decl.values.size())))]);
    case UnitKind::text:
      return Scalar("t" + std::to_string(g.below(3)));
    case UnitKind::date: {
      Date d;
      d.year = 2008 + static_cast<int>(g.below(8));
      d.month = 1 + static_cast<int>(g.below(12));
      d.day = 1 + static_cast<int>(g.below(28));
      return Scalar(d);
    }
    default:
      return Scalar(random_number(g, decl.unit, wild));
  }
}

Enterprise random_enterprise(const RuleSet& rules, SplitMix& g, std::size_t index,
                             int absent_percent) {
  Enterprise e;
  e.id = "E" + std::to_string(index);
  // One enterprise in five carries values beyond int64 or finer than their column.
  const bool wild = g.chance(20);
  // 2008-2025: before, at and after each policy set's entry into force (each row at its own
  // year), the reading festival's 2024 included.
  if (!g.chance(absent_percent)) e.year = 2008 + g.below(18);
  const auto& facts = rules.facts();
  e.facts.resize(facts.size());
  for (std::size_t k = 0; k < facts.size(); ++k) {
    const FactDecl& decl = facts[k];
    if (g.chance(absent_percent)) continue;
    if (decl.unit.kind == UnitKind::list) {
      std::vector<Record> records;
      const std::int64_t n = g.below(5);
      for (std::int64_t i = 0; i < n; ++i) {
        Record rec(decl.fields.size());
        for (std::size_t f = 0; f < decl.fields.size(); ++f) {
          if (!g.chance(absent_percent / 4)) rec[f] = random_scalar(g, decl.fields[f], wild);
        }
        records.push_back(std::move(rec));
      }
      e.facts[k] = FactValue(std::move(records));
    } else if (auto s = random_scalar(g, decl, wild)) {
      e.facts[k] = FactValue(std::move(*s));
    }
  }
  return e;
}

bool same_total(const Total& a, const Total& b) {
  return a.cash.min == b.cash.min && a.cash.max == b.cash.max && a.in_kind.min == b.in_kind.min &&
         a.in_kind.max == b.in_kind.max && a.unfixed == b.unfixed && a.recognised == b.recognised &&
         a.lines == b.lines;
}

bool same_totals(const std::map<std::string, Total>& a, const std::map<std::string, Total>& b) {
  for (const auto& [k, t] : a) {
    auto it = b.find(k);
    if (it == b.end() ? t.lines != 0 : !same_total(t, it->second)) return false;
  }
  for (const auto& [k, t] : b) {
    if (a.find(k) == a.end() && t.lines != 0) return false;
  }
  return true;
}

struct Outcome {
  std::size_t rows = 0, fast = 0, reference = 0, errors = 0, lines = 0;
};

/// Runs the program and the reference over the same enterprises and checks every row and total.
Outcome differential(const RuleSet& rules, const Scenario& scenario,
                     const std::vector<Enterprise>& batch, unsigned threads) {
  const Program program(rules, scenario);
  INFO("unsupported: " << program.unsupported());
  REQUIRE(program.compiled());
  const FactTable table = FactTable::from_enterprises(rules, batch);
  const ColumnarResult result = program.run(table, threads);
  REQUIRE(result.rows() == batch.size());
  Outcome out;
  Totals expected;
  for (std::size_t row = 0; row < batch.size(); ++row) {
    const Evaluation ref = evaluate(rules, batch[row], scenario);
    const std::string problem = compare_row(rules, result, row, ref);
    INFO("row " << row << " (" << batch[row].id << ")");
    CHECK_MESSAGE(problem.empty(), problem);
    for (const auto& [k, t] : ref.totals.by_payer) expected.by_payer[k] += t;
    for (const auto& [k, t] : ref.totals.by_policy_set) expected.by_policy_set[k] += t;
    expected.all += ref.totals.all;
    ++out.rows;
    (result.by_reference[row] ? out.reference : out.fast) += 1;
    out.errors += ref.complete() ? 0u : 1u;  // failed, or rules left out for want of a fact
    out.lines += ref.lines.size();
  }
  CHECK(same_total(result.totals.all, expected.all));
  CHECK(same_totals(result.totals.by_payer, expected.by_payer));
  CHECK(same_totals(result.totals.by_policy_set, expected.by_policy_set));
  return out;
}

std::vector<std::string> rule_files(const fs::path& folder) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

const char* const kTestville = R"y(catalogue:
  id: tv-common
  title: {zh: 测试市共用定义, en: Testville shared definitions}
payers:
  市财政: {en: City finance, level: city}
  区财政: {en: District finance, level: other}
  工会: {en: Union, level: union}
options:
  base_reading:
    question: {zh: 是否扣除起点, en: "Is a threshold deducted?"}
    choices:
      included: {en: the whole tax}
      excluded: {en: "tax above 11,000"}
    default: included
facts:
  sector: {type: enum, values: [制造, 服务], required: true, label: {zh: 行业, en: sector}}
  revenue: {type: money, label: {zh: 销售收入, en: revenue}}
  tax: {type: money, label: {zh: 实缴税金, en: tax paid}}
  staff: {type: count}
  listing_year: {type: year}
  share: {type: rate}
  contact: {type: text}
  products:
    type: list
    default: []
    fields:
      kind: {type: enum, values: [大, 小]}
      price: {type: money}
      maker: {type: text}
---
policy_set:
  id: tv
  title: T
parameters:
  prize: {unit: money, value: 37万}
rules:
  - id: fixed
    citation: {clause: 一, text: "奖励37万元"}
    payer: 市财政
    award: {fixed: prize}
  - id: band
    citation: {clause: 二, text: "补助130万至260万元"}
    payer: 市财政
    when: "staff 不少于 2"
    award: {band: {min: 130万, max: 260万}}
  - id: rate
    citation: {clause: 三, text: "按实缴税金的40%奖励"}
    payer: 区财政
    rounding: {mode: half_even}
    award: {rate: share, base: "tax"}
  - id: formula
    citation: {clause: 四, text: "销售收入超过1.5亿元的按80%，其余按60%"}
    payer: 区财政
    award: {formula: "if(option(base_reading) == 'included', if(revenue 超过 1.5亿, 80% * tax, 60% * tax), 10% * max(0, tax - 1.1万))"}
  - id: per-count
    citation: {clause: 五, text: "每名职工补助1.1万至2.2万元"}
    payer: 市财政
    award:
      per_item:
        count: "staff"
        each: {band: {min: 1.1万, max: 2.2万}}
  - id: per-record
    citation: {clause: 六, text: "售价在130万元以上的大设备按售价的10%奖励"}
    payer: 区财政
    rounding: {mode: down, quantum: 1}
    award:
      per_item:
        for_each: products
        where: "kind == '大' and price 在 130万 以上"
        each: {formula: "10.5% * price"}
  - id: unfixed
    citation: {clause: 七, text: "给予奖金若干"}
    payer: 市财政
    when: "sum(products, price) 超过 100万 or count(products, kind != '小') 超过 2"
    award: {unfixed: 奖金若干}
  - id: honour
    citation: {clause: 八, text: "授予优秀企业称号"}
    form: honour
    when: "all(products, kind == '大') and present(tax)"
    award: {honour: 优秀企业}
  - id: books
    citation: {clause: 九, text: "赠送图书6千元"}
    payer: 工会
    form: in_kind
    in_kind: {zh: 图书, en: books}
    award: {fixed: 6千}
  - id: listed
    citation: {clause: 十, text: "上市后三年内每年奖励1.1万元"}
    payer: 市财政
    recurrence: {years: 3, from: listing_year}
    award: {fixed: 1.1万}
  - id: tiered
    citation: {clause: 十一, text: "分档奖励"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        hit: unique
        levels:
          - {label: 小, 以上: 12万, 不满: 48万, award: {fixed: 1千}}
          - {label: 中, 以上: 48万, 不满: 96万, award: {rate: 1%, base: revenue}}
          - {label: 大, 以上: 96万, award: {band: {min: 1.1万, max: 2.2万}}}
  - id: summed
    citation: {clause: 十二, text: "十二万元以上奖一千元，四十八万元以上另按3%"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        hit: sum
        levels:
          - {label: 基础, 以上: 12万, award: {fixed: 1千}}
          - {label: 加码, 以上: 48万, award: {formula: "3% * revenue"}}
  - id: highest
    citation: {clause: 十三, text: "按最高一档"}
    payer: 区财政
    award:
      tiers:
        on: tax
        hit: highest
        levels:
          - {label: 超过12万, 超过: 12万, award: {fixed: 2.2千}}
          - {label: 超过48万, 超过: 48万, award: {fixed: 6.6千}}
  - id: small
    citation: {clause: 十四, text: "奖励5.5万元"}
    payer: 市财政
    award: {fixed: 5.5万}
  - id: large
    citation: {clause: 十五, text: "销售收入超过130万元的奖励8万元"}
    payer: 市财政
    when: "revenue 超过 130万"
    award: {fixed: 8万}
  - id: capped-a
    citation: {clause: 十六, text: "奖励33万元"}
    payer: 市财政
    award: {formula: "min(33万, 1% * revenue)"}
  - id: capped-b
    citation: {clause: 十七, text: "补助"}
    payer: 市财政
    when: "sector == '制造'"
    award: {band: {min: 10万, max: 40万}}
  - id: texted
    citation: {clause: 二十, text: "联系人登记的奖励1千元"}
    payer: 市财政
    when: "contact == 't1' or contact in ['t2'] or any(products, maker != 't0')"
    award: {fixed: 1千}
  - id: per-tier
    citation: {clause: 二十一, text: "每台设备分档奖励"}
    payer: 区财政
    award:
      per_item:
        for_each: products
        where: "kind == '大'"
        each:
          tiers:
            on: price
            hit: first
            levels:
              - {label: 低价, 不满: 48万, award: {fixed: 1千}}
              - {label: 高价, 以上: 48万, award: {unfixed: 另行奖励}}
exclusions:
  - id: no-double
    rules: [small, large]
    resolve: higher
    citation: {clause: 十八, text: "不重复享受，按就高原则"}
caps:
  - id: yearly-cap
    rules: [capped-a, capped-b]
    max: "55万 - tax"
checks:
  - id: staff-check
    citation: {clause: 十九, text: "职工人数不少于10人"}
    when: "present(staff)"
    require: "staff 不少于 10"
    message: {zh: 职工人数不足, en: too few staff}
)y";

RuleSet testville() {
  const std::string text(kTestville);
  const std::size_t split = text.find("---\n");
  return RuleSet::load_texts(
      {{"cat.yaml", text.substr(0, split)}, {"tv.yaml", text.substr(split + 4)}});
}

}  // namespace

TEST_SUITE("columnar: the fast path gives the reference path's results") {
  TEST_CASE("repository rules, every scenario of the alternative group, random enterprises") {
    const RuleSet rules = RuleSet::load(rule_files(fs::path(SUBSIDY_SOURCE_DIR) / "rules"));
    SplitMix g{20260101};
    std::vector<Enterprise> complete, sparse;
    for (std::size_t i = 0; i < 1500; ++i) complete.push_back(random_enterprise(rules, g, i, 0));
    for (std::size_t i = 0; i < 500; ++i) sparse.push_back(random_enterprise(rules, g, i, 8));
    std::vector<Scenario> scenarios(4);
    scenarios[1].choose["electromechanical-policy"] = "machining-survey";
    scenarios[2].choose["electromechanical-policy"] = "mining-em-survey";
    scenarios[3].choose["electromechanical-policy"] = "machining-survey";
    for (const auto& o : rules.options()) scenarios[3].options[o.name] = o.choices.back().first;
    for (std::size_t s = 0; s < scenarios.size(); ++s) {
      INFO("scenario " << s);
      const Outcome a = differential(rules, scenarios[s], complete, s % 2 == 0 ? 1 : 2);
      // The fast path must carry most rows, or this test would only test the fallback.
      CHECK(a.fast * 10 > a.rows * 6);
      CHECK(a.reference > 0);       // the overflow-sized amounts did take the fallback
      CHECK(a.lines * 2 > a.rows);  // rows before a set's entry into force give no line from it
      const Outcome b = differential(rules, scenarios[s], sparse, 2);
      CHECK(b.errors > 0);  // missing facts: rules left out, as the reference reports them
    }
  }

  TEST_CASE("Testville: every award form, tiers, exclusions, caps, recurrence, checks") {
    const RuleSet rules = testville();
    SplitMix g{7};
    std::vector<Enterprise> batch;
    for (std::size_t i = 0; i < 3000; ++i)
      batch.push_back(random_enterprise(rules, g, i, i % 3 == 0 ? 5 : 0));
    Scenario excluded;
    excluded.options["base_reading"] = "excluded";
    Scenario what_if;
    what_if.parameters["prize"] = Decimal::parse("12345.675");
    for (const Scenario& s : {Scenario{}, excluded, what_if}) {
      const Outcome one = differential(rules, s, batch, 1);
      CHECK(one.fast * 10 > one.rows * 5);
      differential(rules, s, batch, 2);
    }
  }

  TEST_CASE("block edges: overflowing rows and missing facts beside ordinary rows") {
    // Rows are evaluated in blocks of 1024: sizes around a block, rows whose amounts overflow
    // int64 part-way through an expression (the "wild" rows) and rows missing facts (some with
    // defaults) in the same blocks as ordinary rows.
    const RuleSet rules = testville();
    for (std::size_t n : {std::size_t{1}, std::size_t{1023}, std::size_t{1024}, std::size_t{1025},
                          std::size_t{2049}}) {
      INFO("rows " << n);
      SplitMix g{n};
      std::vector<Enterprise> batch;
      for (std::size_t i = 0; i < n; ++i)
        batch.push_back(random_enterprise(rules, g, i, i % 7 == 3 ? 30 : 0));
      const Outcome one = differential(rules, Scenario{}, batch, 1);
      CHECK(one.rows == n);
      if (n > 1000) {
        CHECK(one.fast * 10 > one.rows * 5);
        CHECK(one.reference > 0);
      }
      if (n > 2000) differential(rules, Scenario{}, batch, 2);
    }
  }

  TEST_CASE(
      "a line counting more than 2^31 - 1 items keeps its row whole, as the reference has it") {
    const RuleSet rules = testville();
    const std::size_t staff = rules.fact_slot("staff").value();
    SplitMix g{11};
    std::vector<Enterprise> batch;
    for (std::size_t i = 0; i < 40; ++i) batch.push_back(random_enterprise(rules, g, i, 0));
    // Three thousand million staff: the per-count line's amounts fit int64 分, its count does not
    // fit a line's int32 item count.
    for (std::size_t i = 0; i < batch.size(); i += 4)
      batch[i].facts[staff] = FactValue(Scalar(Decimal::parse("3000000000")));
    const Outcome one = differential(rules, Scenario{}, batch, 1);
    CHECK(one.reference >= 10);
    CHECK(one.fast > 0);
  }

  TEST_CASE("a rule selection keeps only the chosen rules and refuses to split an exclusion") {
    const RuleSet rules = RuleSet::load(rule_files(fs::path(SUBSIDY_SOURCE_DIR) / "rules"));
    const Program program(rules, Scenario{}, {"em-opinions-draft/O21-national-standard"});
    CHECK(program.rule_count() == 1);
    CHECK_THROWS_AS(Program(rules, Scenario{}, {"no-such/rule"}), Error);
  }

  TEST_CASE("a table built column by column evaluates like the enterprises it holds") {
    const RuleSet rules = RuleSet::load(rule_files(fs::path(SUBSIDY_SOURCE_DIR) / "rules"));
    SplitMix g{99};
    std::vector<Enterprise> batch;
    for (std::size_t i = 0; i < 300; ++i) batch.push_back(random_enterprise(rules, g, i, 0));
    const FactTable table = FactTable::from_enterprises(rules, batch);
    for (std::size_t row = 0; row < batch.size(); ++row) {
      if (table.exact_only(row)) continue;
      const Evaluation a = evaluate(rules, batch[row], Scenario{});
      const Evaluation b = evaluate(rules, table.enterprise(row), Scenario{});
      REQUIRE(a.ok() == b.ok());
      REQUIRE(a.lines.size() == b.lines.size());
      CHECK(a.totals.all.cash.max == b.totals.all.cash.max);
    }
  }
}

TEST_CASE("columnar: a fact table built for other rules is refused") {
  const RuleSet rules = RuleSet::load(rule_files(fs::path(SUBSIDY_SOURCE_DIR) / "rules"));
  const RuleSet other = RuleSet::load_texts(
      {{"cat.yaml", std::string(kTestville).substr(0, std::string(kTestville).find("---\n"))}});
  const FactTable table(other, 3);
  const Program program(rules, Scenario{});
  CHECK_THROWS_AS(program.run(table), Error);
}

TEST_CASE("columnar: sealing packs a column to the narrowest width without changing a value") {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  const std::int64_t small = std::numeric_limits<std::int64_t>::min();
  // Each set needs one more width than the one before: int8, int16, int32, int64.
  const std::vector<std::vector<std::int64_t>> sets = {
      {0, 1, -128, 127},
      {0, 128, -129, 32767},
      {-32769, 0, 2147483647, -2147483648LL},
      {2147483648LL, 0, big, small},
  };
  std::size_t previous = 0;
  for (const auto& set : sets) {
    for (const bool dense : {true, false}) {
      FactColumn c;
      c.values = set;
      c.present.assign(set.size(), 1);
      if (!dense) c.present[1] = 0;
      c.seal();
      for (std::size_t i = 0; i < set.size(); ++i) {
        CHECK(c.has(i) == (dense || i != 1));
        if (c.has(i)) CHECK(c.at(i) == set[i]);
      }
      CHECK_FALSE(c.has(set.size()));
      // Dense columns drop their presence bytes; widths grow with the set.
      if (dense) {
        CHECK(c.present.empty());
        CHECK(c.bytes() > previous);
        previous = c.bytes();
      }
    }
  }
  // A sealed column given again is writable and unsealed.
  FactColumn c;
  c.values = {5};
  c.present = {1};
  c.seal();
  c.clear(2);
  CHECK(c.values.size() == 2);
  CHECK_FALSE(c.has(0));
  c.values[1] = big;
  c.present[1] = 1;
  CHECK(c.at(1) == big);
}

TEST_CASE("a multi-year population: every row at its own year, batch path equals reference path") {
  const RuleSet rules = RuleSet::load(rule_files(fs::path(SUBSIDY_SOURCE_DIR) / "rules"));
  const auto slot = rules.fact_slot("income_tax_paid_last_year");
  REQUIRE(slot);
  SplitMix g{20261129};
  // 3 000 enterprises × 7 consecutive years, 2009-2025 overall; every third record leaves last
  // year's income tax to its previous-year record (last_year(income_tax_paid)).
  std::vector<Enterprise> population;
  for (std::size_t i = 0; i < 21000; ++i) {
    Enterprise e = random_enterprise(rules, g, i, 0);
    e.id = "E" + std::to_string(i / 7);
    e.year = 2009 + static_cast<std::int64_t>(i % 7) + 5 * static_cast<std::int64_t>((i / 7) % 3);
    if (i % 3 == 0) e.facts[*slot].reset();
    population.push_back(std::move(e));
  }
  Scenario machining;
  machining.choose["electromechanical-policy"] = "machining-survey";
  for (const Scenario& scenario : {Scenario{}, machining}) {
    const Program program(rules, scenario);
    REQUIRE(program.compiled());
    const ColumnarResult result = program.run(FactTable::from_enterprises(rules, population), 2);
    const std::vector<Evaluation> reference =
        subsidy::evaluate_batch(rules, population, scenario, 2);
    std::size_t fast = 0, lines = 0, from_last_year = 0;
    std::set<std::int64_t> years;
    Totals expected;
    for (std::size_t row = 0; row < population.size(); ++row) {
      const std::string problem = compare_row(rules, result, row, reference[row]);
      INFO("row " << row << " (" << population[row].id << " " << *population[row].year << ")");
      CHECK_MESSAGE(problem.empty(), problem);
      fast += result.by_reference[row] != 0 ? 0u : 1u;
      lines += reference[row].lines.size();
      years.insert(*population[row].year);
      if (row % 3 == 0 && row % 7 != 0 && reference[row].ok()) ++from_last_year;
      expected.all += reference[row].totals.all;
    }
    CHECK(same_total(result.totals.all, expected.all));
    CHECK(years.size() >= 5);
    CHECK(fast * 10 > population.size() * 6);  // the per-year programs carry most rows
    CHECK(lines > population.size() / 2);
    CHECK(from_last_year > 1000);  // last year's figure taken from the previous row
  }
}

TEST_CASE("fixed-point rounding is Decimal::quantize's, in every mode") {
  SplitMix g{4242};
  const Rounding modes[] = {Rounding::half_up, Rounding::half_even,   Rounding::half_down,
                            Rounding::down,    Rounding::up,          Rounding::floor,
                            Rounding::ceiling, Rounding::zero_five_up};
  std::int64_t unit = 1;
  for (std::int32_t digits = 1; digits <= 18; ++digits) {
    unit *= 10;
    for (int i = 0; i < 400; ++i) {
      // Ties, values just off a tie, and wide random values, of both signs.
      // Multiples of the unit stay within int64: at most 1000 units, fewer for wide units.
      const std::int64_t units =
          std::min<std::int64_t>(1000, std::numeric_limits<std::int64_t>::max() / unit - 1);
      std::int64_t v = static_cast<std::int64_t>(g.next() >> 1);
      if (i % 4 == 0) v = (g.below(units) * 2 + 1) * (unit / 2);
      if (i % 4 == 1) v = g.below(units) * unit + unit / 2 + (g.chance(50) ? 1 : -1);
      if (i % 2 == 1) v = -v;
      for (Rounding mode : modes) {
        const Decimal exact = Decimal::from_scaled_int64(v, 0).quantize(digits, mode);
        const Decimal fixed =
            Decimal::from_scaled_int64(detail::round_scaled(v, unit, mode), digits);
        INFO("v=" << v << " digits=" << digits << " mode=" << to_string(mode));
        CHECK(exact == fixed);
      }
    }
  }
}
