"""The endpoints. Each takes the current rule set once, at its start, and finishes on it (a
reload meanwhile does not change it); each response carries the receipt. The engine does the
work (GIL released) on the service's threads; this module only hands values over."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from .. import __version__, _core
from ..audit import audit
from ..compare import compare
from ..results import Evaluation
from ..rules import Scenario
from .app import Service
from .encode import Raw, json_response
from .errors import ApiError, from_subsidy_error
from .models import (
    ERROR_RESPONSES,
    AuditIn,
    AuditOut,
    BatchIn,
    BatchOut,
    CompareIn,
    CompareOut,
    EvaluateIn,
    EvaluateOut,
    ExplainIn,
    ExplainOut,
    HealthOut,
    RulesOut,
    ScenarioIn,
    check_record,
    check_records,
)
from .state import Loaded
from .upload import ledger_from_upload, records_from_upload, xlsx_bytes

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _scenario(loaded: Loaded, given: ScenarioIn, path: str) -> Scenario:
    try:
        scenario = loaded.rules.baseline.choose(given.choose).with_options(given.options)
        return scenario.with_parameters(given.parameters).on(given.on)
    except _core.SubsidyError as error:
        located = from_subsidy_error(error)
        located.path = path
        raise located from None


def _records(loaded: Loaded, records: Sequence[Mapping[str, Any]], path: str) -> _core.Enterprises:
    check_records(records, loaded.facts, path)
    return _typed(loaded, list(records), path, single=False)


def _one(loaded: Loaded, record: Mapping[str, Any], path: str) -> _core.Enterprises:
    check_record(record, loaded.facts, path)
    return _typed(loaded, [record], path, single=True)


def _typed(loaded: Loaded, records: list[Mapping[str, Any]], path: str, *, single: bool) -> _core.Enterprises:
    try:
        return _core.Enterprises.from_records(loaded.rules._core, records, path)
    except _core.SubsidyError as error:
        raise from_subsidy_error(error, path, single=single) from None


def _batch_limit(service: Service, count: int, path: str) -> None:
    if count > service.config.max_batch:
        raise ApiError(
            413, "batch_too_large",
            f"{count} records, over the limit of {service.config.max_batch} per request", path,
        )


def _total_body(total: _core.Total) -> dict[str, Any]:
    """A total as the API writes it: flat, each band's ends as cash_min, cash_max, ..."""
    return {
        "cash_min": total.cash.min, "cash_max": total.cash.max,
        "in_kind_min": total.in_kind.min, "in_kind_max": total.in_kind.max,
        "unfixed": total.unfixed, "recognised": total.recognised, "lines": total.lines,
        "unevaluated": total.unevaluated,
    }


def _batch_body(loaded: Loaded, scenario: Scenario, records: _core.Enterprises, trace: bool,
                threads: int) -> dict[str, Any]:
    core = scenario._make_core(trace=True) if trace else scenario._core_scenario
    batch = _core.evaluate_batch(loaded.rules._core, records, core, threads)
    sums = {payer: _total_body(total) for payer, total in _core.batch_aggregate(batch, "payer", None).items()}
    every = _core.batch_aggregate(batch, "all", None).get("all")
    return {
        "evaluations": [Raw(text) for text in batch.to_json(trace)],
        "totals": {"by_payer": sums, "all": None if every is None else _total_body(every)},
        "receipt": loaded.receipt(scenario.canonical),
    }


# --- reading the rule set -------------------------------------------------------------------------


@router.get("/health", response_model=HealthOut, summary="Health, versions and the rule set loaded")
async def health(request: Request) -> Response:
    service = _service(request)
    loaded = service.holder.current
    return json_response({
        "status": "ok",
        "version": __version__,
        "loaded_at": loaded.loaded_at,
        "rules": {**loaded.rules._core.summary(), "reloads": service.holder.reloads},
        "receipt": loaded.receipt(),
    })


@router.get("/rules", response_model=RulesOut,
            summary="The rule set: policy sets, rules with citations, parameters, options, facts")
async def rule_set(request: Request) -> Response:
    loaded = _service(request).holder.current
    core = loaded.rules._core
    return json_response({
        "policy_sets": core.policy_sets(),
        "groups": core.groups(),
        "rules": core.rules(),
        "parameters": core.parameters(),
        "options": core.options(),
        "facts": core.facts(),
        "payers": core.payers(),
        "budget": core.budget(),
        "receipt": loaded.receipt(),
    })


# --- evaluating ------------------------------------------------------------------------------------


