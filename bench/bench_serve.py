"""Load benchmark of ``subsidy serve`` on the loopback (numbers, not a test).

Starts ``subsidy serve --rules rules`` as a subprocess on a free port of 127.0.0.1, then CLIENTS
concurrent clients send REQUESTS requests in all: single evaluations (an example enterprise) and,
every BATCH_EVERY-th request, a batch of all the example enterprises. Half-way through, the rules
are reloaded twice, by SIGHUP and by ``POST /api/admin/reload``, while requests are in flight.
Every answer is checked: status 200, and the evaluation equal to the library's own (so a request
that a reload disturbed would count as an error). Reports throughput, p50 / p90 / p99 latency and
the error count, and writes them to bench/results/serve.md and serve.json.

    python bench/bench_serve.py [REQUESTS] [CLIENTS]       # default 20000 32
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

import subsidy

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "rules"
EXAMPLES = REPO / "examples" / "enterprises.yaml"
RESULTS = REPO / "bench" / "results"
BATCH_EVERY = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


async def main(total: int, clients: int) -> dict[str, Any]:
    records: list[dict[str, Any]] = yaml.load(EXAMPLES.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)[
        "enterprises"]
    library = subsidy.RuleSet.load(RULES)
    expected_batch = [json.loads(text) for text in library.evaluate_many(records).to_json()]

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "subsidy.cli", "serve", "--rules", str(RULES), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    latencies: list[float] = []
    errors: list[str] = []
    counts = {"single": 0, "batch": 0}
    next_index = 0
    reload_at = total // 2
    reloaded = asyncio.Event()

    try:
        assert server.stdout is not None
        server.stdout.readline()
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
            for _ in range(600):
                try:
                    await client.get("/api/health")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)

            async def reload_midway() -> None:
                while next_index < reload_at:
                    await asyncio.sleep(0.005)
                server.send_signal(signal.SIGHUP)
                response = await client.post("/api/admin/reload")
                if response.status_code != 200:
                    errors.append(f"admin reload: {response.status_code}")
                reloaded.set()

            async def worker() -> None:
                nonlocal next_index
                while next_index < total:
                    index = next_index
                    next_index += 1
                    batch = index % BATCH_EVERY == BATCH_EVERY - 1
                    started = time.perf_counter()
                    try:
                        if batch:
                            response = await client.post("/api/evaluate/batch", json={"enterprises": records})
                        else:
                            which = index % len(records)
                            response = await client.post("/api/evaluate", json={"enterprise": records[which]})
                    except httpx.HTTPError as error:
                        errors.append(f"request {index}: {error!r}")
                        continue
                    latencies.append(time.perf_counter() - started)
                    counts["batch" if batch else "single"] += 1
                    if response.status_code != 200:
                        errors.append(f"request {index}: {response.status_code} {response.text[:200]}")
                        continue
                    body = response.json()
                    got = body["evaluations"] if batch else [body["evaluation"]]
                    want = expected_batch if batch else [expected_batch[index % len(records)]]
                    if got != want or body["receipt"]["fingerprint"] != library.fingerprint:
                        errors.append(f"request {index}: a result differs from the library's")

            began = time.perf_counter()
            await asyncio.gather(reload_midway(), *(worker() for _ in range(clients)))
            elapsed = time.perf_counter() - began
            health = (await client.get("/api/health")).json()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()
        if server.stderr:
            server.stderr.close()

    ordered = sorted(latencies)
    return {
        "requests": total,
        "clients": clients,
        "single": counts["single"],
        "batch": counts["batch"],
        "batch_size": len(records),
        "evaluations": counts["single"] + counts["batch"] * len(records),
        "seconds": round(elapsed, 3),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "evaluations_per_second": round((counts["single"] + counts["batch"] * len(records)) / elapsed, 1),
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 2),
        "p90_ms": round(percentile(ordered, 0.90) * 1000, 2),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "errors": len(errors),
        "first_errors": errors[:5],
        "reloads_during_run": health["rules"]["reloads"],
        "reload_signal_sent": reloaded.is_set(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}",
        "load_average_after": round(os.getloadavg()[0], 1),
        "engine": subsidy.engine_version(),
    }


def write(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serve.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# `subsidy serve` on the loopback",
        "",
        f"`python bench/bench_serve.py {result['requests']} {result['clients']}` ({when}; {result['machine']};",
        f"{result['engine']}; load average {result['load_average_after']} at the end: the machine was\nshared with other jobs). One uvicorn process; the load generator (httpx, asyncio) runs on the same",
        "machine. Every answer is compared with the library's own evaluation.",
        "",
        "| requests | clients | single / batch (of " + str(result["batch_size"]) + ") | seconds | requests/s "
        "| evaluations/s | p50 ms | p90 ms | p99 ms | errors | reloads mid-run |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {result['requests']} | {result['clients']} | {result['single']} / {result['batch']} "
        f"| {result['seconds']} | {result['requests_per_second']} | {result['evaluations_per_second']} "
        f"| {result['p50_ms']} | {result['p90_ms']} | {result['p99_ms']} | {result['errors']} "
        f"| {result['reloads_during_run']} |",
        "",
        "The two reloads (SIGHUP, then `POST /api/admin/reload`) happen half-way, with requests in",
        "flight; requests that started on the old rule set finish on it, and none is lost or answered",
        "wrongly (errors counts any status other than 200, any transport error and any result that",
        "differs from the library's).",
        "",
    ]
    (RESULTS / "serve.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    requests_wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    clients_wanted = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    outcome = asyncio.run(main(requests_wanted, clients_wanted))
    write(outcome)
    print(json.dumps(outcome, indent=2))
    sys.exit(1 if outcome["errors"] else 0)
