// The expression language, parsed, checked and evaluated through the engine: tiny rule sets whose
// rules carry `when:` conditions or `formula:` awards, evaluated on invented enterprises.
// Every boundary word is tried at its bound, one 分 below and one 分 above.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "expression.hpp"  // private: parse_expression, for syntax errors without a rule file
#include "subsidy/subsidy.hpp"

using subsidy::Error;
using subsidy::ErrorList;
using subsidy::Evaluation;
using subsidy::RuleSet;
using subsidy::Scenario;

namespace {

const char* const kCatalogue = R"y(catalogue:
  id: tv-expr
  title: {zh: 测试市表达式, en: Testville expressions}
payers:
  市财政: {en: City finance, level: city}
options:
  reading:
    question: {zh: 是否从宽, en: "Broad reading?"}
    choices:
      wide: {en: wide}
      narrow: {en: narrow}
    default: wide
facts:
  x: {type: money}
  n: {type: count}
  r: {type: rate}
  sector: {type: enum, values: [制造, 服务, 其他]}
  flag: {type: boolean}
  other: {type: boolean}
  area: {type: measure, unit: 平方米}
  items:
    type: list
    default: []
    fields:
      kind: {type: enum, values: [大, 小]}
      price: {type: money}
)y";

const char* const kHeader = R"y(policy_set:
  id: ex
  title: {zh: 表达式, en: Expressions}
parameters:
  floor: {unit: money, value: 6万}
rules:
)y";

/// A rule with a condition and/or a formula, in YAML (the texts are double-quoted).
std::string rule(const std::string& id, const std::string& when, const std::string& formula = "1") {
  std::string out =
      "  - id: " + id + "\n    citation: {clause: 一, text: \"测试条款\"}\n    payer: 市财政\n";
  if (!when.empty()) out += "    when: \"" + when + "\"\n";
  out += "    award: {formula: \"" + formula + "\"}\n";
  return out;
}

RuleSet load(const std::string& rules) {
  return RuleSet::load_texts({{"cat.yaml", kCatalogue}, {"ex.yaml", kHeader + rules}});
}

/// One rule per condition, ids c0, c1, ...
RuleSet conditions(const std::vector<std::string>& whens) {
  std::string rules;
  for (std::size_t i = 0; i < whens.size(); ++i) rules += rule("c" + std::to_string(i), whens[i]);
  return load(rules);
}

Evaluation run(const RuleSet& rules, const std::string& facts, const Scenario& scenario = {}) {
  const auto firms = subsidy::parse_enterprises(rules, "facts.yaml", "id: E\n" + facts);
  REQUIRE(firms.size() == 1);
  Evaluation e = subsidy::evaluate(rules, firms[0], scenario);
  INFO("evaluation error: " << (e.error ? e.error->what() : "none"));
  REQUIRE(e.ok());
  return e;
}

/// Ids of the rules whose condition held.
std::set<std::string> fired(const RuleSet& rules, const std::string& facts,
                            const Scenario& scenario = {}) {
  std::set<std::string> out;
  for (const auto& line : run(rules, facts, scenario).lines) out.insert(line.rule);
  return out;
}

/// The amount of a single formula rule (rounded to the 分, as every line is).
std::string formula(const std::string& expr, const std::string& facts = "") {
  const RuleSet rules = load(rule("f", "", expr));
  const Evaluation e = run(rules, facts);
  REQUIRE(e.lines.size() == 1);
  return e.lines[0].amount.to_string();
}

/// The error a rule set with this condition fails to load with.
Error when_error(const std::string& when) {
  try {
    (void)conditions({when});
  } catch (const ErrorList& list) {
    REQUIRE(list.errors().size() == 1);
    return list.errors()[0];
  }
  FAIL("'" << when << "' should not load");
  return Error(subsidy::ErrorKind::usage, "unreachable");
}

Error formula_error(const std::string& expr) {
  try {
    (void)load(rule("f", "", expr));
  } catch (const ErrorList& list) {
    REQUIRE(list.errors().size() == 1);
    return list.errors()[0];
  }
  FAIL("'" << expr << "' should not load");
  return Error(subsidy::ErrorKind::usage, "unreachable");
}

