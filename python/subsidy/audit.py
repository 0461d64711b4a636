"""Auditing granted amounts: a ledger of grants made (CSV, Excel, YAML or JSON) checked against
what the rules give for the same enterprise and year. The checks are the engine's; this module
reads spreadsheets exactly and presents the report."""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Union
from xml.etree import ElementTree

import pandas as pd

from . import _core, _frames
from ._frames import Population
from .results import Band, Citation
from .rules import RuleSet, Scenario

__all__ = ["AuditFinding", "AuditReport", "Ledger", "audit"]

PathLike = Union[str, "os.PathLike[str]"]

FINDING_KINDS = (
    "over_grant",
    "under_grant",
    "outside_band",
    "not_eligible",
    "needs_basis",
    "payer_mismatch",
    "duplicate",
    "unknown_rule",
    "unknown_enterprise",
    "evaluation_failed",
)


# --- reading spreadsheets exactly ----------------------------------------------------------------

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _column_index(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference)
    if letters is None:
        raise ValueError(f"bad cell reference {reference!r}")
    index = 0
    for ch in letters.group(0):
        index = index * 26 + (ord(ch) - ord("A") + 1)
    return index - 1


def _text_of(element: ElementTree.Element | None) -> str:
    return "".join(t.text or "" for t in element.iter(f"{_MAIN}t")) if element is not None else ""


def _first_sheet(book: zipfile.ZipFile) -> str:
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if sheet is None:
        raise ValueError("the workbook has no sheet")
    rel_id = sheet.get(f"{_REL}id")
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{_PKG_REL}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise ValueError(f"the workbook does not locate its sheet {sheet.get('name')!r}")


def read_xlsx_rows(path: PathLike) -> list[tuple[int, list[str | None]]]:
    """The first sheet's rows as (row number, cell texts), reading the XML directly: a number
    cell is the digits the file stores (``350000.5``, or ``1.23E+8`` for a scientific format),
    never a binary float, so the engine decides whether the text is an exact amount."""
    with zipfile.ZipFile(path) as book:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            strings = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = [_text_of(si) for si in strings.iter(f"{_MAIN}si")]
        sheet = ElementTree.fromstring(book.read(_first_sheet(book)))
    rows: list[tuple[int, list[str | None]]] = []
    for row in sheet.iter(f"{_MAIN}row"):
        number = int(row.get("r", len(rows) + 1))
        cells: list[str | None] = []
        for position, c in enumerate(row.iter(f"{_MAIN}c")):
            index = _column_index(c.get("r", "")) if c.get("r") else position
            kind = c.get("t", "n")
            value = c.find(f"{_MAIN}v")
            if kind == "inlineStr":
                text: str | None = _text_of(c.find(f"{_MAIN}is"))
            elif value is None or value.text is None:
                text = None
            elif kind == "s":
                text = shared[int(value.text)]
            else:  # n (number), str (formula text), b (boolean), e (error), d (ISO date)
                text = value.text
            cells.extend([None] * (index + 1 - len(cells)))
            cells[index] = text.strip() if text is not None else None
        if any(cell for cell in cells):
            rows.append((number, cells))
    return rows


class Ledger:
    """Grants made, read exactly: ``Ledger.load("grants.csv")`` (or ``.xlsx``, ``.yaml``,
    ``.json``). Columns: enterprise, policy_set, rule, year, amount, payer, approval and an
    optional basis (the recorded basis of an amount the policy does not fix)."""

    def __init__(self, core: _core.Ledger, source: str) -> None:
        self._core = core
        self.source = source

    @classmethod
    def load(cls, path: PathLike) -> Ledger:
        name = os.fspath(path)
        if name.lower().endswith((".xlsx", ".xlsm")):
            rows = read_xlsx_rows(name)
            if not rows:
                return cls(_core.Ledger.from_rows(name, [], []), name)
            _, header = rows[0]
            names = [(h or "").strip() for h in header]
            return cls(_core.Ledger.from_rows(name, names, rows[1:]), name)
        return cls(_core.Ledger.load(name), name)

    @classmethod
    def parse(cls, name: str, text: str) -> Ledger:
        """A ledger from text: CSV when ``name`` ends in .csv, otherwise YAML or JSON."""
        return cls(_core.Ledger.parse(name, text), name)

    def __len__(self) -> int:
        return len(self._core)

    def __repr__(self) -> str:
        return f"Ledger({self.source!r}, {len(self)} grants)"


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFinding:
    """One finding: the ledger row, what the rules give, and the rule's citation."""

    kind: str
    severity: str  # "error" or "warning"
    file: str
    row: int
    enterprise: str
    year: int
    rule: str
    granted: Decimal
    computed: Band | None
    status: str
    message: str
    citation: Citation | None
    payer: str | None

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> AuditFinding:
        computed = d["computed"]
        cited = d["citation"]
        return cls(
            kind=d["kind"],
            severity=d["severity"],
            file=d["file"],
            row=int(d["row"]),
            enterprise=d["enterprise"],
            year=int(d["year"]),
            rule=d["rule"],
            granted=Decimal(d["granted"]),
            computed=None if computed is None else Band(Decimal(computed["min"]), Decimal(computed["max"])),
            status=d["status"],
            message=d["message"],
            citation=None
            if cited is None
            else Citation._from(cited),
            payer=None if cited is None else cited["payer"],
        )

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.severity}[{self.kind}]: {self.enterprise} {self.year} {self.rule}: {self.message}"


