"""The repository's golden cases (tests/rules/**/*.yaml), each its own test named file::case, run
by the package's own runner (subsidy.testing, the one behind `subsidy test`), with the same meaning
as the C++ runner (tests/cpp/test_golden.cpp; format in tests/rules/README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

import subsidy
from subsidy import testing

GOLDEN = REPO / "tests" / "rules"
_rule_sets: dict[Path, subsidy.RuleSet] = {}


def cases() -> list[Any]:
    params = []
    for path in testing.golden_files([GOLDEN]):
        golden = testing.read_golden(path)
        relative = path.relative_to(GOLDEN).as_posix()
        for case in golden.cases:
            params.append(pytest.param(golden, case, id=f"{relative}::{case.name}"))
    return params


def rules_for(golden: testing.GoldenFile) -> subsidy.RuleSet:
    assert golden.rules is not None, f"{golden.path}: every repository file names its rules"
    if golden.rules not in _rule_sets:
        _rule_sets[golden.rules] = subsidy.RuleSet.load(golden.rules)
    return _rule_sets[golden.rules]


@pytest.mark.parametrize(("golden", "case"), cases())
def test_golden_case(golden: testing.GoldenFile, case: testing.GoldenCase) -> None:
    result = testing.check_case(rules_for(golden), golden.focus, case)
    assert result.passed, result.report()


def test_there_are_golden_cases() -> None:
    files = testing.golden_files([GOLDEN])
    assert len(files) > 0
    assert len(cases()) >= len(files)
