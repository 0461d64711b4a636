// Loading rule files: every class of load error, located by file, line and column, and what a
// clean load reports (summary, fingerprint). The rule sets are small inline texts for an invented
// city ("Testville"); none of the figures is a real policy's.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "subsidy/subsidy.hpp"

using subsidy::Error;
using subsidy::ErrorKind;
using subsidy::ErrorList;
using subsidy::RuleSet;

namespace {

using Sources = std::vector<std::pair<std::string, std::string>>;

// Shared definitions: two payers, an option and a few facts.
const char* const kCatalogue = R"y(catalogue:
  id: tv-common
  title: {zh: 测试市共用定义, en: Testville shared definitions}
payers:
  市财政: {en: City finance, level: city}
  区财政: {en: District finance, level: other}
options:
  reading:
    question: {zh: 是否含底数, en: "Is the base included?"}
    choices:
      wide: {en: base included}
      narrow: {en: base excluded}
    default: wide
facts:
  revenue: {type: money, label: {zh: 销售收入, en: revenue}}
  staff: {type: count}
  share: {type: rate}
  sector: {type: enum, values: [制造, 服务], required: true}
)y";

/// The errors a load reports (empty when it loads).
std::vector<Error> errors_of(const Sources& sources) {
  try {
    (void)RuleSet::load_texts(sources);
  } catch (const ErrorList& list) {
    return list.errors();
  } catch (const Error& e) {
    FAIL_CHECK("a load error should come as an ErrorList, got: " << e.what());
    return {e};
  }
  return {};
}

/// Errors of a policy set file "p.yaml" loaded beside the catalogue "cat.yaml".
std::vector<Error> policy_errors(const std::string& policy) {
  return errors_of({{"cat.yaml", kCatalogue}, {"p.yaml", policy}});
}

std::string kind_of(const Error& e) { return subsidy::to_string(e.kind()); }

/// Every error, one a line, for failure messages.
std::string listing(const std::vector<Error>& errors) {
  std::string out = std::to_string(errors.size()) + " error(s)";
  for (const auto& e : errors) out += std::string("\n  ") + e.what();
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

// Checks one error's kind and exact location; the message is shown when a check fails.
#define CHECK_ERROR_AT(error_, kind_, file_, line_, column_) \
  do {                                                       \
    const Error& e_ = (error_);                              \
    INFO("error: " << e_.what());                            \
    CHECK(kind_of(e_) == std::string(kind_));                \
    CHECK(e_.mark().file == std::string(file_));             \
    CHECK(e_.mark().line == (line_));                        \
    CHECK(e_.mark().column == (column_));                    \
  } while (false)

// Requires exactly one error and binds it.
#define REQUIRE_ONE_ERROR(errors_)  \
  do {                              \
    INFO(listing(errors_));         \
    REQUIRE((errors_).size() == 1); \
  } while (false)

TEST_SUITE("rules: load errors") {
  TEST_CASE("the catalogue used by these tests loads with an empty policy set") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
)y");
    INFO(listing(errors));
    CHECK(errors.empty());
  }

  TEST_CASE("YAML syntax error: kind yaml, where the parser noticed it") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: [unclosed
rules: []
)y");
    REQUIRE_ONE_ERROR(errors);
    // The flow sequence opened on line 3 is still open when line 4 begins.
    CHECK_ERROR_AT(errors[0], "yaml", "p.yaml", 4, 6);
  }

  TEST_CASE("duplicate keys are errors at the second key") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - id: R1
    citation: {clause: 一, text: "奖励一点一万元"}
    payer: 市财政
    payer: 区财政
    award: {fixed: 1.1万}
)y");
    REQUIRE_ONE_ERROR(errors);
    CHECK_ERROR_AT(errors[0], "schema", "p.yaml", 8, 5);
    CHECK(contains(errors[0].message(), "duplicate key 'payer'"));
  }

  TEST_CASE("an unknown group is reported and the rest of the set is still checked") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
  group: no-such-group
