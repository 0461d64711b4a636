"""Hostile inputs on the Python side: overrides checked by their unit, duplicates refused across
sources, NaN and huge exponents refused at once, thread counts validated, arithmetic exact under a
hostile decimal context, and `-o` refusing targets a rename would wrongly replace."""

from __future__ import annotations

import decimal
import os
import stat
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import REPO, toy_record

import subsidy
from subsidy.cli import main
from subsidy.results import Band

RULES = str(REPO / "rules")
EXAMPLES = str(REPO / "examples" / "enterprises.yaml")


def run(*argv: str) -> tuple[int, str]:
    import io

    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


# --- overrides are read by the parameter's unit ------------------------------------------------


def test_a_money_override_for_a_rate_parameter_is_refused(toy_rules: subsidy.RuleSet) -> None:
    with pytest.raises(subsidy.SubsidyError) as caught:
        toy_rules.with_parameters({"toy-policy.rebate_rate": "50万元"})
    assert caught.value.kind == "unit"
    assert "expected a rate for parameter 'rebate_rate', found '50万元'" in str(caught.value)


@pytest.mark.parametrize("value", ["60", 60, Decimal("60")])
def test_a_bare_number_above_1_for_a_rate_is_refused(toy_rules: subsidy.RuleSet, value: Any) -> None:
    with pytest.raises(subsidy.SubsidyError, match="which would be 6000%"):
        toy_rules.with_parameters({"toy-policy.rebate_rate": value})


@pytest.mark.parametrize("value", ["60%", "0.6", Decimal("0.6"), "百分之六十"])
def test_a_rate_written_as_a_rate_or_a_fraction_is_taken(toy_rules: subsidy.RuleSet, value: Any) -> None:
    scenario = toy_rules.with_parameters({"toy-policy.rebate_rate": value})
    assert dict(scenario.parameters)["toy-policy.rebate_rate"] == Decimal("0.6")


def test_the_cli_refuses_a_money_override_for_a_rate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run("evaluate", "--rules", RULES, EXAMPLES,
                    "--set", "machining-survey.rebate_rate_low=50万元")
    assert code == 1
    assert out == ""
    assert "expected a rate for parameter 'rebate_rate_low', found '50万元'" in capsys.readouterr().err


# --- one population: duplicates refused wherever the records come from --------------------------


def test_the_same_enterprise_in_two_facts_files_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_text(Path(EXAMPLES).read_text(encoding="utf-8"), encoding="utf-8")
    code, _ = run("compare", "--rules", RULES, "--population", EXAMPLES, "--population", str(copy),
                  "--baseline", "default", "--scenario", "on=2010-06-30")
    assert code == 1
    err = capsys.readouterr().err
    assert "appears twice for the same year (first in enterprises.yaml, line" in err


def test_duplicates_in_a_frame_and_in_records_are_refused(toy_rules: subsidy.RuleSet) -> None:
    records = [toy_record(), toy_record(name="again")]
    with pytest.raises(subsidy.SubsidyError, match="'E1' appears twice for the same year"):
        toy_rules.evaluate_many(records)
    with pytest.raises(subsidy.SubsidyError, match="'E1' appears twice for the same year"):
        toy_rules.evaluate_many(pd.DataFrame(records))


@pytest.mark.parametrize("ident", ["E1 ", " E1", "E1\u200b", "E\u00ad1", "E1\u00a0"])
def test_ids_with_spaces_or_invisible_characters_are_refused(
    toy_rules: subsidy.RuleSet, ident: str
) -> None:
    with pytest.raises(subsidy.SubsidyError, match="expected an enterprise id without"):
        toy_rules.evaluate_many([toy_record(id=ident)])


# --- NaN, sNaN and huge exponents ---------------------------------------------------------------


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity")])
def test_a_non_finite_decimal_is_refused_in_records_and_frames(
    toy_rules: subsidy.RuleSet, bad: Decimal
) -> None:
    with pytest.raises(ValueError, match="is not a finite number"):
        toy_rules.evaluate_many([toy_record(sales_revenue=bad)])
    frame = pd.DataFrame([toy_record(), toy_record(id="E2", sales_revenue=bad)])
    located = r"(column 'sales_revenue', row 2|fact 'sales_revenue'): Decimal\('(s?NaN|-Infinity)'\)"
    with pytest.raises(ValueError, match=located + " is not a finite number"):
        toy_rules.evaluate_many(frame)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1E+999999999", "has the exponent 999999999, beyond the limit of ±999999"),
        ("1E-999999999", "has the exponent -999999999, beyond the limit of ±999999"),
        ("1E+5000", "written out has 5001 digits, beyond the limit of 4096 digits"),
    ],
)
def test_a_huge_exponent_is_refused_at_once(
    toy_rules: subsidy.RuleSet, value: str, message: str
) -> None:
    with pytest.raises(subsidy.SubsidyError) as caught:
        toy_rules.evaluate_many([toy_record(sales_revenue=Decimal(value))])
    assert caught.value.kind == "overflow"
    assert message in str(caught.value)


