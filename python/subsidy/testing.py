"""Golden cases: YAML files of enterprises with the award lines a person worked out by hand,
checked against the engine (``subsidy test``, :func:`run_tests`). The format is the repository's
own (tests/rules/README.md): ``rules`` (a folder relative to the file), ``focus`` (the rules whose
lines are compared exactly) and ``cases``, each with ``facts`` and ``expect``.

Files are read with PyYAML's BaseLoader, which keeps every scalar as text, so a figure such as
100000000.01 reaches the engine exactly as written (never as a float). Every case keeps the line it
starts on, so a failure is reported as ``file:line``, with the trace of the line that differs."""

from __future__ import annotations

import datetime
import io
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ._core import SubsidyError
from .results import AwardLine, Evaluation, Total, TraceStep
from .rules import RuleSet, Scenario

__all__ = [
    "CaseResult",
    "GoldenCase",
    "GoldenFile",
    "TestReport",
    "check_case",
    "golden_files",
    "read_golden",
    "run_tests",
]

PathLike = str | os.PathLike[str]


# --- reading -------------------------------------------------------------------------------------


def _plain(node: Any) -> Any:
    """A composed YAML node as plain Python: mappings, lists and text (BaseLoader's meaning)."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        return {str(_plain(k)): _plain(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item) for item in node.value]
    return str(node.value)


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1


@dataclass(frozen=True)
class GoldenCase:
    """One case of a golden file, with the line it starts on."""

    file: Path
    line: int
    index: int
    data: dict[str, Any]
    expect_lines: tuple[int, ...] = ()  # the line of each entry of expect.lines

    @property
    def name(self) -> str:
        return str(self.data.get("name", f"case {self.index + 1}"))

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class GoldenFile:
    path: Path
    rules: Path | None  # the folder its 'rules' key names, resolved against the file
    focus: tuple[str, ...]
    cases: tuple[GoldenCase, ...]


class GoldenFormatError(ValueError):
    """A golden file that is not in the format, located as ``file:line``."""


def read_golden(path: PathLike) -> GoldenFile:
    """Reads one golden file, keeping the line of every case and expected line."""
    import yaml

    path = Path(path)
    with path.open(encoding="utf-8") as stream:
        try:
            root = yaml.compose(stream, Loader=yaml.BaseLoader)
        except yaml.YAMLError as error:
            raise GoldenFormatError(f"{path}: {error}") from error
    if not isinstance(root, yaml.MappingNode):
        raise GoldenFormatError(f"{path}:1: expected a mapping with 'focus' and 'cases'")
    nodes = {str(k.value): v for k, v in root.value}
    document = _plain(root)
    focus = document.get("focus")
    if not isinstance(focus, list) or not focus:
        raise GoldenFormatError(f"{path}:1: 'focus' must list the rules whose lines are compared")
    cases_node = nodes.get("cases")
    if not isinstance(cases_node, yaml.SequenceNode):
        raise GoldenFormatError(f"{path}:1: 'cases' must be a list")
    cases = []
    for index, node in enumerate(cases_node.value):
        data = _plain(node)
        if not isinstance(data, dict) or "facts" not in data or "expect" not in data:
            raise GoldenFormatError(f"{path}:{_line(node)}: a case needs 'facts' and 'expect'")
        expect_lines: tuple[int, ...] = ()
        expect = dict((str(k.value), v) for k, v in node.value).get("expect")
        if isinstance(expect, yaml.MappingNode):
            lines = dict((str(k.value), v) for k, v in expect.value).get("lines")
            if isinstance(lines, yaml.SequenceNode):
                expect_lines = tuple(_line(item) for item in lines.value)
        cases.append(GoldenCase(path, _line(node), index, data, expect_lines))
    folder = (path.parent / document["rules"]).resolve() if "rules" in document else None
    return GoldenFile(path, folder, tuple(str(f) for f in focus), tuple(cases))


def golden_files(paths: Iterable[PathLike]) -> list[Path]:
    """The golden files under ``paths``: each file as given, each folder's ``**/*.yaml`` sorted."""
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.yaml") if p.is_file())
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return found


# --- checking ------------------------------------------------------------------------------------


def _number(text: Any) -> Decimal:
    from . import parse_decimal

    return parse_decimal(str(text))


def scenario_of(rules: RuleSet, case: dict[str, Any]) -> Scenario:
    """The scenario a case asks for: choose, options, set (what-if values) and on (a date)."""
    scenario = rules.baseline
    if "choose" in case:
        scenario = scenario.choose(case["choose"])
    if "options" in case:
        scenario = scenario.with_options(case["options"])
    if "set" in case:
        scenario = scenario.with_parameters({k: _number(v) for k, v in case["set"].items()})
    if "on" in case:
        scenario = scenario.on(case["on"])
    return scenario


