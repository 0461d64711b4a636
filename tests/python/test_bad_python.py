"""The bad-input catalogue's cases that the Python package reads (tests/bad/*/expected.yaml with
target python-ledger or python-facts): workbooks and clerks' tables. Each gives exactly its
catalogued error (kind, file, line, column, field, message), never a traceback of another type.
The C++ runner (tests/cpp/test_bad.cpp) leaves these cases to this one."""

from __future__ import annotations

import resource
from pathlib import Path
from typing import Any

import pytest
import yaml

import subsidy
from subsidy import intake

from xlsx_build import GENERATORS

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "tests" / "bad"


def _cases() -> list[Path]:
    out = []
    for expected in sorted(CATALOGUE.glob("*/expected.yaml")):
        target = yaml.safe_load(expected.read_text(encoding="utf-8")).get("target", "")
        if str(target).startswith("python-"):
            out.append(expected.parent)
    return out


CASES = _cases()


def test_the_catalogue_has_the_workbook_cases() -> None:
    assert len(CASES) >= 12


def _first_error(case: Path, spec: dict[str, Any], tmp_path: Path) -> subsidy.SubsidyError | None:
    inputs = spec.get("inputs") or sorted(p.name for p in case.iterdir() if p.name != "expected.yaml")
    paths = []
    for name in inputs:
        if spec.get("generate"):
            path = tmp_path / name
            GENERATORS[spec["generate"]](path)
        else:
            path = case / name
        paths.append(path)
    rules = subsidy.RuleSet.load(*[case / w for w in spec.get("with", [])] or [ROOT / "rules"])
    try:
        if spec["target"] == "python-ledger":
            subsidy.Ledger.load(paths[0])
        elif spec["target"] == "python-facts":
            intake.read_facts(rules._core, [str(p) for p in paths])
        else:
            pytest.fail(f"{case.name}: unknown target {spec['target']!r}")
    except subsidy.SubsidyError as error:
        return error
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_bad_input_gives_exactly_its_catalogued_error(case: Path, tmp_path: Path) -> None:
    spec = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    error = _first_error(case, spec, tmp_path)
    assert error is not None, f"{case.name}: the input was accepted"
    if error.errors:  # several problems in one error: the catalogue holds the first and the count
        assert len(error.errors) == spec["error"].get("count", 1)
        first = error.errors[0]
    else:
        first = error
    expected = spec["error"]
    actual = {
        "kind": first.kind,
        "file": Path(first.file).name if first.file else None,
        "line": first.line,
        "column": first.column,
        "field": first.field,
        "message": first.message,
    }
    wanted = {key: expected.get(key) for key in actual}
    assert actual == wanted, f"{case.name}: actual error {actual}"


def test_the_workbook_bombs_stay_within_the_memory_ceiling() -> None:
    # Run after the cases (pytest keeps file order): the peak of this process, bombs included.
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert peak_kib < 1536 * 1024