# --- threads --------------------------------------------------------------------------------------


def test_a_negative_thread_count_is_a_clear_error(toy_rules: subsidy.RuleSet) -> None:
    with pytest.raises(ValueError, match="threads must be 0 .* found -5"):
        toy_rules.evaluate_many([toy_record()], threads=-5)


def test_a_huge_thread_count_is_cut_down(toy_rules: subsidy.RuleSet) -> None:
    records = [toy_record(id=f"E{i}") for i in range(200)]
    batch = toy_rules.evaluate_many(records, threads=100_000)
    assert len(batch) == 200 and all(batch.ok)


def test_the_cli_refuses_a_negative_thread_count(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["evaluate", "--rules", RULES, EXAMPLES, "--threads", "-5"])
    assert caught.value.code == 2
    assert "expected 0 (all cores) or more threads, found -5" in capsys.readouterr().err


# --- exact whatever the caller's decimal context --------------------------------------------------


def test_sums_and_changes_ignore_a_hostile_decimal_context() -> None:
    hostile = decimal.Context(prec=6, traps=[decimal.Inexact, decimal.Rounded])
    a = Band(Decimal("15416000.01"), Decimal("99999999999999999999999999999.99"))
    b = Band(Decimal("49.25"), Decimal("0.01"))
    rules = subsidy.RuleSet.load(RULES)
    baseline, scenario = rules.baseline, rules.with_parameters(
        {"machining-survey.rebate_rate_low": "60%"}
    ).choose({"electromechanical-policy": "machining-survey"})
    normal = subsidy.compare(baseline, scenario, EXAMPLES)
    with decimal.localcontext(hostile):
        total = a + b
        change = a - b
        compared = subsidy.compare(baseline, scenario, EXAMPLES)
    assert total == Band(Decimal("15416049.26"), Decimal("100000000000000000000000000000.00"))
    assert change == Band(Decimal("15415950.76"), Decimal("99999999999999999999999999999.98"))
    for column in ("change_min", "change_max"):
        assert list(compared.per_enterprise[column]) == list(normal.per_enterprise[column])
    assert [c.projected for c in compared.budget] == [c.projected for c in normal.budget]
    assert compared.total == normal.total


def test_compare_of_a_population_with_no_award_line(tmp_path: Path) -> None:
    facts = tmp_path / "facts.csv"
    facts.write_text("id,year,industry,sales_revenue\nE1,2010,机械加工,1亿\n", encoding="utf-8")
    code, out = run("compare", "--rules", RULES, "--population", str(facts), "--baseline",
                    "default", "--scenario", "choose.electromechanical-policy=machining-survey")
    assert code == 0
    assert "E1" in out


# --- messages -------------------------------------------------------------------------------------


def test_a_bad_on_date_names_the_input(toy_rules: subsidy.RuleSet) -> None:
    with pytest.raises(ValueError, match=r"found '2010-13-01'"):
        toy_rules.on("2010-13-01")


def test_explain_of_an_unknown_rule_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("explain", "--rules", RULES, EXAMPLES, "--enterprise", "zhongyuan-special-steel",
                  "--rule", "no-such-rule")
    assert code == 1
    assert "no rule 'no-such-rule' in the rule set" in capsys.readouterr().err


# --- -o: only where a result file may be written -----------------------------------------------


def evaluate_to(target: Path, *inputs: str) -> tuple[int, str]:
    return run("evaluate", "--rules", RULES, *(inputs or (EXAMPLES,)), "--format", "csv",
               "-o", str(target))


def test_a_read_only_target_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.csv"
    target.write_text("keep\n", encoding="utf-8")
    target.chmod(0o444)
    assert evaluate_to(target)[0] == 1
    assert "the file is read-only" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "keep\n"


def test_a_symlink_target_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = tmp_path / "real.csv"
    real.write_text("keep\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert evaluate_to(link)[0] == 1
    assert "a symbolic link" in capsys.readouterr().err
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "keep\n"


def test_a_fifo_target_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert evaluate_to(fifo)[0] == 1
    assert "a named pipe (FIFO)" in capsys.readouterr().err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_the_input_file_as_output_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(Path(EXAMPLES).read_text(encoding="utf-8"), encoding="utf-8")
    before = facts.read_bytes()
    assert evaluate_to(facts, str(facts))[0] == 1
    assert "it is an input of this command" in capsys.readouterr().err
    assert facts.read_bytes() == before


def test_a_new_output_file_honours_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    script = (
        "import os, sys; os.umask(0o022); from subsidy.cli import main; "
        f"sys.exit(main(['evaluate', '--rules', {RULES!r}, {EXAMPLES!r}, '--format', 'csv', "
        f"'-o', {str(target)!r}]))"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_fifo_as_input_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "facts.yaml"
    os.mkfifo(fifo)
    rules = subsidy.RuleSet.load(RULES)
    with pytest.raises(subsidy.SubsidyError, match="expected a regular file, found a named pipe"):
        rules.evaluate_many(str(fifo))