def check_line(line: AwardLine, expected: dict[str, Any]) -> list[str]:
    """How ``line`` differs from one entry of ``expect.lines`` (empty: it does not)."""
    tag = f"{expected['rule']}: "
    problems = []
    exact = line.status in ("exact", "decided")
    if "amount" in expected and (not exact or line.amount != _number(expected["amount"])):
        problems.append(f"{tag}expected amount {expected['amount']}, got {line.value_text}")
    if "band" in expected:
        low, high = (_number(v) for v in expected["band"])
        got = (line.band.min, line.band.max) if line.band is not None else None
        if line.status != "band" or got != (low, high):
            problems.append(f"{tag}expected band [{low}, {high}], got {line.value_text}")
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
    if "decided" in expected and (line.status != "decided" or line.amount != _number(expected["decided"])):
        problems.append(f"{tag}expected decided {expected['decided']}, got {line.value_text}")
    if "count" in expected and Decimal(line.items) != _number(expected["count"]):
        problems.append(f"{tag}expected {expected['count']} items, got {line.items}")
    if "withheld" in expected and line.withheld != (expected["withheld"] == "true"):
        problems.append(f"{tag}expected withheld {expected['withheld']}, got {line.withheld}")
    return problems


def _trace(rule: str, steps: Sequence[TraceStep]) -> str:
    return "\n".join([f"trace of {rule}:", *(f"  {step}" for step in steps)])


@dataclass(frozen=True)
class CaseResult:
    """What one case gave: ``problems`` empty when it passed; ``traces`` of the differing lines."""

    file: Path
    line: int
    name: str
    problems: tuple[str, ...] = ()
    traces: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def report(self) -> str:
        """The failure as a person reads it: where, what was expected and what came, the traces."""
        out = [f"{self.where}: FAILED {self.name}"]
        out += [f"  {problem}" for problem in self.problems]
        out += ["  " + text.replace("\n", "\n  ") for text in self.traces]
        return "\n".join(out)


def _compare(case: GoldenCase, focus: set[str], result: Evaluation) -> CaseResult:
    got = {line.qualified_rule: line for line in result.lines if line.qualified_rule in focus}
    passed_over = {p.qualified_rule: p for p in result.passed_over}
    problems: list[str] = []
    traces: list[str] = []
    expected_rules = set()
    expect = case.data["expect"]
    for number, expected in enumerate(expect.get("lines") or []):
        rule = expected["rule"]
        expected_rules.add(rule)
        at = f" (expected at line {case.expect_lines[number]})" if number < len(case.expect_lines) else ""
        if rule not in got:
            problems.append(f"expected a line from {rule}{at}, got none")
            if rule in passed_over:
                traces.append(_trace(rule, passed_over[rule].trace))
            continue
        differences = check_line(got[rule], expected)
        if differences:
            problems += [d + at for d in differences]
            traces.append(_trace(rule, got[rule].trace))
    for rule, line in got.items():
        if rule not in expected_rules:
            problems.append(f"unexpected line {line!r}")
            traces.append(_trace(rule, line.trace))
    for payer, wanted in (expect.get("totals") or {}).items():
        total = result.totals.by_payer.get(payer, Total.zero())
        if "min" in wanted and total.cash.min != _number(wanted["min"]):
            problems.append(f"total {payer}: expected min {wanted['min']}, got {total.cash.min}")
        if "max" in wanted and total.cash.max != _number(wanted["max"]):
            problems.append(f"total {payer}: expected max {wanted['max']}, got {total.cash.max}")
        if "unfixed" in wanted and total.unfixed != int(wanted["unfixed"]):
            problems.append(f"total {payer}: expected {wanted['unfixed']} unfixed, got {total.unfixed}")
    for check in expect.get("findings") or []:
        if not any(f.check == check and not f.passed for f in result.findings):
            problems.append(f"expected check {check} to fail")
    return CaseResult(case.file, case.line, case.name, tuple(problems), tuple(traces))


