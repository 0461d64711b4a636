"""The `subsidy` command: check and evaluate, four output formats, what-if flags, and errors
printed as file:line:column with exit status 1."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import TOY_RULES

from subsidy.cli import main

ENTERPRISES = """\
enterprises:
  - id: E1
    name: 甲公司
    industry: 制造
    sales_revenue: 100000000.01
    land_use_tax: 10万
    income_tax_paid: 300万
    income_tax_paid_last_year: 200万
    new_investment: 5万
    listed: true
  - id: E2
    industry: 服务
"""


@pytest.fixture
def records(tmp_path: Path) -> Path:
    path = tmp_path / "enterprises.yaml"
    path.write_text(ENTERPRISES, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


def test_check_summarises_the_rules() -> None:
    code, out = run("check", str(TOY_RULES))
    assert code == 0
    assert "toy-policy" in out
    assert "5 rules" in out


def test_check_json_is_machine_readable() -> None:
    code, out = run("check", str(TOY_RULES), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["summary"]["rules"] == 5
    assert len(data["fingerprint"]) == 64


def test_evaluate_table_lists_lines_and_totals(records: Path) -> None:
    code, out = run("evaluate", "--rules", str(TOY_RULES), str(records))
    assert code == 0
    assert "E1 甲公司" in out and "E2" in out
    assert "¥440,000.00" in out  # 40% × (10万 + 100万)
    assert "¥1,000,000.00 – ¥2,000,000.00" in out
    assert "unfixed: 奖金若干" in out


def test_evaluate_json_is_the_canonical_json(records: Path) -> None:
    code, out = run("evaluate", "--rules", str(TOY_RULES), str(records), "--format", "json")
    assert code == 0
    documents = json.loads(out)
    assert len(documents) == 2
    assert "440000.00" in json.dumps(documents[0], ensure_ascii=False)


def test_evaluate_csv_has_one_row_per_line_every_enterprise_and_totals(records: Path) -> None:
    code, out = run("evaluate", "--rules", str(TOY_RULES), str(records), "--format", "csv")
    assert code == 0
    every = list(csv.DictReader(io.StringIO(out)))
    assert [(r["row"], r["enterprise"]) for r in every if r["row"] != "line"][:1] == [
        ("no award line", "E2")  # an enterprise without any award is a row of its own
    ]
    assert {r["payer"] for r in every if r["row"] == "total" and r["enterprise"] == "all"} >= {"total"}
    rows = [r for r in every if r["row"] == "line"]
    assert all(r["title"] for r in rows)
    assert [r["rule"] for r in rows] == [
        "rate-rebate",
        "investment-tiers",
        "listing-band",
        "listing-honour",
    ]
    assert Decimal(rows[0]["amount"]) == Decimal("440000.00")
    assert rows[0]["amount"] == "440000.00"  # exact text, no float formatting


def test_evaluate_markdown_is_a_table(records: Path) -> None:
    code, out = run("evaluate", "--rules", str(TOY_RULES), str(records), "--format", "markdown")
    assert code == 0
    assert "### E1 甲公司" in out
    assert "| rule | title | payer | amount | clause |" in out


def test_what_if_flags_change_the_result(records: Path) -> None:
    code, out = run(
        "evaluate", "--rules", str(TOY_RULES), str(records), "--format", "csv",
        "--set", "rebate_rate=60%", "--on", "2021-01-01",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["amount"] == "660000.00"
    code, out = run(
        "evaluate", "--rules", str(TOY_RULES), str(records), "--format", "csv",
        "--on", "2021-01-01",
    )
    assert list(csv.DictReader(io.StringIO(out)))[0]["amount"] == "550000.00"


def test_explain_shows_the_cited_sentence(records: Path) -> None:
    code, out = run("evaluate", "--rules", str(TOY_RULES), str(records), "--explain")
    assert code == 0
    assert "「对销售收入超过1亿元的制造企业" in out


def test_a_broken_rule_file_exits_1_with_file_line_column(
    tmp_path: Path, records: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rules"
    bad.mkdir()
    for source in TOY_RULES.glob("*.yaml"):
        (bad / source.name).write_text(source.read_text("utf-8"), encoding="utf-8")
    policy = bad / "toy-policy.yaml"
    policy.write_text(
        policy.read_text("utf-8").replace("payer: 市财政", "payer: 无此付款方", 1), encoding="utf-8"
    )
    code, _ = run("evaluate", "--rules", str(bad), str(records))
    assert code == 1
    err = capsys.readouterr().err
    assert f"{policy}:" in err
    line = next(l for l in err.splitlines() if l.startswith(f"{policy}:"))
    file_line_column = line[len(str(policy)) + 1 :].split(":")[:2]
    assert all(part.isdigit() for part in file_line_column), line
    assert "无此付款方" in err


def test_an_unknown_option_exits_1(records: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("evaluate", "--rules", str(TOY_RULES), str(records), "--option", "nope=x")
    assert code == 1
    assert "nope" in capsys.readouterr().err


def test_a_failed_evaluation_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(
        "enterprises:\n  - {id: X, industry: 制造, sales_revenue: 2亿, land_use_tax: 1,"
        " income_tax_paid: 1}\n",
        encoding="utf-8",
    )
    code, out = run("evaluate", "--rules", str(TOY_RULES), str(path))
    assert code == 1
    assert "income_tax_paid_last_year" in capsys.readouterr().err


def test_bad_usage_exits_2() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["evaluate", "--set", "no-equals-sign", "x.yaml", "--rules", "r"])
    assert caught.value.code == 2


def test_python_dash_m_subsidy_is_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "subsidy", "audit", "--help"],
        capture_output=True, text=True, check=True,
    )
    assert done.stdout.startswith("usage: subsidy audit ")
    assert "--grants LEDGER" in done.stdout


def test_help_has_examples() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "subsidy.cli", "evaluate", "--help"],
        capture_output=True, text=True, check=True,
    )
    assert "examples:" in done.stdout
    for flag in ("--format", "--option", "--on", "--set", "--choose"):
        assert flag in done.stdout
