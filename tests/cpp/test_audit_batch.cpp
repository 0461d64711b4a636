// The audit on the batch engine against the audit with every enterprise-year evaluated whole by
// the reference evaluator: the same reports, byte for byte, over a generated multi-year
// population (yearless records, facts missing, amounts beyond int64, decided amounts) and a
// ledger drawn from the reference lines: grants right, above and below, paid by the wrong payer,
// without a line, duplicated, one-time awards granted twice, unknown rules and enterprises, every
// version of each alternative group.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "audit_whole.hpp"
#include "subsidy/subsidy.hpp"

namespace {

using namespace subsidy;

const std::string kRoot = SUBSIDY_SOURCE_DIR;

const RuleSet& jiyuan() {
  static const RuleSet rules = RuleSet::load({kRoot + "/rules"});
  return rules;
}

struct Random {
  std::uint64_t state;
  std::uint64_t next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 17;
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool chance(std::size_t percent) { return below(100) < percent; }
};

/// A value of the declared kind, written as a record file writes it; sometimes an amount beyond
/// int64 分, which the batch engine leaves to the reference evaluator.
std::string value(Random& g, const FactDecl& decl) {
  switch (decl.unit.kind) {
    case UnitKind::money:
      if (g.chance(3)) return "\"" + std::to_string(1 + g.below(9)) + std::string(24, '0') + "\"";
      return "\"" + std::to_string(g.below(3000000)) + "." + std::to_string(10 + g.below(90)) +
             "万\"";
    case UnitKind::rate:
      return std::to_string(g.below(100)) + "%";
    case UnitKind::count:
      return std::to_string(g.below(4));
    case UnitKind::year:
      return std::to_string(2005 + g.below(10));
    case UnitKind::boolean:
      return g.chance(50) ? "true" : "false";
    case UnitKind::enumeration:
      return decl.values.empty() ? "x" : "\"" + decl.values[g.below(decl.values.size())] + "\"";
    case UnitKind::date:
      return "\"20" + std::to_string(10 + g.below(5)) + "-0" + std::to_string(1 + g.below(9)) +
             "-1" + std::to_string(g.below(9)) + "\"";
    case UnitKind::text:
      return "t" + std::to_string(g.below(3));
    default:
      return std::to_string(g.below(500)) + "." + std::to_string(g.below(10));
  }
}

/// Enterprises over 2009-2013, most with several consecutive years (last_year(...) reads the
/// year before), some without a year; some facts left out, so that rules go unevaluated.
std::string population_yaml(const RuleSet& rules, Random& g, std::size_t enterprises) {
  std::vector<const RuleInfo*> bands;
  for (const RuleInfo& r : rules.rules()) {
    if (r.kind == AmountKind::band) bands.push_back(&r);
  }
  std::string out = "enterprises:\n";
  for (std::size_t i = 0; i < enterprises; ++i) {
    const bool yearless = g.chance(10);
    const std::size_t first = 2009 + g.below(3);
    const std::size_t years = yearless ? 1 : 1 + g.below(3);
    for (std::size_t y = first; y < first + years; ++y) {
      out += "  - id: e" + std::to_string(i) + "\n";
      if (!yearless) out += "    year: " + std::to_string(y) + "\n";
      for (const FactDecl& decl : rules.facts()) {
        if (!decl.required && g.chance(8)) continue;
        if (decl.unit.kind != UnitKind::list) {
          out += "    " + decl.name + ": " + value(g, decl) + "\n";
          continue;
        }
        out += "    " + decl.name + ":\n";
        for (std::size_t n = g.below(3); n > 0; --n) {
          std::string item;
          for (const FactDecl& field : decl.fields) {
            if (g.chance(3)) continue;
            item += (item.empty() ? "" : ", ") + field.name + ": " + value(g, field);
          }
          out += "      - {" + item + "}\n";
        }
      }
      if (!bands.empty() && g.chance(15)) {
        const RuleInfo& band = *bands[g.below(bands.size())];
        static const char* const kDecided[] = {"50万", "120万", "300万", "600万"};
        out += "    decided: {" + band.qualified_id + ": " + kDecided[g.below(4)] + "}\n";
      }
    }
  }
  return out;
}

std::string money(const Decimal& d) { return d.to_string(); }

std::string payer_of(const RuleInfo& rule) { return rule.payer.empty() ? "市财政" : rule.payer; }

/// A ledger row (CSV) for a grant of `rule` to the record's enterprise-year.
std::string grant(const std::string& enterprise, const RuleInfo& rule, std::int64_t year,
                  const std::string& amount, const std::string& payer,
                  const std::string& basis = "") {
  return enterprise + "," + rule.policy_set + "," + rule.id + "," + std::to_string(year) + "," +
         amount + "," + payer + ",批1," + basis + "\n";
}

/// Grants drawn from the reference evaluations under every version of each group.
std::string ledger_csv(const RuleSet& rules, const std::vector<Enterprise>& population, Random& g) {
  std::string out = "enterprise,policy_set,rule,year,amount,payer,approval,basis\n";
  std::vector<Scenario> scenarios{Scenario{}};
  for (const GroupInfo& group : rules.groups()) {
    for (const std::string& member : group.members) {
      Scenario s;
      s.choose[group.id] = member;
      scenarios.push_back(s);
    }
  }
  std::vector<std::string> rows;
  for (const Scenario& s : scenarios) {
    const auto evaluations = evaluate_batch(rules, population, s, 2);
    for (std::size_t r = 0; r < population.size(); ++r) {
      const Enterprise& e = population[r];
      const std::int64_t year = e.year.value_or(2010 + static_cast<std::int64_t>(g.below(3)));
      const Evaluation& ev = evaluations[r];
      for (const AwardLine& l : ev.lines) {
        if (!g.chance(35) && e.decided.count(l.info->qualified_id) == 0) continue;
        const std::string payer = g.chance(5) ? "县财政" : payer_of(*l.info);
        Decimal amount = l.band.max;
        const std::size_t pick = g.below(10);
        if (pick == 0) amount += Decimal(1000);
        if (pick == 1 && amount > Decimal(500)) amount -= Decimal(500);
        if (l.status == LineStatus::recognised && pick > 1) amount = Decimal();
        const bool basis = l.status == LineStatus::unfixed && g.chance(50);
        rows.push_back(grant(e.id, *l.info, year, money(amount), payer, basis ? "决定3号" : ""));
      }
      // Rules that gave no line (not eligible, no tier, not in force, not evaluated).
      if (g.chance(40)) {
        const RuleInfo& rule = rules.rules()[g.below(rules.rules().size())];
        rows.push_back(grant(e.id, rule, year, "100000", payer_of(rule)));
      }
      for (const Unevaluated& u : ev.unevaluated) {
        if (u.kind == "rule" && g.chance(50))
          rows.push_back(grant(e.id, *u.info, year, "1", payer_of(*u.info)));
      }
    }
  }
  // Duplicates (the same row again; one-time awards come back in other years by themselves).
  for (std::size_t k = rows.size() / 40; k > 0; --k) rows.push_back(rows[g.below(rows.size())]);
  const RuleInfo& some = rules.rules().front();
  rows.push_back(grant("nobody", some, 2010, "1", "市财政"));
  rows.push_back(grant("e1", some, 1999, "1", "市财政"));
  rows.push_back("e1," + some.policy_set + ",no-such-rule,2010,1,市财政,,\n");
  // Shuffled, so that duplicates and first grants fall anywhere in the ledger.
  for (std::size_t k = rows.size(); k > 1; --k) std::swap(rows[k - 1], rows[g.below(k)]);
  for (const std::string& row : rows) out += row;
  return out;
}

}  // namespace

