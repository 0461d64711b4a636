"""The tools for rule authors and analysts: the golden-case runner (subsidy test), boundary cases
and bound coverage (subsidy cases), goal seek and sensitivity."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import REPO, TOY_RULES

import subsidy
from subsidy import casegen, cases, testing
from subsidy.cli import main

GOLDEN = REPO / "tests" / "rules"
J4 = "machining-survey/J4-tax-rebate"
J4_FILE = GOLDEN / "machining-survey" / "J4-tax-rebate.yaml"
POPULATION = REPO / "examples" / "enterprises.yaml"
MACHINING = {"electromechanical-policy": "machining-survey"}


@pytest.fixture(scope="module")
def rules() -> subsidy.RuleSet:
    return subsidy.RuleSet.load(REPO / "rules")


def broken_copy(tmp_path: Path) -> tuple[Path, int]:
    """J4's golden file with one expected amount changed (55万 → 55万零1分), its rules key pointing
    at the repository's rules; returns the copy and the line its broken case starts on."""
    text = J4_FILE.read_text(encoding="utf-8").replace("rules: ../../../rules", f"rules: {REPO / 'rules'}")
    text = text.replace("amount: 550000.00, payer", "amount: 550000.01, payer", 1)
    path = tmp_path / "J4-broken.yaml"
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines, 1) if "销售收入超过1亿元一分" in line)
    return path, start


# --- subsidy test --------------------------------------------------------------------------------


def test_the_repository_golden_cases_pass_through_run_tests() -> None:
    report = subsidy.run_tests(GOLDEN)
    assert report.ok, report.text()
    assert len(report.files) == len(testing.golden_files([GOLDEN])) > 20
    assert len(report.results) == sum(len(testing.read_golden(p).cases) for p in report.files) > 100
    assert report.summary().endswith(", 0 failed")


def test_subsidy_test_on_the_repository_exits_0() -> None:
    out = io.StringIO()
    assert main(["test", str(GOLDEN)], out=out) == 0
    assert " 0 failed" in out.getvalue()


def test_a_broken_case_is_reported_with_file_line_expected_actual_and_trace(tmp_path: Path) -> None:
    path, line = broken_copy(tmp_path)
    report = subsidy.run_tests(path)
    assert not report.ok
    (failure,) = report.failures
    assert failure.where == f"{path}:{line}"
    assert failure.name == "销售收入超过1亿元一分：土地使用税和新增所得税的50%"
    text = failure.report()
    assert "expected amount 550000.01, got ¥550,000.00" in text
    assert f"trace of {J4}:" in text
    assert "condition: industry == '机械装备制造' and sales_revenue 超过" in text
    assert "sales_revenue = 100000000.01" in text  # the figures the trace substituted
    assert "rounding: 550000 → 550000.00" in text
    assert len(report.results) - 1 == sum(r.passed for r in report.results)


def test_subsidy_test_exits_1_and_writes_junit(tmp_path: Path) -> None:
    path, line = broken_copy(tmp_path)
    junit = tmp_path / "report.xml"
    out = io.StringIO()
    assert main(["test", str(path), "--junit", str(junit)], out=out) == 1
    assert f"{path}:{line}: FAILED" in out.getvalue()
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    testcases = suite.findall("testcase")
    total = len(testing.read_golden(path).cases)
    assert int(root.get("tests", "")) == int(suite.get("tests", "")) == len(testcases) == total
    assert int(root.get("failures", "")) == int(suite.get("failures", "")) == 1
    failed = [case for case in testcases if case.find("failure") is not None]
    assert len(failed) == 1
    assert failed[0].get("line") == str(line)
    failure = failed[0].find("failure")
    assert failure is not None
    assert "expected amount 550000.01" in failure.get("message", "")
    assert f"trace of {J4}" in (failure.text or "")
    assert all(case.get("classname") == str(path) and case.get("name") for case in testcases)