/// Parses without a rule set; the mark starts at column 1, so columns are 1-based offsets.
Error parse_error(const std::string& text) {
  try {
    (void)subsidy::detail::parse_expression(text, subsidy::Mark{"e", 1, 1, {}});
  } catch (const Error& e) {
    return e;
  }
  FAIL("'" << text << "' should not parse");
  return Error(subsidy::ErrorKind::usage, "unreachable");
}

std::string kind_of(const Error& e) { return subsidy::to_string(e.kind()); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

struct Boundary {
  const char* when;
  bool below;  // one 分 below the bound
  bool at;
  bool above;  // one 分 above
};

}  // namespace

TEST_SUITE("expression: boundary words (PRC Civil Code Art. 1259)") {
  TEST_CASE("every word at its bound, one 分 below and one 分 above") {
    // The bound is written in several equivalent ways: 6万, 60000, 6万元, 60000.00, a parameter.
    const std::vector<Boundary> cases = {
        {"x 以上 6万", false, true, true},       {"x 在 6万 以上", false, true, true},
        {"x 在 floor 以上", false, true, true},  {"x 以下 6万", true, true, false},
        {"x 在 60000 以下", true, true, false},  {"x 以内 6万元", true, true, false},
        {"x 在 6万 以内", true, true, false},    {"x 超过 6万", false, false, true},
        {"x 超过 floor", false, false, true},    {"x 不满 6万", true, false, false},
        {"x 不满 60000.00", true, false, false}, {"x 不低于 6万", false, true, true},
        {"x 不少于 6万", false, true, true},     {"x 低于 6万", true, false, false},
        {"x 少于 6万", true, false, false},      {"x >= 6万", false, true, true},
        {"x > 6万", false, false, true},         {"x <= 6万", true, true, false},
        {"x < 6万", true, false, false},         {"x at_least 6万", false, true, true},
        {"x more_than 6万", false, false, true}, {"x at_most 6万", true, true, false},
        {"x less_than 6万", true, false, false}, {"x == 6万", false, true, false},
        {"x != 6万", true, false, true},         {"6万 以下 x", false, true, true},
        {"6万 不满 x", false, false, true},
    };
    std::vector<std::string> whens;
    for (const auto& c : cases) whens.push_back(c.when);
    const RuleSet rules = conditions(whens);
    const auto below = fired(rules, "x: 59999.99\n");
    const auto at = fired(rules, "x: 6万\n");
    const auto above = fired(rules, "x: 60000.01\n");
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const std::string id = "c" + std::to_string(i);
      INFO(cases[i].when);
      CHECK(below.count(id) == (cases[i].below ? 1u : 0u));
      CHECK(at.count(id) == (cases[i].at ? 1u : 0u));
      CHECK(above.count(id) == (cases[i].above ? 1u : 0u));
    }
  }

  TEST_CASE("boundary words on counts and rates") {
    const std::vector<Boundary> counts = {
        {"n 不少于 1000", false, true, true},
        {"n 少于 1000", true, false, false},
        {"n 超过 1000", false, false, true},
        {"n 在 1000 以内", true, true, false},
    };
    std::vector<std::string> whens;
    for (const auto& c : counts) whens.push_back(c.when);
    // Rates: 23% with a step of 0.01%.
    const std::vector<Boundary> rates = {
        {"r 在 23% 以内", true, true, false},
        {"r 超过 百分之二十三", false, false, true},
        {"r 不低于 0.23", false, true, true},
    };
    for (const auto& c : rates) whens.push_back(c.when);
    const RuleSet rules = conditions(whens);
    const auto below = fired(rules, "n: 999\nr: 22.99%\n");
    const auto at = fired(rules, "n: 1000\nr: 23%\n");
    const auto above = fired(rules, "n: 1001\nr: 23.01%\n");
    std::vector<Boundary> all = counts;
    all.insert(all.end(), rates.begin(), rates.end());
    for (std::size_t i = 0; i < all.size(); ++i) {
      const std::string id = "c" + std::to_string(i);
      INFO(all[i].when);
      CHECK(below.count(id) == (all[i].below ? 1u : 0u));
      CHECK(at.count(id) == (all[i].at ? 1u : 0u));
      CHECK(above.count(id) == (all[i].above ? 1u : 0u));
    }
  }

  TEST_CASE("a bound computed from facts (23% of x) compares exactly") {
    const RuleSet rules = conditions({"n * 1元 在 23% * x 以内"});
    // 23% of 1000.01 is 230.0023: 230 is inside, 231 is not.
    CHECK(fired(rules, "x: 1000.01\nn: 230\n").count("c0") == 1);
    CHECK(fired(rules, "x: 1000.01\nn: 231\n").count("c0") == 0);
    // 23% of 1000 is exactly 230: 以内 includes it.
    CHECK(fired(rules, "x: 1000\nn: 230\n").count("c0") == 1);
  }
}

