// Load the rule tables, evaluate one enterprise under one policy version, print its award lines.
#include <iostream>
#include <subsidy/subsidy.hpp>

int main(int argc, char** argv) {
  try {
    auto rules = subsidy::RuleSet::load({argc > 1 ? argv[1] : "rules"});
    auto firms = subsidy::parse_enterprises(
        rules, "inline",  // YAML, JSON, or a CSV file
        "{id: E1, industry: 机械装备制造, sales_revenue: 1.2亿,"
        " land_use_tax: 10万, income_tax_paid: 300万,"
        " income_tax_paid_last_year: 200万, mergers: [{merged_enterprises: 2}]}");
    subsidy::Scenario scenario;  // the machining survey's version of the policy, not the default
    scenario.choose["electromechanical-policy"] = "machining-survey";
    auto result = subsidy::evaluate(rules, firms.at(0), scenario);
    if (!result.ok()) throw *result.error;  // a missing fact is never taken as zero
    for (const auto& line : result.lines) {
      std::cout << line.qualified_rule() << "  " << line.info->citation.clause << "  "
                << to_string(line.status) << "  " << line.band.min.to_money_string();
      if (line.status == subsidy::LineStatus::band)
        std::cout << " – " << line.band.max.to_money_string();
      std::cout << '\n';
    }
    std::cout << "total (cash): " << result.totals.all.cash.min.to_money_string() << " – "
              << result.totals.all.cash.max.to_money_string() << '\n';
  } catch (const subsidy::Error& e) {  // file:line:col: error[kind]: message
    std::cerr << e.what() << '\n';
    return 1;
  }
}