def test_a_missing_line_shows_why_the_rule_gave_none(tmp_path: Path) -> None:
    text = J4_FILE.read_text(encoding="utf-8").replace("rules: ../../../rules", "rules: rules")
    # 1亿 exactly gives no line; expecting one shows the passed-over rule's condition.
    text = text.replace("      lines: []            # 100000000.00 is not > 1亿",
                        f"      lines: [{{rule: {J4}, amount: 1}}]", 1)
    (tmp_path / "J4.yaml").write_text(text, encoding="utf-8")
    report = subsidy.run_tests(tmp_path, rules=REPO / "rules")  # --rules overrides the key
    (failure,) = report.failures
    assert f"expected a line from {J4}" in failure.report()
    assert "→ false" in failure.report()


def test_a_file_that_is_not_golden_is_a_located_failure(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("focus: [x]\ncases: 3\n", encoding="utf-8")
    report = subsidy.run_tests(tmp_path, rules=TOY_RULES)
    (failure,) = report.failures
    assert failure.where.endswith("bad.yaml:1")
    assert "'cases' must be a list" in failure.problems[0]


# --- bounds, coverage, generated cases -----------------------------------------------------------


def test_the_repository_golden_cases_exercise_every_bound(rules: subsidy.RuleSet) -> None:
    report = cases.coverage(rules, [GOLDEN])
    assert report.bound_total > 20
    assert report.complete, report.text()
    assert report.bound_covered == report.bound_total
    assert f"bounds: {report.bound_total}/{report.bound_total} exercised" in report.text()


def test_the_engine_rules_golden_cases_exercise_every_bound() -> None:
    engine = subsidy.RuleSet.load(REPO / "tests" / "data" / "engine")
    report = cases.coverage(engine, [GOLDEN], only=["policy-a/R3-rate", "policy-a/R5-tiers"])
    assert report.bound_total >= 4
    assert report.complete, report.text()


def test_coverage_names_a_bound_the_cases_miss(rules: subsidy.RuleSet, tmp_path: Path) -> None:
    text = J4_FILE.read_text(encoding="utf-8").replace("rules: ../../../rules", f"rules: {REPO / 'rules'}")
    text = text.replace("sales_revenue: 100000000.01", "sales_revenue: 100000000.02")
    (tmp_path / "J4.yaml").write_text(text, encoding="utf-8")
    report = cases.coverage(rules, [tmp_path], only=[J4])
    assert not report.complete
    ((bound, lacking),) = report.rules[0].missing_bounds
    assert bound.subject == "sales_revenue" and bound.cmp == "gt"
    assert bound.value == Decimal("100000000")
    assert lacking == [Decimal("0.01")]
    assert "needs subject − bound = +0.01" in report.text()


def test_bounds_come_from_the_engine_tree(rules: subsidy.RuleSet) -> None:
    bounds = {(b.where, b.subject, b.cmp, b.value) for b in cases.bounds_of(rules, J4)}
    assert ("condition", "sales_revenue", "gt", Decimal("100000000")) in bounds
    assert ("award", "sales_revenue", "gt", Decimal("500000000")) in bounds
    conditions = cases.conditions_of(rules, J4)
    assert [c.text for c in conditions] == [
        "industry == '机械装备制造'", "sales_revenue 超过 rebate_revenue_threshold_low"
    ]


def test_generated_cases_sit_on_the_bound_and_one_fen_either_side(rules: subsidy.RuleSet, tmp_path: Path) -> None:
    generated = casegen.generate(rules, J4, seeds=[GOLDEN], rules_path=str(REPO / "rules"))
    by_revenue = {}
    for case in generated.cases:
        if case.purpose.startswith("sales_revenue > 100000000"):
            by_revenue[Decimal(case.facts["sales_revenue"])] = case
    assert sorted(by_revenue) == [Decimal("99999999.99"), Decimal("100000000"), Decimal("100000000.01")]
    assert by_revenue[Decimal("100000000")].lines == ()
    assert by_revenue[Decimal("99999999.99")].lines == ()
    assert by_revenue[Decimal("100000000.01")].lines[0]["amount"] == "550000.00"
    mcdc = [c for c in generated.cases if c.purpose.startswith("MC/DC")]
    assert {c.purpose.split(":")[1].strip().split(" holds")[0].split(" fails")[0] for c in mcdc} == {
        "industry == '机械装备制造'", "sales_revenue 超过 rebate_revenue_threshold_low"
    }
    assert all(c.lines == () for c in mcdc)  # in an 'and', each operand failing alone denies
    # Written out, they are golden cases the runner reads and passes (the engine's own results).
    path = tmp_path / "generated.yaml"
    path.write_text(generated.yaml(), encoding="utf-8")
    report = subsidy.run_tests(path)
    assert report.ok, report.text()
    assert len(report.results) == len(generated.cases)


def test_generation_without_a_golden_case_sets_up_the_enterprise(rules: subsidy.RuleSet) -> None:
    generated = casegen.generate(rules, J4)
    start = generated.cases[0]
    assert start.facts["industry"] == "机械装备制造"
    assert Decimal(start.facts["sales_revenue"]) == Decimal("100000000.01")
    assert start.lines and start.lines[0]["rule"] == J4


def test_subsidy_cases_cli(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["cases", "--rules", str(REPO / "rules"), "--rule", J4, "--format", "text"], out=out) == 0
    assert "sales_revenue = 100000000.01" in out.getvalue()
    out = io.StringIO()
    assert main(["cases", "--rules", str(REPO / "rules"), "--coverage", str(GOLDEN)], out=out) == 0
    assert "exercised" in out.getvalue()


# --- goal seek and sensitivity -------------------------------------------------------------------


def beneficiary_total(scenario: subsidy.Scenario, rate: Decimal) -> Decimal:
    batch = scenario.with_parameters({"machining-survey.rebate_rate_low": rate}).evaluate_many(POPULATION)
    return batch.aggregate("payer", list(batch.ok)).get("受益财政", subsidy.Total.zero()).cash.max


def test_goal_seek_finds_the_rebate_rate_exactly(rules: subsidy.RuleSet) -> None:
    scenario = rules.baseline.choose(MACHINING)
    at_half = beneficiary_total(scenario, Decimal("0.50"))
    target = at_half + Decimal("12345.67")  # just above today's total: a rate a little above 50%
    result = subsidy.goal_seek(scenario, "machining-survey.rebate_rate_low", target=target,
                               population=POPULATION, payer="受益财政")
    assert result.ok and result.monotone and result.direction == "largest"
    assert result.value is not None and Decimal("0.50") < result.value < Decimal("0.60")
    assert result.value == result.value.quantize(Decimal("0.0001"))  # a whole number of 0.01%
    # The answer, checked one quantum either side by evaluating the population again.
    assert beneficiary_total(scenario, result.value) <= target
    assert beneficiary_total(scenario, result.value + Decimal("0.0001")) > target
    assert result.total == beneficiary_total(scenario, result.value)
    assert result.beyond == result.value + Decimal("0.0001")


def test_goal_seek_reports_a_total_that_is_not_monotone() -> None:
    texts = {p.name: p.read_text(encoding="utf-8") for p in TOY_RULES.glob("*.yaml")}
    texts["toy-policy.yaml"] = texts["toy-policy.yaml"].replace(
        'award: {rate: rebate_rate, base: "land_use_tax + new_income_tax"}',
        'award: {formula: "if(rebate_rate 超过 60%, 0, rebate_rate * land_use_tax)"}',
    )
    toy = subsidy.RuleSet.from_texts(texts)
    population = [{"id": "E1", "industry": "制造", "sales_revenue": "2亿", "land_use_tax": "10万",
                   "income_tax_paid": "0", "income_tax_paid_last_year": "0"}]
    result = subsidy.goal_seek(toy, "rebate_rate", target="65000", population=population,
                               payer="受益财政")
    assert not result.monotone and not result.ok
    assert "rises and falls" in result.note
    assert "NOT MONOTONE" in result.text()


def test_sensitivity_ranks_the_rebate_rate_first(rules: subsidy.RuleSet) -> None:
    result = subsidy.sensitivity(rules.baseline.choose(MACHINING), population=POPULATION,
                                 payer="受益财政", step="10%")
    swings = [row.swing for row in result.rows]
    assert swings == sorted(swings, reverse=True)
    assert result.rows[0].parameter.startswith("machining-survey.rebate_rate")
    assert result.rows[0].swing > 0
    low = next(r for r in result.rows if r.parameter == "machining-survey.rebate_rate_low")
    assert (low.low_value, low.high_value) == (Decimal("0.45"), Decimal("0.55"))


def test_goal_seek_cli() -> None:
    out = io.StringIO()
    code = main(["goal-seek", "--rules", str(REPO / "rules"), "--population", str(POPULATION),
                 "--choose", "electromechanical-policy=machining-survey",
                 "--parameter", "machining-survey.rebate_rate_low", "--payer", "受益财政",
                 "--target", "1亿"], out=out)
    assert code == 0, out.getvalue()
    assert "answer: machining-survey.rebate_rate_low = " in out.getvalue()


def test_goal_seek_keeps_a_budget_line_within_its_ceiling(rules: subsidy.RuleSet) -> None:
    scenario = rules.baseline.choose({"electromechanical-policy": "mining-em-survey"})
    parameter = "mining-em-survey.merger_subsidy_max"

    def covered(value: Decimal) -> Decimal:
        batch = scenario.with_parameters({parameter: value}).evaluate_many(POPULATION)
        checks = [c for c in subsidy.budget_checks(batch) if c.line.id == "M1-merger-fund"]
        assert checks and all(c.projected is not None for c in checks)
        return max(c.projected.max for c in checks if c.projected is not None)  # the worst year

    target = covered(Decimal("2000000")) + Decimal("0.5")
    result = subsidy.goal_seek(scenario, parameter, target=target, population=POPULATION,
                               budget_line="M1-merger-fund")
    assert result.ok, result.text()
    assert result.value is not None and result.quantum == Decimal("0.01")
    assert covered(result.value) <= target < covered(result.value + Decimal("0.01"))


def test_a_count_of_a_list_is_set_by_the_number_of_records(rules: subsidy.RuleSet) -> None:
    generated = casegen.generate(rules, "em-opinions-draft/O10-matching-support", seeds=[GOLDEN])
    by_count = {len(c.facts["superior_funded_projects"]): c for c in generated.cases[1:]
                if c.purpose.startswith("count(superior_funded_projects) > 0")}
    assert sorted(by_count) == [0, 1]  # -1 records cannot be: said so, not generated
    assert by_count[0].lines == ()
    assert by_count[1].lines[0]["unfixed"] == "true"
    assert any("cannot have -1 records" in s for s in generated.skipped)


def test_sensitivity_moves_the_value_in_force_on_the_scenario_date(toy_rules: subsidy.RuleSet) -> None:
    population = [{"id": "E1", "industry": "制造", "sales_revenue": "2亿", "land_use_tax": "10万",
                   "income_tax_paid": "300万", "income_tax_paid_last_year": "200万"}]
    dated = subsidy.sensitivity(toy_rules.baseline.on("2021-06-30"), population=population,
                                payer="受益财政", parameters=["rebate_rate"])
    latest = subsidy.sensitivity(toy_rules, population=population, payer="受益财政",
                                 parameters=["rebate_rate"])
    assert dated.rows[0].base_value == Decimal("0.50")  # the 2020 version, in force in 2021
    assert latest.rows[0].base_value == Decimal("0.40")  # the 2022 revision
    # 50% × (10万 + 100万) = 55万; 45% and 55% give 49.5万 and 60.5万
    assert dated.base_total == Decimal("550000.00")
    assert (dated.rows[0].low_total, dated.rows[0].high_total) == (Decimal("495000.00"), Decimal("605000.00"))