@router.post("/evaluate", response_model=EvaluateOut, summary="Evaluate one enterprise")
async def evaluate(request: Request, body: EvaluateIn) -> Response:
    service = _service(request)
    loaded = service.holder.current
    scenario = _scenario(loaded, body.scenario, "$.scenario")
    records = _one(loaded, body.enterprise, "$.enterprise")

    def work() -> str:
        core = scenario._make_core(trace=body.trace)
        handle = _core.evaluate(loaded.rules._core, records, 0, core)
        text: str = handle.to_json(body.trace)
        return text

    text = await service.run(work)
    return json_response({"evaluation": Raw(text), "receipt": loaded.receipt(scenario.canonical)})


@router.post("/evaluate/batch", response_model=BatchOut, summary="Evaluate a batch of enterprises")
async def evaluate_batch(request: Request, body: BatchIn) -> Response:
    service = _service(request)
    loaded = service.holder.current
    _batch_limit(service, len(body.enterprises), "$.enterprises")
    scenario = _scenario(loaded, body.scenario, "$.scenario")
    # Typing the records is work too: off the event loop, within the time limit.
    result = await service.run(lambda: _batch_body(
        loaded, scenario, _records(loaded, body.enterprises, "$.enterprises"), body.trace,
        service.config.threads))
    return json_response(result)


@router.post("/explain", response_model=ExplainOut,
             summary="Explain one rule for one enterprise: its line, or why it gave none")
async def explain(request: Request, body: ExplainIn) -> Response:
    service = _service(request)
    loaded = service.holder.current
    rules = loaded.rules
    matches = [r for r in rules.rules if body.rule in (r.qualified_id, r.id)]
    if len(matches) != 1:
        problem = "no rule" if not matches else "more than one rule (qualify it: policy-set/rule-id)"
        raise ApiError(404 if not matches else 422, "unknown_rule", f"{problem} {body.rule!r}", "$.rule")
    rule = matches[0]
    scenario = _scenario(loaded, body.scenario, "$.scenario")
    records = _one(loaded, body.enterprise, "$.enterprise")

    def work() -> tuple[str, str]:
        handle = _core.evaluate(loaded.rules._core, records, 0, scenario._make_core(trace=True))
        evaluation = Evaluation._from_core(handle, rules.fingerprint, scenario.canonical)
        text: str = handle.to_json(True)
        return text, evaluation.explain_text(rule.qualified_id)

    traced, text = await service.run(work)
    line = next((ln for ln in json.loads(traced)["lines"]
                 if f"{ln['policy_set']}/{ln['rule']}" == rule.qualified_id), None)
    return json_response({
        "rule": rule,
        "line": line,
        "text": text,
        "receipt": loaded.receipt(scenario.canonical),
    })


@router.post("/audit", response_model=AuditOut, summary="Audit a ledger of grants")
async def audit_ledger(request: Request, body: AuditIn) -> Response:
    service = _service(request)
    loaded = service.holder.current
    _batch_limit(service, len(body.enterprises), "$.enterprises")
    _batch_limit(service, len(body.grants), "$.grants")
    scenario = _scenario(loaded, body.scenario, "$.scenario")
    # One grant a line, so a finding's row is the grant's number in "grants" (1 for the first).
    grants = '{"grants": [' + ",\n".join(
        json.dumps(g.model_dump(), ensure_ascii=False) for g in body.grants) + "]}"

    def work() -> tuple[str, str]:
        from ..audit import Ledger

        records = _records(loaded, body.enterprises, "$.enterprises")
        report = audit(scenario, records, Ledger.parse("$.grants", grants))
        return report.json, report.markdown

    report, markdown = await service.run(work)
    return json_response({"report": Raw(report), "markdown": markdown,
                          "receipt": loaded.receipt(scenario.canonical)})


@router.post("/compare", response_model=CompareOut, summary="Compare two scenarios on a population")
async def compare_scenarios(request: Request, body: CompareIn) -> Response:
    service = _service(request)
    loaded = service.holder.current
    _batch_limit(service, len(body.enterprises), "$.enterprises")
    base = _scenario(loaded, body.baseline, "$.baseline")
    other = _scenario(loaded, body.scenario, "$.scenario")
    result = await service.run(lambda: compare(
        base, other, _records(loaded, body.enterprises, "$.enterprises"), threads=service.config.threads))
    comparison = {
        "baseline": result.baseline,
        "scenario": result.scenario,
        "per_enterprise": result.per_enterprise.to_dict("records"),
        "by_payer": {key: _change(change) for key, change in result.by_payer.items()},
        "total": _change(result.total),
        "failed": result.failed.to_dict("records"),
        "budget": [{"scenario": b.scenario, "policy_set": b.line.policy_set, "line": b.line.id,
                    "year": b.year, "projected": b.projected, "budget": b.budget,
                    "unfixed": b.unfixed, "verdict": b.verdict} for b in result.budget],
    }
    return json_response({"comparison": comparison, "baseline": loaded.receipt(base.canonical),
                          "receipt": loaded.receipt(other.canonical)})


def _change(change: Any) -> dict[str, Any]:
    return {"baseline": change.baseline, "scenario": change.scenario, "change": change.change}