TEST_CASE("the audit on the batch engine gives the reference audit's reports, byte for byte") {
  const RuleSet& rules = jiyuan();
  REQUIRE(Program(rules, Scenario{}).compiled());  // the batch engine really runs the rows
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Random g{seed};
    // The hand-written records too: among them a decided amount outside its band.
    auto population = load_enterprises(rules, kRoot + "/examples/enterprises.yaml");
    for (auto& e : load_enterprises(rules, kRoot + "/tests/data/audit/enterprises.yaml"))
      population.push_back(std::move(e));
    for (auto& e : parse_enterprises(rules, "population.yaml", population_yaml(rules, g, 160)))
      population.push_back(std::move(e));
    const auto ledger = parse_ledger("ledger.csv", ledger_csv(rules, population, g));
    CAPTURE(seed);
    for (const Scenario& s : {Scenario{}, [] {
                                Scenario on;
                                on.on = Date{2012, 6, 30};
                                return on;
                              }()}) {
      const AuditReport batch = audit(rules, population, ledger, s);
      const AuditReport whole = detail::audit_whole(rules, population, ledger, s);
      CHECK(to_json(batch) == to_json(whole));
      CHECK(to_markdown(batch) == to_markdown(whole));
      std::set<FindingKind> kinds;
      for (const AuditFinding& f : batch.findings) kinds.insert(f.kind);
      // Every kind the generated ledger can give, so that each path of the audit is compared.
      for (FindingKind kind :
           {FindingKind::over_grant, FindingKind::under_grant, FindingKind::not_eligible,
            FindingKind::needs_basis, FindingKind::payer_mismatch, FindingKind::duplicate,
            FindingKind::unknown_rule, FindingKind::unknown_enterprise,
            FindingKind::evaluation_failed, FindingKind::outside_band}) {
        CAPTURE(std::string(to_string(kind)));
        CHECK(kinds.count(kind) == 1);
      }
      CHECK(batch.on_recorded_basis > 0);
      CHECK(batch.findings.size() < ledger.size());  // grants that are right give no finding
    }
  }
}