TEST_SUITE("expression: operators and functions") {
  TEST_CASE("and / or / not and 且 / 或 / 非 on every combination") {
    const RuleSet rules = conditions({"flag and other", "flag 且 other", "flag or other",
                                      "flag 或 other", "not flag", "非 flag"});
    struct Row {
      const char* facts;
      bool conj, disj, neg;
    };
    const Row rows[] = {
        {"flag: true\nother: true\n", true, true, false},
        {"flag: true\nother: false\n", false, true, false},
        {"flag: false\nother: true\n", false, true, true},
        {"flag: false\nother: false\n", false, false, true},
    };
    for (const auto& row : rows) {
      INFO(row.facts);
      const auto f = fired(rules, row.facts);
      CHECK(f.count("c0") == (row.conj ? 1u : 0u));
      CHECK(f.count("c1") == (row.conj ? 1u : 0u));
      CHECK(f.count("c2") == (row.disj ? 1u : 0u));
      CHECK(f.count("c3") == (row.disj ? 1u : 0u));
      CHECK(f.count("c4") == (row.neg ? 1u : 0u));
      CHECK(f.count("c5") == (row.neg ? 1u : 0u));
    }
  }

  TEST_CASE("precedence of logic: not > and > or, parentheses override") {
    const RuleSet rules = conditions({
        "not flag and other",         // (not flag) and other
        "flag or other and false",    // flag or (other and false)
        "(flag or other) and false",  // false
        "非 flag 且 other 或 flag",   // ((非 flag) 且 other) 或 flag
        "not (flag and other)",
        "x + 1.1万 > 2.2万 * 3",         // arithmetic binds tighter than comparison
        "x 超过 1.1万 and x 不满 12万",  // comparison binds tighter than and
    });
    const auto a = fired(rules, "flag: false\nother: true\nx: 6万\n");
    CHECK(a.count("c0") == 1);
    CHECK(a.count("c1") == 0);
    CHECK(a.count("c2") == 0);
    CHECK(a.count("c3") == 1);
    CHECK(a.count("c4") == 1);
    CHECK(a.count("c5") == 1);  // 7.1万 > 6.6万
    CHECK(a.count("c6") == 1);
    const auto b = fired(rules, "flag: true\nother: false\nx: 5.5万\n");
    CHECK(b.count("c0") == 0);
    CHECK(b.count("c1") == 1);
    CHECK(b.count("c2") == 0);
    CHECK(b.count("c3") == 1);
    CHECK(b.count("c4") == 1);
    CHECK(b.count("c5") == 0);  // 6.6万 > 6.6万 is false
    CHECK(b.count("c6") == 1);
    const auto c = fired(rules, "flag: true\nother: true\nx: 12万\n");
    CHECK(c.count("c4") == 0);
    CHECK(c.count("c6") == 0);  // 不满 12万 excludes 12万
  }

  TEST_CASE("precedence of arithmetic") {
    CHECK(formula("1.1万 + 2.2万 * 3") == "77000.00");
    CHECK(formula("(1.1万 + 2.2万) * 3") == "99000.00");
    CHECK(formula("12万 - 2.2万 - 3.3万") == "65000.00");  // left to right
    CHECK(formula("12万 - (2.2万 - 3.3万)") == "131000.00");
    CHECK(formula("-1.1万 + 3.3万") == "22000.00");
    CHECK(formula("- -7") == "7.00");
    CHECK(formula("2 × 3.3万") == "66000.00");
    CHECK(formula("1 + 2 × 3") == "7.00");
    CHECK(formula("x * 60% + 1", "x: 3\n") == "2.80");
    CHECK(formula("百分之十二点五 × x + n * 1.1万元 - 2 * 3", "x: 12万\nn: 2\n") == "36994.00");
  }

  TEST_CASE("min, max and if") {
    CHECK(formula("min(x, 3.3万, 4.4万)", "x: 12万\n") == "33000.00");
    CHECK(formula("min(x, 3.3万, 4.4万)", "x: 2.2万\n") == "22000.00");
    CHECK(formula("max(0, x - 1.5亿)", "x: 12万\n") == "0.00");
    CHECK(formula("max(0, x - 1.5亿)", "x: 1.7亿\n") == "20000000.00");
    CHECK(formula("max(1, 2, 3, 2)") == "3.00");
    CHECK(formula("if(flag, 2.2万, 1.1万)", "flag: true\n") == "22000.00");
    CHECK(formula("if(flag, 2.2万, 1.1万)", "flag: false\n") == "11000.00");
    CHECK(formula("if(x 超过 6万, 80% * x, 60% * x)", "x: 6万\n") == "36000.00");
    CHECK(formula("if(x 超过 6万, 80% * x, 60% * x)", "x: 60000.01\n") == "48000.01");  // 48000.008
  }

  TEST_CASE("round(x, quantum[, mode]) rounds where a rule says so") {
    CHECK(formula("round(x, 1)", "x: 2.5\n") == "3.00");
    CHECK(formula("round(x, 1, 'half_even')", "x: 2.5\n") == "2.00");
    CHECK(formula("round(x, 1, 'half_even')", "x: 3.5\n") == "4.00");
    CHECK(formula("round(x, 1, '截尾')", "x: 2.99\n") == "2.00");
    CHECK(formula("round(x, 100)", "x: 149.99\n") == "100.00");
    CHECK(formula("round(x, 100)", "x: 150\n") == "200.00");
    // Rounding each half before adding differs from the line's one rounding at the end.
    CHECK(formula("round(50% * x, 0.01) + round(50% * x, 0.01)", "x: 0.01\n") == "0.02");
    CHECK(formula("50% * x + 50% * x", "x: 0.01\n") == "0.01");
    // round() keeps its argument's unit.
    CHECK(contains(formula_error("round(45%, 0.01)").message(), "found a rate"));
  }

  TEST_CASE("round(): a power of ten, a quoted known mode, two or three arguments") {
    const Error a = formula_error("round(x, 0.05)");
    CHECK(kind_of(a) == "parse");
    CHECK(contains(a.message(), "power of ten"));
    // `    award: {formula: "round(x, 0.05)"}`: the text starts at column 23; 0.05 is 9 further.
    CHECK(a.mark().line == 10);
    CHECK(a.mark().column == 32);
    CHECK(kind_of(formula_error("round(x, n)")) == "parse");
    CHECK(kind_of(formula_error("round(x)")) == "parse");
    CHECK(kind_of(formula_error("round(x, 1, 'half_up', 1)")) == "parse");
    const Error b = formula_error("round(x, 1, 'nearest')");
    CHECK(kind_of(b) == "parse");
    CHECK(contains(b.message(), "nearest"));
    CHECK(kind_of(formula_error("round(x, 1, option(reading))")) == "parse");
    CHECK(kind_of(when_error("round(flag, 1) > 0")) == "unit");
  }

  TEST_CASE("sum, count, any, all over list records") {
    const std::string items =
        "items: [{kind: 大, price: 2.2万}, {kind: 小, price: 5}, {kind: 大, price: 0.5}]\n";
    CHECK(formula("sum(items, price)", items) == "22005.50");
    CHECK(formula("sum(items, price, kind == '大')", items) == "22000.50");
    CHECK(formula("sum(items, price, kind == '小' and price 超过 5)", items) == "0.00");
    CHECK(formula("count(items) * 1元", items) == "3.00");
    CHECK(formula("count(items, kind == '大') * 1元", items) == "2.00");
    CHECK(formula("if(any(items, price 超过 1.1万), 100, 0)", items) == "100.00");
    CHECK(formula("if(any(items, price 超过 2.2万), 100, 0)", items) == "0.00");
    CHECK(formula("if(all(items, price > 0), 100, 0)", items) == "100.00");
    CHECK(formula("if(all(items, kind == '大'), 100, 0)", items) == "0.00");
    // The default [] of a list fact: nothing to add, nothing to count, all() of nothing holds.
    CHECK(formula("sum(items, price) + count(items) * 1元") == "0.00");
    CHECK(formula("if(any(items, price > 0), 100, 0) + if(all(items, price > 0), 1, 0)") == "1.00");
  }

  TEST_CASE("present, in, not in") {
    const RuleSet rules =
        conditions({"present(x)", "not present(x)", "sector in ['制造', '服务']",
                    "sector not in ['制造']", "sector == '其他'", "sector != '其他'"});
    const auto a = fired(rules, "x: 0\nsector: 制造\n");
    CHECK(a == std::set<std::string>{"c0", "c2", "c5"});
    const auto b = fired(rules, "sector: 服务\n");
    CHECK(b == std::set<std::string>{"c1", "c2", "c3", "c5"});
    const auto c = fired(rules, "sector: 其他\n");
    CHECK(c == std::set<std::string>{"c1", "c3", "c4"});
  }

  TEST_CASE("option(name) reads the chosen reading") {
    const RuleSet rules = conditions(
        {"option(reading) == 'wide'", "option(reading) == 'narrow'", "option(reading) != 'wide'"});
    CHECK(fired(rules, "") == std::set<std::string>{"c0"});  // the default
    Scenario narrow;
    narrow.options["reading"] = "narrow";
    CHECK(fired(rules, "", narrow) == std::set<std::string>{"c1", "c2"});
  }

  TEST_CASE("year of the record is a name") {
    const RuleSet rules = conditions({"year 以上 2023", "year - 2020 超过 2"});
    CHECK(fired(rules, "year: 2022\n").empty());
    CHECK(fired(rules, "year: 2023\n") == std::set<std::string>{"c0", "c1"});
  }
}

