"""The Python golden-case runner: every tests/rules/**/*.yaml case, evaluated through the Python
package, with the same meaning as the C++ runner (tests/cpp/test_golden.cpp; format in
tests/rules/README.md). Each case is its own test, named file::case.

The files are read with PyYAML's BaseLoader, which keeps every scalar as text, so figures such as
100000000.01 reach the engine exactly as written (never as a float)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO

import subsidy

GOLDEN = REPO / "tests" / "rules"
_rule_sets: dict[Path, subsidy.RuleSet] = {}


def golden_files() -> list[Path]:
    return sorted(GOLDEN.rglob("*.yaml"))


def read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        document = yaml.load(stream, Loader=yaml.BaseLoader)
    assert isinstance(document, dict), f"{path}: expected a mapping"
    return document


def cases() -> list[Any]:
    params = []
    for path in golden_files():
        document = read(path)
        relative = path.relative_to(GOLDEN).as_posix()
        for index, case in enumerate(document.get("cases") or []):
            name = case.get("name", f"case {index + 1}") if isinstance(case, dict) else "?"
            params.append(pytest.param(path, index, id=f"{relative}::{name}"))
    return params


def rules_for(path: Path, document: dict[str, Any]) -> subsidy.RuleSet:
    folder = (path.parent / document["rules"]) if "rules" in document else REPO / "rules"
    folder = folder.resolve()
    if folder not in _rule_sets:
        _rule_sets[folder] = subsidy.RuleSet.load(folder)
    return _rule_sets[folder]


def number(text: str) -> Decimal:
    return subsidy.parse_decimal(str(text))


def scenario_of(rules: subsidy.RuleSet, case: dict[str, Any]) -> subsidy.Scenario:
    scenario = rules.baseline
    if "choose" in case:
        scenario = scenario.choose(case["choose"])
    if "options" in case:
        scenario = scenario.with_options(case["options"])
    if "set" in case:
        scenario = scenario.with_parameters({k: number(v) for k, v in case["set"].items()})
    if "on" in case:
        scenario = scenario.on(case["on"])
    return scenario


def check_line(line: subsidy.AwardLine, expected: dict[str, Any]) -> list[str]:
    tag = f"{expected['rule']}: "
    problems = []
    if "amount" in expected:
        if line.status not in ("exact", "decided") or line.amount != number(expected["amount"]):
            problems.append(f"{tag}expected amount {expected['amount']}, got {line!r}")
    if "band" in expected:
        low, high = (number(v) for v in expected["band"])
        if line.status != "band" or line.band != subsidy.Band(low, high):
            problems.append(f"{tag}expected band [{low}, {high}], got {line!r}")
    if "unfixed" in expected and line.status != "unfixed":
        problems.append(f"{tag}expected unfixed, got {line.status}")
    if "honour" in expected and line.status != "recognised":
        problems.append(f"{tag}expected an honour/preference line, got {line.status}")
    if "tier" in expected and line.tier != expected["tier"]:
        problems.append(f"{tag}expected tier {expected['tier']!r}, got {line.tier!r}")
    if "payer" in expected and line.payer != expected["payer"]:
        problems.append(f"{tag}expected payer {expected['payer']}, got {line.payer}")
    if "form" in expected and line.form != expected["form"]:
        problems.append(f"{tag}expected form {expected['form']}, got {line.form}")
    if "decided" in expected:
        if line.status != "decided" or line.amount != number(expected["decided"]):
            problems.append(f"{tag}expected decided {expected['decided']}, got {line!r}")
    if "count" in expected and Decimal(line.items) != number(expected["count"]):
        problems.append(f"{tag}expected {expected['count']} items, got {line.items}")
    if "withheld" in expected and line.withheld != (expected["withheld"] == "true"):
        problems.append(f"{tag}expected withheld {expected['withheld']}")
    return problems


@pytest.mark.parametrize(("path", "index"), cases())
def test_golden_case(path: Path, index: int) -> None:
    document = read(path)
    focus = set(document["focus"])
    rules = rules_for(path, document)
    for rule in focus:
        rules.rule(rule)  # KeyError: the focus names an unknown rule
    case = document["cases"][index]
    facts = dict(case["facts"])
    facts.setdefault("id", "case")
    expect = case["expect"]

    result: subsidy.Evaluation | None = None
    error: str | None = None
    try:
        result = scenario_of(rules, case).evaluate(facts)
        if result.error is not None:
            error = str(result.error)
    except subsidy.SubsidyError as raised:
        error = str(raised)

    if "error" in expect:
        assert error is not None, f"expected an error containing {expect['error']!r}, got none"
        assert expect["error"] in error
        return
    assert error is None, f"unexpected error: {error}"
    assert result is not None

    got = {line.qualified_rule: line for line in result.lines if line.qualified_rule in focus}
    problems: list[str] = []
    expected_rules = set()
    for expected in expect.get("lines") or []:
        rule = expected["rule"]
        expected_rules.add(rule)
        if rule not in got:
            problems.append(f"expected a line from {rule}, got none")
            continue
        problems += check_line(got[rule], expected)
    problems += [f"unexpected line {line!r}" for r, line in got.items() if r not in expected_rules]

    for payer, wanted in (expect.get("totals") or {}).items():
        total = result.totals.by_payer.get(payer, subsidy.Total.zero())
        if "min" in wanted and total.cash.min != number(wanted["min"]):
            problems.append(f"total {payer}: expected min {wanted['min']}, got {total.cash.min}")
        if "max" in wanted and total.cash.max != number(wanted["max"]):
            problems.append(f"total {payer}: expected max {wanted['max']}, got {total.cash.max}")
        if "unfixed" in wanted and total.unfixed != int(wanted["unfixed"]):
            problems.append(f"total {payer}: expected {wanted['unfixed']} unfixed, got {total.unfixed}")
    for check in expect.get("findings") or []:
        if not any(f.check == check and not f.passed for f in result.findings):
            problems.append(f"expected check {check} to fail")
    assert not problems, "\n".join(problems)


def test_there_are_golden_cases() -> None:
    assert len(golden_files()) > 0
    assert len(cases()) >= len(golden_files())
