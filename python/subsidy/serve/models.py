"""Request and response shapes of the HTTP API (they make the OpenAPI document).

Money and rates are JSON strings in and out (``"550000.00"``, ``"30万"``, ``"50%"``): a JSON number
where money is due is refused with its JSON path, since a binary float is already inexact.
Enterprise records are maps of facts as the rule set's data dictionary (``GET /api/rules``) declares
them; their money facts are checked the same way (:func:`check_records`)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from .errors import ApiError

# The fact units written as exact decimals (the data dictionary's wording of them).
AMOUNT_UNITS = frozenset({"money (元)", "a rate"})
MONEY_HINT = 'write money as a JSON string, e.g. "550000.00" or "55万"'


def _money_text(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise PydanticCustomError("money_not_string", f"a JSON number where money is due: {MONEY_HINT}")
    return value


Money = Annotated[str, BeforeValidator(_money_text), Field(examples=["550000.00"])]
Record = dict[str, Any]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioIn(Strict):
    """What-if choices; every name is checked against the rule set."""

    choose: dict[str, str] = Field(default_factory=dict, description="alternative group -> policy set")
    options: dict[str, str] = Field(default_factory=dict, description="option -> chosen reading")
    parameters: dict[str, Money] = Field(
        default_factory=dict, description="parameter (policy-set.name) -> value as a string"
    )
    on: Optional[datetime.date] = Field(default=None, description="parameter versions in force on this date")


class EvaluateIn(Strict):
    scenario: ScenarioIn = ScenarioIn()
    enterprise: Record = Field(description="one enterprise record: id, name, year and its facts")
    trace: bool = Field(default=False, description="include each line's trace")


class BatchIn(Strict):
    scenario: ScenarioIn = ScenarioIn()
    enterprises: list[Record]
    trace: bool = False


class ExplainIn(Strict):
    scenario: ScenarioIn = ScenarioIn()
    enterprise: Record
    rule: str = Field(description="policy-set/rule-id or a rule id")


class Grant(Strict):
    enterprise: str
    policy_set: str
    rule: str
    year: int
    amount: Money
    payer: str
    approval: str
    basis: str = ""


class AuditIn(Strict):
    scenario: ScenarioIn = ScenarioIn()
    enterprises: list[Record]
    grants: list[Grant]


class CompareIn(Strict):
    baseline: ScenarioIn = ScenarioIn()
    scenario: ScenarioIn
    enterprises: list[Record]


class Receipt(BaseModel):
    fingerprint: str = Field(description="SHA-256 of the rule set's canonical sources")
    scenario: str = Field(description="canonical text of the scenario")
    engine: str


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    path: Optional[str] = Field(default=None, description="JSON path of the value at fault")


class ErrorOut(BaseModel):
    error: ErrorBody
    receipt: Optional[Receipt] = None


class Out(BaseModel):
    receipt: Receipt


class EvaluateOut(Out):
    evaluation: dict[str, Any] = Field(description="the engine's canonical evaluation JSON")


class BatchOut(Out):
    evaluations: list[dict[str, Any]]
    totals: dict[str, Any] = Field(description="exact sums by payer over evaluations without error")


class ExplainOut(Out):
    rule: dict[str, Any]
    line: Optional[dict[str, Any]]
    text: str


class AuditOut(Out):
    report: dict[str, Any]
    markdown: str


class CompareOut(Out):
    baseline: Receipt
    comparison: dict[str, Any]


class RulesOut(Out):
    policy_sets: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    parameters: list[dict[str, Any]]
    options: list[dict[str, Any]]
    facts: list[dict[str, Any]]
    payers: list[dict[str, Any]]
    budget: list[dict[str, Any]]


class HealthOut(Out):
    status: str
    version: str
    loaded_at: str
    rules: dict[str, Any]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in (
        (400, "malformed JSON"),
        (401, "missing or wrong token"),
        (404, "no such rule"),
        (409, "the rule files no longer load: the rules in service stay"),
        (413, "request body or batch too large"),
        (415, "an upload of a kind not read"),
        (422, "invalid input, with its JSON path"),
        (504, "time limit per request exceeded"),
    )
}


# --- the records' money facts ------------------------------------------------------------------


def _check_value(value: Any, decl: Mapping[str, Any] | None, path: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, float):
        if decl is not None and decl["unit"] in AMOUNT_UNITS:
            raise ApiError(422, "money_not_string", f"a JSON number where money is due: {MONEY_HINT}", path)
        raise ApiError(
            422, "inexact_number",
            "a JSON number with a fraction or exponent is inexact: write it as a string", path,
        )
    if isinstance(value, int):
        if decl is not None and decl["unit"] in AMOUNT_UNITS:
            raise ApiError(422, "money_not_string", f"a JSON number where money is due: {MONEY_HINT}", path)
        return
    fields = {f["name"]: f for f in decl["fields"]} if decl is not None else {}
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, decl, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(item, fields.get(key), f"{path}.{key}")


def check_records(
    records: Sequence[Mapping[str, Any]], facts: Mapping[str, Mapping[str, Any]], path: str
) -> None:
    """Refuses a JSON number where the data dictionary declares money or a rate, and any JSON
    number with a fraction, naming its JSON path (``path[i].fact``)."""
    for index, record in enumerate(records):
        check_record(record, facts, f"{path}[{index}]")


def check_record(record: Mapping[str, Any], facts: Mapping[str, Mapping[str, Any]], path: str) -> None:
    """:func:`check_records` for one record at ``path``."""
    for key, value in record.items():
        _check_value(value, facts.get(key), f"{path}.{key}")