rules:
  - id: R1
    citation: {clause: 一, text: "奖励一点一万元"}
    payer: 市财政
    when: "no_such_fact 超过 1"
    award: {fixed: 1.1万}
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 2);
    CHECK_ERROR_AT(errors[0], "name", "p.yaml", 4, 10);
    CHECK(contains(errors[0].message(), "group 'no-such-group' is not declared"));
    // The rule's condition is compiled (and its unknown name found) although the group was not.
    CHECK(errors[1].mark().line == 9);
    CHECK(contains(errors[1].message(), "no_such_fact"));
  }

  TEST_CASE("'base' beside an award form other than 'rate' is refused, not ignored") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - id: R1
    citation: {clause: 一, text: "奖励一点一万元"}
    payer: 市财政
    award: {fixed: 1.1万, base: 2万}
)y");
    REQUIRE_ONE_ERROR(errors);
    CHECK_ERROR_AT(errors[0], "schema", "p.yaml", 8, 32);  // at the value of base
    CHECK(contains(errors[0].message(),
                   "expected 'base' only beside 'rate', found 'base' beside 'fixed'"));
  }

  TEST_CASE("unknown key: a typo is an error that suggests the right key") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - id: R1
    citation: {clause: 一, text: "奖励一点一万元"}
    paer: 市财政
    award: {fixed: 1.1万}
)y");
    REQUIRE_ONE_ERROR(errors);
    // Line of the key; the column is that of the key's value (see the report).
    CHECK_ERROR_AT(errors[0], "schema", "p.yaml", 7, 11);
    CHECK(contains(errors[0].message(), "unknown key 'paer'"));
    CHECK(contains(errors[0].message(), "did you mean 'payer'?"));
  }

  TEST_CASE("unknown key in the policy set header suggests the right key") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  titel: P
)y");
    REQUIRE_FALSE(errors.empty());
    CHECK_ERROR_AT(errors[0], "schema", "p.yaml", 3, 10);
    CHECK(contains(errors[0].message(), "did you mean 'title'?"));
  }

  TEST_CASE("wrong type: a list where text is expected") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - id: R1
    citation: {clause: 一, text: "奖励一点一万元"}
    payer: [市财政]
    award: {fixed: 1.1万}
)y");
    REQUIRE_ONE_ERROR(errors);
    CHECK_ERROR_AT(errors[0], "schema", "p.yaml", 7, 12);
    CHECK(contains(errors[0].message(), "found a list"));
  }

  TEST_CASE("exponent notation and NaN where a decimal is due are errors") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
parameters:
  big: {unit: money, value: 1e5}
  odd: {unit: money, value: .nan}
  inf: {unit: money, value: .inf}
  huge: {unit: money, value: 1.23E+08}
rules:
  - id: R1
    citation: {clause: 一, text: "奖励一点一万元"}
    payer: 市财政
    award: {fixed: 1e5}
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 5);
    CHECK_ERROR_AT(errors[0], "parse", "p.yaml", 5, 29);
    CHECK(contains(errors[0].message(), "\"1e5\""));
    CHECK(contains(errors[0].message(), "exponent"));
    CHECK_ERROR_AT(errors[1], "parse", "p.yaml", 6, 29);
    CHECK(contains(errors[1].message(), ".nan"));
    CHECK_ERROR_AT(errors[2], "parse", "p.yaml", 7, 29);
    CHECK(contains(errors[2].message(), ".inf"));
    CHECK_ERROR_AT(errors[3], "parse", "p.yaml", 8, 30);
    CHECK(contains(errors[3].message(), "1.23E+08"));
    // In an expression, "1e5" is a number followed by a stray letter, located at the letter.
    CHECK_ERROR_AT(errors[4], "parse", "p.yaml", 13, 21);
  }

  TEST_CASE("unit errors: money + rate, money compared with a count, money × money") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
derived:
  mixed:
    unit: money
    expr: "revenue + share"
  compared:
    unit: boolean
    expr: "revenue > staff"
rules:
  - id: R1
    citation: {clause: 一, text: "奖励一点一万元"}
    payer: 市财政
    when: "revenue 超过 staff"
    award: {fixed: 1.1万}
  - id: R2
    citation: {clause: 二, text: "奖励一点一万元"}
    payer: 市财政
    award: {formula: "revenue * revenue"}
  - id: R3
    citation: {clause: 三, text: "奖励一点一万元"}
    payer: 市财政
    award: {formula: "staff"}
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 5);
    // Located at the operator.
    CHECK_ERROR_AT(errors[0], "unit", "p.yaml", 7, 20);
    CHECK(contains(errors[0].message(), "money (元) with a rate"));
    CHECK_ERROR_AT(errors[1], "unit", "p.yaml", 10, 20);
    CHECK(contains(errors[1].message(), "money (元) with a count"));
    // Columns count characters: 超过 is two columns.
    CHECK_ERROR_AT(errors[2], "unit", "p.yaml", 15, 20);
    CHECK(contains(errors[2].message(), "money (元) with a count"));
    CHECK_ERROR_AT(errors[3], "unit", "p.yaml", 20, 31);
    CHECK(contains(errors[3].message(), "money (元) × money (元)"));
    // An award must be money: a count is not.
    CHECK_ERROR_AT(errors[4], "unit", "p.yaml", 24, 23);
  }

  TEST_CASE("a derived value's computed unit must match its declared unit") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
