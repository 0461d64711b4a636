// Audit: reading ledgers exactly (with located errors) and finding every kind of mismatch between
// the grants made and what the bundled Jiyuan rules give for the example enterprises.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "subsidy/subsidy.hpp"

using subsidy::AuditReport;
using subsidy::Decimal;
using subsidy::Enterprise;
using subsidy::Error;
using subsidy::ErrorKind;
using subsidy::FindingKind;
using subsidy::Grant;
using subsidy::RuleSet;
using subsidy::Scenario;

namespace {

const std::string kRoot = SUBSIDY_SOURCE_DIR;

const RuleSet& jiyuan() {
  static const RuleSet rules = RuleSet::load({kRoot + "/rules"});
  return rules;
}

std::vector<Enterprise> example_enterprises() {
  std::vector<Enterprise> all =
      subsidy::load_enterprises(jiyuan(), kRoot + "/examples/enterprises.yaml");
  for (auto& e :
       subsidy::load_enterprises(jiyuan(), kRoot + "/tests/data/audit/enterprises.yaml")) {
    all.push_back(std::move(e));
  }
  return all;
}

AuditReport audit_file(const std::string& ledger) {
  return subsidy::audit(jiyuan(), example_enterprises(), subsidy::load_ledger(kRoot + "/" + ledger),
                        Scenario{});
}

/// Ledger line → finding kinds on it.
std::map<int, std::vector<FindingKind>> by_row(const AuditReport& report) {
  std::map<int, std::vector<FindingKind>> out;
  for (const auto& f : report.findings) out[f.row.line].push_back(f.kind);
  return out;
}

Error ledger_error(const std::string& text) {
  try {
    subsidy::parse_ledger("bad.csv", text);
  } catch (const Error& e) {
    return e;
  }
  FAIL("the ledger was accepted: " << text);
  return Error(ErrorKind::usage, "unreachable");
}

const char* const kHeader = "enterprise,policy_set,rule,year,amount,payer,approval\n";

}  // namespace

TEST_CASE(
    "a ledger is read exactly: 万 amounts, grouping, Chinese text, an optional basis column") {
  const auto ledger = subsidy::parse_ledger(
      "l.csv",
      std::string(kHeader) + "a,p,r,2010,200万,市财政,文1\nb,p,r,2011,\"1,234.56\",市财政,\n");
  REQUIRE(ledger.size() == 2);
  CHECK(ledger[0].amount == Decimal::parse("2000000"));
  CHECK(ledger[0].year == 2010);
  CHECK(ledger[0].qualified_rule() == "p/r");
  CHECK(ledger[0].mark.line == 2);
  CHECK(ledger[1].amount.to_string() == "1234.56");
  CHECK(ledger[1].approval.empty());
  CHECK(ledger[1].basis.empty());
}

TEST_CASE("bad ledger rows stop with the row, the field, what was expected and what was found") {
  SUBCASE("a spreadsheet's scientific notation") {
    const Error e = ledger_error(std::string(kHeader) + "a,p,r,2010,1.23E+08,市财政,x\n");
    CHECK(e.kind() == ErrorKind::audit);
    CHECK(e.mark().line == 2);
    CHECK(e.mark().field == "amount");
    CHECK(std::string(e.what()).find("found \"1.23E+08\"") != std::string::npos);
  }
  SUBCASE("a missing column") {
    const Error e =
        ledger_error("enterprise,policy_set,rule,year,amount,approval\na,p,r,2010,1,x\n");
    CHECK(e.mark().line == 2);
    CHECK(e.mark().field == "payer");
    CHECK(std::string(e.what()).find("expected a value in column \"payer\", found none") !=
          std::string::npos);
  }
  SUBCASE("a row with an extra field") {
    const Error e = ledger_error(std::string(kHeader) + "a,p,r,2010,1,市财政,x,extra\n");
    CHECK(e.mark().line == 2);
  }
  SUBCASE("a year that is not one") {
    const Error e = ledger_error(std::string(kHeader) + "a,p,r,20x0,1,市财政,x\n");
    CHECK(e.mark().field == "year");
    CHECK(std::string(e.what()).find("expected a year such as 2010, found \"20x0\"") !=
          std::string::npos);
  }
  SUBCASE("a negative amount") {
    const Error e = ledger_error(std::string(kHeader) + "a,p,r,2010,-5.00,市财政,x\n");
    CHECK(e.mark().field == "amount");
  }
  SUBCASE("a rate where an amount is due") {
    const Error e = ledger_error(std::string(kHeader) + "a,p,r,2010,50%,市财政,x\n");
    CHECK(std::string(e.what()).find("a rate") != std::string::npos);
  }
  SUBCASE("an empty enterprise") {
    const Error e = ledger_error(std::string(kHeader) + ",p,r,2010,1,市财政,x\n");
    CHECK(e.mark().field == "enterprise");
  }
}