# --- administration ------------------------------------------------------------------------------


@router.post("/admin/reload", response_model=HealthOut,
             summary="Load the rule files named at start again and swap them in atomically")
async def reload_rules(request: Request) -> Response:
    service = _service(request)
    try:
        await service.run(service.holder.reload)
    except ApiError as error:
        error.status, error.code = 409, "reload_failed"
        raise
    return await health(request)


# --- the clerk's page: uploaded files ----------------------------------------------------------


def _form_scenario(loaded: Loaded, text: str) -> Scenario:
    try:
        given = ScenarioIn.model_validate_json(text or "{}")
    except ValueError as error:
        raise ApiError(422, "invalid_request", f"scenario: {error}", "$.scenario") from None
    return _scenario(loaded, given, "$.scenario")


async def _upload(file: UploadFile) -> tuple[str, bytes]:
    data = await file.read()
    return file.filename or "upload", data


@router.post("/upload/evaluate", response_model=BatchOut,
             summary="Evaluate an uploaded enterprise file (CSV, YAML or JSON)")
async def upload_evaluate(request: Request, file: UploadFile = File(...),
                          scenario: str = Form("{}")) -> Response:
    service = _service(request)
    loaded = service.holder.current
    chosen = _form_scenario(loaded, scenario)
    name, data = await _upload(file)
    records = await service.run(lambda: records_from_upload(loaded.rules._core, name, data))
    _batch_limit(service, len(records), "$.file")
    result = await service.run(lambda: _batch_body(loaded, chosen, records, True, service.config.threads))
    return json_response(result)


@router.post("/upload/audit", response_model=AuditOut, summary="Audit an uploaded ledger")
async def upload_audit(request: Request, file: UploadFile = File(...), ledger: UploadFile = File(...),
                       scenario: str = Form("{}")) -> Response:
    service = _service(request)
    loaded = service.holder.current
    chosen = _form_scenario(loaded, scenario)
    name, data = await _upload(file)
    ledger_name, ledger_data = await _upload(ledger)

    def work() -> tuple[str, str]:
        records = records_from_upload(loaded.rules._core, name, data)
        report = audit(chosen, records, ledger_from_upload(ledger_name, ledger_data))
        return report.json, report.markdown

    report, markdown = await service.run(work)
    return json_response({"report": Raw(report), "markdown": markdown,
                          "receipt": loaded.receipt(chosen.canonical)})


@router.post("/upload/evaluate.xlsx", summary="The evaluation of an uploaded file as a workbook",
             response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def upload_evaluate_xlsx(request: Request, file: UploadFile = File(...),
                               scenario: str = Form("{}")) -> Response:
    service = _service(request)
    loaded = service.holder.current
    chosen = _form_scenario(loaded, scenario)
    name, data = await _upload(file)

    def work() -> bytes:
        records = records_from_upload(loaded.rules._core, name, data)
        lines, totals = chosen.evaluate_frame(records, threads=service.config.threads)
        receipt = loaded.receipt(chosen.canonical)
        return xlsx_bytes({
            "lines": (list(lines.columns), lines.itertuples(index=False)),
            "totals": (list(totals.columns), totals.itertuples(index=False)),
            "receipt": (["key", "value"], list(receipt.items())),
        })

    return _download(await service.run(work), "subsidy-results.xlsx", loaded.receipt(chosen.canonical))


@router.post("/upload/audit.xlsx", summary="The audit findings of an uploaded ledger as a workbook",
             response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def upload_audit_xlsx(request: Request, file: UploadFile = File(...),
                            ledger: UploadFile = File(...), scenario: str = Form("{}")) -> Response:
    service = _service(request)
    loaded = service.holder.current
    chosen = _form_scenario(loaded, scenario)
    name, data = await _upload(file)
    ledger_name, ledger_data = await _upload(ledger)

    def work() -> bytes:
        records = records_from_upload(loaded.rules._core, name, data)
        report = audit(chosen, records, ledger_from_upload(ledger_name, ledger_data))
        frame = report.frame()
        receipt = loaded.receipt(chosen.canonical)
        return xlsx_bytes({
            "findings": (list(frame.columns), frame.itertuples(index=False)),
            "receipt": (["key", "value"], list(receipt.items())),
        })

    return _download(await service.run(work), "subsidy-audit.xlsx", loaded.receipt(chosen.canonical))


def _download(data: bytes, filename: str, receipt: Mapping[str, str]) -> Response:
    # The workbook has the receipt on its own sheet; the headers repeat it for programs.
    headers = {"Content-Disposition": f'attachment; filename="{filename}"',
               "X-Subsidy-Fingerprint": receipt["fingerprint"], "X-Subsidy-Engine": receipt["engine"]}
    return Response(data, media_type=XLSX, headers=headers)
