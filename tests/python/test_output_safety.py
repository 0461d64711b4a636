"""Outputs finance staff open in terminals and spreadsheets: random enterprise ids and names
(control characters, ANSI/OSC escapes, newlines, formula prefixes) go through the command's
writers, and nothing is executed (no control character reaches a terminal, no CSV cell starts
a formula), forged (no line of its own, no extra row) or lost (every character is there,
escaped or behind the apostrophe)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from pathlib import Path

from conftest import TOY_RULES
from hypothesis import given, settings
from hypothesis import strategies as st

from subsidy.cli import main
from subsidy.reports import printable, spreadsheet_text

TRICKS = ["\x1b[31m", "\x1b]8;;http://x\x07", "\n", "\r", "\t", "=", "+", "-", "@", "|", "\x00",
          "\x9b", "\u2028", "\u202e", "total: cash ¥1.00 verified OK", "甲", "`"]
text = st.lists(st.one_of(st.sampled_from(TRICKS), st.text(max_size=3)), max_size=5).map("".join)
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def evaluate(tmp: Path, ident: str, name: str, fmt: str) -> tuple[int, str, str]:
    facts = tmp / "firms.json"
    record = {"id": ident, "industry": "制造", "sales_revenue": "100000000.01",
              "land_use_tax": "10万", "income_tax_paid": "300万",
              "income_tax_paid_last_year": "200万", "new_investment": "5万", "listed": False}
    if name:
        record["name"] = name
    facts.write_text(json.dumps({"enterprises": [record]}), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["evaluate", "--rules", str(TOY_RULES), str(facts), "--format", fmt], out=out)
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=60)
@given(ident=text.filter(lambda s: s.strip() != ""), name=text)
def test_random_ids_and_names_are_neither_run_nor_forged_nor_lost(
    tmp_path_factory: object, ident: str, name: str
) -> None:
    tmp = tmp_path_factory.mktemp("safety")  # type: ignore[attr-defined]
    code, baseline, _ = evaluate(tmp, "E1", "甲公司", "table")
    assert code == 0
    for fmt in ("table", "markdown"):
        code, out, err = evaluate(tmp, ident, name, fmt)
        for stream in (out, err):
            assert CONTROL.search(stream) is None  # only the writer's own newlines
        if code != 0:  # refused (an id the loader does not take): a located error, escaped
            assert "error" in err and out.count("error") <= 1
            continue
        shown = printable(ident + (f" {name}" if name else ""))
        assert shown in out  # not lost
        if fmt == "table":
            assert out.count("\n") == evaluate(tmp, "E1", "甲公司", fmt)[1].count("\n")  # not forged
            assert [l for l in out.splitlines() if l.startswith("total:")] == [
                l for l in baseline.splitlines() if l.startswith("total:")]
        else:
            assert sum(l.startswith("### ") for l in out.splitlines()) == 1
    code, out, _ = evaluate(tmp, ident, name, "csv")
    if code == 0:
        rows = list(csv.DictReader(io.StringIO(out)))
        assert len(rows) == len(list(csv.DictReader(io.StringIO(evaluate(tmp, "E1", "甲", "csv")[1]))))
        lines = [r for r in rows if r["row"] == "line"]
        assert {r["enterprise"] for r in lines} == {spreadsheet_text(ident)}  # nothing lost
        assert {r["name"] for r in lines} == {spreadsheet_text(name)}
        for row in rows:
            for cell in row.values():
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))  # nothing run


def test_spreadsheet_text_follows_owasp() -> None:
    for dangerous in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert spreadsheet_text(dangerous) == "'" + dangerous
    assert spreadsheet_text("甲公司") == "甲公司"
    assert printable("a\nb\x1b[2J") == "a\\nb\\x1b[2J"


def test_the_audit_report_escapes_what_the_ledger_holds(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.csv"
    with ledger.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["enterprise", "policy_set", "rule", "year", "amount", "payer", "approval"])
        writer.writerow(["E9\x1b[2J\n| total | verified OK |", "toy-policy", "investment-tiers",
                         "2024", "5000", "市财政", "A-1"])
    facts = tmp_path / "firms.yaml"
    facts.write_text("enterprises:\n  - id: E1\n    industry: 制造\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["audit", "--rules", str(TOY_RULES), "--facts", str(facts),
                     "--grants", str(ledger)], out=out)
    assert code == 1
    for stream in (out.getvalue(), err.getvalue()):
        assert CONTROL.search(stream) is None
    if out.getvalue():  # the grant was read: its row shows the id escaped, on one line
        assert "E9\\x1b[2J\\n\\| total \\| verified OK \\|" in out.getvalue()
        assert not any(line.startswith("| total") for line in out.getvalue().splitlines())
