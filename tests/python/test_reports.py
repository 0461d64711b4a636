"""Reports a supervisor opens: workbooks (-o FILE.xlsx) read back by openpyxl with the exact
amounts, CSV for Excel (byte-order mark, every enterprise, titles, totals), failed checks shown
with a non-zero exit, and cells a spreadsheet could run neutralised."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import REPO, TOY_RULES

import subsidy
from subsidy import reports
from subsidy.results import money
from subsidy.cli import main

RULES = REPO / "rules"
EXAMPLES = REPO / "examples" / "enterprises.yaml"
LEDGER = REPO / "examples" / "ledger.csv"
MACHINING = "choose.electromechanical-policy=machining-survey"


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


def sheet_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    book = openpyxl.load_workbook(path)
    rows = list(book[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def exact(cell: Any) -> Decimal:
    """A number cell read back: openpyxl gives a float, whose shortest repr is the decimal
    Excel shows (15 significant digits at most); a text cell is the digits themselves."""
    assert isinstance(cell, (int, float, str)), cell
    return Decimal(cell if isinstance(cell, str) else repr(cell))


def test_evaluate_writes_a_workbook_with_the_exact_amounts(tmp_path: Path) -> None:
    target = tmp_path / "result.xlsx"
    code, out = run("evaluate", "--rules", str(RULES), str(EXAMPLES), "-o", str(target))
    assert code == 0 and out == ""
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["results", "totals by payer", "findings", "notes"]
    batch = subsidy.RuleSet.load(RULES).baseline.evaluate_many(EXAMPLES)
    expected = {
        (e.enterprise, e.year, line.qualified_rule): line.amount
        for e in batch for line in e.lines if line.amount is not None
    }
    rows = sheet_rows(target, "results")
    got = {
        (r["enterprise"], r["year"], f"{r['policy set']}/{r['rule']}"): exact(r["amount"])
        for r in rows if r["amount"] is not None
    }
    assert got == expected and len(got) >= 5
    assert all(r["cited sentence"] for r in rows if r["row"] == "line")  # the sentence beside it
    assert {r["enterprise"] for r in rows} == {e.enterprise for e in batch}
    totals = sheet_rows(target, "totals by payer")
    overall = [r for r in totals if r["enterprise"] == "all" and r["payer"] == "total"]
    assert exact(overall[0]["cash min"]) == batch.total().cash.min


def test_an_amount_past_fifteen_digits_is_text_and_the_notes_say_so(tmp_path: Path) -> None:
    records = tmp_path / "big.yaml"
    records.write_text(
        "enterprises:\n  - id: BIG\n    industry: 制造\n    sales_revenue: 123456789012345678.01\n"
        "    land_use_tax: 1234567890123456.45\n    income_tax_paid: 3\n"
        "    income_tax_paid_last_year: 2\n    new_investment: 5\n    listed: false\n",
        encoding="utf-8",
    )
    target = tmp_path / "big.xlsx"
    code, _ = run("evaluate", "--rules", str(TOY_RULES), str(records), "-o", str(target))
    assert code == 0
    line = subsidy.RuleSet.load(TOY_RULES).baseline.evaluate_many(records)[0].lines[0]
    assert line.amount is not None and len(line.amount.as_tuple().digits) > 15
    cell = sheet_rows(target, "results")[0]["amount"]
    assert cell == reports.plain(line.amount)  # text, every digit kept
    notes = [row[0] for row in openpyxl.load_workbook(target)["notes"].iter_rows(values_only=True)]
    assert any("15 significant digits" in str(n) for n in notes)
    assert any("results!K2" in str(n) for n in notes)


def test_audit_and_compare_write_workbooks(tmp_path: Path) -> None:
    target = tmp_path / "audit.xlsx"
    code, _ = run("audit", "--rules", str(RULES), "--facts", str(EXAMPLES),
                  "--grants", str(LEDGER), "-o", str(target))
    assert code == 1  # the example ledger has findings
    findings = sheet_rows(target, "findings")
    over = [f for f in findings if f["finding"] == "over_grant"][0]
    assert exact(over["granted"]) == Decimal("350000.00")
    assert exact(over["computed max"]) == Decimal("300000.00")
    assert over["cited sentence"]

    target = tmp_path / "compare.xlsx"
    code, _ = run("compare", "--rules", str(RULES), "--population", str(EXAMPLES),
                  "--baseline", "default", "--scenario", MACHINING, "-o", str(target), "--lang", "zh")
    assert code == 0
    rules = subsidy.RuleSet.load(RULES)
    comparison = subsidy.compare(
        rules.baseline, rules.baseline.choose({"electromechanical-policy": "machining-survey"}),
        EXAMPLES,
    )
    payers = {r["出资方"]: r for r in sheet_rows(target, "按出资方合计")}
    for payer, change in comparison.by_payer.items():
        assert exact(payers[payer]["方案 上限"]) == change.scenario.cash.max
        assert exact(payers[payer]["变化 下限"]) == change.change.min


def test_csv_for_excel_has_a_bom_every_enterprise_and_totals(tmp_path: Path) -> None:
    records = tmp_path / "firms.yaml"
    records.write_text(
        "enterprises:\n  - id: E1\n    name: 甲公司\n    industry: 制造\n"
        "    sales_revenue: 100000000.01\n    land_use_tax: 10万\n    income_tax_paid: 300万\n"
        "    income_tax_paid_last_year: 200万\n    new_investment: 5万\n    listed: true\n"
        "  - id: E2\n    name: 乙公司\n    industry: 服务\n",
        encoding="utf-8",
    )
    target = tmp_path / "lines.csv"
    code, _ = run("evaluate", "--rules", str(TOY_RULES), str(records), "--format", "csv",
                  "--excel", "-o", str(target))
    assert code == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["enterprise"] for r in rows} >= {"E1", "E2"}
    assert [r["row"] for r in rows if r["enterprise"] == "E2"][0] == "no award line"
    assert all(r["title"] for r in rows if r["row"] == "line")
    assert any(r["row"] == "total" and r["enterprise"] == "all" for r in rows)

    code, out = run("audit", "--rules", str(RULES), "--facts", str(EXAMPLES),
                    "--grants", str(LEDGER), "--format", "csv")
    assert code == 1
    kinds = [r["finding"] for r in csv.DictReader(io.StringIO(out))]
    assert "over_grant" in kinds and "not_eligible" in kinds


def test_a_failed_check_is_shown_and_exits_1(tmp_path: Path) -> None:
    records = tmp_path / "decided.yaml"
    records.write_text(
        "enterprises:\n  - id: E1\n    industry: 制造\n    sales_revenue: 1\n    land_use_tax: 1\n"
        "    income_tax_paid: 1\n    income_tax_paid_last_year: 1\n    new_investment: 1\n"
        "    listed: true\n    decided:\n      toy-policy/listing-band: 5万\n",
        encoding="utf-8",
    )
    for fmt in ("table", "markdown", "csv"):
        code, out = run("evaluate", "--rules", str(TOY_RULES), str(records), "--format", fmt)
        assert code == 1, fmt
        assert "failed check" in out and "decided-amount" in out, fmt


def test_workbook_usage_errors_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["check", str(TOY_RULES), "-o", str(tmp_path / "x.xlsx")])
    assert stop.value.code == 2
    with pytest.raises(SystemExit) as stop:
        main(["evaluate", "--rules", str(TOY_RULES), str(EXAMPLES), "--format", "xlsx"])
    assert stop.value.code == 2
    assert not (tmp_path / "x.xlsx").exists()


def test_money_has_one_format() -> None:
    assert money(Decimal(0)) == "¥0.00"
    assert money(Decimal("3.0E+5")) == "¥300,000.00"
    assert money(Decimal("1234.5")) == "¥1,234.50"
    assert money(Decimal("0.0000000001")) == "¥0.0000000001"  # exact, never rounded
    assert reports.plain(Decimal("3.0E+5")) == "300000.00"
