// Results own what they point to: an evaluation, an award line copied out of it, a finding and an
// audit finding keep their rule set alive after every RuleSet object is gone (run under ASan by
// scripts/sanitizers.sh, which would report a use after free). The figures are invented.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "subsidy/subsidy.hpp"

using subsidy::AwardLine;
using subsidy::Evaluation;
using subsidy::RuleSet;

namespace {

const char* const kRules = R"y(catalogue:
  id: own-common
  title: {zh: 共用定义, en: shared definitions}
payers:
  市财政: {en: City finance, level: city}
facts:
  staff: {type: count, label: {zh: 职工人数, en: staff}}
)y";

const char* const kPolicy = R"y(policy_set:
  id: own
  title: {zh: 所有权, en: Ownership}
rules:
  - id: prize
    title: {zh: 奖励, en: prize}
    citation: {clause: 一, text: "奖励37万元"}
    payer: 市财政
    award: {fixed: 37万}
  - id: big
    citation: {clause: 二, text: "职工超过100人的奖励1万元"}
    payer: 市财政
    when: "staff 超过 100"
    award: {fixed: 1万}
checks:
  - id: staff-check
    citation: {clause: 三, text: "职工人数不少于10人"}
    require: "staff 不少于 10"
    message: {zh: 职工人数不足, en: too few staff}
)y";

/// Evaluates one enterprise with a rule set that exists only inside this function.
Evaluation evaluate_with_a_rule_set_gone() {
  const RuleSet rules = RuleSet::load_texts({{"cat.yaml", kRules}, {"own.yaml", kPolicy}});
  const auto firms = subsidy::parse_enterprises(rules, "facts.yaml", "id: E\nstaff: 9\n");
  REQUIRE(firms.size() == 1);
  subsidy::Scenario traced;
  traced.trace = true;
  return subsidy::evaluate(rules, firms[0], traced);
}

}  // namespace

TEST_SUITE("ownership: results keep their rule set alive") {
  TEST_CASE("an evaluation outlives its rule set") {
    const Evaluation e = evaluate_with_a_rule_set_gone();
    REQUIRE(e.ok());
    REQUIRE(e.lines.size() == 1);
    REQUIRE(e.lines[0].info.get() != nullptr);
    CHECK(e.lines[0].info->qualified_id == "own/prize");
    CHECK(e.lines[0].info->citation.text == "奖励37万元");
    CHECK(e.lines[0].info->title.en == "prize");
    REQUIRE(e.passed_over.size() == 1);
    CHECK(e.passed_over[0].info->citation.clause == "二");
    REQUIRE(e.findings.size() == 1);
    REQUIRE(e.findings[0].citation.get() != nullptr);
    CHECK(e.findings[0].citation->text == "职工人数不少于10人");
    // The canonical JSON reads the rules through the lines.
    const std::string json = subsidy::to_json(e, true);
    CHECK(json.find("奖励37万元") != std::string::npos);
  }

  TEST_CASE("an award line copied out of its evaluation outlives both") {
    std::optional<AwardLine> line;
    {
      const Evaluation e = evaluate_with_a_rule_set_gone();
      REQUIRE(e.lines.size() == 1);
      line = e.lines[0];
    }
    REQUIRE(line->info.get() != nullptr);
    CHECK(line->info->payer == "市财政");
    CHECK(line->info->citation.clause == "一");
    CHECK(line->amount.to_string() == "370000.00");
    CHECK(subsidy::line_totals({*line}).by_payer.at("市财政").cash.max.to_string() == "370000.00");
  }

  TEST_CASE("an audit report outlives its rule set") {
    std::optional<subsidy::AuditReport> report;
    {
      const RuleSet rules = RuleSet::load_texts({{"cat.yaml", kRules}, {"own.yaml", kPolicy}});
      const auto firms =
          subsidy::parse_enterprises(rules, "facts.yaml", "id: E\nyear: 2024\nstaff: 9\n");
      const auto ledger = subsidy::parse_ledger(
          "ledger.csv",
          "enterprise,policy_set,rule,year,amount,payer\nE,own,prize,2024,400000,市财政\n");
      report = subsidy::audit(rules, firms, ledger, {});
    }
    REQUIRE(report->findings.size() == 1);
    CHECK(report->findings[0].kind == subsidy::FindingKind::over_grant);
    REQUIRE(report->findings[0].info.get() != nullptr);
    CHECK(report->findings[0].info->citation.text == "奖励37万元");
    CHECK(subsidy::to_markdown(*report).find("奖励37万元") != std::string::npos);
  }
}
