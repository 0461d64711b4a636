// The golden-case runner: every tests/rules/**/*.yaml file, evaluated against its rule folder.
// The Python runner (tests/python/test_golden.py) reads the same files with the same meaning.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "batch_compare.hpp"
#include "document.hpp"
#include "subsidy/subsidy.hpp"

namespace fs = std::filesystem;
using namespace subsidy;
using detail::find;

namespace {

std::string text_of(const RawValue& v) {
  return v.kind == RawValue::Kind::text ? v.text : std::string();
}

Decimal amount_of(const RawValue& v) { return Decimal::parse(text_of(v)); }

std::string where(const RawValue& v) { return v.mark.to_string(); }

struct Counts {
  std::size_t files = 0, cases = 0, lines = 0;
  std::size_t batch_fast = 0;  ///< cases the batch program computed in fixed point
};

/// The case through the batch program (fixed point, rows it cannot finish there in the exact
/// domain): its results must be the reference evaluation's, texts and item counts included.
std::string run_batch(const RuleSet& rules, const Enterprise& e, const Scenario& s,
                      const Evaluation& ref, Counts& counts) {
  const Program program(rules, s);
  if (!program.compiled()) return "the batch program does not compile: " + program.unsupported();
  const ColumnarResult result = program.run(FactTable::from_enterprises(rules, {e}));
  if (result.rows() != 1) return "the batch program gave no row";
  if (result.by_reference[0] == 0) ++counts.batch_fast;
  const std::string problem = testing::compare_row(rules, result, 0, ref);
  return problem.empty() ? "" : "batch program: " + problem;
}

// Runs one case; returns a list of mismatches (empty when it passes).
std::vector<std::string> run_case(const RuleSet& rules, const std::set<std::string>& focus,
                                  const RawValue& c, Counts& counts) {
  std::vector<std::string> problems;
  Scenario s;
  if (const RawValue* on = find(c, "on")) s.on = Date::parse(text_of(*on));
  if (const RawValue* ch = find(c, "choose")) {
    for (const auto& [k, v] : ch->entries) s.choose[k] = text_of(v);
  }
  if (const RawValue* o = find(c, "options")) {
    for (const auto& [k, v] : o->entries) s.options[k] = text_of(v);
  }
  if (const RawValue* set = find(c, "set")) {
    for (const auto& [k, v] : set->entries) s.parameters[k] = amount_of(v);
  }
  const RawValue* facts = find(c, "facts");
  const RawValue* expect = find(c, "expect");
  if (!facts || !expect) return {"a case needs 'facts' and 'expect' at " + where(c)};
  RawValue record = *facts;
  if (!find(record, "id")) record.entries.emplace_back("id", RawValue::of_text("case"));
  Evaluation ev;
  try {
    const Enterprise enterprise = make_enterprise(rules, record);
    ev = evaluate(rules, enterprise, s);
    const std::string batch = run_batch(rules, enterprise, s, ev, counts);
    if (!batch.empty()) problems.push_back(batch);
  } catch (const Error& e) {
    ev.error = e;
  }
  // An expected error is the evaluation's, or a rule left out for want of a fact (the other rules
  // are still evaluated): its message names the fact.
  std::string failure = ev.ok() ? std::string() : std::string(ev.error->what());
  for (const auto& u : ev.unevaluated) {
    if (focus.count(u.qualified_id()) || find(*expect, "error"))
      failure += (failure.empty() ? "" : "; ") + u.message;
  }
  if (const RawValue* err = find(*expect, "error")) {
    if (failure.empty()) {
      problems.push_back("expected an error containing '" + text_of(*err) + "', got none");
    } else if (failure.find(text_of(*err)) == std::string::npos) {
      problems.push_back("expected an error containing '" + text_of(*err) + "', got: " + failure);
    }
    return problems;
  }
  if (!failure.empty()) {
    problems.push_back("unexpected error: " + failure);
    return problems;
  }
  std::map<std::string, const AwardLine*> got;
  for (const auto& l : ev.lines) {
    if (focus.count(l.qualified_rule())) got[l.qualified_rule()] = &l;
  }
  std::set<std::string> expected_rules;
  if (const RawValue* lines = find(*expect, "lines")) {
    for (const auto& e : lines->items) {
      const std::string rule = text_of(*find(e, "rule"));
      expected_rules.insert(rule);
      auto it = got.find(rule);
      if (it == got.end()) {
        problems.push_back("expected a line from " + rule + " (" + where(e) + "), got none");
        continue;
      }
      const AwardLine& l = *it->second;
      const std::string tag = rule + ": ";
      if (const RawValue* a = find(e, "amount")) {
        if (!(l.status == LineStatus::exact || l.status == LineStatus::decided) ||
            l.amount != amount_of(*a)) {
          problems.push_back(tag + "expected amount " + text_of(*a) + ", got " +
                             to_string(l.status) + " " + l.amount.to_string() + " [" +
                             l.band.min.to_string() + ", " + l.band.max.to_string() + "]");
        }
      }
      if (const RawValue* b = find(e, "band")) {
        if (b->items.size() != 2 || l.status != LineStatus::band ||
            l.band.min != amount_of(b->items[0]) || l.band.max != amount_of(b->items[1])) {
          problems.push_back(tag + "expected band at " + where(*b) + ", got " +
                             to_string(l.status) + " [" + l.band.min.to_string() + ", " +
                             l.band.max.to_string() + "]");
        }
      }
      if (find(e, "unfixed") && l.status != LineStatus::unfixed) {
        problems.push_back(tag + "expected unfixed, got " + to_string(l.status));
      }
      if (find(e, "honour") && l.status != LineStatus::recognised) {
        problems.push_back(tag + "expected an honour/preference line, got " + to_string(l.status));
      }
      if (const RawValue* t = find(e, "tier"); t && l.tier != text_of(*t)) {
        problems.push_back(tag + "expected tier '" + text_of(*t) + "', got '" + l.tier + "'");
      }
      if (const RawValue* p = find(e, "payer"); p && l.info->payer != text_of(*p)) {
        problems.push_back(tag + "expected payer " + text_of(*p) + ", got " + l.info->payer);
      }
      if (const RawValue* f = find(e, "form"); f && to_string(l.info->form) != text_of(*f)) {
        problems.push_back(tag + "expected form " + text_of(*f) + ", got " +
                           to_string(l.info->form));
      }
      if (const RawValue* d = find(e, "decided");
          d && (l.status != LineStatus::decided || l.amount != amount_of(*d))) {
        problems.push_back(tag + "expected decided " + text_of(*d) + ", got " +
                           to_string(l.status));
      }
      if (const RawValue* n = find(e, "count"); n && Decimal(l.items) != amount_of(*n)) {
        problems.push_back(tag + "expected " + text_of(*n) + " items, got " +
                           std::to_string(l.items));
      }
      if (const RawValue* w = find(e, "withheld"); w && l.withheld != (text_of(*w) == "true")) {
        problems.push_back(tag + "expected withheld " + text_of(*w));
      }
    }
  }
  for (const auto& [rule, line] : got) {
    if (!expected_rules.count(rule)) {
      problems.push_back("unexpected line from " + rule + " (" + to_string(line->status) + " " +
                         line->amount.to_string() + ")");
    }
  }
  if (const RawValue* totals = find(*expect, "totals")) {
    for (const auto& [payer, t] : totals->entries) {
      auto it = ev.totals.by_payer.find(payer);
      const Total total = it == ev.totals.by_payer.end() ? Total{} : it->second;
      if (const RawValue* mn = find(t, "min"); mn && total.cash.min != amount_of(*mn)) {
        problems.push_back("total " + payer + ": expected min " + text_of(*mn) + ", got " +
                           total.cash.min.to_string());
      }
      if (const RawValue* mx = find(t, "max"); mx && total.cash.max != amount_of(*mx)) {
        problems.push_back("total " + payer + ": expected max " + text_of(*mx) + ", got " +
                           total.cash.max.to_string());
      }
      if (const RawValue* u = find(t, "unfixed"); u && Decimal(total.unfixed) != amount_of(*u)) {
        problems.push_back("total " + payer + ": expected " + text_of(*u) + " unfixed, got " +
                           std::to_string(total.unfixed));
      }
    }
  }
  if (const RawValue* findings = find(*expect, "findings")) {
    for (const auto& f : findings->items) {
      const std::string id = text_of(f);
      const bool failed = std::any_of(ev.findings.begin(), ev.findings.end(),
                                      [&](const Finding& x) { return x.check == id && !x.passed; });
      if (!failed) problems.push_back("expected check " + id + " to fail");
    }
  }
  return problems;
}

}  // namespace

