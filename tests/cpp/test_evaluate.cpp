// Evaluation: award forms, line statuses, totals, rounding, scenarios (dates, what-if, options,
// alternative groups), interactions (exclusions, caps), checks, missing facts, determinism and
// receipts; and reading enterprise records (YAML and CSV) with located errors.
// The city ("Testville") and every figure are invented.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "subsidy/subsidy.hpp"

using subsidy::AwardLine;
using subsidy::Date;
using subsidy::Decimal;
using subsidy::Enterprise;
using subsidy::Error;
using subsidy::Evaluation;
using subsidy::LineStatus;
using subsidy::RuleSet;
using subsidy::Scenario;

namespace {

const char* const kCatalogue = R"y(catalogue:
  id: tv-common
  title: {zh: 测试市共用定义, en: Testville shared definitions}
payers:
  市财政: {en: City finance, level: city}
  区财政: {en: District finance, level: other}
  工会: {en: Union, level: union}
options:
  base_reading:
    question: {zh: 是否扣除一点一万元起点, en: "Is an 11,000 threshold deducted?"}
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
  tiny: {type: money}
  products:
    type: list
    default: []
    fields:
      kind: {type: enum, values: [大, 小]}
      price: {type: money}
)y";

/// The catalogue plus policy set files p0.yaml, p1.yaml, ...
RuleSet load(const std::vector<std::string>& policies) {
  std::vector<std::pair<std::string, std::string>> sources = {{"cat.yaml", kCatalogue}};
  for (std::size_t i = 0; i < policies.size(); ++i) {
    sources.emplace_back("p" + std::to_string(i) + ".yaml", policies[i]);
  }
  return RuleSet::load_texts(sources);
}

/// One enterprise record (YAML, "id: E" prepended).
Enterprise firm(const RuleSet& rules, const std::string& facts) {
  const auto list = subsidy::parse_enterprises(rules, "facts.yaml", "id: E\n" + facts);
  REQUIRE(list.size() == 1);
  return list[0];
}

Evaluation run(const RuleSet& rules, const std::string& facts, const Scenario& scenario = {}) {
  return subsidy::evaluate(rules, firm(rules, facts), scenario);
}

Evaluation run_ok(const RuleSet& rules, const std::string& facts, const Scenario& scenario = {}) {
  Evaluation e = run(rules, facts, scenario);
  INFO("evaluation error: " << (e.error ? e.error->what() : "none"));
  REQUIRE(e.ok());
  return e;
}

const AwardLine* find_line(const Evaluation& e, const std::string& rule) {
  for (const auto& l : e.lines) {
    if (l.rule == rule) return &l;
  }
  return nullptr;
}

const AwardLine& line(const Evaluation& e, const std::string& rule) {
  const AwardLine* l = find_line(e, rule);
  INFO("rule " << rule);
  REQUIRE(l != nullptr);
  return *l;
}

std::string str(const Decimal& d) { return d.to_string(); }
Decimal dec(const char* text) { return Decimal::parse(text); }
std::string kind_of(const Error& e) { return subsidy::to_string(e.kind()); }
bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// The error a call throws (fails the test if it does not).
template <class F>
Error thrown(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected an Error");
  return Error(subsidy::ErrorKind::usage, "unreachable");
}

}  // namespace

TEST_SUITE("evaluate: award forms and totals") {
  const char* const kForms = R"y(policy_set:
  id: forms
  title: {zh: 奖励形式, en: Award forms}
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
    award: {band: {min: 130万, max: 260万}}
  - id: rate
    citation: {clause: 三, text: "按实缴税金的40%奖励"}
    payer: 区财政
    award: {rate: 40%, base: "tax"}
  - id: formula
    citation: {clause: 四, text: "销售收入超过1.5亿元的按80%，其余按60%"}
    payer: 区财政
    award: {formula: "if(revenue 超过 1.5亿, 80% * tax, 60% * tax)"}
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
    award:
      per_item:
        for_each: products
        where: "kind == '大' and price 在 130万 以上"
        each: {formula: "10% * price"}
  - id: unfixed
    citation: {clause: 七, text: "给予奖金若干"}
    payer: 市财政
    award: {unfixed: 奖金若干}
  - id: honour
    citation: {clause: 八, text: "授予优秀企业称号"}
    form: honour
    award: {honour: 优秀企业}
  - id: books
    citation: {clause: 九, text: "赠送图书6千元"}
    payer: 工会
    form: in_kind
    in_kind: {zh: 图书, en: books}
    award: {fixed: 6千}
  - id: not-met
    citation: {clause: 十, text: "服务业企业奖励1.1万元"}
    payer: 市财政
    when: "sector == '服务'"
    award: {fixed: 1.1万}
)y";

  const char* const kFormsFirm = R"y(sector: 制造
