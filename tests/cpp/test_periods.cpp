// Periods: every record evaluated at its own year (policy sets, rules and parameter versions in
// force then), an explicit date as an override, mixed years in one batch (reference and columnar
// alike), audits judging each grant at its year, last_year(fact), and the checks on dates.
// "Testville" and its figures are invented; the Jiyuan cases use the repository's rules.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "subsidy/subsidy.hpp"

using subsidy::AuditReport;
using subsidy::ColumnarResult;
using subsidy::Date;
using subsidy::Decimal;
using subsidy::Enterprise;
using subsidy::Evaluation;
using subsidy::FactTable;
using subsidy::FindingKind;
using subsidy::Grant;
using subsidy::Program;
using subsidy::RuleSet;
using subsidy::Scenario;

namespace {

const std::string kRoot = SUBSIDY_SOURCE_DIR;

const char* const kCatalogue = R"y(catalogue:
  id: tv
  title: T
payers:
  市财政: {en: City, level: city}
facts:
  tax: {type: money}
  investment: {type: money}
)y";

const char* const kTestville = R"y(catalogue:
  id: tv-groups
  title: T
groups:
  alt:
    title: {zh: 两个版本, en: two versions}
    default: plain
)y";

const char* const kRebate = R"y(policy_set:
  id: rebate
  title: R
  in_force: {from: 2010-03-23}
parameters:
  rate:
    unit: rate
    versions:
      - {from: 2010-03-23, value: 50%}
      - {from: 2022-01-01, value: 60%}
rules:
  - id: back
    citation: {clause: 一, text: 返还}
    payer: 市财政
    recurrence: yearly
    award: {rate: rate, base: tax}
  - id: short-lived
    citation: {clause: 二, text: 二〇一二年底前奖励}
    payer: 市财政
    in_force: {until: 2012-12-31}
    award: {fixed: 1万}
)y";

const char* const kGrowth = R"y(policy_set:
  id: growth
  title: G
rules:
  - id: growth
    citation: {clause: 三, text: 新增部分返还}
    payer: 市财政
    when: "tax 超过 last_year(tax)"
    award: {formula: "tax - last_year(tax)"}
)y";

const char* const kUnion = R"y(policy_set:
  id: union
  title: U
  in_force: {from: 2024-07-06}
parameters:
  books:
    unit: money
    versions:
      - {from: 2024-07-06, value: 2万}
rules:
  - id: books
    citation: {clause: 一, text: 奖励图书}
    payer: 市财政
    when: "investment 不少于 10万"
    award: {fixed: books}
)y";

const char* const kPlain = R"y(policy_set:
  id: plain
  title: P
  group: alt
rules:
  - id: flat
    citation: {clause: 一, text: 奖励}
    payer: 市财政
    award: {fixed: 1千}
)y";

const char* const kLater = R"y(policy_set:
  id: later
  title: L
  group: alt
  in_force: {from: 2010-03-23}
parameters:
  amount:
    unit: money
    versions:
      - {from: 2011-01-01, value: 2千}
rules:
  - id: flat
    citation: {clause: 一, text: 奖励}
    payer: 市财政
    award: {fixed: amount}
)y";

const RuleSet& testville() {
  // In the order a folder is read (by name).
  static const RuleSet rules = RuleSet::load_texts({{"later.yaml", kLater},
                                                    {"plain.yaml", kPlain},
                                                    {"rebate.yaml", kRebate},
                                                    {"tv-groups.yaml", kTestville},
                                                    {"tv.yaml", kCatalogue},
                                                    {"union.yaml", kUnion}});
  return rules;
}

const RuleSet& growth() {
  static const RuleSet rules =
      RuleSet::load_texts({{"tv.yaml", kCatalogue}, {"growth.yaml", kGrowth}});
  return rules;
}

Enterprise record(const RuleSet& rules, const std::string& id, std::int64_t year,
                  const std::string& facts) {
  const auto list = subsidy::parse_enterprises(
      rules, "facts.yaml", "id: " + id + "\nyear: " + std::to_string(year) + "\n" + facts);
  REQUIRE(list.size() == 1);
  return list[0];
}

const subsidy::AwardLine* find(const Evaluation& e, const std::string& rule) {
  for (const auto& l : e.lines) {
    if (l.qualified_rule() == rule) return &l;
  }
  return nullptr;
}