TEST_SUITE("expression: units") {
  TEST_CASE("literals: 万, 亿, 千, 元, %, 百分之 and bare numbers taking their partner's unit") {
    CHECK(formula("37万") == "370000.00");
    CHECK(formula("1.2亿") == "120000000.00");
    CHECK(formula("6千") == "6000.00");
    CHECK(formula("130万元") == "1300000.00");
    CHECK(formula("200元") == "200.00");
    CHECK(formula("0.01") == "0.01");
    CHECK(formula("1000") == "1000.00");  // a bare number is money where money is due
    CHECK(formula("百分之三 * 1.1万元") == "330.00");
    CHECK(formula("60% * 60% * x", "x: 100\n") == "36.00");  // rate × rate × money
    CHECK(formula("n * 1.1万元", "n: 3\n") == "33000.00");   // count × money
    CHECK(formula("x + 1000", "x: 0.5\n") == "1000.50");     // bare + money
    const RuleSet rules = conditions({"x 超过 60000", "area 在 60 以上", "n 超过 2"});
    CHECK(fired(rules, "x: 60000.01\narea: 60平方米\nn: 3\n") ==
          std::set<std::string>{"c0", "c1", "c2"});
    CHECK(fired(rules, "x: 60000\narea: 59.99平方米\nn: 2\n").empty());
  }

  TEST_CASE("unit errors: money with rates, counts with money, measures with money") {
    struct Bad {
      const char* when;
      const char* found;
    };
    const Bad bad[] = {
        {"x 超过 6%", "money (元) with a rate"},
        {"n 超过 6万元", "a count with money (元)"},
        {"x + 6% > 0", "money (元) with a rate"},
        {"r 超过 1.1万元", "a rate with money (元)"},
        {"area > x", "a measure in 平方米 with money (元)"},
        {"x * x > 0", "money (元) × money (元)"},
        {"x == 'a'", ""},
        {"sector > 1", ""},
        {"x", "money (元)"},
        {"flag + 1 > 0", ""},
    };
    for (const auto& b : bad) {
      INFO(b.when);
      const Error e = when_error(b.when);
      INFO(e.what());
      CHECK(kind_of(e) == "unit");
      CHECK(e.mark().file == "ex.yaml");
      CHECK(contains(e.message(), b.found));
    }
    // A formula must be money.
    const Error e = formula_error("45%");
    CHECK(kind_of(e) == "unit");
    CHECK(contains(e.message(), "expected money (元), found a rate"));
    // 万 scales, 元 makes money: a bare 1.1万 takes the unit of its partner, here a rate or a
    // count.
    CHECK(contains(formula_error("百分之三 * 1.1万").message(), "found a rate"));
    CHECK(contains(formula_error("n * 1.1万").message(), "found a count"));
  }

  TEST_CASE("name errors: unknown names, enumeration values, list functions on non-lists") {
    const Error a = when_error("revenue 超过 6万");
    CHECK(kind_of(a) == "name");
    CHECK(contains(a.message(), "'revenue'"));
    const Error b = when_error("sector == '农业'");
    CHECK(kind_of(b) == "name");
    CHECK(contains(b.message(), "制造, 服务, 其他"));
    const Error c = when_error("sector in ['制造', '农业']");
    CHECK(kind_of(c) == "name");
    CHECK(contains(c.message(), "'农业'"));
    const Error d = when_error("count(x) > 1");
    CHECK(kind_of(d) == "name");
    const Error e = when_error("any(items, colour == '红')");
    CHECK(kind_of(e) == "name");
    CHECK(contains(e.message(), "'colour'"));
    const Error f = when_error("present(floor)");
    CHECK(kind_of(f) == "name");
  }
}