TEST_CASE("golden cases under tests/rules") {
  const fs::path root = fs::path(SUBSIDY_SOURCE_DIR) / "tests" / "rules";
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, RuleSet> loaded;
  Counts counts;
  for (const auto& file : files) {
    const std::string name = fs::relative(file, SUBSIDY_SOURCE_DIR).string();
    INFO("golden file " << name);
    const RawValue doc = detail::parse_yaml(name, detail::read_file(file.string()));
    fs::path rules_dir = fs::path(SUBSIDY_SOURCE_DIR) / "rules";
    if (const RawValue* r = find(doc, "rules")) rules_dir = file.parent_path() / text_of(*r);
    const std::string key = fs::weakly_canonical(rules_dir).string();
    if (!loaded.count(key)) loaded.emplace(key, RuleSet::load({key}));
    const RuleSet& rules = loaded.at(key);
    std::set<std::string> focus;
    const RawValue* f = find(doc, "focus");
    REQUIRE_MESSAGE(f != nullptr, "a golden file needs 'focus'");
    for (const auto& item : f->items) {
      CHECK_MESSAGE(rules.find_rule(text_of(item)) != nullptr,
                    "focus names an unknown rule: " << text_of(item));
      focus.insert(text_of(item));
    }
    const RawValue* cases = find(doc, "cases");
    REQUIRE_MESSAGE((cases != nullptr && !cases->items.empty()), "a golden file needs cases");
    ++counts.files;
    for (const auto& c : cases->items) {
      const RawValue* n = find(c, "name");
      INFO("case " << (n ? text_of(*n) : std::string("?")) << " at " << where(c));
      const auto problems = run_case(rules, focus, c, counts);
      for (const auto& p : problems) FAIL_CHECK(p);
      ++counts.cases;
    }
  }
  std::cout << "golden: " << counts.files << " files, " << counts.cases << " cases, "
            << counts.batch_fast << " of them in fixed point\n";
  CHECK(counts.files > 0);
  // Most cases run in fixed point, or the batch half of this test would only test the fallback.
  CHECK(counts.batch_fast * 2 > counts.cases);
}

