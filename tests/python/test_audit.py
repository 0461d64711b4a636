"""`subsidy audit`, `explain` and `compare` end to end on the bundled rules and examples: every kind
of audit finding on the row that has it, a clean ledger with none, Excel ledgers read exactly,
malformed ledger rows located, reports written whole or not at all, and the progress bar only on
a terminal."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

import subsidy
from subsidy import cli
from subsidy.cli import main

RULES = str(REPO / "rules")
EXAMPLES = str(REPO / "examples" / "enterprises.yaml")
AUDIT_DATA = REPO / "tests" / "data" / "audit"
EXTRA = str(AUDIT_DATA / "enterprises.yaml")
ALL_KINDS = str(AUDIT_DATA / "ledger-all-kinds.csv")
CLEAN = str(AUDIT_DATA / "ledger-clean.csv")

# Ledger line -> the finding expected on it (tests/data/audit/ledger-all-kinds.csv).
EXPECTED = {
    2: "over_grant",
    5: "under_grant",
    8: "needs_basis",
    9: "not_eligible",
    13: "payer_mismatch",
    15: "duplicate",
    16: "outside_band",
    17: "unknown_rule",
    18: "unknown_enterprise",
    19: "unknown_enterprise",
}


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def jiyuan() -> subsidy.RuleSet:
    return subsidy.RuleSet.load(RULES)


# --- the audit ---------------------------------------------------------------------------------


def test_every_finding_kind_is_found_on_its_row() -> None:
    code, out = run("audit", "--rules", RULES, "--facts", EXAMPLES, "--facts", EXTRA,
                    "--grants", ALL_KINDS, "--format", "json")
    assert code == 1
    report = json.loads(out)
    found = {f["row"]: f["kind"] for f in report["findings"]}
    assert found == EXPECTED
    assert report["grants"] == 18
    assert report["failing"] == len(EXPECTED)
    over = report["findings"][0]
    assert over["granted"] == "350000.00"
    assert over["computed"] == {"min": "300000.00", "max": "300000.00"}
    assert over["citation"]["clause"] == "（十一）"
    assert "首台重大装备" in over["citation"]["text"]


def test_a_clean_ledger_gives_no_finding_and_exit_status_0() -> None:
    code, out = run("audit", "--rules", RULES, "--facts", EXAMPLES, "--grants", CLEAN)
    assert code == 0, out
    assert "**pass**" in out
    assert "No finding" in out


def test_audit_api_returns_dataclasses_with_exact_amounts(jiyuan: subsidy.RuleSet) -> None:
    records = subsidy.Ledger.load(ALL_KINDS)
    assert len(records) == 18
    population = [*_records(EXAMPLES), *_records(EXTRA)]
    report = subsidy.audit(jiyuan, population, records)
    assert not report.passed
    assert {f.row: f.kind for f in report.findings} == EXPECTED
    counts = report.counts()
    assert counts["unknown_enterprise"] == 2 and counts["evaluation_failed"] == 0
    frame = report.frame()
    assert list(frame["row"]) == sorted(EXPECTED)
    assert frame["granted"].iloc[0] == Decimal("350000.00")
    assert isinstance(frame["granted"].iloc[0], Decimal)
    assert report.findings[0].citation is not None
    assert report.findings[0].payer == "市财政"


def _records(path: str) -> list[dict[str, Any]]:
    import yaml

    with open(path, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=yaml.BaseLoader)  # every scalar as text: exact
    records: list[dict[str, Any]] = data["enterprises"]
    return records


def test_the_report_files_are_written_whole(tmp_path: Path) -> None:
    markdown, report = tmp_path / "audit.md", tmp_path / "audit.json"
    code, out = run("audit", "--rules", RULES, "--facts", EXAMPLES, "--grants", ALL_KINDS,
                    "--facts", EXTRA, "--markdown", str(markdown), "--json", str(report))
    assert code == 1
    assert markdown.read_text(encoding="utf-8") == out
    assert json.loads(report.read_text(encoding="utf-8"))["failing"] == len(EXPECTED)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.json", "audit.md"]


def _xlsx(path: Path, rows: list[list[str]], numeric_columns: set[int]) -> None:
    """A minimal .xlsx written by hand: numeric cells carry their digits as the file stores them."""
    def cell(ref: str, value: str, numeric: bool) -> str:
        if numeric:
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'

    body = "".join(
        f'<row r="{r + 1}">'
        + "".join(cell(f"{chr(65 + c)}{r + 1}", v, r > 0 and c in numeric_columns)
                  for c, v in enumerate(row) if v != "")
        + "</row>"
        for r, row in enumerate(rows)
    )
    main_ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("xl/workbook.xml", f'<workbook xmlns="{main_ns}" xmlns:r="{rel_ns}"><sheets>'
                      '<sheet name="grants" sheetId="1" r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels",
                      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                      '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="worksheet"/></Relationships>')
        book.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{main_ns}"><sheetData>{body}</sheetData></worksheet>')


HEADER = ["enterprise", "policy_set", "rule", "year", "amount", "payer", "approval"]


def test_an_excel_ledger_is_read_exactly(tmp_path: Path, jiyuan: subsidy.RuleSet) -> None:
    path = tmp_path / "grants.xlsx"
    _xlsx(path, [HEADER,
                 ["zhongyuan-special-steel", "em-opinions-draft", "O11-first-unit-major-equipment",
                  "2010", "300000.01", "市财政", "文1"]], numeric_columns={3, 4})
    report = subsidy.audit(jiyuan, EXAMPLES, path)
    (finding,) = report.findings
    assert finding.kind == "over_grant"
    assert finding.granted == Decimal("300000.01")  # not 300000.00999999998
    assert finding.row == 2 and finding.file == str(path)


def test_an_excel_scientific_number_is_refused_with_its_cell(tmp_path: Path) -> None:
    path = tmp_path / "grants.xlsx"
    _xlsx(path, [HEADER, ["a", "p", "r", "2010", "1.23E+8", "市财政", "x"]], numeric_columns={3, 4})
    with pytest.raises(subsidy.SubsidyError) as caught:
        subsidy.Ledger.load(path)
    error = caught.value
    assert (error.line, error.column, error.field) == (2, 5, "amount")
    assert 'found "1.23E+8"' in str(error)


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ("a,p,r,2010,1.23E+08,市财政,x", "amount", 'found "1.23E+08"'),   # Excel-style float
        ("a,p,r,2010,1,市财政", "approval", "expected 7 columns as in the header, found 6"),
        ("a,p,r,2010,1,市财政,x,y", None, "expected 7 columns as in the header, found 8"),
        ('a,p,r,2010,"1,234.5.6",市财政,x', "amount", "1,234.5.6"),       # a quoted comma, bad number
        ("a,p,r,two thousand ten,1,市财政,x", "year", "a year"),
    ],
)
def test_malformed_ledger_rows_stop_with_row_and_field(tmp_path: Path, row: str, field: str | None,
                                                     words: str) -> None:
    ledger = tmp_path / "grants.csv"
    ledger.write_text(",".join(HEADER) + "\n" + row + "\n", encoding="utf-8")
    code = subprocess.run(
        [sys.executable, "-m", "subsidy.cli", "audit", "--rules", RULES, "--facts", EXAMPLES,
         "--grants", str(ledger)],
        capture_output=True, text=True, check=False,
    )
    assert code.returncode == 1
    assert code.stdout == ""
    assert f"{ledger}:2:" in code.stderr
    if field is not None:
        assert f"[{field}]" in code.stderr
    assert words in code.stderr


# --- explain -----------------------------------------------------------------------------------


def test_explain_shows_the_clause_sentence_figures_and_rounding() -> None:
    code, out = run("explain", "--rules", RULES, EXAMPLES, "--enterprise", "xinghua-machinery",
                    "--choose", "electromechanical-policy=machining-survey", "--rule", "J4-tax-rebate")
    assert code == 0
    assert "machining-survey/J4-tax-rebate" in out
    assert "五（三）4" in out
    assert "对销售收入超过1亿元的机械装备制造企业" in out
    assert "sales_revenue = 320000000" in out
    assert "rounding: 320000.00 → 320000.00 (half_up to 0.01)" in out


def test_explain_says_why_a_rule_gave_no_line() -> None:
    code, out = run("explain", "--rules", RULES, EXAMPLES, "--enterprise", "xinke-mining-electric",
                    "--rule", "em-opinions-draft/O21-national-standard")
    assert code == 0
    assert "no award line" in out
    assert "→ false" in out


def test_explain_an_unknown_enterprise_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("explain", "--rules", RULES, EXAMPLES, "--enterprise", "nobody")
    assert code == 1
    assert out == ""
    assert "no enterprise 'nobody'" in capsys.readouterr().err


def test_explain_json_has_the_trace() -> None:
    code, out = run("explain", "--rules", RULES, EXAMPLES, "--enterprise", "jiyuan-daily",
                    "--format", "json")
    assert code == 0
    (evaluation,) = json.loads(out)
    assert evaluation["lines"][0]["trace"]
    assert any(p["rule"] for p in evaluation["passed_over"])


# --- compare -----------------------------------------------------------------------------------


def test_compare_reports_differences_payers_and_budget_lines() -> None:
    code, out = run("compare", "--rules", RULES, "--population", EXAMPLES,
                    "--baseline", "default",
                    "--scenario", "choose.electromechanical-policy=mining-em-survey", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["scenario"].endswith("choose.electromechanical-policy=mining-em-survey")
    rows = {row["enterprise"]: row for row in data["per_enterprise"]}
    assert rows["zhongyuan-special-steel"]["baseline_min"] == "400000.00"
    fund = [c for c in data["budget"] if c["budget_line"] == "mining-em-survey/M1-merger-fund"
            and c["year"] == 2010]
    assert fund and fund[0]["verdict"] == "within"
    assert fund[0]["budget"] == {"min": "10000000", "max": "30000000"}
    assert Decimal(fund[0]["projected"]["max"]) > 0


def test_a_budget_that_projected_awards_may_exceed_is_flagged() -> None:
    # Lower the fund's ceiling is not a what-if the rules allow (budget lines are not parameters),
    # so raise the awards instead: the merger subsidy's per-combination maximum, ten-fold.
    code, out = run("compare", "--rules", RULES, "--population", EXAMPLES, "--baseline",
                    "choose.electromechanical-policy=mining-em-survey",
                    "--scenario", "choose.electromechanical-policy=mining-em-survey;"
                    "set.mining-em-survey.merger_subsidy_max=2000万", "--format", "json")
    assert code == 0
    data = json.loads(out)
    verdicts = {(c["scenario"] == data["baseline"], c["year"]): c["verdict"] for c in data["budget"]
                if c["budget_line"] == "mining-em-survey/M1-merger-fund"}
    assert verdicts[(True, 2010)] == "within"
    assert verdicts[(False, 2010)] == "may exceed"


def test_a_bad_spec_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("compare", "--rules", RULES, "--population", EXAMPLES, "--baseline", "default",
                  "--scenario", "colour=blue")
    assert code == 1
    assert "expected choose.GROUP=SET" in capsys.readouterr().err


# --- output and progress -----------------------------------------------------------------------


def test_an_interrupted_write_leaves_no_partial_output(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "lines.csv"
    target.write_text("the previous run\n", encoding="utf-8")

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt  # the moment between writing the temporary file and renaming it

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(["evaluate", "--rules", RULES, EXAMPLES, "--format", "csv", "-o", str(target)])
    assert target.read_text(encoding="utf-8") == "the previous run\n"
    assert [p.name for p in tmp_path.iterdir()] == ["lines.csv"]  # no temporary file left


def test_an_error_midway_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    code, _ = run("audit", "--rules", RULES, "--facts", EXAMPLES, "--grants",
                  str(tmp_path / "missing.csv"), "-o", str(target))
    assert code == 1
    assert not target.exists()


def test_output_file_gets_the_whole_result(tmp_path: Path) -> None:
    target = tmp_path / "lines.csv"
    code, out = run("evaluate", "--rules", RULES, EXAMPLES, "--format", "csv", "-o", str(target))
    assert code == 0 and out == ""
    _, direct = run("evaluate", "--rules", RULES, EXAMPLES, "--format", "csv")
    assert target.read_bytes().decode("utf-8") == direct  # byte for byte (CSV rows end in CRLF)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_and_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "PROGRESS_AFTER", 0.0)
    monkeypatch.setattr(cli, "PROGRESS_CHUNK", 3)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    code, chunked = run("evaluate", "--rules", RULES, EXAMPLES, "--format", "json")
    assert code == 0
    assert "[" in terminal.getvalue() and "8/8" in terminal.getvalue()
    monkeypatch.setattr(cli, "PROGRESS_CHUNK", 2000)
    _, whole = run("evaluate", "--rules", RULES, EXAMPLES, "--format", "json")
    assert chunked == whole


def test_no_progress_bar_when_piped() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "subsidy.cli", "evaluate", "--rules", RULES, EXAMPLES],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert result.returncode == 0
    assert result.stderr == ""


@pytest.mark.parametrize("command", ["check", "evaluate", "explain", "audit", "compare"])
def test_every_subcommand_has_help_with_an_example(command: str) -> None:
    result = subprocess.run([sys.executable, "-m", "subsidy.cli", command, "--help"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "examples:" in result.stdout
    assert f"subsidy {command} " in result.stdout


# --- the audit guide (docs/audit.md) shows what the command does -----------------------------------


def test_the_audit_guide_table_is_the_real_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    page = (REPO / "docs" / "audit.md").read_text(encoding="utf-8")
    shown = [line for line in page.splitlines() if line.startswith("| examples/ledger.csv:")]
    code, out = run("audit", "--rules", "rules", "--facts", "examples/enterprises.yaml",
                    "--grants", "examples/ledger.csv")
    assert code == 1
    real = [line for line in out.splitlines() if line.startswith("| examples/ledger.csv:")]
    assert shown == real and len(real) == 7


def test_the_audit_guide_python_example_prints_what_it_says(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    page = (REPO / "docs" / "audit.md").read_text(encoding="utf-8")
    block = page.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(block, "docs/audit.md", "exec"), {})
    assert capsys.readouterr().out == "False 1\n"
    assert "# False 1" in block


def test_the_cpp_tool_gives_the_same_report_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """subsidy-cpp (built by scripts/test.sh before pytest runs) prints the engine's report, the
    same bytes as the Python command: the audit lives in the library, not in either front end."""
    monkeypatch.chdir(REPO)
    tool = REPO / "build" / "tools" / "subsidy-cpp"
    assert tool.exists(), "build the C++ tools first (scripts/test.sh does)"
    args = ["--rules", "rules", "--grants", "examples/ledger.csv", "--format", "json"]
    cpp = subprocess.run([str(tool), "audit", *args, "--facts", "examples/enterprises.yaml"],
                         capture_output=True, text=True, check=False)
    assert cpp.returncode == 1
    code, out = run("audit", "--rules", "rules", "--facts", "examples/enterprises.yaml",
                    "--grants", "examples/ledger.csv", "--format", "json")
    assert code == 1
    assert cpp.stdout == out