std::string amount(const Evaluation& e, const std::string& rule) {
  const auto* l = find(e, rule);
  return l ? l->amount.to_string() : "none";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a record is judged at its own year; outside a set's period: no line, and why") {
  const RuleSet& rules = testville();
  const std::string facts = "tax: 10万\ninvestment: 10万\n";
  Scenario traced;
  traced.trace = true;
  const Evaluation y2009 = subsidy::evaluate(rules, record(rules, "A", 2009, facts), traced);
  REQUIRE(y2009.ok());
  CHECK(y2009.on == Date{2009, 12, 31});
  CHECK(amount(y2009, "rebate/back") == "none");
  CHECK(amount(y2009, "union/books") == "none");
  bool said = false;
  for (const auto& p : y2009.passed_over) {
    for (const auto& step : p.trace) {
      said = said || (p.qualified_rule() == "union/books" &&
                      step.detail ==
                          "policy set union not in force on 2009-12-31: in force from 2024-07-06");
    }
  }
  CHECK(said);
  // 2020 at the 50% version, 2022 at the 60% one; the rule ending 2012 gives nothing after.
  const Evaluation y2020 = subsidy::evaluate(rules, record(rules, "A", 2020, facts), Scenario{});
  CHECK(amount(y2020, "rebate/back") == "50000.00");
  CHECK(amount(y2020, "rebate/short-lived") == "none");
  const Evaluation y2022 = subsidy::evaluate(rules, record(rules, "A", 2022, facts), Scenario{});
  CHECK(amount(y2022, "rebate/back") == "60000.00");
  const Evaluation y2011 = subsidy::evaluate(rules, record(rules, "A", 2011, facts), Scenario{});
  CHECK(amount(y2011, "rebate/short-lived") == "10000.00");
  // A measure entering into force during the year applies to that year (judged on 12-31).
  CHECK(amount(subsidy::evaluate(rules, record(rules, "A", 2023, facts), Scenario{}),
               "union/books") == "none");
  CHECK(amount(subsidy::evaluate(rules, record(rules, "A", 2024, facts), Scenario{}),
               "union/books") == "20000.00");
  // The day before and the day of entry into force, as an explicit date.
  Scenario before, day;
  before.on = Date{2024, 7, 5};
  day.on = Date{2024, 7, 6};
  CHECK(amount(subsidy::evaluate(rules, record(rules, "A", 2030, facts), before), "union/books") ==
        "none");
  CHECK(amount(subsidy::evaluate(rules, record(rules, "A", 2009, facts), day), "union/books") ==
        "20000.00");
}

TEST_CASE("only the chosen member of a group is resolved") {
  const RuleSet& rules = testville();
  Scenario early;
  early.on = Date{2010, 1, 1};
  const Evaluation plain = subsidy::evaluate(rules, record(rules, "A", 2010, "tax: 1\n"), early);
  REQUIRE(plain.ok());
  CHECK(amount(plain, "plain/flat") == "1000.00");
  // The chosen member, in force but before its parameter's first version: that record's error,
  // naming the parameter and the day.
  Scenario later = early;
  later.on = Date{2010, 6, 30};
  later.choose["alt"] = "later";
  const Evaluation gap = subsidy::evaluate(rules, record(rules, "A", 2010, "tax: 1\n"), later);
  REQUIRE(gap.error);
  CHECK(contains(gap.error->message(), "later.amount"));
  CHECK(contains(gap.error->message(), "2010-06-30"));
  // And `check` reports that gap, and the rule reading the parameter outside its period.
  const auto warnings = rules.period_warnings();
  bool gap_warned = false, rule_warned = false;
  for (const auto& w : warnings) {
    gap_warned =
        gap_warned || (contains(w, "parameter 'later.amount'") && contains(w, "2010-12-31"));
    rule_warned = rule_warned || contains(w, "rule 'later/flat'");
  }
  CHECK(gap_warned);
  CHECK(rule_warned);
  CHECK(warnings.size() == 2);
}

TEST_CASE("last_year(fact) reads the enterprise's record of the year before") {
  const RuleSet& rules = growth();
  const std::vector<Enterprise> batch = {record(rules, "A", 2020, "tax: 10万\n"),
                                         record(rules, "A", 2021, "tax: 13万\n"),
                                         record(rules, "B", 2021, "tax: 13万\n")};
  const auto results = subsidy::evaluate_batch(rules, batch, Scenario{});
  CHECK(!results[0].ok());  // no 2019 record: a missing fact, never a zero
  CHECK(contains(results[0].error->message(), "last_year(tax)"));
  REQUIRE(results[1].ok());
  CHECK(amount(results[1], "growth/growth") == "30000.00");
  CHECK(!results[2].ok());
  // The columnar path reads the previous row too, with the same results.
  const Program program(rules, Scenario{});
  const ColumnarResult columnar = program.run(FactTable::from_enterprises(rules, batch));
  CHECK(columnar.exact.count(0) == 1);
  CHECK(columnar.exact.count(2) == 1);
  CHECK(columnar.exact.count(1) == 0);
  CHECK(columnar.totals.all.cash.max == results[1].totals.all.cash.max);
}

