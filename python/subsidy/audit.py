"""Auditing granted amounts: a ledger of grants made (CSV, Excel, YAML or JSON) checked against
what the rules give for the same enterprise and year. The checks are the engine's; this module
reads spreadsheets exactly and presents the report."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Union

import pandas as pd

from . import _core, _frames
from ._frames import Population
from .results import Band, Citation
from .rules import RuleSet, Scenario
from .xlsx import located_error, plain_number, read_workbook

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


def read_xlsx_rows(path: PathLike) -> list[tuple[int, list[str | None]]]:
    """The ledger sheet of a workbook as rows of cell texts, the header first: number
    cells as the digits the file stores, never a binary float (see subsidy.xlsx). The grants
    must be on one sheet: data on any other sheet is refused rather than left unread, and a
    boolean cell (no ledger column is one) is refused rather than read as 1."""
    book = read_workbook(path)
    with_data = [sheet for sheet in book.sheets if sheet.rows]
    if len(with_data) > 1:
        listed = ", ".join(repr(sheet.name) for sheet in with_data)
        raise located_error("audit", f"the ledger has data on {len(with_data)} sheets ({listed}); "
                            "put every grant on one sheet (the others would be left unread)",
                            book.path)
    if not with_data:
        raise located_error("audit", "the workbook holds no ledger: every sheet is blank", book.path)
    sheet = with_data[0]
    _, header = sheet.rows[0]
    names = [cell.text if cell is not None else "" for cell in header]
    rows: list[tuple[int, list[str | None]]] = []
    for number, cells in sheet.rows[1:]:
        texts: list[str | None] = []
        for column, cell in enumerate(cells):
            what = names[column] if column < len(names) else ""
            if cell is None or cell.text == "":
                texts.append(None)
            elif cell.kind in ("n", "b", "e"):
                texts.append(plain_number(cell, sheet, number, column, what))
            else:
                texts.append(cell.text)
        rows.append((number, texts))
    if not rows:
        raise sheet.error("audit", "the ledger sheet has a header and no grant row", sheet.rows[0][0])
    return [(sheet.rows[0][0], list(names)), *rows]


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
            names = [(h or "").strip() for h in rows[0][1]]
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
