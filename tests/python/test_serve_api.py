"""``subsidy serve`` over real HTTP: a uvicorn server on 127.0.0.1 started by the test, spoken to
with httpx. Every endpoint's answer is checked against the library's own results, and every kind
of bad input against its exact status, code, message and JSON path."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import subsidy
from serving import Running, running
from subsidy.serve import ServeConfig

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
EXAMPLES = REPO / "examples"
TOKEN = "test-token-0123456789"
MONEY_HINT = 'a JSON number where money is due: write money as a JSON string, e.g. "550000.00" or "55万"'
SURVEY = {"choose": {"electromechanical-policy": "machining-survey"}}


def example_records() -> list[dict[str, Any]]:
    # BaseLoader keeps every scalar as the text written: money goes out as JSON strings.
    data = yaml.load((EXAMPLES / "enterprises.yaml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    records: list[dict[str, Any]] = data["enterprises"]
    return records


def example_grants() -> list[dict[str, Any]]:
    import csv

    with open(EXAMPLES / "ledger.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [{**row, "year": int(row["year"])} for row in rows]


@pytest.fixture(scope="module")
def library() -> subsidy.RuleSet:
    return subsidy.RuleSet.load(RULES)


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    config = ServeConfig(rules=(str(RULES),), max_body_bytes=200_000, max_batch=50)
    with running(config) as started:
        yield started


@pytest.fixture()
def client(server: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=300) as c:
        yield c


def receipt_of(library: subsidy.RuleSet, scenario: str = "") -> dict[str, str]:
    return {"fingerprint": library.fingerprint, "scenario": scenario, "engine": subsidy.engine_version()}


def error_of(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    return body["error"]


# --- every endpoint -------------------------------------------------------------------------------


def test_health_names_versions_and_the_rule_set(client: httpx.Client, library: subsidy.RuleSet) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == subsidy.__version__
    assert body["rules"]["rules"] == len(library.rules)
    assert body["receipt"] == receipt_of(library)


def test_rules_list_the_rule_set_as_a_data_dictionary(client: httpx.Client, library: subsidy.RuleSet) -> None:
    body = client.get("/api/rules").json()
    assert [p["id"] for p in body["policy_sets"]] == [p.id for p in library.policy_sets]
    assert [g["id"] for g in body["groups"]] == [g.id for g in library.groups]
    rules = {r["qualified_id"]: r for r in body["rules"]}
    for rule in library.rules:
        assert rules[rule.qualified_id]["citation"]["text"] == rule.citation.text
    parameters = {p["qualified_name"]: p for p in body["parameters"]}
    for parameter in library.parameters:
        versions = parameters[parameter.qualified_name]["versions"]
        assert [v["value"] for v in versions] == [format(v.value, "f") for v in parameter.versions]
        assert all(isinstance(v["value"], str) for v in versions)  # money and rates as strings
    assert {o["name"] for o in body["options"]} == {o.name for o in library.options}
    facts = {f["name"]: f for f in body["facts"]}
    assert facts["sales_revenue"]["unit"] == "money (元)"
    assert body["receipt"] == receipt_of(library)


def test_evaluate_one_enterprise_equals_the_library(client: httpx.Client, library: subsidy.RuleSet) -> None:
    record = example_records()[0]
    response = client.post("/api/evaluate", json={"enterprise": record})
    assert response.status_code == 200
    body = response.json()
    expected = library.evaluate(record, trace=False)
    assert body["evaluation"] == json.loads(expected.json)
    assert body["receipt"] == receipt_of(library, library.baseline.canonical)
    amounts = [line["amount"] for line in body["evaluation"]["lines"] if line["amount"] is not None]
    assert amounts and all(isinstance(a, str) for a in amounts)


def test_evaluate_under_a_scenario(client: httpx.Client, library: subsidy.RuleSet) -> None:
    record = example_records()[0]
    parameter = next(p for p in library.parameters if p.policy_set == "machining-survey"
                     and p.unit == "a rate").qualified_name
    scenario = {**SURVEY, "parameters": {parameter: "60%"}, "on": "2024-08-01"}
    body = client.post("/api/evaluate", json={"enterprise": record, "scenario": scenario}).json()
    chosen = library.choose(SURVEY["choose"]).with_parameters({parameter: "60%"}).on("2024-08-01")
    assert body["evaluation"] == json.loads(chosen.evaluate(record, trace=False).json)
    assert body["receipt"] == receipt_of(library, chosen.canonical)
    assert body["evaluation"]["policy_sets"][0] == "machining-survey"


def test_batch_equals_the_library_batch(client: httpx.Client, library: subsidy.RuleSet) -> None:
    records = example_records()
    body = client.post("/api/evaluate/batch", json={"enterprises": records}).json()
    batch = library.evaluate_many(records)
    assert body["evaluations"] == [json.loads(text) for text in batch.to_json()]
    by_payer = batch.aggregate("payer")
    assert set(body["totals"]["by_payer"]) == set(by_payer)
    for payer, total in by_payer.items():
        assert body["totals"]["by_payer"][payer]["cash_max"] == format(total.cash.max, "f")
    assert body["receipt"] == receipt_of(library, library.baseline.canonical)


def test_explain_one_rule(client: httpx.Client, library: subsidy.RuleSet) -> None:
    record = example_records()[0]
    rule = "em-opinions-draft/O11-first-unit-major-equipment"
    body = client.post("/api/explain", json={"enterprise": record, "rule": rule}).json()
    evaluation = library.evaluate(record)
    assert body["rule"]["qualified_id"] == rule
    assert body["line"]["amount"] == format(evaluation.line(rule).amount, "f")
    assert body["line"]["trace"], "the explained line carries its trace"
    assert body["text"] == evaluation.explain_text(rule)
    assert library.rule(rule).citation.text in body["text"]


def test_explain_a_rule_that_gave_no_line(client: httpx.Client, library: subsidy.RuleSet) -> None:
    record = example_records()[0]
    rule = next(r.qualified_id for r in library.rules
                if r.policy_set == "em-opinions-draft"
                and all(line.qualified_rule != r.qualified_id for line in library.evaluate(record).lines))
    body = client.post("/api/explain", json={"enterprise": record, "rule": rule}).json()
    assert body["line"] is None
    assert "no award line" in body["text"] or "not evaluated" in body["text"]


def test_audit_a_ledger_equals_the_library(client: httpx.Client, library: subsidy.RuleSet) -> None:
    records = example_records()
    response = client.post("/api/audit", json={"enterprises": records, "grants": example_grants()})
    assert response.status_code == 200
    body = response.json()
    expected = json.loads(subsidy.audit(library, EXAMPLES / "enterprises.yaml", EXAMPLES / "ledger.csv").json)
    assert len(body["report"]["findings"]) == len(expected["findings"]) == 7
    # A request has no file: a row is the grant's number in "grants" (the CSV's row 1 is its header).
    strip = ("file", "row", "message")
    for got, want in zip(body["report"]["findings"], expected["findings"]):
        assert got["row"] == want["row"] - 1
        assert got["message"] == re.sub(r"row (\d+)", lambda m: f"row {int(m[1]) - 1}", want["message"])
        assert {k: v for k, v in got.items() if k not in strip} == {k: v for k, v in want.items() if k not in strip}
    assert body["report"]["granted"] == expected["granted"]
    assert "# Audit of grants" in body["markdown"]


def test_compare_two_scenarios(client: httpx.Client, library: subsidy.RuleSet) -> None:
    records = example_records()
    body = client.post("/api/compare", json={"enterprises": records, "scenario": SURVEY}).json()
    expected = subsidy.compare(library, library.choose(SURVEY["choose"]), records)
    change = body["comparison"]["total"]["change"]
    assert change == {"min": format(expected.total.change.min, "f"), "max": format(expected.total.change.max, "f")}
    assert [row["enterprise"] for row in body["comparison"]["per_enterprise"]] == list(
        expected.per_enterprise["enterprise"])
    assert body["receipt"]["scenario"] == library.choose(SURVEY["choose"]).canonical
    assert body["baseline"]["scenario"] == library.baseline.canonical
    verdicts = {b["verdict"] for b in body["comparison"]["budget"]}
    assert verdicts == {b.verdict for b in expected.budget}


def test_admin_reload_swaps_the_rules(client: httpx.Client, library: subsidy.RuleSet) -> None:
    before = client.get("/api/health").json()["rules"]["reloads"]
    response = client.post("/api/admin/reload")
    assert response.status_code == 200
    assert response.json()["rules"]["reloads"] == before + 1
    assert response.json()["receipt"]["fingerprint"] == library.fingerprint


def test_openapi_document_is_served_and_committed_current(client: httpx.Client) -> None:
    served = client.get("/api/openapi.json").json()
    committed = json.loads((REPO / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert served == committed, "docs/openapi.json is stale: python -m subsidy.serve.openapi > docs/openapi.json"
    assert {"/api/evaluate", "/api/evaluate/batch", "/api/explain", "/api/audit", "/api/compare",
            "/api/rules", "/api/health", "/api/admin/reload"} <= set(served["paths"])


def test_the_page_is_served_without_any_outside_address(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "产业补贴计算" in page.text
    for asset in ("/app.js", "/style.css"):
        text = client.get(asset).text
        assert "http://" not in text and "https://" not in text, asset
    assert "https://" not in page.text and "http://" not in page.text


# --- bad input: exact status, code, message and path --------------------------------------------


def test_malformed_json(client: httpx.Client) -> None:
    response = client.post("/api/evaluate", content=b'{"enterprise": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert error_of(response) == {"status": 400, "code": "malformed_json",
                                  "message": "malformed JSON at byte 15: Expecting value"}


@pytest.mark.parametrize("number", ["550000.00", "550000", "5.5e5"])
def test_money_as_a_json_number_is_refused_with_its_path(client: httpx.Client, number: str) -> None:
    text = '{"enterprise": {"id": "E1", "industry": "机械装备制造", "sales_revenue": ' + number + "}}"
    response = client.post("/api/evaluate", content=text.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert error_of(response) == {"status": 422, "code": "money_not_string", "message": MONEY_HINT,
                                  "path": "$.enterprise.sales_revenue"}
    assert response.json()["receipt"]["engine"] == subsidy.engine_version()


def test_money_as_a_number_deep_in_a_batch(client: httpx.Client) -> None:
    records = example_records()[:2]
    records[1] = {**records[1], "first_unit_products": [
        {"category": "国内首台重大装备或成套装备", "price": 12800000, "certified": "true"}]}
    response = client.post("/api/evaluate/batch", json={"enterprises": records})
    assert response.status_code == 422
    assert error_of(response)["path"] == "$.enterprises[1].first_unit_products[0].price"
    assert error_of(response)["code"] == "money_not_string"


def test_money_as_a_number_in_a_parameter_override(client: httpx.Client) -> None:
    response = client.post("/api/evaluate", json={"enterprise": example_records()[0],
                                                  "scenario": {"parameters": {"machining-survey.x": 0.6}}})
    assert response.status_code == 422
    assert error_of(response) == {"status": 422, "code": "money_not_string", "message": MONEY_HINT,
                                  "path": "$.scenario.parameters.machining-survey.x"}


def test_money_as_a_number_in_a_grant(client: httpx.Client) -> None:
    grants = example_grants()
    grants[2] = {**grants[2], "amount": 8775000}
    response = client.post("/api/audit", json={"enterprises": example_records(), "grants": grants})
    assert response.status_code == 422
    assert error_of(response)["path"] == "$.grants[2].amount"


def test_a_fraction_where_a_count_is_due(client: httpx.Client) -> None:
    record = {**example_records()[0], "library_books": 5200.5}
    response = client.post("/api/evaluate", json={"enterprise": record})
    assert response.status_code == 422
    assert error_of(response) == {
        "status": 422, "code": "inexact_number",
        "message": "a JSON number with a fraction or exponent is inexact: write it as a string",
        "path": "$.enterprise.library_books"}


def test_an_unknown_fact(client: httpx.Client) -> None:
    records = example_records()[:3]
    records[2] = {**records[2], "turnover": "1亿"}
    response = client.post("/api/evaluate/batch", json={"enterprises": records})
    assert response.status_code == 422
    assert error_of(response) == {"status": 422, "code": "fact_error",
                                  "message": "expected a declared fact, found 'turnover'",
                                  "path": "$.enterprises[2].turnover"}


def test_an_unknown_scenario_name(client: httpx.Client) -> None:
    response = client.post("/api/evaluate", json={"enterprise": example_records()[0],
                                                  "scenario": {"choose": {"no-such-group": "x"}}})
    assert response.status_code == 422
    assert error_of(response) == {"status": 422, "code": "name_error",
                                  "message": "expected an alternative group, found 'no-such-group'",
                                  "path": "$.scenario"}


def test_an_unknown_field_of_the_request(client: httpx.Client) -> None:
    response = client.post("/api/evaluate", json={"enterprise": {}, "senario": {}})
    assert response.status_code == 422
    assert error_of(response) == {"status": 422, "code": "invalid_request",
                                  "message": "Extra inputs are not permitted", "path": "$.senario"}


def test_an_unknown_rule_to_explain(client: httpx.Client) -> None:
    response = client.post("/api/explain", json={"enterprise": example_records()[0], "rule": "Z99"})
    assert response.status_code == 404
    assert error_of(response) == {"status": 404, "code": "unknown_rule", "message": "no rule 'Z99'",
                                  "path": "$.rule"}


def test_an_oversized_body(client: httpx.Client) -> None:
    big = b'{"enterprise": {"id": "' + b"x" * 200_001 + b'"}}'
    response = client.post("/api/evaluate", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert error_of(response) == {"status": 413, "code": "body_too_large",
                                  "message": "the request body is over the limit of 200000 bytes"}


def test_an_oversized_body_sent_in_chunks(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"enterprise": {"id": "'
        for _ in range(30):
            yield b"x" * 10_000
        yield b'"}}'

    response = client.post("/api/evaluate", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert error_of(response)["code"] == "body_too_large"


def test_a_batch_over_the_limit(client: httpx.Client) -> None:
    records = [{"id": f"E{i}", "industry": "机械装备制造"} for i in range(51)]
    response = client.post("/api/evaluate/batch", json={"enterprises": records})
    assert response.status_code == 413
    assert error_of(response) == {"status": 413, "code": "batch_too_large",
                                  "message": "51 records, over the limit of 50 per request",
                                  "path": "$.enterprises"}


# --- access and limits ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded() -> Iterator[Running]:
    with running(ServeConfig(rules=(str(RULES),), token=TOKEN)) as started:
        yield started


def test_a_missing_or_wrong_token(guarded: Running) -> None:
    with httpx.Client(base_url=guarded.url) as c:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            response = c.get("/api/rules", headers=headers)
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == "Bearer"
            assert error_of(response) == {
                "status": 401, "code": "token_required",
                "message": "this service needs its token: Authorization: Bearer TOKEN"}
        assert c.post("/api/admin/reload").status_code == 401
        assert c.get("/api/rules", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert c.get("/api/health").status_code == 200  # a monitor needs no secret


def test_another_address_needs_a_token() -> None:
    with pytest.raises(ValueError, match="binding to 0.0.0.0 .not loopback. needs a token"):
        ServeConfig(rules=(str(RULES),), host="0.0.0.0")
    assert ServeConfig(rules=(str(RULES),), host="0.0.0.0", token=TOKEN).host == "0.0.0.0"
    assert ServeConfig(rules=(str(RULES),)).host == "127.0.0.1"


def test_the_time_limit_per_request() -> None:
    # A limit far below any evaluation's time: the answer is the limit's error, never a result.
    records = example_records() * 40
    with running(ServeConfig(rules=(str(RULES),), time_limit_seconds=1e-9)) as started:
        with httpx.Client(base_url=started.url, timeout=300) as c:
            response = c.post("/api/evaluate/batch", json={"enterprises": records, "trace": True})
    assert response.status_code == 504
    assert error_of(response) == {"status": 504, "code": "time_limit",
                                  "message": "the request took longer than the limit of 1e-09 s"}


def test_a_failed_reload_keeps_the_rules_in_service(tmp_path: Path, library: subsidy.RuleSet) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    for source in RULES.glob("*.yaml"):
        (folder / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    with running(ServeConfig(rules=(str(folder),))) as started, httpx.Client(base_url=started.url) as c:
        fingerprint = c.get("/api/health").json()["receipt"]["fingerprint"]
        (folder / "broken.yaml").write_text("policy_set: [unclosed\n", encoding="utf-8")
        response = c.post("/api/admin/reload")
        assert response.status_code == 409
        assert error_of(response)["code"] == "reload_failed"
        assert response.json()["receipt"]["fingerprint"] == fingerprint
        assert c.get("/api/health").json()["rules"]["reloads"] == 0
        (folder / "broken.yaml").unlink()
        assert c.post("/api/admin/reload").status_code == 200


# --- the page's uploads and downloads ----------------------------------------------------------


def _files(*names: str) -> dict[str, tuple[str, bytes]]:
    paths = {"enterprises.yaml": EXAMPLES / "enterprises.yaml", "ledger.csv": EXAMPLES / "ledger.csv"}
    fields = ("file", "ledger")
    return {field: (name, paths[name].read_bytes()) for field, name in zip(fields, names)}


def _sheet(data: bytes, title: str) -> list[list[Any]]:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return [list(row) for row in book[title].iter_rows(values_only=True)]


def test_upload_evaluate_and_download_the_workbook(client: httpx.Client, library: subsidy.RuleSet) -> None:
    scenario = json.dumps(SURVEY)
    body = client.post("/api/upload/evaluate", files=_files("enterprises.yaml"), data={"scenario": scenario}).json()
    chosen = library.choose(SURVEY["choose"])
    batch = chosen.evaluate_many(EXAMPLES / "enterprises.yaml", trace=True)
    assert body["evaluations"] == [json.loads(text) for text in batch.to_json(with_trace=True)]
    assert body["receipt"]["scenario"] == chosen.canonical

    response = client.post("/api/upload/evaluate.xlsx", files=_files("enterprises.yaml"), data={"scenario": scenario})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="subsidy-results.xlsx"'
    lines = _sheet(response.content, "lines")
    expected = chosen.evaluate_frame(EXAMPLES / "enterprises.yaml").lines
    header = lines[0]
    assert header == list(expected.columns)
    amounts = [row[header.index("amount")] for row in lines[1:]]
    assert amounts == [None if a is None else str(a) for a in expected["amount"]]  # text cells: exact
    receipt = dict((row[0], row[1]) for row in _sheet(response.content, "receipt")[1:])
    assert receipt["fingerprint"] == response.headers["x-subsidy-fingerprint"] == library.fingerprint


def test_upload_audit_and_download_the_findings(client: httpx.Client, library: subsidy.RuleSet) -> None:
    body = client.post("/api/upload/audit", files=_files("enterprises.yaml", "ledger.csv")).json()
    expected = subsidy.audit(library, EXAMPLES / "enterprises.yaml", EXAMPLES / "ledger.csv")
    want = json.loads(expected.json)
    assert [f["file"] for f in body["report"]["findings"]] == ["ledger.csv"] * 7  # the name uploaded
    for finding in body["report"]["findings"] + want["findings"]:
        del finding["file"]
    assert body["report"] == want
    response = client.post("/api/upload/audit.xlsx", files=_files("enterprises.yaml", "ledger.csv"))
    findings = _sheet(response.content, "findings")
    assert findings[0] == list(expected.frame().columns)
    assert [row[findings[0].index("kind")] for row in findings[1:]] == [f.kind for f in expected.findings]
    assert [row[findings[0].index("granted")] for row in findings[1:]] == [str(f.granted) for f in expected.findings]


def test_upload_of_an_unsupported_file(client: httpx.Client) -> None:
    response = client.post("/api/upload/evaluate", files={"file": ("firms.txt", b"id\nE1\n")})
    assert response.status_code == 415
    assert error_of(response) == {"status": 415, "code": "unsupported_file",
                                  "message": "firms.txt: expected one of .csv, .yaml, .yml, .json, .xlsx, .xlsm",
                                  "path": "$.file"}


def test_upload_with_a_bad_row_names_file_row_and_column(client: httpx.Client) -> None:
    text = "id,industry,sales_revenue\nE1,机械装备制造,1.2亿\nE2,机械装备制造,lots\n".encode()
    response = client.post("/api/upload/evaluate", files={"file": ("firms.csv", text)})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "fact_error"
    assert error["path"] == "$.file"
    assert error["message"].startswith("firms.csv:3:")  # the file as uploaded, its row
    assert "sales_revenue" in error["message"] and "lots" in error["message"]
    assert "subsidy-upload-" not in error["message"]  # never the server's temporary file


def test_upload_of_an_xlsx_ledger(client: httpx.Client, library: subsidy.RuleSet) -> None:
    import csv
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    with open(EXAMPLES / "ledger.csv", encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append(row)  # every cell text, amounts included: exact
    data = io.BytesIO()
    book.save(data)
    files = {"file": ("enterprises.yaml", (EXAMPLES / "enterprises.yaml").read_bytes()),
             "ledger": ("grants.xlsx", data.getvalue())}
    body = client.post("/api/upload/audit", files=files).json()
    expected = json.loads(subsidy.audit(library, EXAMPLES / "enterprises.yaml", EXAMPLES / "ledger.csv").json)
    assert [f["file"] for f in body["report"]["findings"]] == ["grants.xlsx"] * 7
    assert [(f["row"], f["kind"], f["granted"]) for f in body["report"]["findings"]] == [
        (f["row"], f["kind"], f["granted"]) for f in expected["findings"]]


def test_an_uploaded_name_is_never_a_path(client: httpx.Client) -> None:
    text = "id,industry\nE1,机械装备制造\n".encode()
    response = client.post("/api/upload/evaluate", files={"file": ("../../etc/firms.csv", text)})
    assert response.status_code == 200
    assert response.json()["evaluations"][0]["enterprise"] == "E1"


def test_the_command_serves_and_reloads_on_sighup(library: subsidy.RuleSet) -> None:
    import signal
    import subprocess
    import sys
    import time

    from serving import free_port

    port = free_port()
    command = [sys.executable, "-m", "subsidy.cli", "serve", "--rules", str(RULES), "--port", str(port)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert first.startswith(f"subsidy serve: http://127.0.0.1:{port}/ (rules {library.fingerprint[:12]})")
            url = f"http://127.0.0.1:{port}/api/health"
            deadline = time.monotonic() + 300  # a backstop only: a loaded machine is slow, not hung
            while True:
                try:
                    health = httpx.get(url, timeout=120).json()
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the server did not come up"
                    time.sleep(0.05)
            assert health["rules"]["reloads"] == 0
            process.send_signal(signal.SIGHUP)
            while httpx.get(url, timeout=120).json()["rules"]["reloads"] == 0:
                assert time.monotonic() < deadline, "SIGHUP did not reload the rules"
                time.sleep(0.05)
        finally:
            process.terminate()
            process.wait(timeout=300)


def test_the_command_refuses_another_address_without_a_token() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "subsidy.cli", "serve", "--rules", str(RULES), "--host", "0.0.0.0"],
        capture_output=True, text=True, env={k: v for k, v in __import__("os").environ.items()
                                             if k != "SUBSIDY_SERVE_TOKEN"},
    )
    assert result.returncode == 1
    assert result.stderr == ("subsidy: error: binding to 0.0.0.0 (not loopback) needs a token: "
                             "--token or SUBSIDY_SERVE_TOKEN\n")


def test_upload_of_the_filled_data_template(client: httpx.Client, library: subsidy.RuleSet,
                                            tmp_path: Path) -> None:
    # The clerk's workbook (the data template, filled with the example enterprises) evaluates as
    # the YAML example does.
    import openpyxl
    from test_intake import _fill

    from subsidy import cli

    path = tmp_path / "企业数据模板.xlsx"
    assert cli.main(["template", "--rules", str(RULES), "-o", str(path)]) == 0
    book = openpyxl.load_workbook(path)
    _fill(book, library, misspell=False)
    book.save(path)
    files = {"file": ("企业数据模板.xlsx", path.read_bytes())}
    body = client.post("/api/upload/evaluate", files=files).json()
    expected = library.evaluate_many(EXAMPLES / "enterprises.yaml", trace=True)
    assert body["evaluations"] == [json.loads(text) for text in expected.to_json(with_trace=True)]