namespace {

/// Amounts rounded to whole 元 and to 万, a cap whose note writes amounts, a line that gives way:
/// the batch gives these amounts at its own exponent (100 as 100.00), the reference as rounded.
const char* const kAuditville = R"y(catalogue:
  id: av-common
  title: {zh: 审计市共用定义, en: Auditville shared definitions}
payers:
  市财政: {en: City finance, level: city}
facts:
  revenue: {type: money, label: {zh: 销售收入, en: revenue}}
  tax: {type: money, label: {zh: 实缴税金, en: tax paid}}
---
policy_set:
  id: av
  title: A
rules:
  - id: yuan
    citation: {clause: 一, text: "按销售收入的3%奖励"}
    payer: 市财政
    rounding: {mode: down, quantum: 1}
    award: {formula: "3% * revenue"}
  - id: wan
    citation: {clause: 二, text: "按实缴税金的5%奖励，以万元计"}
    payer: 市财政
    rounding: {mode: half_up, quantum: 10000}
    award: {formula: "5% * tax"}
  - id: small
    citation: {clause: 三, text: "奖励5.5万元"}
    payer: 市财政
    award: {fixed: 5.5万}
  - id: large
    citation: {clause: 四, text: "销售收入超过130万元的奖励8万元"}
    payer: 市财政
    when: "revenue 超过 130万"
    award: {fixed: 8万}
exclusions:
  - id: no-double
    rules: [small, large]
    resolve: higher
    citation: {clause: 五, text: "不重复享受，按就高原则"}
caps:
  - id: yearly-cap
    rules: [yuan, wan]
    max: "60万 - 10% * tax"
)y";

}  // namespace

TEST_CASE(
    "amounts rounded to 元 and 万, caps and exclusions: the findings show the reference's "
    "figures") {
  const std::string text(kAuditville);
  const std::size_t split = text.find("---\n");
  const RuleSet rules = RuleSet::load_texts(
      {{"av-common.yaml", text.substr(0, split)}, {"av.yaml", text.substr(split + 4)}});
  REQUIRE(Program(rules, Scenario{}).compiled());
  Random g{17};
  std::string records = "enterprises:\n";
  for (std::size_t i = 0; i < 400; ++i) {
    records += "  - {id: a" + std::to_string(i) + ", year: 2020, revenue: \"" +
               std::to_string(g.below(90000000)) + "." + std::to_string(10 + g.below(90)) +
               "\", tax: \"" + std::to_string(g.below(5000000)) + ".5\"}\n";
  }
  const auto population = parse_enterprises(rules, "av.yaml", records);
  std::string ledger = "enterprise,policy_set,rule,year,amount,payer,approval,basis\n";
  const auto evaluations = evaluate_batch(rules, population, Scenario{}, 1);
  for (std::size_t r = 0; r < population.size(); ++r) {
    for (const AwardLine& l : evaluations[r].lines) {
      Decimal amount = l.band.max;
      if (g.chance(30)) amount += Decimal(7);
      if (g.chance(20) && amount > Decimal(7)) amount -= Decimal(7);
      const std::string payer = g.chance(10) ? "县财政" : "市财政";
      ledger += grant(population[r].id, *l.info, 2020, money(amount), payer);
    }
  }
  const auto grants = parse_ledger("ledger.csv", ledger);
  const AuditReport batch = audit(rules, population, grants, Scenario{});
  CHECK(to_json(batch) == to_json(detail::audit_whole(rules, population, grants, Scenario{})));
  CHECK(to_markdown(batch) ==
        to_markdown(detail::audit_whole(rules, population, grants, Scenario{})));
  std::set<FindingKind> kinds;
  for (const AuditFinding& f : batch.findings) kinds.insert(f.kind);
  std::string found;
  for (FindingKind k : kinds) found += std::string(to_string(k)) + " ";
  CHECK(found == "over_grant under_grant payer_mismatch ");
  std::size_t unrounded = 0;  // figures the batch would have written otherwise
  for (const AuditFinding& f : batch.findings)
    unrounded += f.computed && f.computed->max.to_string().find('.') == std::string::npos;
  CHECK(unrounded > 10);
}

TEST_CASE("records typed against other rules: the audit reports each as the reference does") {
  const RuleSet& rules = jiyuan();
  const RuleSet other = RuleSet::load(
      {kRoot + "/rules/jiyuan-common.yaml", kRoot + "/rules/em-opinions-draft.yaml",
       kRoot + "/rules/machining-survey.yaml", kRoot + "/rules/mining-em-survey.yaml"});
  REQUIRE(other.fingerprint() != rules.fingerprint());
  const auto population = parse_enterprises(
      other, "other.yaml", "enterprises:\n  - {id: a, year: 2010, industry: 机械加工}\n");
  const auto ledger = parse_ledger("l.csv", "enterprise,policy_set,rule,year,amount,payer\na," +
                                                rules.rules().front().policy_set + "," +
                                                rules.rules().front().id + ",2010,1,市财政\n");
  const AuditReport batch = audit(rules, population, ledger, Scenario{});
  REQUIRE(batch.findings.size() == 1);
  CHECK(batch.findings[0].kind == FindingKind::evaluation_failed);
  CHECK(to_json(batch) == to_json(detail::audit_whole(rules, population, ledger, Scenario{})));
}