derived:
  doubled:
    unit: rate
    expr: "revenue + revenue"
)y");
    REQUIRE_ONE_ERROR(errors);
    CHECK_ERROR_AT(errors[0], "unit", "p.yaml", 7, 20);
    CHECK(contains(errors[0].message(), "a rate"));
  }

  TEST_CASE("parameter of unit money given a rate literal is a unit error") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
parameters:
  floor: {unit: money, value: 45%}
  ratio: {unit: rate, value: 6万元}
  heads: {unit: count, value: 2.5}
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 3);
    CHECK_ERROR_AT(errors[0], "unit", "p.yaml", 5, 31);
    CHECK(contains(errors[0].message(), "'45%'"));
    CHECK_ERROR_AT(errors[1], "unit", "p.yaml", 6, 30);
    CHECK_ERROR_AT(errors[2], "unit", "p.yaml", 7, 31);
  }

  TEST_CASE("undefined names in expressions are name errors at the name") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
  applies_to: "sectr == '制造'"
rules:
  - id: R1
    citation: {clause: 一, text: "奖励一点一万元"}
    payer: 市财政
    when: "revenue 超过 threshold"
    award: {fixed: 1.1万}
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 2);
    CHECK_ERROR_AT(errors[0], "name", "p.yaml", 4, 16);
    CHECK(contains(errors[0].message(), "'sectr'"));
    CHECK_ERROR_AT(errors[1], "name", "p.yaml", 9, 23);
    CHECK(contains(errors[1].message(), "'threshold'"));
  }

  TEST_CASE("cycles among derived values are errors that show the cycle") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
derived:
  a:
    unit: money
    expr: "b + 1"
  b:
    unit: money
    expr: "c + revenue"
  c:
    unit: money
    expr: "max(0, a)"
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 1);
    CHECK_ERROR_AT(errors[0], "cycle", "p.yaml", 7, 12);
    CHECK(contains(errors[0].message(), "a → b → c → a"));
  }

  TEST_CASE("a derived value that reads itself is a cycle") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
derived:
  self:
    unit: money
    expr: "self + revenue"
)y");
    REQUIRE_ONE_ERROR(errors);
    CHECK_ERROR_AT(errors[0], "cycle", "p.yaml", 7, 12);
    CHECK(contains(errors[0].message(), "self → self"));
  }

  TEST_CASE("two separate cycles are both reported") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