revenue: 2亿
tax: 120万
staff: 3
products:
  - {kind: 大, price: 130万}
  - {kind: 大, price: 1299999.99}
  - {kind: 小, price: 600万}
  - {kind: 大, price: 350万}
)y";

  TEST_CASE("each award form gives its line with its status") {
    const RuleSet rules = load({kForms});
    const Evaluation e = run_ok(rules, kFormsFirm);
    CHECK(e.policy_sets == std::vector<std::string>{"forms"});
    CHECK(e.lines.size() == 9);
    CHECK(find_line(e, "not-met") == nullptr);  // a failed `when` gives no line

    const AwardLine& fixed = line(e, "fixed");
    CHECK(fixed.status == LineStatus::exact);
    CHECK(str(fixed.amount) == "370000.00");
    CHECK(str(fixed.band.min) == "370000.00");
    CHECK(str(fixed.band.max) == "370000.00");
    CHECK(fixed.qualified_rule() == "forms/fixed");
    CHECK(fixed.info->citation.clause == "一");
    CHECK(fixed.info->citation.text == "奖励37万元");
    CHECK(fixed.info->citation.document == "forms");

    const AwardLine& band = line(e, "band");
    CHECK(band.status == LineStatus::band);
    CHECK(str(band.band.min) == "1300000.00");
    CHECK(str(band.band.max) == "2600000.00");

    const AwardLine& rate = line(e, "rate");
    CHECK(rate.status == LineStatus::exact);
    CHECK(str(rate.amount) == "480000.00");

    const AwardLine& formula = line(e, "formula");
    CHECK(str(formula.amount) == "960000.00");

    const AwardLine& per_count = line(e, "per-count");
    CHECK(per_count.status == LineStatus::band);
    CHECK(per_count.items == 3);
    CHECK(str(per_count.band.min) == "33000.00");
    CHECK(str(per_count.band.max) == "66000.00");

    const AwardLine& per_record = line(e, "per-record");
    CHECK(per_record.status == LineStatus::exact);
    CHECK(per_record.items == 2);  // 130万 and 350万; not 1299999.99, not the small one
    CHECK(str(per_record.amount) == "480000.00");

    const AwardLine& unfixed = line(e, "unfixed");
    CHECK(unfixed.status == LineStatus::unfixed);
    CHECK(unfixed.unfixed_text == "奖金若干");

    const AwardLine& honour = line(e, "honour");
    CHECK(honour.status == LineStatus::recognised);
    CHECK(honour.unfixed_text == "优秀企业");

    const AwardLine& books = line(e, "books");
    CHECK(books.status == LineStatus::exact);
    CHECK(str(books.amount) == "6000.00");
    CHECK(books.info->form == subsidy::AwardForm::in_kind);
  }

  TEST_CASE(
      "totals: bands by payer and by policy set, in kind apart, unfixed and honours counted") {
    const RuleSet rules = load({kForms});
    const Evaluation e = run_ok(rules, kFormsFirm);
    const subsidy::Total& all = e.totals.all;
    // Floor: exact amounts + band minimums; ceiling: exact amounts + band maximums.
    CHECK(str(all.cash.min) == "3623000.00");
    CHECK(str(all.cash.max) == "4956000.00");
    CHECK(str(all.in_kind.min) == "6000.00");
    CHECK(str(all.in_kind.max) == "6000.00");
    CHECK(all.unfixed == 1);
    CHECK(all.recognised == 1);
    CHECK(all.lines == 9);

    REQUIRE(e.totals.by_payer.size() == 3);  // the honour has no payer
    const subsidy::Total& city = e.totals.by_payer.at("市财政");
    CHECK(str(city.cash.min) == "1703000.00");
    CHECK(str(city.cash.max) == "3036000.00");
    CHECK(city.unfixed == 1);
    CHECK(city.lines == 4);
    const subsidy::Total& district = e.totals.by_payer.at("区财政");
    CHECK(str(district.cash.min) == "1920000.00");
    CHECK(str(district.cash.max) == "1920000.00");
    CHECK(district.lines == 3);
    const subsidy::Total& union_ = e.totals.by_payer.at("工会");
    CHECK(str(union_.cash.max) == "0");
    CHECK(str(union_.in_kind.min) == "6000.00");
    CHECK(union_.lines == 1);

    REQUIRE(e.totals.by_policy_set.size() == 1);
    const subsidy::Total& set = e.totals.by_policy_set.at("forms");
    CHECK(str(set.cash.min) == str(all.cash.min));
    CHECK(str(set.cash.max) == str(all.cash.max));
    CHECK(set.lines == 9);
  }

  TEST_CASE("totals by policy set when two sets apply") {
    const RuleSet rules = load({R"y(policy_set:
  id: alpha
  title: A
rules:
  - id: R1
    citation: {clause: 一, text: "奖励1.1万元"}
    payer: 市财政
    award: {fixed: 1.1万}
)y",
                                R"y(policy_set:
  id: beta
  title: B
rules:
  - id: R1
    citation: {clause: 一, text: "奖励2.2万至3.3万元"}
    payer: 市财政
    award: {band: {min: 2.2万, max: 3.3万}}
)y"});
    const Evaluation e = run_ok(rules, "sector: 服务\n");
    CHECK(e.policy_sets == std::vector<std::string>{"alpha", "beta"});
    CHECK(str(e.totals.by_policy_set.at("alpha").cash.max) == "11000.00");
    CHECK(str(e.totals.by_policy_set.at("beta").cash.min) == "22000.00");
    CHECK(str(e.totals.by_policy_set.at("beta").cash.max) == "33000.00");
    CHECK(str(e.totals.by_payer.at("市财政").cash.min) == "33000.00");
    CHECK(str(e.totals.by_payer.at("市财政").cash.max) == "44000.00");
    CHECK(e.totals.by_payer.at("市财政").lines == 2);
  }

  TEST_CASE("preference lines are counted only, as recognised (not as unfixed money)") {
    // docs/rule-language.md, Totals: "`preference` and `honour` lines are counted only";
    // Total::recognised counts "honour and preference lines", Total::unfixed "unfixed lines (cash
    // or in kind)".
    const RuleSet rules = load({R"y(policy_set:
  id: pref
  title: P
rules:
  - id: land
    citation: {clause: 一, text: "免征土地使用税"}
    form: preference
    award: {unfixed: 免征土地使用税}
)y"});
    const Evaluation e = run_ok(rules, "sector: 制造\n");
    REQUIRE(e.lines.size() == 1);
    CHECK(e.lines[0].info->form == subsidy::AwardForm::preference);
    CHECK(e.lines[0].status == LineStatus::recognised);
    CHECK(e.totals.all.recognised == 1);
    CHECK(e.totals.all.unfixed == 0);
    CHECK(e.totals.all.lines == 1);
    CHECK(str(e.totals.all.cash.max) == "0");
  }

  TEST_CASE("honours may be tiered: a recognition, counted, with no money") {
    const RuleSet rules = load({R"y(policy_set:
  id: titles
  title: T
rules:
  - id: medal
    citation: {clause: 一, text: "销售收入超过1.5亿元、4.5亿元的分别授予银牌、金牌企业称号"}
    form: honour
    award:
      tiers:
        on: revenue
        hit: highest
        levels:
          - {label: 银牌, 超过: 1.5亿, award: {honour: 银牌企业}}
          - {label: 金牌, 超过: 4.5亿, award: {honour: 金牌企业}}
)y"});
    const Evaluation gold = run_ok(rules, "sector: 制造\nrevenue: 6亿\n");
    const AwardLine& l = line(gold, "medal");
    CHECK(l.status == LineStatus::recognised);
    CHECK(l.tier == "金牌");
    CHECK(l.unfixed_text == "金牌企业");
    CHECK(gold.totals.all.recognised == 1);
    CHECK(gold.totals.all.unfixed == 0);
    CHECK(str(gold.totals.all.cash.max) == "0");
    CHECK(line(run_ok(rules, "sector: 制造\nrevenue: 4.5亿\n"), "medal").tier == "银牌");
    CHECK(run_ok(rules, "sector: 制造\nrevenue: 1.5亿\n").lines.empty());
  }

  TEST_CASE("a what-if on a parameter moves a tier threshold") {
    const RuleSet rules = load({R"y(policy_set:
  id: moving
  title: M
parameters:
  threshold: {unit: money, value: 45万}
rules:
  - id: R1
    citation: {clause: 一, text: "不满四十五万元的奖一千元，四十五万元以上的奖六千元"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        levels:
          - {label: 低, 不满: threshold, award: {fixed: 1千}}
          - {label: 高, 以上: threshold, award: {fixed: 6千}}
)y"});
    const std::string facts = "sector: 制造\nrevenue: 42万\n";
    CHECK(line(run_ok(rules, facts), "R1").tier == "低");
    Scenario lower;
    lower.parameters["threshold"] = dec("42万");
    const Evaluation moved = run_ok(rules, facts, lower);
    CHECK(line(moved, "R1").tier == "高");
    CHECK(str(line(moved, "R1").amount) == "6000.00");
  }

  TEST_CASE("tiers: unique, highest, first and sum, at and around their bounds") {
    const RuleSet rules = load({R"y(policy_set:
  id: tiers
  title: T
rules:
  - id: unique
    citation: {clause: 一, text: "十二万元至四十八万元奖一千元……"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        hit: unique
        levels:
          - {label: 小, 以上: 12万, 不满: 48万, award: {fixed: 1千}}
          - {label: 中, 以上: 48万, 不满: 96万, award: {fixed: 6千}}
          - {label: 大, 以上: 96万, award: {fixed: 1.1万}}
  - id: highest
    citation: {clause: 二, text: "超过十二万元、四十八万元、九十六万元的"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        hit: highest
        levels:
          - {label: 超过12万, 超过: 12万, award: {fixed: 2.2千}}
          - {label: 超过48万, 超过: 48万, award: {fixed: 6.6千}}
          - {label: 超过96万, 超过: 96万, award: {unfixed: 另行研究}}
  - id: first
    citation: {clause: 三, text: "四十八万元以上的按3%，十二万元以上的奖六百元"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        hit: first
        levels:
          - {label: 四十八万以上, 以上: 48万, award: {rate: 3%, base: revenue}}
          - {label: 十二万以上, 以上: 12万, award: {fixed: 600}}
  - id: sum
    citation: {clause: 四, text: "十二万元以上奖一千元，四十八万元以上另按3%"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        hit: sum
        levels:
          - {label: 基础, 以上: 12万, award: {fixed: 1千}}
          - {label: 加码, 以上: 48万, award: {formula: "3% * revenue"}}
)y"});
    // Below the lowest bound nothing is granted.
    CHECK(run_ok(rules, "sector: 制造\nrevenue: 119999.99\n").lines.empty());

    const Evaluation at12 = run_ok(rules, "sector: 制造\nrevenue: 12万\n");
    CHECK(str(line(at12, "unique").amount) == "1000.00");
    CHECK(line(at12, "unique").tier == "小");
    CHECK(find_line(at12, "highest") == nullptr);  // 超过 excludes 12万 itself
    CHECK(str(line(at12, "first").amount) == "600.00");
    CHECK(line(at12, "first").tier == "十二万以上");
    CHECK(str(line(at12, "sum").amount) == "1000.00");

    const Evaluation below48 = run_ok(rules, "sector: 制造\nrevenue: 479999.99\n");
    CHECK(line(below48, "unique").tier == "小");
    CHECK(line(below48, "highest").tier == "超过12万");
    CHECK(str(line(below48, "sum").amount) == "1000.00");

    const Evaluation at48 = run_ok(rules, "sector: 制造\nrevenue: 48万\n");
    CHECK(line(at48, "unique").tier == "中");
    CHECK(str(line(at48, "unique").amount) == "6000.00");
    CHECK(line(at48, "highest").tier == "超过12万");
    CHECK(str(line(at48, "highest").amount) == "2200.00");
    CHECK(line(at48, "first").tier == "四十八万以上");
    CHECK(str(line(at48, "first").amount) == "14400.00");
    CHECK(str(line(at48, "sum").amount) == "15400.00");
    CHECK(line(at48, "sum").tier == "基础; 加码");

    const Evaluation above96 = run_ok(rules, "sector: 制造\nrevenue: 960000.01\n");
    CHECK(line(above96, "unique").tier == "大");
    CHECK(line(above96, "highest").tier == "超过96万");
    CHECK(line(above96, "highest").status == LineStatus::unfixed);
    CHECK(str(line(above96, "first").amount) == "28800.00");  // 28800.0003
    CHECK(str(line(above96, "sum").amount) == "29800.00");    // 29800.0003, rounded once
  }
}

TEST_SUITE("evaluate: rounding") {
  TEST_CASE("rounded once per line, with the rule's mode and quantum") {
    const RuleSet rules = load({R"y(policy_set:
  id: rounding
  title: R
rules:
  - id: half-up
    citation: {clause: 一, text: "按50%补助"}
    payer: 市财政
    award: {rate: 50%, base: "tiny"}
  - id: half-even
    citation: {clause: 二, text: "按50%补助"}
    payer: 市财政
    rounding: {mode: half_even}
    award: {rate: 50%, base: "tiny"}
  - id: per-item
    citation: {clause: 三, text: "每件按售价的50%补助"}
    payer: 市财政
    award:
      per_item:
        for_each: products
        each: {formula: "50% * price"}
  - id: per-item-even
    citation: {clause: 四, text: "每件按售价的50%补助"}
    payer: 市财政
    rounding: {mode: 四舍六入五成双}
    award:
      per_item:
        for_each: products
        each: {formula: "50% * price"}
  - id: halves
    citation: {clause: 五, text: "两项各按50%补助"}
    payer: 市财政
    award: {formula: "50% * tiny + 50% * tiny"}
  - id: whole-yuan
    citation: {clause: 六, text: "不足一元的部分不计"}
    payer: 市财政
    rounding: {mode: 截尾, quantum: 1}
    award: {formula: "199.99"}
)y"});
    const std::string small3 =
        "products: [{kind: 小, price: 0.01}, {kind: 小, price: 0.01}, {kind: 小, price: 0.01}]\n";
    const Evaluation e = run_ok(rules, "sector: 制造\ntiny: 0.01\n" + small3);
    CHECK(str(line(e, "half-up").amount) == "0.01");    // 0.005 → 0.01
    CHECK(str(line(e, "half-even").amount) == "0.00");  // 0.005 → 0.00
    CHECK(str(line(e, "per-item").amount) == "0.02");   // 0.015, not 3 × 0.01
    CHECK(line(e, "per-item").items == 3);
    CHECK(str(line(e, "per-item-even").amount) == "0.02");  // 0.015 → 0.02 (even), not 3 × 0.00
    CHECK(str(line(e, "halves").amount) == "0.01");         // 0.01 exactly, not 0.01 + 0.01
    CHECK(str(line(e, "whole-yuan").amount) == "199");
    // The line's band is the rounded amount, and the totals add rounded amounts.
    CHECK(str(line(e, "half-up").band.min) == "0.01");
    CHECK(str(e.totals.all.cash.max) == "199.06");

    const std::string small5 =
        "products: [{kind: 小, price: 0.01}, {kind: 小, price: 0.01}, "
        "{kind: 小, price: 0.01}, {kind: 小, price: 0.01}, {kind: 小, price: 0.01}]\n";
    const Evaluation five = run_ok(rules, "sector: 制造\ntiny: 0.01\n" + small5);
    CHECK(str(line(five, "per-item").amount) == "0.03");       // 0.025 half up
    CHECK(str(line(five, "per-item-even").amount) == "0.02");  // 0.025 half even
  }
}

TEST_SUITE("evaluate: scenarios") {
  const char* const kDated = R"y(policy_set:
  id: dated
  title: D
parameters:
  rate:
    unit: rate
    label: {zh: 返还比例, en: rebate rate}
    versions:
      - {from: 2020-01-01, value: 45%, reference: "第三条"}
      - {from: 2022-01-01, value: 55%, reference: "修订第三条"}
rules:
  - id: rebate
    citation: {clause: 三, text: "按实缴税金的一定比例返还"}
    payer: 市财政
    award: {rate: rate, base: "tax"}
  - id: reading
    citation: {clause: 四, text: "扣除起点后返还"}
    payer: 区财政
    award: {formula: "if(option(base_reading) == 'included', 10% * tax, 10% * max(0, tax - 1.1万))"}
)y";

  TEST_CASE("dated parameter versions: before, on and after an amendment") {
    const RuleSet rules = load({kDated});
    const std::string facts = "sector: 制造\ntax: 12万\n";
    Scenario before;
    before.on = Date::parse("2021-12-31");
    CHECK(str(line(run_ok(rules, facts, before), "rebate").amount) == "54000.00");
    Scenario on;
    on.on = Date::parse("2022-01-01");
    CHECK(str(line(run_ok(rules, facts, on), "rebate").amount) == "66000.00");
    Scenario first_day;
    first_day.on = Date::parse("2020-01-01");
    CHECK(str(line(run_ok(rules, facts, first_day), "rebate").amount) == "54000.00");
    // No date: the latest version.
    CHECK(str(line(run_ok(rules, facts), "rebate").amount) == "66000.00");
    // The trace names the version used.
    Scenario traced = before;
    traced.trace = true;
    const Evaluation t = run_ok(rules, facts, traced);
    bool named = false;
    for (const auto& step : line(t, "rebate").trace) {
      named = named || contains(step.detail, "version from 2020-01-01; 第三条");
    }
    CHECK(named);
    // No version in force for a rule that reads it: that record's error, never a guess (the
    // scenario itself is valid, so nothing is thrown).
    Scenario too_early;
    too_early.on = Date::parse("2019-12-31");
    const Evaluation early = run(rules, facts, too_early);
    REQUIRE(early.error);
    CHECK(kind_of(*early.error) == "parameter");
    CHECK(contains(early.error->message(), "dated.rate"));
    CHECK(contains(early.error->message(), "2019-12-31"));
  }

  TEST_CASE("what-if parameter overrides: qualified and bare names; unknown names are errors") {
    const RuleSet rules = load({kDated});
    const std::string facts = "sector: 制造\ntax: 12万\n";
    Scenario qualified;
    qualified.parameters["dated.rate"] = dec("10%");
    CHECK(str(line(run_ok(rules, facts, qualified), "rebate").amount) == "12000.00");
    Scenario bare;
    bare.parameters["rate"] = dec("15%");
    CHECK(str(line(run_ok(rules, facts, bare), "rebate").amount) == "18000.00");
    // The override holds whatever the date.
    bare.on = Date::parse("2020-06-01");
    CHECK(str(line(run_ok(rules, facts, bare), "rebate").amount) == "18000.00");

    Scenario unknown;
    unknown.parameters["rat"] = dec("10%");
    CHECK(kind_of(thrown([&] { (void)run(rules, facts, unknown); })) == "parameter");
    Scenario wrong_set;
    wrong_set.parameters["other.rate"] = dec("10%");
    CHECK(kind_of(thrown([&] { (void)run(rules, facts, wrong_set); })) == "parameter");
    Scenario negative;
    negative.parameters["rate"] = dec("-1%");
    CHECK(kind_of(thrown([&] { (void)run(rules, facts, negative); })) == "parameter");
    Scenario bad_option;
    bad_option.options["base_readin"] = "excluded";
    CHECK(kind_of(thrown([&] { (void)run(rules, facts, bad_option); })) == "option");
    Scenario bad_choice;
    bad_choice.options["base_reading"] = "partly";
    const Error e = thrown([&] { (void)run(rules, facts, bad_choice); });
    CHECK(kind_of(e) == "option");
    CHECK(contains(e.message(), "included, excluded"));
  }

  TEST_CASE("a bare parameter name used by two policy sets is ambiguous") {
    const RuleSet rules = load({kDated, R"y(policy_set:
  id: other
  title: O
parameters:
  rate: {unit: rate, value: 6%}
)y"});
    Scenario bare;
    bare.parameters["rate"] = dec("10%");
    CHECK(kind_of(thrown([&] { (void)run(rules, "sector: 制造\ntax: 1\n", bare); })) ==
          "parameter");
    Scenario qualified;
    qualified.parameters["other.rate"] = dec("10%");
    CHECK(str(line(run_ok(rules, "sector: 制造\ntax: 12万\n", qualified), "rebate").amount) ==
          "66000.00");
  }

  TEST_CASE("interpretation options switch the reading") {
    const RuleSet rules = load({kDated});
    const std::string facts = "sector: 制造\ntax: 12万\n";
    CHECK(str(line(run_ok(rules, facts), "reading").amount) == "12000.00");  // default: included
    Scenario excluded;
    excluded.options["base_reading"] = "excluded";
    CHECK(str(line(run_ok(rules, facts, excluded), "reading").amount) == "10900.00");
    Scenario included;
    included.options["base_reading"] = "included";
    CHECK(str(line(run_ok(rules, facts, included), "reading").amount) == "12000.00");
  }

  TEST_CASE("alternative groups: the default member, another chosen, unknown member or group") {
    const char* groups = R"y(catalogue:
  id: tv-groups
  title: G
groups:
  plan:
    title: {zh: 扶持方案, en: Support plan}
    default: plan-a
)y";
    const RuleSet rules = RuleSet::load_texts({{"cat.yaml", kCatalogue},
                                               {"groups.yaml", groups},
                                               {"a.yaml", R"y(policy_set:
  id: plan-a
  title: A
  group: plan
rules:
  - id: R1
    citation: {clause: 一, text: "奖励1.1万元"}
    payer: 市财政
    award: {fixed: 1.1万}
)y"},
                                               {"b.yaml", R"y(policy_set:
  id: plan-b
  title: B
  status: proposal
  group: plan
rules:
  - id: R1
    citation: {clause: 一, text: "奖励2.2万元"}
    payer: 市财政
    award: {fixed: 2.2万}
)y"},
                                               {"c.yaml", R"y(policy_set:
  id: standalone
  title: C
rules:
  - id: R1
    citation: {clause: 一, text: "奖励3.3千元"}
    payer: 区财政
    award: {fixed: 3.3千}
)y"}});
    const std::string facts = "sector: 制造\n";
    const Evaluation a = run_ok(rules, facts);
    CHECK(a.policy_sets == std::vector<std::string>{"plan-a", "standalone"});
    CHECK(str(a.totals.all.cash.max) == "14300.00");
    Scenario choose_b;
    choose_b.choose["plan"] = "plan-b";
    const Evaluation b = run_ok(rules, facts, choose_b);
    CHECK(b.policy_sets == std::vector<std::string>{"plan-b", "standalone"});
    CHECK(str(b.totals.all.cash.max) == "25300.00");
    CHECK(b.totals.by_policy_set.count("plan-a") == 0);
    CHECK(a.receipt != b.receipt);

    Scenario unknown_member;
    unknown_member.choose["plan"] = "plan-c";
    const Error e = thrown([&] { (void)run(rules, facts, unknown_member); });
    CHECK(kind_of(e) == "name");
    CHECK(contains(e.message(), "plan-a, plan-b"));
    Scenario unknown_group;
    unknown_group.choose["plans"] = "plan-b";
    CHECK(kind_of(thrown([&] { (void)run(rules, facts, unknown_group); })) == "name");
    Scenario standalone;
    standalone.choose["plan"] = "standalone";
    CHECK(kind_of(thrown([&] { (void)run(rules, facts, standalone); })) == "name");
  }

  TEST_CASE("applies_to filters the policy sets an enterprise is evaluated under") {
    const RuleSet rules = load({R"y(policy_set:
  id: makers
  title: M
  applies_to: "sector == '制造'"
rules:
  - id: R1
    citation: {clause: 一, text: "制造业企业奖励1.1万元"}
    payer: 市财政
    award: {fixed: 1.1万}
)y"});
    const Evaluation maker = run_ok(rules, "sector: 制造\n");
    CHECK(maker.policy_sets == std::vector<std::string>{"makers"});
    CHECK(maker.lines.size() == 1);
    const Evaluation service = run_ok(rules, "sector: 服务\n");
    CHECK(service.policy_sets.empty());
    CHECK(service.lines.empty());
    CHECK(service.totals.all.lines == 0);
  }

  TEST_CASE("recurrence: N years from an event year") {
    const RuleSet rules = load({R"y(policy_set:
  id: listing
  title: L
rules:
  - id: R1
    citation: {clause: 一, text: "自上市当年起3年内每年奖励1.1万元"}
    payer: 市财政
    recurrence: {years: 3, from: listing_year}
    award: {fixed: 1.1万}
  - id: R2
    citation: {clause: 二, text: "每年奖励1.2千元"}
    payer: 市财政
    recurrence: yearly
    award: {fixed: 1.2千}
)y"});
    auto has = [&](int year) {
      return find_line(run_ok(rules, "sector: 制造\nlisting_year: 2020\nyear: " +
                                         std::to_string(year) + "\n"),
                       "R1") != nullptr;
    };
    CHECK_FALSE(has(2019));
    CHECK(has(2020));
    CHECK(has(2022));
    CHECK_FALSE(has(2023));
    const Evaluation e = run_ok(rules, "sector: 制造\nlisting_year: 2020\nyear: 2021\n");
    CHECK(line(e, "R1").info->recurrence.to_string() == "3 years from listing_year");
    CHECK(line(e, "R2").info->recurrence.to_string() == "yearly");
  }
}

TEST_SUITE("evaluate: decisions, interactions and checks") {
  const char* const kDecided = R"y(policy_set:
  id: dec
  title: D
rules:
  - id: band
    citation: {clause: 一, text: "补助130万至260万元"}
    payer: 市财政
    award: {band: {min: 130万, max: 260万}}
  - id: fixed
    citation: {clause: 二, text: "奖励1.1万元"}
    payer: 市财政
    award: {fixed: 1.1万}
)y";

  TEST_CASE("a decided amount inside the band is used; outside it is a failed finding") {
    const RuleSet rules = load({kDecided});
    const Evaluation inside = run_ok(rules, "sector: 制造\ndecided: {dec/band: 170万}\n");
    const AwardLine& l = line(inside, "band");
    CHECK(l.status == LineStatus::decided);
    CHECK(str(l.amount) == "1700000");
    CHECK(str(inside.totals.all.cash.min) == "1711000.00");
    CHECK(str(inside.totals.all.cash.max) == "1711000.00");
    CHECK(inside.findings.empty());

    const Evaluation at_min = run_ok(rules, "sector: 制造\ndecided: {dec/band: 130万}\n");
    CHECK(line(at_min, "band").status == LineStatus::decided);

    const Evaluation outside = run_ok(rules, "sector: 制造\ndecided: {dec/band: 260.01万}\n");
    CHECK(line(outside, "band").status == LineStatus::band);
    CHECK(str(outside.totals.all.cash.min) == "1311000.00");
    CHECK(str(outside.totals.all.cash.max) == "2611000.00");
    REQUIRE(outside.findings.size() == 1);
    CHECK_FALSE(outside.findings[0].passed);
    CHECK(outside.findings[0].check == "decided-amount");
    CHECK(contains(outside.findings[0].detail, "dec/band"));

    // A decided amount for a rule that does not exist is an error in the facts.
    const Error e =
        thrown([&] { (void)firm(rules, "sector: 制造\ndecided: {dec/nope: 1.1万}\n"); });
    CHECK(kind_of(e) == "fact");
  }

  TEST_CASE("exclusions: higher keeps the larger, priority keeps the first listed") {
    const RuleSet rules = load({R"y(policy_set:
  id: ex
  title: E
rules:
  - id: small
    citation: {clause: 一, text: "奖励5.5万元"}
    payer: 市财政
    award: {fixed: 5.5万}
  - id: large
    citation: {clause: 二, text: "销售收入超过130万元的奖励8万元"}
    payer: 市财政
    when: "revenue 超过 130万"
    award: {fixed: 8万}
  - id: first
    citation: {clause: 三, text: "奖励1.1万元"}
    payer: 区财政
    award: {fixed: 1.1万}
  - id: second
    citation: {clause: 四, text: "奖励2.2万元"}
    payer: 区财政
    award: {fixed: 2.2万}
exclusions:
  - id: no-double
    rules: [small, large]
    resolve: higher
    citation: {clause: 五, text: "不重复享受，按就高原则"}
  - id: first-wins
    rules: [first, second]
    resolve: priority
)y"});
    const Evaluation both = run_ok(rules, "sector: 制造\nrevenue: 260万\n");
    REQUIRE(both.lines.size() == 4);
    CHECK(line(both, "small").withheld);
    CHECK(contains(line(both, "small").note, "ex/large"));
    CHECK(contains(line(both, "small").note, "就高"));
    CHECK_FALSE(line(both, "large").withheld);
    CHECK_FALSE(line(both, "first").withheld);
    CHECK(line(both, "second").withheld);
    CHECK(contains(line(both, "second").note, "ex/first"));
    CHECK(contains(line(both, "second").note, "priority"));
    // Withheld lines stay visible but out of the totals.
    CHECK(str(both.totals.all.cash.max) == "91000.00");
    CHECK(both.totals.all.lines == 2);
    CHECK(str(both.totals.by_payer.at("区财政").cash.max) == "11000.00");

    // Only one of the pair applies: nothing gives way.
    const Evaluation one = run_ok(rules, "sector: 制造\nrevenue: 130万\n");
    CHECK(find_line(one, "large") == nullptr);
    CHECK_FALSE(line(one, "small").withheld);
    CHECK(str(one.totals.all.cash.max) == "66000.00");
  }

  TEST_CASE("caps reduce the lines they cover and say so") {
    const RuleSet rules = load({R"y(policy_set:
  id: cap
  title: C
rules:
  - id: a
    citation: {clause: 一, text: "奖励33万元"}
    payer: 市财政
    award: {fixed: 33万}
  - id: b
    citation: {clause: 二, text: "奖励33万元"}
    payer: 市财政
    award: {fixed: 33万}
  - id: c
    citation: {clause: 三, text: "奖励1.1万元"}
    payer: 市财政
    award: {fixed: 1.1万}
caps:
  - id: yearly-cap
    rules: [a, b]
    max: 55万
)y"});
    const Evaluation e = run_ok(rules, "sector: 制造\n");
    CHECK(str(line(e, "a").amount) == "330000.00");
    CHECK(line(e, "a").note.empty());
    CHECK(str(line(e, "b").amount) == "220000.00");
    CHECK(contains(line(e, "b").note, "yearly-cap"));
    CHECK(contains(line(e, "b").note, "330000.00"));
    CHECK(str(e.totals.all.cash.max) == "561000.00");
  }

  TEST_CASE("checks give findings that pass or fail") {
    const RuleSet rules = load({R"y(policy_set:
  id: chk
  title: C
checks:
  - id: staff-check
    citation: {clause: 九, text: "职工人数不少于10人"}
    when: "present(staff)"
    require: "staff 不少于 10"
    message: {zh: 职工人数不足, en: too few staff}
)y"});
    const Evaluation ok = run_ok(rules, "sector: 制造\nstaff: 10\n");
    REQUIRE(ok.findings.size() == 1);
    CHECK(ok.findings[0].passed);
    CHECK(ok.findings[0].check == "staff-check");
    CHECK(ok.findings[0].policy_set == "chk");
    REQUIRE(ok.findings[0].citation.get() != nullptr);
    CHECK(ok.findings[0].citation->clause == "九");
    const Evaluation bad = run_ok(rules, "sector: 制造\nstaff: 9\n");
    REQUIRE(bad.findings.size() == 1);
    CHECK_FALSE(bad.findings[0].passed);
    CHECK(bad.findings[0].message == "职工人数不足");
    CHECK(bad.lines.empty());
    CHECK(run_ok(rules, "sector: 制造\n").findings.empty());  // `when` does not hold
  }
}

TEST_SUITE("evaluate: missing and bad values") {
  const char* const kNeedsTax = R"y(policy_set:
  id: need
  title: N
rules:
  - id: first
    citation: {clause: 一, text: "奖励1.1万元"}
    payer: 市财政
    award: {fixed: 1.1万}
  - id: rebate
    citation: {clause: 二, text: "按实缴税金的60%返还"}
    payer: 市财政
    award: {rate: 60%, base: "tax"}
  - id: no-products
    citation: {clause: 三, text: "无产品登记的奖励1.2千元"}
    payer: 市财政
    when: "count(products) == 0"
    award: {fixed: 1.2千}
  - id: each-product
    citation: {clause: 四, text: "每件产品奖励1.2千元"}
    payer: 市财政
    award:
      per_item:
        for_each: products
        each: {fixed: 1.2千}
)y";

  TEST_CASE(
      "a missing fact leaves out only the rule that reads it, named with the fact, never a zero") {
    const RuleSet rules = load({kNeedsTax});
    const Evaluation e = run(rules, "sector: 制造\n");
    REQUIRE(e.ok());
    CHECK_FALSE(e.complete());
    REQUIRE(e.unevaluated.size() == 1);
    const subsidy::Unevaluated& u = e.unevaluated.front();
    CHECK(u.qualified_id() == "need/rebate");
    CHECK(u.kind == "rule");
    CHECK(u.missing == std::vector<std::string>{"tax"});
    CHECK(contains(u.message, "rule need/rebate: missing fact 'tax' (实缴税金)"));
    bool first = false;  // the rule that needs no missing fact still gives its line
    for (const auto& line : e.lines) {
      CHECK(line.qualified_rule() != "need/rebate");
      first = first || line.qualified_rule() == "need/first";
    }
    CHECK(first);
    CHECK(e.totals.all.unevaluated == 1);
    CHECK_FALSE(e.totals.all.complete());
    CHECK(e.totals.by_policy_set.at("need").unevaluated == 1);
    CHECK(contains(subsidy::to_json(e),
                   "\"unevaluated\":[{\"policy_set\":\"need\",\"id\":\"rebate\",\"kind\":\"rule\","
                   "\"missing\":[\"tax\"]}]"));
    CHECK(subsidy::facts_needed(rules, "need/rebate") == std::vector<std::string>{"tax"});
    CHECK_FALSE(e.receipt.empty());
  }

  TEST_CASE("a list fact with default [] may be left out") {
    const RuleSet rules = load({kNeedsTax});
    const Evaluation e = run_ok(rules, "sector: 制造\ntax: 2.2万\n");
    CHECK(str(line(e, "rebate").amount) == "13200.00");
    CHECK(str(line(e, "no-products").amount) == "1200.00");
    CHECK(find_line(e, "each-product") == nullptr);  // no item, no line
    const Evaluation two =
        run_ok(rules, "sector: 制造\ntax: 2.2万\nproducts: [{kind: 大}, {kind: 小}]\n");
    CHECK(find_line(two, "no-products") == nullptr);
    CHECK(str(line(two, "each-product").amount) == "2400.00");
    CHECK(line(two, "each-product").items == 2);
  }

  TEST_CASE("a negative computed amount is an error") {
    const RuleSet rules = load({R"y(policy_set:
  id: neg
  title: N
rules:
  - id: R1
    citation: {clause: 一, text: "超出130万元的部分按10%奖励"}
    payer: 市财政
    award: {formula: "10% * (revenue - 130万)"}
)y"});
    CHECK(str(line(run_ok(rules, "sector: 制造\nrevenue: 140万\n"), "R1").amount) == "10000.00");
    const Evaluation e = run(rules, "sector: 制造\nrevenue: 120万\n");
    REQUIRE_FALSE(e.ok());
    CHECK(kind_of(*e.error) == "evaluation");
    CHECK(contains(e.error->message(), "negative"));
    CHECK(contains(e.error->message(), "neg/R1"));
    CHECK(e.lines.empty());
  }
}

TEST_SUITE("evaluate: determinism and receipts") {
  /// ~2000 invented enterprises for the Testville example rules (some with facts missing).
  std::string many_enterprises(int n) {
    std::string out = "enterprises:\n";
    for (int i = 0; i < n; ++i) {
      out += "  - id: F" + std::to_string(i) + "\n";
      out += "    year: " + std::to_string(2018 + i % 6) + "\n";
      out += std::string("    sector: ") + (i % 7 == 0 ? "服务" : "制造") + "\n";
      out += "    revenue: " + std::to_string((i * 7919) % 200000) + "." +
             std::to_string(10 + i % 90) + "万\n";
      if (i % 13 != 0) {
        out += "    tax_paid: " + std::to_string((i * 104729) % 5000000) + ".05\n";
        out += "    tax_last_year: " + std::to_string((i * 1299709LL) % 4000000) + "\n";
      }
      out += "    investment: " + std::to_string((i * 31) % 150000) + "\n";
      if (i % 3 == 0) out += "    area: " + std::to_string(i % 100) + ".5平方米\n";
      out += std::string("    certified: ") + (i % 2 == 0 ? "true" : "false") + "\n";
      if (i % 4 == 0) out += "    listing_year: " + std::to_string(2016 + i % 5) + "\n";
      if (i % 5 != 0) {
        out += "    products: [{kind: 大, price: " + std::to_string(90 + i % 20) +
               "万}, {kind: 小, price: 0.01}]\n";
      }
      if (i % 6 == 0) out += "    mergers: [{merged: " + std::to_string(1 + i % 4) + "}]\n";
    }
    return out;
  }

  TEST_CASE("to_json of the same evaluation, and of a second evaluation, is byte-identical") {
    const RuleSet rules = RuleSet::load({SUBSIDY_SOURCE_DIR "/tests/data/engine"});
    const auto firms =
        subsidy::load_enterprises(rules, SUBSIDY_SOURCE_DIR "/tests/data/engine-facts.yaml");
    REQUIRE(firms.size() == 1);
    Scenario s;
    s.trace = true;
    const Evaluation a = subsidy::evaluate(rules, firms[0], s);
    REQUIRE(a.ok());
    CHECK(subsidy::to_json(a) == subsidy::to_json(a));
    CHECK(subsidy::to_json(a, true) == subsidy::to_json(a, true));
    const Evaluation b = subsidy::evaluate(rules, firms[0], s);
    CHECK(subsidy::to_json(a, true) == subsidy::to_json(b, true));
    CHECK(a.receipt == b.receipt);
    CHECK(a.receipt.size() == 64);
    CHECK(contains(subsidy::to_json(a), "\"receipt\":\"" + a.receipt + "\""));
    CHECK(contains(subsidy::to_json(a, true), "\"trace\":["));
    CHECK_FALSE(contains(subsidy::to_json(a, false), "\"trace\":["));
  }

  TEST_CASE("evaluate_batch on 1, 2 and 4 threads gives byte-identical results in input order") {
    const RuleSet rules = RuleSet::load({SUBSIDY_SOURCE_DIR "/tests/data/engine"});
    const auto firms = subsidy::parse_enterprises(rules, "many.yaml", many_enterprises(2000));
    REQUIRE(firms.size() == 2000);
    Scenario s;
    s.trace = true;
    auto outputs = [&](unsigned threads) {
      std::vector<std::string> out;
      for (const auto& e : subsidy::evaluate_batch(rules, firms, s, threads)) {
        out.push_back(subsidy::to_json(e, true) + "\n" + e.receipt);
      }
      return out;
    };
    const auto one = outputs(1);
    const auto two = outputs(2);
    const auto four = outputs(4);
    REQUIRE(one.size() == 2000);
    CHECK(one == two);
    CHECK(one == four);
    // Input order; a mix of complete results and incomplete ones (missing facts); and the same as
    // one-by-one evaluation.
    const auto batch = subsidy::evaluate_batch(rules, firms, s, 4);
    std::size_t errors = 0, lines = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      CHECK(batch[i].enterprise == "F" + std::to_string(i));
      if (!batch[i].complete()) ++errors;
      lines += batch[i].lines.size();
    }
    CHECK(errors > 0);
    CHECK(errors < batch.size());
    CHECK(lines > batch.size());
    for (std::size_t i : {0u, 1u, 13u, 997u, 1999u}) {
      const Evaluation single = subsidy::evaluate(rules, firms[i], s);
      CHECK(subsidy::to_json(single, true) + "\n" + single.receipt == four[i]);
    }
  }

  TEST_CASE("the receipt changes when a fact, an option or a parameter changes") {
    const RuleSet rules = RuleSet::load({SUBSIDY_SOURCE_DIR "/tests/data/engine"});
    const std::string base =
        "id: T9\nsector: 制造\nrevenue: 2.5亿\ntax_paid: 310万\ntax_last_year: 190万\ninvestment: "
        "4.4万\n";
    auto receipt = [&](const std::string& facts, const Scenario& s) {
      const auto firms = subsidy::parse_enterprises(rules, "r.yaml", facts);
      REQUIRE(firms.size() == 1);
      const Evaluation e = subsidy::evaluate(rules, firms[0], s);
      REQUIRE(e.ok());
      return e.receipt;
    };
    const Scenario plain;
    const std::string r0 = receipt(base, plain);
    CHECK(r0 == receipt(base, plain));
    CHECK(r0 != receipt(base + "certified: true\n", plain));
    CHECK(r0 !=
          receipt(
              "id: T9\nsector: 制造\nrevenue: 250000000.01\ntax_paid: 310万\ntax_last_year: 190万\n"
              "investment: 4.4万\n",
              plain));
    Scenario option;
    option.options["bonus_reading"] = "without_base";
    CHECK(r0 != receipt(base, option));
    Scenario parameter;
    parameter.parameters["policy-a.rate_low"] = dec("55%");
    CHECK(r0 != receipt(base, parameter));
    Scenario dated;
    dated.on = Date::parse("2021-01-01");
    CHECK(r0 != receipt(base, dated));
    // A different rule text gives a different receipt for the same facts.
    std::vector<std::pair<std::string, std::string>> texts;
    for (const auto& [path, text] : rules.sources()) texts.emplace_back(path, text + "\n");
    const RuleSet changed = RuleSet::load_texts(texts);
    const auto firms = subsidy::parse_enterprises(changed, "r.yaml", base);
    CHECK(subsidy::evaluate(changed, firms[0], plain).receipt != r0);
  }
}

TEST_SUITE("evaluate: enterprise records") {
  TEST_CASE("a record typed against another rule set is refused, not misread") {
    const RuleSet small = load({});
    const RuleSet other = RuleSet::load_texts({{"cat.yaml", std::string(kCatalogue) + "\n"}});
    const Enterprise typed = firm(small, "sector: 制造\n");
    CHECK(typed.rules_fingerprint == small.fingerprint());
    const Evaluation e = subsidy::evaluate(other, typed, {});
    REQUIRE_FALSE(e.ok());
    CHECK(kind_of(*e.error) == "usage");
    CHECK(contains(e.error->message(), "typed against another rule set"));
    // A hand-built record with the wrong number of facts is refused the same way.
    Enterprise bare;
    bare.id = "B";
    const auto batch = subsidy::evaluate_batch(small, {bare, typed}, {}, 2);
    CHECK_FALSE(batch[0].ok());
    CHECK(batch[1].ok());
  }

  TEST_CASE("unknown fact, with a suggestion") {
    const RuleSet rules = load({});
    const Error e = thrown([&] { (void)firm(rules, "sector: 制造\nrevenu: 6万\n"); });
    CHECK(kind_of(e) == "fact");
    CHECK(contains(e.message(), "'revenu'"));
    CHECK(contains(e.message(), "did you mean 'revenue'?"));
    CHECK(e.mark().file == "facts.yaml");
    CHECK(e.mark().line == 3);
    CHECK(e.mark().field == "revenu");
  }

  TEST_CASE("wrong enumeration value, negative money, fractional count") {
    const RuleSet rules = load({});
    const Error a = thrown([&] { (void)firm(rules, "sector: 农业\n"); });
    CHECK(kind_of(a) == "fact");
    CHECK(contains(a.message(), "one of 制造, 服务"));
    CHECK(contains(a.message(), "农业"));
    CHECK(a.mark().line == 2);
    CHECK(a.mark().column == 9);
    CHECK(a.mark().field == "sector");
    const Error b = thrown([&] { (void)firm(rules, "sector: 制造\nrevenue: -5\n"); });
    CHECK(kind_of(b) == "fact");
    CHECK(contains(b.message(), "at least 0"));
    CHECK(b.mark().line == 3);
    CHECK(b.mark().field == "revenue");
    const Error c = thrown([&] { (void)firm(rules, "sector: 制造\nstaff: 2.5\n"); });
    CHECK(contains(c.message(), "whole number"));
    const Error d = thrown([&] { (void)firm(rules, "sector: 制造\nrevenue: 45%\n"); });
    CHECK(contains(d.message(), "money"));
    const Error f =
        thrown([&] { (void)firm(rules, "sector: 制造\nproducts: [{kind: 大, weight: 1}]\n"); });
    CHECK(kind_of(f) == "fact");
    CHECK(contains(f.message(), "'weight'"));
  }

  TEST_CASE("a missing required fact, a missing id, a duplicated enterprise") {
    const RuleSet rules = load({});
    const Error a = thrown([&] { (void)firm(rules, "revenue: 6万\n"); });
    CHECK(kind_of(a) == "fact");
    CHECK(contains(a.message(), "required fact 'sector'"));
    CHECK(a.mark().field == "sector");
    const Error b =
        thrown([&] { (void)subsidy::parse_enterprises(rules, "f.yaml", "sector: 制造\n"); });
    CHECK(kind_of(b) == "fact");
    CHECK(contains(b.message(), "'id'"));
    const Error c = thrown([&] {
      (void)subsidy::parse_enterprises(
          rules, "f.yaml", "enterprises:\n  - {id: A, sector: 制造}\n  - {id: A, sector: 服务}\n");
    });
    CHECK(kind_of(c) == "fact");
    CHECK(c.mark().line == 3);
  }

  TEST_CASE("CSV: exponent notation located by row and field") {
    const RuleSet rules = load({});
    const Error e = thrown([&] {
      (void)subsidy::parse_enterprises(rules, "f.csv",
                                       "id,revenue,sector\nA,100,制造\nB,1.23E+08,制造\n");
    });
    CHECK(kind_of(e) == "fact");
    CHECK(contains(e.message(), "1.23E+08"));
    CHECK(e.mark().file == "f.csv");
    CHECK(e.mark().line == 3);
    CHECK(e.mark().column == 3);
    CHECK(e.mark().field == "revenue");
    CHECK(contains(e.what(), "f.csv:3:3:[revenue]"));
  }

  TEST_CASE("CSV: a missing or an extra column") {
    const RuleSet rules = load({});
    const Error missing = thrown([&] {
      (void)subsidy::parse_enterprises(rules, "f.csv", "id,revenue,sector\nA,100,制造\nB,200\n");
    });
    CHECK(kind_of(missing) == "schema");
    CHECK(missing.mark().line == 3);
    CHECK(missing.mark().field == "sector");
    CHECK(contains(missing.message(), "missing"));
    const Error extra = thrown([&] {
      (void)subsidy::parse_enterprises(rules, "f.csv", "id,revenue,sector\nA,100,制造,x\n");
    });
    CHECK(kind_of(extra) == "schema");
    CHECK(extra.mark().line == 2);
    CHECK(extra.mark().field == "column 4");
    CHECK(contains(extra.message(), "extra"));
  }

  TEST_CASE("CSV: quoted commas, doubled quotes, empty cells, CRLF") {
    const RuleSet rules = load({R"y(policy_set:
  id: csv
  title: C
rules:
  - id: R1
    citation: {clause: 一, text: "按销售收入的3%奖励"}
    payer: 市财政
    award: {rate: 3%, base: "revenue"}
)y"});
    const auto firms = subsidy::parse_enterprises(rules, "f.csv",
                                                  "id,name,revenue,sector,staff\r\n"
                                                  "A,\"甲,乙有限公司\",\"1,234,567.89\",制造,\r\n"
                                                  "B,\"丙\"\"丁\"\"厂\",6万,服务,3\r\n");
    REQUIRE(firms.size() == 2);
    CHECK(firms[0].id == "A");
    CHECK(firms[0].name == "甲,乙有限公司");
    CHECK(firms[1].name == "丙\"丁\"厂");
    const auto slot = rules.fact_slot("staff");
    REQUIRE(slot.has_value());
    CHECK_FALSE(firms[0].facts[*slot].has_value());  // an empty cell is a missing fact
    REQUIRE(firms[1].facts[*slot].has_value());
    const Evaluation a = subsidy::evaluate(rules, firms[0], Scenario{});
    REQUIRE(a.ok());
    CHECK(str(line(a, "R1").amount) == "37037.04");  // 3% of 1,234,567.89 = 37037.0367
    const Evaluation b = subsidy::evaluate(rules, firms[1], Scenario{});
    CHECK(str(line(b, "R1").amount) == "1800.00");
  }
}