TEST_SUITE("expression: syntax errors") {
  TEST_CASE("parse errors name the column, what was expected and what was found") {
    struct Bad {
      const char* text;
      int column;
      const char* expected;
      const char* found;
    };
    const Bad bad[] = {
        {"revenue 超过", 11, "a number, a name, a quoted value or '('",
         "the end of the expression"},
        {"a +* b", 4, "a number, a name, a quoted value or '('", "'*'"},
        {"(x > 1", 7, "')'", "the end of the expression"},
        {"x 在 6万 超过", 8, "以上, 以下 or 以内 after 在", "'超过'"},
        {"x > 1 1", 7, "an operator or the end of the expression", "'1'"},
        {"min(x,)", 7, "a number, a name", "')'"},
        {"x # 1", 3, "a name, a number, a quoted value, an operator or a comparison word", "'#'"},
        {"x == 'a", 6, "a closing '", "the end of the expression"},
        {"x > 1e5", 6, "an operator or a space after a number", "'e'"},
        {"x in ['a' 'b']", 11, "','", "'b'"},
        {"present(1)", 9, "a name", "'1'"},
    };
    for (const auto& b : bad) {
      INFO(b.text);
      const Error e = parse_error(b.text);
      INFO(e.what());
      CHECK(kind_of(e) == "parse");
      CHECK(e.mark().file == "e");
      CHECK(e.mark().line == 1);
      CHECK(e.mark().column == b.column);
      CHECK(contains(e.message(), std::string("expected ") + b.expected));
      CHECK(contains(e.message(), std::string("found ") + b.found));
    }
  }

  TEST_CASE("parse errors inside a rule file are located in the file") {
    // `    when: "x 超过"`: the quote is column 11, the text starts at column 12.
    const Error e = when_error("x 超过");
    CHECK(kind_of(e) == "parse");
    CHECK(e.mark().file == "ex.yaml");
    CHECK(e.mark().line == 10);
    CHECK(e.mark().column == 16);
    CHECK(contains(e.message(), "found the end of the expression"));
    const Error f = when_error("x +* 1");
    CHECK(f.mark().line == 10);
    CHECK(f.mark().column == 15);
    CHECK(contains(f.message(), "found '*'"));
  }

  TEST_CASE("wrong numbers of arguments") {
    CHECK(contains(formula_error("max(x)").message(), "at least two arguments"));
    CHECK(contains(formula_error("if(flag, 1)").message(), "3 arguments"));
    CHECK(
        contains(when_error("count(items, kind == '大', true) > 0").message(), "1 to 2 arguments"));
    CHECK(kind_of(formula_error("max(x)")) == "parse");
  }

  TEST_CASE("nesting deeper than the documented limit is a limit error, not a crash") {
    std::string deep = std::string(100, '(') + "x" + std::string(100, ')');
    const Error e = parse_error(deep);
    CHECK(kind_of(e) == "limit");
  }
}