derived:
  a:
    unit: money
    expr: "b + 1"
  b:
    unit: money
    expr: "a + 1"
  x:
    unit: money
    expr: "x + revenue"
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 2);
    CHECK(contains(errors[0].message(), "a → b → a"));
    CHECK(contains(errors[1].message(), "x → x"));
    CHECK_ERROR_AT(errors[1], "cycle", "p.yaml", 13, 12);
  }

  TEST_CASE("unique tiers: overlaps and gaps honour inclusive and exclusive words") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - id: overlap
    citation: {clause: 一, text: "六万元以下奖一千元，六万元以上奖两千元"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        levels:
          - {label: low, 以下: 6万, award: {fixed: 1千}}
          - {label: high, 以上: 6万, award: {fixed: 2千}}
  - id: gap
    citation: {clause: 二, text: "不满六万元奖一千元，超过六万元奖两千元"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        levels:
          - {label: low, 不满: 6万, award: {fixed: 1千}}
          - {label: high, 超过: 6万, award: {fixed: 2千}}
  - id: exact-fit-1
    citation: {clause: 三, text: "不满六万元……六万元以上……"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        levels:
          - {label: low, 不满: 6万, award: {fixed: 1千}}
          - {label: high, 以上: 6万, award: {fixed: 2千}}
  - id: exact-fit-2
    citation: {clause: 四, text: "六万元以下……超过六万元……"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        levels:
          - {label: high, 超过: 6万, award: {fixed: 2千}}
          - {label: low, 以内: 6万, award: {fixed: 1千}}
  - id: wide-gap
    citation: {clause: 五, text: "一点二至三点二万元……四点二至六点二万元……"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        levels:
          - {label: A, 以上: 1.2万, 以下: 3.2万, award: {fixed: 1千}}
          - {label: B, 以上: 4.2万, 以下: 6.2万, award: {fixed: 2千}}
  - id: wide-overlap
    citation: {clause: 六, text: "一点二至五点二万元……三点二至六点二万元……"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        levels:
          - {label: A, 不低于: 1.2万, 低于: 5.2万, award: {fixed: 1千}}
          - {label: B, 不少于: 3.2万, 少于: 6.2万, award: {fixed: 2千}}
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 4);
    CHECK_ERROR_AT(errors[0], "tiers", "p.yaml", 13, 13);
    CHECK(contains(errors[0].message(), "overlap"));
    CHECK(contains(errors[0].message(), "60000 falls in both"));
    CHECK_ERROR_AT(errors[1], "tiers", "p.yaml", 22, 13);
    CHECK(contains(errors[1].message(), "gap"));
    CHECK(contains(errors[1].message(), "60000 falls in none"));
    CHECK_ERROR_AT(errors[2], "tiers", "p.yaml", 49, 13);
    CHECK(contains(errors[2].message(), "37000 falls in none"));
    CHECK_ERROR_AT(errors[3], "tiers", "p.yaml", 58, 13);
    CHECK(contains(errors[3].message(), "overlap"));
    CHECK(contains(errors[3].message(), "32000 falls in both"));  // the first value of the overlap
  }

  TEST_CASE("unique tiers bounded only from above that overlap are a load error") {
    // 不满6万 and 以下3.3万 both contain 2万; the documented behaviour is a load error (not an
    // evaluation-time failure for enterprises whose value falls in both).
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - id: two-ceilings
    citation: {clause: 一, text: "不满六万元……三点三万元以下……"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        levels:
          - {label: A, 不满: 6万, award: {fixed: 1千}}
          - {label: B, 以下: 3.3万, award: {fixed: 2千}}
)y");
    REQUIRE_ONE_ERROR(errors);
    CHECK(kind_of(errors[0]) == "tiers");
    CHECK(errors[0].mark().line == 13);
    CHECK(contains(errors[0].message(), "overlap"));
  }

  TEST_CASE("hit: highest needs strictly increasing thresholds") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - id: decreasing
    citation: {clause: 一, text: "超过四千八百万元、一千二百万元的"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        hit: highest
        levels:
          - {超过: 4800万, award: {fixed: 2.2万}}
          - {超过: 1200万, award: {fixed: 1.1万}}
  - id: equal
    citation: {clause: 二, text: "超过一千二百万元的"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        hit: highest
        levels:
          - {超过: 1200万, award: {fixed: 2.2万}}
          - {以上: 1200万, award: {fixed: 1.1万}}
  - id: fine
    citation: {clause: 三, text: "超过一千二百万元、四千八百万元的"}
    payer: 市财政
    award:
      tiers:
        on: revenue
        hit: highest
        levels:
          - {超过: 1200万, award: {fixed: 1.1万}}
          - {超过: 4800万, award: {fixed: 2.2万}}
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 2);
    CHECK_ERROR_AT(errors[0], "tiers", "p.yaml", 14, 13);
    CHECK(contains(errors[0].message(), "increasing"));
    CHECK_ERROR_AT(errors[1], "tiers", "p.yaml", 24, 13);
  }

  TEST_CASE("citations: missing, without text, without clause") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - id: R1
    payer: 市财政
    award: {fixed: 1.1万}
  - id: R2
    citation: {clause: 二}
    payer: 市财政
    award: {fixed: 1.1万}
  - id: R3
    citation: {text: "奖励一点一万元"}
    payer: 市财政
    award: {fixed: 1.1万}
  - id: R4
    citation: {clause: 四, text: ""}
    payer: 市财政
    award: {fixed: 1.1万}
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 4);
    CHECK_ERROR_AT(errors[0], "citation", "p.yaml", 5, 5);
    CHECK(contains(errors[0].message(), "missing citation"));
    CHECK_ERROR_AT(errors[1], "citation", "p.yaml", 9, 15);
    CHECK(contains(errors[1].message(), "'text'"));
    CHECK_ERROR_AT(errors[2], "citation", "p.yaml", 13, 15);
    CHECK(contains(errors[2].message(), "clause"));
    CHECK_ERROR_AT(errors[3], "citation", "p.yaml", 17, 15);
  }

  TEST_CASE("unknown payer names the declared ones") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - id: R1
    citation: {clause: 一, text: "奖励一点一万元"}
    payer: 县财政
    award: {fixed: 1.1万}
budget:
  - id: fund
    citation: {clause: 二, text: "每年列支十二万元"}
    payer: 省财政
    amount: 12万
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 2);
    CHECK_ERROR_AT(errors[0], "name", "p.yaml", 7, 12);
    CHECK(contains(errors[0].message(), "'县财政'"));
    CHECK(contains(errors[0].message(), "市财政"));
    CHECK_ERROR_AT(errors[1], "name", "p.yaml", 12, 12);
  }

  TEST_CASE("unknown group") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
  group: no-such-group
)y");
    REQUIRE_ONE_ERROR(errors);
    CHECK_ERROR_AT(errors[0], "name", "p.yaml", 4, 10);
    CHECK(contains(errors[0].message(), "'no-such-group'"));
  }

  TEST_CASE("group default that is not a member") {
    // The group 'plan' defaults to 'p'; its only member is 'q'.
    const auto errors = errors_of({{"cat.yaml", kCatalogue},
                                   {"groups.yaml", R"y(catalogue:
  id: groups
  title: Groups
groups:
  plan:
    title: {zh: 扶持方案, en: Support plan}
    default: p
)y"},
                                   {"q.yaml", R"y(policy_set:
  id: q
  title: Q
  group: plan
)y"}});
    REQUIRE_ONE_ERROR(errors);
    CHECK_ERROR_AT(errors[0], "name", "groups.yaml", 7, 14);
    CHECK(contains(errors[0].message(), "'p'"));
    CHECK(contains(errors[0].message(), "(q)"));
  }

  TEST_CASE("option default not among the choices") {
    const auto errors = errors_of({{"opts.yaml", R"y(catalogue:
  id: opts
  title: Options
options:
  reading:
    choices:
      wide: {en: wide}
      narrow: {en: narrow}
    default: broad
)y"}});
    REQUIRE_ONE_ERROR(errors);
    CHECK_ERROR_AT(errors[0], "option", "opts.yaml", 9, 14);
    CHECK(contains(errors[0].message(), "wide, narrow"));
    CHECK(contains(errors[0].message(), "'broad'"));
  }

  TEST_CASE("option(name): unknown option, and a choice string not among the choices") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - id: R1
    citation: {clause: 一, text: "奖励一点一万元"}
    payer: 市财政
    when: "option(readng) == 'wide'"
    award: {fixed: 1.1万}
  - id: R2
    citation: {clause: 二, text: "奖励一点一万元"}
    payer: 市财政
    when: "option(reading) == 'broad'"
    award: {fixed: 1.1万}
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 2);
    CHECK_ERROR_AT(errors[0], "option", "p.yaml", 8, 19);
    CHECK(contains(errors[0].message(), "'readng'"));
    // ErrorKind::option is documented as "unknown interpretation option or choice".
    CHECK(kind_of(errors[1]) == "option");
    CHECK(errors[1].mark().file == "p.yaml");
    CHECK(errors[1].mark().line == 13);
    CHECK(errors[1].mark().column == 28);  // at the comparison
    CHECK(contains(errors[1].message(), "'broad'"));
    CHECK(contains(errors[1].message(), "wide, narrow"));
  }

  TEST_CASE("parameter versions must be in increasing date order") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
parameters:
  rate:
    unit: rate
    versions:
      - {from: 2022-01-01, value: 45%}
      - {from: 2021-06-30, value: 55%}
  same:
    unit: rate
    versions:
      - {from: 2022-01-01, value: 45%}
      - {from: 2022-01-01, value: 55%}
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 2);
    CHECK_ERROR_AT(errors[0], "parameter", "p.yaml", 9, 16);
    CHECK(contains(errors[0].message(), "2021-06-30"));
    CHECK(contains(errors[0].message(), "after 2022-01-01"));
    CHECK_ERROR_AT(errors[1], "parameter", "p.yaml", 14, 16);
  }

  TEST_CASE("budget items must sum to the amount") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
