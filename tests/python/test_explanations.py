"""Explanations show the branch a formula took with its figures, the cited sentence once, and
"no tier reached" as a reason of its own (in explain and in the audit), in English or Chinese."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, TOY_RULES, toy_record

import subsidy

J4 = "machining-survey/J4-tax-rebate"


def test_the_branch_taken_with_its_figures_once() -> None:
    rules = subsidy.RuleSet.load(REPO / "rules")
    survey = rules.choose({"electromechanical-policy": "machining-survey"})
    firm = {"id": "BIG", "industry": "机械装备制造", "sales_revenue": "6亿",
            "land_use_tax": "1125000", "income_tax_paid": "950万",
            "income_tax_paid_last_year": "500万"}
    evaluation = survey.evaluate(firm)
    line = evaluation.line(J4)
    formula = [step.detail for step in line.trace if step.kind == "formula"][0]
    assert "50% × 1,125,000.00 + 70% × 4,500,000.00 = 3,712,500.00" in formula
    shown = formula.split("  [")[0]  # the figures; the notes after it say where each came from
    assert "if(" not in shown and "option(" not in shown  # one branch, not every branch
    text = evaluation.explain_text(J4)
    assert text.count(line.citation.text) == 1


def test_no_tier_reached_is_its_own_reason(tmp_path: Path) -> None:
    rules = subsidy.RuleSet.load(TOY_RULES)
    evaluation = rules.baseline.evaluate(toy_record(new_investment="1万", year=2024))
    passed = [p for p in evaluation.passed_over if p.rule == "investment-tiers"][0]
    assert passed.reason == "no_tier"
    text = evaluation.explain_text("investment-tiers")
    assert "no award line: no tier reached (the conditions are met)" in text
    assert "conditions are not met" not in text
    assert "未达到任何档次" in evaluation.explain_text("investment-tiers", lang="zh")

    facts = tmp_path / "firm.yaml"
    facts.write_text(
        "enterprises:\n  - id: E1\n    year: 2024\n    industry: 制造\n    sales_revenue: 1\n"
        "    land_use_tax: 1\n    income_tax_paid: 1\n    income_tax_paid_last_year: 1\n"
        "    new_investment: 1万\n    listed: false\n", encoding="utf-8")
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("enterprise,policy_set,rule,year,amount,payer,approval\n"
                      "E1,toy-policy,investment-tiers,2024,5000,市财政,A-1\n", encoding="utf-8")
    report = subsidy.audit(rules, facts, ledger)
    finding = [f for f in report.findings if f.kind == "not_eligible"][0]
    assert finding.message.startswith("no tier reached: the conditions of toy-policy/investment-tiers are met")
    assert "not met" not in finding.message


def test_explanations_in_chinese() -> None:
    rules = subsidy.RuleSet.load(TOY_RULES)
    text = rules.baseline.evaluate(toy_record()).explain_text(lang="zh")
    assert text.startswith("评估：E1 测试企业")
    assert "合计：现金 ¥" in text and "引用：" in text and "回执：sha256:" in text