def check_case(rules: RuleSet, focus: Iterable[str], case: GoldenCase) -> CaseResult:
    """Evaluates one case against ``rules`` and compares it with what it expects."""
    focus = set(focus)
    for rule in sorted(focus):
        try:
            rules.rule(rule)
        except KeyError:
            return CaseResult(case.file, case.line, case.name, (f"focus names an unknown rule {rule}",))
    facts = dict(case.data["facts"])
    facts.setdefault("id", "case")
    expect = case.data["expect"]
    result: Evaluation | None = None
    error: str | None = None
    try:
        result = scenario_of(rules, case.data).evaluate(facts)
        if result.error is not None:
            error = str(result.error)
        # A rule left out for want of a fact (the others are still evaluated) is the case's
        # error when one is expected, or when it is a rule the case is about.
        left_out = [u.message for u in result.unevaluated if "error" in expect or u.qualified_id in focus]
        if left_out:
            error = "; ".join(([error] if error else []) + left_out)
    except (SubsidyError, TypeError, ValueError) as raised:
        error = str(raised)
    if "error" in expect:
        if error is None:
            return CaseResult(case.file, case.line, case.name,
                              (f"expected an error containing {expect['error']!r}, got none",))
        if expect["error"] not in error:
            return CaseResult(case.file, case.line, case.name,
                              (f"expected an error containing {expect['error']!r}, got: {error}",))
        return CaseResult(case.file, case.line, case.name)
    if error is not None or result is None:
        return CaseResult(case.file, case.line, case.name, (f"unexpected error: {error}",))
    return _compare(case, focus, result)


# --- running -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestReport:
    """The results of a run, in file and case order."""

    __test__ = False  # not a pytest class, despite the name

    results: tuple[CaseResult, ...]
    files: tuple[Path, ...] = field(default=())

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        failed = len(self.failures)
        return (f"{len(self.results)} cases in {len(self.files)} files: "
                f"{len(self.results) - failed} passed, {failed} failed")

    def text(self) -> str:
        out = io.StringIO()
        for failure in self.failures:
            out.write(failure.report() + "\n\n")
        out.write(self.summary() + "\n")
        return out.getvalue()

    def junit_xml(self) -> str:
        """The report as JUnit XML: one testsuite per file, one testcase per case, a failure
        element (message, then the problems and traces) for each case that failed."""
        suites = ET.Element("testsuites", name="subsidy golden cases",
                            tests=str(len(self.results)), failures=str(len(self.failures)))
        by_file: dict[Path, list[CaseResult]] = {}
        for result in self.results:
            by_file.setdefault(result.file, []).append(result)
        stamp = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
        for path, results in by_file.items():
            suite = ET.SubElement(
                suites, "testsuite", name=str(path), tests=str(len(results)),
                failures=str(sum(not r.passed for r in results)), errors="0", skipped="0",
                timestamp=stamp,
            )
            for result in results:
                case = ET.SubElement(suite, "testcase", classname=str(path), name=result.name,
                                     file=str(path), line=str(result.line))
                if not result.passed:
                    failure = ET.SubElement(case, "failure", message=result.problems[0],
                                            type="mismatch")
                    failure.text = result.report()
        ET.indent(suites)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _load_error(path: Path, error: Exception) -> CaseResult:
    return CaseResult(path, 1, "(file)", (str(error),))


def run_tests(paths: Iterable[PathLike] | PathLike, *, rules: PathLike | Sequence[PathLike] | RuleSet | None = None) -> TestReport:
    """Runs every golden case under ``paths`` (files or folders). ``rules`` (a folder, files or a
    loaded :class:`RuleSet`) is used for every file instead of the folder its ``rules`` key names;
    without it, a file must name its rules. A file that cannot be read or loaded counts as one
    failed case, located at its first line."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    given: RuleSet | None = None
    if isinstance(rules, RuleSet):
        given = rules
    elif rules is not None:
        given = RuleSet.load(*([rules] if isinstance(rules, (str, os.PathLike)) else rules))
    loaded: dict[Path, RuleSet] = {}
    results: list[CaseResult] = []
    files = golden_files(paths)
    for path in files:
        try:
            golden = read_golden(path)
        except (GoldenFormatError, OSError) as error:
            results.append(_load_error(path, error))
            continue
        rule_set = given
        if rule_set is None:
            if golden.rules is None:
                results.append(_load_error(path, ValueError(
                    f"{path}:1: no 'rules' key: name the rule folder in the file or pass rules")))
                continue
            if golden.rules not in loaded:
                try:
                    loaded[golden.rules] = RuleSet.load(golden.rules)
                except SubsidyError as error:
                    results.append(_load_error(path, error))
                    continue
            rule_set = loaded[golden.rules]
        results += [check_case(rule_set, golden.focus, case) for case in golden.cases]
    return TestReport(tuple(results), tuple(files))