TEST_CASE("Jiyuan: 中原特钢's 2010 record gets no worker-library line, a 2024 record does") {
  const RuleSet rules = RuleSet::load({kRoot + "/rules"});
  auto examples = subsidy::load_enterprises(rules, kRoot + "/examples/enterprises.yaml");
  Enterprise steel;
  for (const auto& e : examples) {
    if (e.id == "zhongyuan-special-steel") steel = e;
  }
  REQUIRE(steel.year == 2010);
  const Evaluation y2010 = subsidy::evaluate(rules, steel, Scenario{});
  REQUIRE(y2010.ok());
  CHECK(find(y2010, "worker-library-award/L2-books-award") == nullptr);
  CHECK(find(y2010, "em-opinions-draft/O11-first-unit-major-equipment") != nullptr);
  Enterprise later = steel;
  later.year = 2024;
  const Evaluation y2024 = subsidy::evaluate(rules, later, Scenario{});
  REQUIRE(y2024.ok());
  CHECK(amount(y2024, "worker-library-award/L2-books-award") == "20000.00");
  // Every example enterprise evaluates on 2010-06-30 without an error (the library award and
  // its parameters are simply not in force then).
  Scenario june;
  june.on = Date{2010, 6, 30};
  for (const auto& e : subsidy::evaluate_batch(rules, examples, june)) {
    INFO(e.enterprise << ": " << (e.error ? e.error->what() : ""));
    CHECK(e.ok());
    CHECK(find(e, "worker-library-award/L2-books-award") == nullptr);
  }
}

TEST_CASE("an audit judges each grant at the grant's year") {
  const RuleSet& rules = testville();
  const std::vector<Enterprise> firms = {record(rules, "A", 2020, "tax: 10万\ninvestment: 10万\n"),
                                         record(rules, "A", 2022, "tax: 10万\ninvestment: 10万\n"),
                                         record(rules, "A", 2010, "tax: 10万\ninvestment: 10万\n")};
  auto grant = [](std::int64_t year, const std::string& set, const std::string& rule,
                  const char* amount) {
    Grant g;
    g.enterprise = "A";
    g.policy_set = set;
    g.rule = rule;
    g.year = year;
    g.amount = Decimal::parse(amount);
    g.payer = "市财政";
    return g;
  };
  const std::vector<Grant> ledger = {grant(2020, "rebate", "back", "50000.00"),
                                     grant(2022, "rebate", "back", "60000.00"),
                                     grant(2010, "union", "books", "20000.00")};
  const AuditReport report = subsidy::audit(rules, firms, ledger, Scenario{});
  REQUIRE(report.findings.size() == 1);
  CHECK(report.findings[0].grant == 2);
  CHECK(report.findings[0].kind == FindingKind::not_eligible);
  CHECK(
      contains(report.findings[0].message, "not in force on 2010-12-31: in force from 2024-07-06"));
}

TEST_CASE("J4: last year's income tax from the previous record equals the _last_year column") {
  const RuleSet rules = RuleSet::load({kRoot + "/rules"});
  const std::string facts =
      "industry: 机械装备制造\nsales_revenue: 2亿\ntax_paid: 1000万\nland_use_tax: 10万\n";
  Scenario machining;
  machining.choose["electromechanical-policy"] = "machining-survey";
  const Enterprise single = record(
      rules, "S", 2011, facts + "income_tax_paid: 300万\nincome_tax_paid_last_year: 200万\n");
  const Evaluation by_column = subsidy::evaluate(rules, single, machining);
  REQUIRE(by_column.ok());
  // 50% × (10万 + (300万 − 200万)) = 55万
  CHECK(amount(by_column, "machining-survey/J4-tax-rebate") == "550000.00");
  const std::vector<Enterprise> two_years = {
      record(rules, "S", 2010, facts + "income_tax_paid: 200万\n"),
      record(rules, "S", 2011, facts + "income_tax_paid: 300万\n")};
  const auto results = subsidy::evaluate_batch(rules, two_years, machining);
  REQUIRE(results[1].ok());
  CHECK(amount(results[1], "machining-survey/J4-tax-rebate") ==
        amount(by_column, "machining-survey/J4-tax-rebate"));
  // The first year has no year before it in the population: a missing fact, never a zero.
  REQUIRE(results[0].error);
  CHECK(contains(results[0].error->message(), "last_year(income_tax_paid)"));
  CHECK(contains(results[0].error->message(), "income_tax_paid_last_year"));
  // The columnar path agrees.
  const ColumnarResult columnar =
      Program(rules, machining).run(FactTable::from_enterprises(rules, two_years));
  CHECK(columnar.by_reference[1] == 0);
  CHECK(columnar.totals.all.cash.max == results[1].totals.all.cash.max);
}
