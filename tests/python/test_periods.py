"""Periods from Python: each record at its own year in the batch and the columnar paths alike
(a population mixing 2009-2025), an explicit date as an override, the audit judging each grant at
its year, last_year(...) from the previous record, and `subsidy check` warning about dates."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from test_columnar import records, table_of

import subsidy
from subsidy.cli import main


@pytest.fixture(scope="module")
def rules() -> subsidy.RuleSet:
    return subsidy.RuleSet.load(REPO / "rules")


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


def multi_year(count: int, seed: int) -> list[dict[str, Any]]:
    """Enterprises of 6 consecutive years each, 2009-2025 overall; every third record leaves last
    year's income tax to its previous-year record."""
    rows = records(count, seed)
    for i, row in enumerate(rows):
        row["id"] = f"E{i // 6}"
        row["year"] = 2009 + i % 6 + 6 * ((i // 6) % 3)
        if i % 3 == 0:  # None, not a missing key: Arrow takes its columns from the first row
            row["income_tax_paid_last_year"] = None
    return rows


@pytest.mark.parametrize("member", ["em-opinions-draft", "machining-survey"])
def test_mixed_years_columnar_equals_batch(rules: subsidy.RuleSet, member: str) -> None:
    rows = multi_year(1200, seed=7)
    assert len({r["year"] for r in rows}) >= 5
    scenario = rules.choose({"electromechanical-policy": member})
    result = scenario.evaluate_columns(table_of(rows), threads=2)
    ref_lines, _ = scenario.evaluate_many(rows).frames()
    got: dict[tuple[str, int], list[tuple[Any, ...]]] = {}
    fast = result.lines.to_pandas()
    for line in fast.itertuples():
        key = (rows[line.row]["id"], rows[line.row]["year"])
        got.setdefault(key, []).append((line.rule, line.status, line.floor, line.ceiling))
    for row, lines in result.oversized.items():
        got[(rows[row]["id"], rows[row]["year"])] = [(x[0], x[1], x[3], x[4]) for x in lines]
    expected: dict[tuple[str, int], list[tuple[Any, ...]]] = {}
    for line in ref_lines.itertuples():
        expected.setdefault((line.enterprise, int(line.year)), []).append(
            (f"{line.policy_set}/{line.rule}", line.status, line.min, line.max)
        )
    assert got == expected
    # No library line before the union's measure, some from 2024 on (the rows that qualify).
    years_with_library = {k[1] for k, v in expected.items() if any("worker-library" in x[0] for x in v)}
    assert all(y >= 2024 for y in years_with_library)


def test_every_example_on_2010_06_30_without_error(rules: subsidy.RuleSet) -> None:
    batch = rules.on("2010-06-30").evaluate_many(REPO / "examples" / "enterprises.yaml")
    for evaluation in batch:
        assert evaluation.error is None, evaluation.error
        assert not any(l.policy_set == "worker-library-award" for l in evaluation.lines)


def test_zhongyuan_special_steel_2010_has_no_library_line(rules: subsidy.RuleSet) -> None:
    batch = rules.evaluate_many(REPO / "examples" / "enterprises.yaml")
    steel = next(e for e in batch if e.enterprise == "zhongyuan-special-steel")
    assert steel.year == 2010
    assert not any(l.policy_set == "worker-library-award" for l in steel.lines)
    explained = rules.baseline.evaluate(
        {"id": "steel", "year": "2010", "industry": "其他", "worker_library": "true"}, trace=True
    )
    reasons = [step.detail for p in explained.passed_over for step in p.trace if step.kind == "in force"]
    assert "policy set worker-library-award not in force on 2010-12-31: in force from 2024-07-06" in reasons


def test_the_example_ledger_row_of_2010_books_is_not_eligible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out = run("audit", "--rules", "rules", "--facts", "examples/enterprises.yaml",
                    "--grants", "examples/ledger.csv")
    assert code == 1
    row = next(l for l in out.splitlines() if l.startswith("| examples/ledger.csv:16 "))
    assert "not_eligible" in row
    assert "not in force on 2010-12-31: in force from 2024-07-06" in row


GAP = """policy_set:
  id: gap
  title: G
  in_force: {from: 2010-01-01}
payers:
  市财政: {en: City, level: city}
facts:
  tax: {type: money}
parameters:
  rate:
    unit: rate
    versions:
      - {from: 2011-01-01, value: 50%}
rules:
  - id: back
    citation: {clause: 一, text: 返还}
    payer: 市财政
    award: {rate: rate, base: tax}
"""


def test_check_warns_about_a_parameter_gap(tmp_path: Path) -> None:
    (tmp_path / "gap.yaml").write_text(GAP, encoding="utf-8")
    warnings = subsidy.RuleSet.load(tmp_path).period_warnings
    assert any("parameter 'gap.rate' has no version from 2010-01-01 to 2010-12-31" in w for w in warnings)
    assert any("rule 'gap/back'" in w for w in warnings)
    code, out = run("check", str(tmp_path))
    assert code == 0
    assert "warning: parameter 'gap.rate'" in out
    # The repository's rules have no such gap.
    assert subsidy.RuleSet.load(REPO / "rules").period_warnings == ()