TEST_CASE("an inferred payer is read from the rule files, and needs a payer") {
  const RuleSet rules = RuleSet::load({(fs::path(SUBSIDY_SOURCE_DIR) / "rules").string()});
  const RuleInfo* j2 = rules.find_rule("machining-survey/J2-new-rd-centre");
  const RuleInfo* j4 = rules.find_rule("machining-survey/J4-tax-rebate");
  REQUIRE((j2 != nullptr && j4 != nullptr));
  CHECK(j2->payer_inferred);
  CHECK(j2->payer == "市财政");
  CHECK_FALSE(j4->payer_inferred);
  const std::string catalogue =
      "catalogue:\n  id: c\n  title: C\npayers:\n  市财政: {en: City, level: city}\n";
  const std::string set =
      "policy_set:\n  id: p\n  title: P\nrules:\n  - id: R1\n"
      "    citation: {clause: 一, text: 授予称号}\n    form: honour\n"
      "    payer_inferred: true\n    award: {honour: 称号}\n";
  try {
    (void)RuleSet::load_texts({{"c.yaml", catalogue}, {"p.yaml", set}});
    FAIL_CHECK("payer_inferred without a payer should not load");
  } catch (const ErrorList& list) {
    REQUIRE(list.errors().size() == 1);
    CHECK(std::string(list.errors()[0].what()).find("payer_inferred") != std::string::npos);
    CHECK(list.errors()[0].mark().line == 8);
  }
}