TEST_CASE("every kind of finding is found on the row that has it") {
  const AuditReport report = audit_file("tests/data/audit/ledger-all-kinds.csv");
  const auto rows = by_row(report);
  const std::map<int, std::vector<FindingKind>> expected = {
      {2, {FindingKind::over_grant}},       // 35万 granted, O11 gives 30万
      {5, {FindingKind::under_grant}},      // 4万 granted, O20 gives 5万
      {8, {FindingKind::needs_basis}},      // O24 fixes no amount, no basis recorded
      {9, {FindingKind::not_eligible}},     // 新科 drafted no national standard
      {13, {FindingKind::payer_mismatch}},  // the union pays the books award, not the city
      {15, {FindingKind::duplicate}},       // row 14 again
      {16, {FindingKind::outside_band}},    // decided 600万, band 100万–500万
      {17, {FindingKind::unknown_rule}},       {18, {FindingKind::unknown_enterprise}},
      {19, {FindingKind::unknown_enterprise}},  // known firm, no facts for 2015
  };
  CHECK(rows == expected);
  CHECK(report.grants == 18);
  CHECK(report.on_recorded_basis == 1);
  for (const auto& f : report.findings) {
    INFO(f.row.line << ": " << f.message);
    CHECK(f.row.file.find("ledger-all-kinds.csv") != std::string::npos);
    if (f.kind != FindingKind::unknown_rule) CHECK(f.info.get() != nullptr);
  }
  const auto& over = report.findings.front();
  REQUIRE(over.computed);
  CHECK(over.computed->max == Decimal::parse("300000.00"));
  CHECK(over.message == "granted ¥350,000.00, above the computed amount ¥300,000.00 by ¥50,000.00");
  CHECK(over.info->citation.clause == "（十一）");
  CHECK(over.severity == subsidy::Severity::error);
  CHECK(report.findings[1].severity == subsidy::Severity::warning);
}

TEST_CASE("a clean ledger gives no finding, also when grants name different policy versions") {
  const AuditReport report = audit_file("tests/data/audit/ledger-clean.csv");
  for (const auto& f : report.findings) INFO(f.row.line << ": " << f.message);
  CHECK(report.findings.empty());
  CHECK(report.failing() == 0);
  CHECK(report.grants == 8);
  CHECK(report.granted == Decimal::parse("11210000.00"));
}

TEST_CASE("a band grant is judged against the band: above its maximum is an over-grant") {
  const auto ledger = subsidy::parse_ledger(
      "l.csv", std::string(kHeader) +
                   "xinghua-machinery,machining-survey,J1-merger-award,2010,501万,受益财政,x\n" +
                   "xinghua-machinery,machining-survey,J1-merger-award,2011,49万,受益财政,x\n");
  const AuditReport report = subsidy::audit(jiyuan(), example_enterprises(), ledger, Scenario{});
  REQUIRE(report.findings.size() == 2);
  CHECK(report.findings[0].kind == FindingKind::over_grant);
  CHECK(report.findings[0].message.find("band maximum ¥5,000,000.00") != std::string::npos);
  // 2011: the firm made no merger that year, so no entitlement at all.
  CHECK(report.findings[1].kind == FindingKind::not_eligible);
}

TEST_CASE("audit reports are byte-stable and carry the citation") {
  const AuditReport a = audit_file("tests/data/audit/ledger-all-kinds.csv");
  const AuditReport b = audit_file("tests/data/audit/ledger-all-kinds.csv");
  CHECK(subsidy::to_json(a) == subsidy::to_json(b));
  const std::string md = subsidy::to_markdown(a);
  CHECK(md.find("**fail**") != std::string::npos);
  CHECK(md.find("| over_grant |") != std::string::npos);
  CHECK(md.find("首台") != std::string::npos);  // the cited sentence of O11 is quoted
  CHECK(subsidy::to_json(a).find("\"kind\":\"outside_band\"") != std::string::npos);
}