budget:
  - id: fund
    citation: {clause: 八, text: "每年列支二百六十万元"}
    payer: 市财政
    amount: 260万
    items:
      - {label: rent, amount: 190万}
      - {label: staff, amount: 60万}
  - id: fine
    citation: {clause: 九, text: "每年列支二百六十万元"}
    payer: 市财政
    amount: 260万
    items:
      - {label: rent, amount: 190万}
      - {label: staff, amount: 70万}
)y");
    REQUIRE_ONE_ERROR(errors);
    CHECK_ERROR_AT(errors[0], "schema", "p.yaml", 10, 7);
    CHECK(contains(errors[0].message(), "2600000"));
    CHECK(contains(errors[0].message(), "a sum of 2500000"));
  }

  TEST_CASE("duplicated rule ids and policy set ids") {
    const auto errors = errors_of({{"cat.yaml", kCatalogue},
                                   {"p.yaml", R"y(policy_set:
  id: p
  title: P
rules:
  - id: R1
    citation: {clause: 一, text: "奖励一点一万元"}
    payer: 市财政
    award: {fixed: 1.1万}
  - id: R1
    citation: {clause: 二, text: "奖励二点二万元"}
    payer: 市财政
    award: {fixed: 2.2万}
)y"},
                                   {"p2.yaml", R"y(policy_set:
  id: p
  title: Another P
)y"}});
    INFO(listing(errors));
    REQUIRE(errors.size() == 2);
    // Files are classified first, then compiled.
    CHECK_ERROR_AT(errors[0], "name", "p2.yaml", 2, 7);
    CHECK(contains(errors[0].message(), "declared twice"));
    CHECK_ERROR_AT(errors[1], "name", "p.yaml", 9, 9);
    CHECK(contains(errors[1].message(), "'R1'"));
  }

  TEST_CASE("per_item awards cannot be nested") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - id: R1
    citation: {clause: 一, text: "每人每项奖励一点一万元"}
    payer: 市财政
    award:
      per_item:
        count: "staff"
        each:
          per_item:
            count: "staff"
            each: {fixed: 1.1万}
)y");
    REQUIRE_ONE_ERROR(errors);
    CHECK_ERROR_AT(errors[0], "schema", "p.yaml", 12, 11);
    CHECK(contains(errors[0].message(), "nested"));
  }

  TEST_CASE("preference and honour rules: every leaf award is unfixed or honour") {
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - id: land
    citation: {clause: 一, text: "减免土地使用税"}
    form: preference
    award: {fixed: 1.1万}
  - id: per-head
    citation: {clause: 二, text: "每名职工授予称号"}
    form: honour
    award:
      per_item:
        count: "staff"
        each: {formula: "3% * revenue"}
  - id: fine
    citation: {clause: 三, text: "超过一点五亿元的授予称号"}
    form: honour
    award:
      tiers:
        on: revenue
        levels:
          - {超过: 1.5亿, award: {honour: 纳税大户}}
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 2);
    CHECK_ERROR_AT(errors[0], "schema", "p.yaml", 8, 20);
    CHECK(contains(errors[0].message(), "'fixed'"));
    CHECK_ERROR_AT(errors[1], "schema", "p.yaml", 15, 25);
    CHECK(contains(errors[1].message(), "'formula'"));
  }

  TEST_CASE("columns count characters, also after Chinese text on the same line") {
    // The expression lexer counts characters "so they line up with what an editor shows"; the
    // position of the YAML value must be counted the same way, or one column mixes bytes and
    // characters. Here 县财政 is the 56th character of line 5 (the 62nd byte), and '*' the 80th.
    const auto errors = policy_errors(R"y(policy_set:
  id: p
  title: P
rules:
  - {id: R1, citation: {clause: 一, text: "奖励"}, payer: 县财政, award: {fixed: 1}}
  - {id: R2, citation: {clause: 二, text: "奖励"}, payer: 市财政, award: {fixed: "1 +* 1"}}
)y");
    INFO(listing(errors));
    REQUIRE(errors.size() == 2);
    CHECK_ERROR_AT(errors[0], "name", "p.yaml", 5, 56);
    CHECK_ERROR_AT(errors[1], "parse", "p.yaml", 6, 80);
  }

  TEST_CASE("ErrorList collects several errors from several files in one load") {
    std::vector<Error> errors;
    try {
      (void)RuleSet::load_texts({{"cat.yaml", kCatalogue},
                                 {"a.yaml", R"y(policy_set:
  id: a
  title: A
rules:
  - id: R1
    citation: {clause: 一, text: "奖励一点一万元"}
    payer: 县财政
    award: {fixed: 1.1万}
  - id: R2
    payer: 市财政
    award: {fixed: 1.1万}
)y"},
                                 {"b.yaml", R"y(policy_set:
  id: b
  title: B
derived:
  d:
    unit: money
    expr: "revenue + share"
)y"},
                                 {"c.yaml", "policy_set: [\n"}});
      FAIL("the load should fail");
    } catch (const ErrorList& list) {
      errors = list.errors();
      // what() lists every error, one a line, each with its own location.
      const std::string what = list.what();
      CHECK(contains(what, "a.yaml:7:12: error[name]"));
      CHECK(contains(what, "a.yaml:9:5: error[citation]"));
      CHECK(contains(what, "b.yaml:7:20: error[unit]"));
      CHECK(contains(what, "c.yaml:"));
    }
    INFO(listing(errors));
    REQUIRE(errors.size() == 4);
    // YAML errors come first (files are parsed before anything is compiled).
    CHECK(kind_of(errors[0]) == "yaml");
    CHECK(errors[0].mark().file == "c.yaml");
    CHECK_ERROR_AT(errors[1], "name", "a.yaml", 7, 12);
    CHECK_ERROR_AT(errors[2], "citation", "a.yaml", 9, 5);
    CHECK_ERROR_AT(errors[3], "unit", "b.yaml", 7, 20);
  }

  TEST_CASE("two files may declare the same fact only if the declarations are identical") {
    const char* one = R"y(catalogue:
  id: one
  title: One
facts:
  grade: {type: count, default: "0"}
  kind: {type: enum, values: [甲, 乙]}
)y";
    // Identical declarations: fine.
    CHECK(errors_of({{"one.yaml", one}, {"same.yaml", R"y(catalogue:
  id: same
  title: Same
facts:
  grade: {type: count, default: "0"}
  kind: {type: enum, values: [甲, 乙]}
)y"}}).empty());
    // Different enumeration values.
    const auto values = errors_of({{"one.yaml", one}, {"two.yaml", R"y(catalogue:
  id: two
  title: Two
facts:
  grade: {type: count, default: "0"}
  kind: {type: enum, values: [甲, 乙, 丙]}
)y"}});
    REQUIRE_ONE_ERROR(values);
    CHECK_ERROR_AT(values[0], "name", "two.yaml", 6, 9);
    CHECK(contains(values[0].message(), "'kind'"));
    // One declares a default, the other does not: a missing 'grade' would be 0 or an error
    // depending on which file was read first. Not identical, so an error.
    const auto defaults = errors_of({{"one.yaml", one}, {"three.yaml", R"y(catalogue:
  id: three
  title: Three
facts:
  grade: {type: count}
  kind: {type: enum, values: [甲, 乙]}
)y"}});
    REQUIRE_ONE_ERROR(defaults);
    CHECK(kind_of(defaults[0]) == "name");
    CHECK(defaults[0].mark().file == "three.yaml");
    CHECK(defaults[0].mark().line == 5);
    CHECK(contains(defaults[0].message(), "'grade'"));
  }

  TEST_CASE("a fact default that is not a value of the fact's type is a load error") {
    // RuleSet::load "loads and checks rule files ... with every problem found": a malformed
    // default must not pass the check and then break every evaluation.
    const auto errors = errors_of({{"cat.yaml", kCatalogue}, {"d.yaml", R"y(catalogue:
  id: defaults
  title: Defaults
facts:
  bonus: {type: money, default: abc}
)y"}});
    REQUIRE_ONE_ERROR(errors);
    CHECK(errors[0].mark().file == "d.yaml");
    CHECK(errors[0].mark().line == 5);
    CHECK(contains(errors[0].message(), "abc"));
  }

  TEST_CASE("a file that is neither a catalogue nor a policy set") {
    const auto errors = errors_of({{"x.yaml", "rules: []\n"}});
    REQUIRE_ONE_ERROR(errors);
    CHECK_ERROR_AT(errors[0], "schema", "x.yaml", 1, 1);
  }

  TEST_CASE("loading a missing path is an io error") {
    try {
      (void)RuleSet::load({SUBSIDY_SOURCE_DIR "/tests/data/no-such-folder"});
      FAIL("should throw");
    } catch (const Error& e) {
      CHECK(kind_of(e) == "io");
    }
  }
}

TEST_SUITE("rules: clean loads") {
  TEST_CASE("summary of the Testville example folder") {
    const RuleSet rules = RuleSet::load({SUBSIDY_SOURCE_DIR "/tests/data/engine"});
    const auto s = rules.summary();
    CHECK(s.files == 3);
    CHECK(s.policy_sets == 2);
    CHECK(s.rules == 8);
    CHECK(s.parameters == 2);
    CHECK(s.options == 1);
    CHECK(s.facts == 10);
    CHECK(s.budget_lines == 1);
    CHECK(s.checks == 1);
    CHECK(s.to_string() ==
          "3 files, 2 policy sets, 8 rules, 2 parameters, 1 options, 10 facts, 1 budget lines, 1 "
          "checks");

    // What was loaded, as the API shows it.
    REQUIRE(rules.groups().size() == 1);
    CHECK(rules.groups()[0].id == "support-policy");
    CHECK(rules.groups()[0].default_member == "policy-a");
    CHECK(rules.groups()[0].members == std::vector<std::string>{"policy-a", "policy-b"});
    const subsidy::RuleInfo* r5 = rules.find_rule("policy-a/R5-tiers");
    REQUIRE(r5 != nullptr);
    CHECK(r5->kind == subsidy::AmountKind::tiers);
    CHECK(r5->form == subsidy::AwardForm::in_kind);
    CHECK(r5->hit == subsidy::HitPolicy::unique);
    REQUIRE(r5->tiers.size() == 3);
    CHECK(r5->tiers[0].lower_word == "以上");
    CHECK(r5->tiers[0].lower_inclusive);
    CHECK(r5->tiers[0].upper_word == "不满");
    CHECK_FALSE(r5->tiers[0].upper_inclusive);
    REQUIRE(r5->tiers[0].upper.has_value());
    REQUIRE(r5->tiers[1].lower.has_value());
    CHECK(*r5->tiers[0].upper == *r5->tiers[1].lower);  // contiguous: 不满 X, then 以上 X
    const subsidy::RuleInfo* r7 = rules.find_rule("policy-a/R7-listing");
    REQUIRE(r7 != nullptr);
    CHECK(r7->recurrence.kind == subsidy::Recurrence::Kind::years_from);
    CHECK(r7->recurrence.years == 5);
    CHECK(r7->recurrence.to_string() == "5 years from listing_year");
    const subsidy::ParameterInfo* rate = rules.find_parameter("rate_low");
    REQUIRE(rate != nullptr);
    CHECK(rate == rules.find_parameter("policy-a.rate_low"));
    REQUIRE(rate->versions.size() == 2);
    CHECK(rate->versions[1].from->to_string() == "2022-01-01");
    CHECK(rate->versions[1].value.to_string() == "0.60");
    REQUIRE(rules.budget().size() == 1);
    CHECK(rules.budget()[0].covers == std::vector<std::string>{"policy-a/R2-band"});
    CHECK(rules.budget()[0].items.size() == 2);
    CHECK(rules.find_rule("policy-a/R9") == nullptr);
    CHECK(rules.fact_slot("products").has_value());
    CHECK_FALSE(rules.fact_slot("product").has_value());
  }

  TEST_CASE("fingerprint: stable across loads, independent of file order, changed by one byte") {
    const RuleSet a = RuleSet::load({SUBSIDY_SOURCE_DIR "/tests/data/engine"});
    const RuleSet b = RuleSet::load({SUBSIDY_SOURCE_DIR "/tests/data/engine"});
    CHECK(a.fingerprint().size() == 64);
    CHECK(a.fingerprint() == b.fingerprint());

    // The same texts under the same file names give the same fingerprint, in any order.
    std::vector<std::pair<std::string, std::string>> texts;
    for (const auto& [path, text] : a.sources()) {
      texts.emplace_back(path.substr(path.find_last_of('/') + 1), text);
    }
    REQUIRE(texts.size() == 3);
    CHECK(RuleSet::load_texts(texts).fingerprint() == a.fingerprint());
    std::vector<std::pair<std::string, std::string>> reversed(texts.rbegin(), texts.rend());
    CHECK(RuleSet::load_texts(reversed).fingerprint() == a.fingerprint());

    // One byte more (a trailing space in a comment line) changes it.
    auto changed = texts;
    const std::size_t at = changed[0].second.find('\n');
    REQUIRE(at != std::string::npos);
    changed[0].second.insert(at, " ");
    const RuleSet c = RuleSet::load_texts(changed);
    CHECK(c.fingerprint() != a.fingerprint());
    // One figure changed: a digit put in front of the first fixed amount.
    auto figure = texts;
    bool replaced = false;
    for (auto& [name, text] : figure) {
      const std::size_t k = text.find("award: {fixed: ");
      if (k != std::string::npos && !replaced) {
        text.insert(k + std::string("award: {fixed: ").size(), "1");
        replaced = true;
      }
    }
    REQUIRE(replaced);
    CHECK(RuleSet::load_texts(figure).fingerprint() != a.fingerprint());
  }
}
