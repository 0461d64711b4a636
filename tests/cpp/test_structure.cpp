// Rule shapes and probes: the compiled trees tools read (boundary cases, bound coverage), and the
// values a record gives the sides of each comparison. On the invented Testville rules.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "subsidy/subsidy.hpp"

using subsidy::Decimal;
using subsidy::RuleSet;
using subsidy::Scenario;

namespace {

RuleSet engine_rules() {
  return RuleSet::load({std::string(SUBSIDY_SOURCE_DIR) + "/tests/data/engine"});
}

std::vector<subsidy::Enterprise> records(const RuleSet& rules, const std::string& yaml) {
  return subsidy::parse_enterprises(rules, "<test>", yaml);
}

}  // namespace

TEST_CASE("a rule's condition comes as a tree with its bound valued") {
  const RuleSet rules = engine_rules();
  const subsidy::RuleShape shape = subsidy::rule_shape(rules, "policy-a/R3-rate", Scenario{});
  CHECK(shape.when_source == "present(revenue) and revenue 超过 1亿");
  REQUIRE(shape.when);
  CHECK(shape.when->op == "and");
  REQUIRE(shape.when->args.size() == 2);
  const subsidy::ExprShape& compare = shape.when->args[1];
  CHECK(compare.op == "compare");
  CHECK(compare.cmp == "gt");
  CHECK(compare.text == "超过");
  REQUIRE(compare.args.size() == 2);
  CHECK(compare.args[0].ref == "fact");
  CHECK(compare.args[0].qualified == "revenue");
  CHECK_FALSE(compare.args[0].value);
  REQUIRE(compare.args[1].value);
  CHECK(*compare.args[1].value == Decimal::parse("100000000"));
  CHECK(shape.nodes > compare.args[1].id);
  CHECK_THROWS_AS(subsidy::rule_shape(rules, "policy-a/no-such-rule", Scenario{}), subsidy::Error);
}

TEST_CASE("tier edges are valued; the graded value is probed") {
  const RuleSet rules = engine_rules();
  const subsidy::RuleShape shape = subsidy::rule_shape(rules, "policy-a/R5-tiers", Scenario{});
  CHECK(shape.award.kind == "tiers");
  REQUIRE(shape.award.levels.size() == 3);
  REQUIRE(shape.award.levels[0].lower);
  CHECK(*shape.award.levels[0].lower->value == Decimal::parse("30000"));
  REQUIRE(shape.award.a);
  const auto batch =
      records(rules, "enterprises:\n  - {id: e1, sector: 制造, investment: 49999.99}\n");
  const auto probed = subsidy::probe_rule(rules, "policy-a/R5-tiers", batch.at(0), Scenario{});
  bool graded = false;
  for (const auto& [node, value] : probed) {
    if (node == shape.award.a->id) graded = value == Decimal::parse("49999.99");
  }
  CHECK(graded);
}

TEST_CASE("a probe gives both sides of a comparison, and an and-chain's operands") {
  const RuleSet rules = engine_rules();
  const subsidy::RuleShape shape = subsidy::rule_shape(rules, "policy-a/R3-rate", Scenario{});
  const auto& compare = shape.when->args[1];
  const auto batch =
      records(rules, "enterprises:\n  - {id: e1, sector: 制造, revenue: 100000000.00}\n");
  const auto probed = subsidy::probe_rule(rules, "policy-a/R3-rate", batch.at(0), Scenario{});
  // The chain first (outcome 0: 1亿 is not above 1亿), then each operand's truth.
  REQUIRE(probed.size() >= 5);
  CHECK(probed[0] == std::make_pair(shape.when->id, Decimal(0)));
  CHECK(probed[1] == std::make_pair(shape.when->args[0].id, Decimal(1)));
  CHECK(probed[2] == std::make_pair(compare.id, Decimal(0)));
  const auto side = [&](std::size_t id) {
    return std::count_if(probed.begin(), probed.end(), [&](const auto& p) {
      return p.first == id && p.second == Decimal::parse("100000000");
    });
  };
  CHECK(side(compare.args[0].id) == 1);
  CHECK(side(compare.args[1].id) == 1);
  // A missing fact leaves its side out rather than guessing a value.
  const auto bare = records(rules, "enterprises:\n  - {id: e2, sector: 制造}\n");
  for (const auto& [node, value] :
       subsidy::probe_rule(rules, "policy-a/R3-rate", bare.at(0), Scenario{})) {
    CHECK(node != compare.args[0].id);
  }
}
