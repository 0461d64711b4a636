// Load the rule tables, evaluate one enterprise under one policy version, print its award lines.
#include <iostream>
#include <subsidy/subsidy.hpp>

int main(int argc, char** argv) {
  try {
    auto rules = subsidy::RuleSet::load({argc > 1 ? argv[1] : "rules"});
    auto firms = subsidy::parse_enterprises(  // one record as YAML (a file: load_enterprises)
        rules, "E1",
        "{id: E1, industry: 机械装备制造, sales_revenue: 1.2亿, land_use_tax: 10万,"
        " income_tax_paid: 300万, income_tax_paid_last_year: 200万,"
        " mergers: [{merged_enterprises: 2}]}");
    subsidy::Scenario scenario;  // the machining survey's version of the policy, not the default
    scenario.choose["electromechanical-policy"] = "machining-survey";
    auto result = subsidy::evaluate(rules, firms.at(0), scenario);
    if (!result.ok()) throw *result.error;  // a missing fact is never taken as zero
    for (const auto& line : result.lines)   // a band's point is a decision: print both ends
      std::cout << line.qualified_rule() << "  " << line.info->citation.clause << "  "
                << to_string(line.status) << "  " << line.band.min.to_money_string()
                << (line.band.max != line.band.min ? " – " + line.band.max.to_money_string() : "")
                << '\n';
    std::cout << "total (cash): " << result.totals.all.cash.min.to_money_string() << " – "
              << result.totals.all.cash.max.to_money_string() << '\n';
  } catch (const subsidy::Error& e) {  // file:line:col: error[kind]: message
    std::cerr << e.what() << '\n';
    return 1;
  }
}