@dataclass(frozen=True, repr=False)
class AuditReport:
    """The audit of a ledger. ``passed`` is false when any finding exists (all are warnings or
    errors); ``json`` is the engine's canonical report, byte-stable for the same inputs."""

    grants: int
    enterprises: int
    granted: Decimal
    on_recorded_basis: int
    fingerprint: str
    scenario: str
    findings: tuple[AuditFinding, ...]
    json: str
    markdown: str

    @classmethod
    def _from(cls, text: str, markdown: str) -> AuditReport:
        d = json.loads(text)
        return cls(
            grants=int(d["grants"]),
            enterprises=int(d["enterprises"]),
            granted=Decimal(d["granted"]),
            on_recorded_basis=int(d["on_recorded_basis"]),
            fingerprint=d["fingerprint"],
            scenario=d["scenario"],
            findings=tuple(AuditFinding._from(f) for f in d["findings"]),
            json=text,
            markdown=markdown,
        )

    @property
    def passed(self) -> bool:
        return not self.findings

    def counts(self) -> dict[str, int]:
        """Findings by kind (every kind listed, zero included)."""
        out = {kind: 0 for kind in FINDING_KINDS}
        for f in self.findings:
            out[f.kind] += 1
        return out

    def frame(self) -> pd.DataFrame:
        """One row per finding; amounts as exact Decimal objects."""
        rows = [
            {
                "file": f.file,
                "row": f.row,
                "severity": f.severity,
                "kind": f.kind,
                "enterprise": f.enterprise,
                "year": f.year,
                "rule": f.rule,
                "granted": f.granted,
                "computed_min": f.computed.min if f.computed else None,
                "computed_max": f.computed.max if f.computed else None,
                "clause": f.citation.clause if f.citation else None,
                "message": f.message,
            }
            for f in self.findings
        ]
        columns = ["file", "row", "severity", "kind", "enterprise", "year", "rule", "granted",
                   "computed_min", "computed_max", "clause", "message"]
        frame: pd.DataFrame = pd.DataFrame(rows, columns=columns).astype(
            {"granted": object, "computed_min": object, "computed_max": object}
        )
        return frame

    def __repr__(self) -> str:
        verdict = "pass" if self.passed else f"{len(self.findings)} findings"
        return f"AuditReport({self.grants} grants, {verdict})"


def _scenario(evaluator: RuleSet | Scenario) -> Scenario:
    if isinstance(evaluator, Scenario):
        return evaluator
    if isinstance(evaluator, RuleSet):
        return evaluator.baseline
    raise TypeError(f"audit takes a RuleSet or a Scenario, not {type(evaluator).__name__}")


def audit(evaluator: RuleSet | Scenario, facts: Population, ledger: Ledger | PathLike) -> AuditReport:
    """Audits ``ledger`` against what the rules give for ``facts`` (the enterprise records, any
    population form ``evaluate_many`` takes) under the scenario (the rule set's baseline for a
    RuleSet). A grant under one version of an alternative group is judged under that version."""
    scenario = _scenario(evaluator)
    core_rules = scenario.rules._core
    records = _frames.enterprises_from(core_rules, facts)
    if not isinstance(ledger, Ledger):
        ledger = Ledger.load(ledger)
    text, markdown = _core.audit(core_rules, records, ledger._core, scenario._core_scenario)
    return AuditReport._from(text, markdown)
