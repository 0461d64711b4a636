"""The Python side of the batch benchmark, and the report.

Reads the synthetic enterprises bench_batch wrote (raw little-endian arrays, the same seeded data
the C++ implementations use), times

  * the engine from Python: ``Scenario.evaluate_columns`` on a pyarrow Table (end to end: the
    engine reads the Arrow columns, evaluates, and the results come back as Arrow decimal128),
  * hand-written Python with the stdlib ``decimal`` module (workload S),
  * the ``zen-engine`` package (GoRules JDM) with an equivalent decision graph (workload S),

each as evaluations per second (median of 5 runs) with the exact checksum (sum of all totals), then
merges the C++ results and writes bench/results/RESULTS.md.

    python bench/bench_python.py DATA_DIR N CPP_RESULTS.jsonl OUT.md [SLOW_N]
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa

import subsidy

REPO = Path(__file__).resolve().parents[1]
RUNS = 5
RULES_S = 17  # J4, O11 first-unit ×3, O20 cash ×6, O21 ×7 (as bench/handwritten.hpp)
J4 = ["machining-survey/J4-tax-rebate"]
O_RULES = [
    "em-opinions-draft/" + r
    for r in (
        "O11-first-unit-major-equipment O11-first-unit-special-equipment O11-first-unit-key-component "
        "O20-governor-award O20-mayor-award O20-provincial-quality-product O20-provincial-famous-brand "
        "O20-well-known-trademark O20-china-famous-brand O21-international-standard O21-national-standard "
        "O21-industry-or-provincial-standard O21-rating-national-4a O21-rating-national-3a "
        "O21-rating-provincial-4a O21-rating-provincial-3a"
    ).split()
]
INDUSTRY = ["矿用机电", "机械加工", "机械装备制造", "其他"]
LEVEL = ["国际标准", "国家标准", "行业标准", "省地方标准"]
ROLE = ["主要起草单位", "参与起草单位"]
GRADE = ["国家4A", "国家3A", "省级4A", "省级3A"]
CATEGORY = ["国内首台重大装备或成套装备", "国内首台专用装备", "国内首台关键基础件"]
KIND = ["省长奖", "市长奖", "省级优质产品", "省名牌产品", "全国驰名商标", "中国名牌产品"]


def load(data: Path) -> dict[str, np.ndarray]:
    kinds = {
        "revenue": np.int64, "land_tax": np.int64, "income_tax": np.int64,
        "income_tax_last": np.int64, "product_price": np.int64,
    }
    out = {}
    for f in data.glob("*.bin"):
        name = f.stem
        dtype = kinds.get(name, np.uint32 if name.endswith("_offsets") else np.uint8)
        out[name] = np.fromfile(f, dtype=dtype)
    return out


def median_seconds(body: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        result = body()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


# --- the engine from Python ---------------------------------------------------------------------


def money(fen: np.ndarray) -> pa.Array:
    """int64 分 → decimal128(18, 2) without any float: the 16-byte little-endian two's complement."""
    wide = np.empty((len(fen), 2), dtype=np.int64)
    wide[:, 0] = fen
    wide[:, 1] = np.where(fen < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(fen), [None, pa.py_buffer(wide.tobytes())])


def enum(codes: np.ndarray, values: list[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(values))


def lists(offsets: np.ndarray, **fields: pa.Array) -> pa.Array:
    records = pa.StructArray.from_arrays(list(fields.values()), names=list(fields))
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), records)


def arrow_table(d: dict[str, np.ndarray], n: int) -> pa.Table:
    return pa.table(
        {
            "industry": enum(d["industry"][:n], INDUSTRY),
            "sales_revenue": money(d["revenue"][:n]),
            "land_use_tax": money(d["land_tax"][:n]),
            "income_tax_paid": money(d["income_tax"][:n]),
            "income_tax_paid_last_year": money(d["income_tax_last"][:n]),
            "standards": lists(
                d["standard_offsets"][: n + 1],
                level=enum(d["standard_level"], LEVEL),
                role=enum(d["standard_role"], ROLE),
            ),
            "standardization_ratings": lists(d["rating_offsets"][: n + 1], grade=enum(d["rating_grade"], GRADE)),
            "first_unit_products": lists(
                d["product_offsets"][: n + 1],
                category=enum(d["product_category"], CATEGORY),
                price=money(d["product_price"]),
                certified=pa.array(d["product_certified"].astype(bool)),
            ),
            "quality_awards": lists(d["award_offsets"][: n + 1], kind=enum(d["award_kind"], KIND)),
        }
    )


def engine_from_python(d: dict[str, np.ndarray], n: int, threads: int) -> tuple[float, str]:
    rules = subsidy.RuleSet.load(REPO / "rules")
    machining = rules.choose({"electromechanical-policy": "machining-survey"})
    each_rating = rules.with_options({"standardization_rating_count": "each_rating"})
    table = arrow_table(d, n)

    def run() -> Decimal:
        facts = rules.fact_table(table)  # the Arrow columns read once, for both scenarios
        a = machining.evaluate_columns(facts, rules=J4, threads=threads)
        b = each_rating.evaluate_columns(facts, rules=O_RULES, threads=threads)
        return a.total["cash_ceiling"] + b.total["cash_ceiling"]

    t, total = median_seconds(run)
    return t, str(total)


def engine_from_dataframe(d: dict[str, np.ndarray], n: int) -> tuple[float, str]:
    """The pandas path: Decimal object columns, read into Arrow inside RuleSet.fact_table."""
    rules = subsidy.RuleSet.load(REPO / "rules")
    machining = rules.choose({"electromechanical-policy": "machining-survey"})
    each_rating = rules.with_options({"standardization_rating_count": "each_rating"})
    frame = arrow_table(d, n).to_pandas()  # Decimal objects, lists of dicts (not timed)

    def run() -> Decimal:
        facts = rules.fact_table(frame)
        a = machining.evaluate_columns(facts, rules=J4, threads=1)
        b = each_rating.evaluate_columns(facts, rules=O_RULES, threads=1)
        return a.total["cash_ceiling"] + b.total["cash_ceiling"]

    t, total = median_seconds(run)
    return t, str(total)


# --- workload J: the J4 rebate alone, the engine against OpenFisca ------------------------------------


def j_table(d: dict[str, np.ndarray], n: int) -> pa.Table:
    return pa.table({
        "industry": enum(d["industry"][:n], INDUSTRY),
        "sales_revenue": money(d["revenue"][:n]),
        "land_use_tax": money(d["land_tax"][:n]),
        "income_tax_paid": money(d["income_tax"][:n]),
        "income_tax_paid_last_year": money(d["income_tax_last"][:n]),
    })


def exact_j(d: dict[str, np.ndarray], n: int) -> np.ndarray:
    """J4 per firm in 分, exactly (int64 arithmetic, as bench/handwritten.hpp): the yardstick for
    OpenFisca's float32 amounts."""
    revenue, land = d["revenue"][:n], d["land_tax"][:n]
    increase = np.maximum(d["income_tax"][:n] - d["income_tax_last"][:n], 0)
    x = np.where(revenue > 50000000000, 50 * land + 70 * increase, 50 * (land + increase))
    fen = (np.maximum(x, 0) + 50) // 100
    return np.where((d["industry"][:n] == 2) & (revenue > 10000000000), fen, 0)


def engine_j(d: dict[str, np.ndarray], n: int) -> tuple[float, str]:
    rules = subsidy.RuleSet.load(REPO / "rules")
    machining = rules.choose({"electromechanical-policy": "machining-survey"})
    table = j_table(d, n)

    def run() -> Decimal:
        return machining.evaluate_columns(table, rules=J4, threads=1).total["cash_ceiling"]

    t, total = median_seconds(run)
    return t, str(total)


def openfisca_j(d: dict[str, np.ndarray], n: int) -> list[tuple[str, float, str, str]] | None:
    """(name, seconds, checksum, note) for the formula alone and with the simulation and inputs."""
    try:
        from bench_openfisca import OpenFiscaJ
    except ImportError:
        return None
    model = OpenFiscaJ(d, n)
    try:
        formula, result = median_seconds_fresh(model.simulation, model.calculate)
        whole, _ = median_seconds(lambda: model.calculate(model.simulation()))
    finally:
        model.close()
    exact = exact_j(d, n)
    got = result.astype(np.float64)
    checksum = float(got.sum())
    exact_sum = Decimal(int(exact.sum())).scaleb(-2)
    off = np.abs(got * 100 - exact)  # 分, per firm
    note = (f"float32: total off by {abs(Decimal(repr(checksum)) - exact_sum):,.2f} 元; "
            f"{int((off >= 1).sum()):,} of {n:,} firms wrong by 1 分 or more, the worst by "
            f"{off.max() / 100:,.2f} 元")
    shown = f"{checksum:.2f}"
    return [
        ("openfisca-core (PyPI), vectorised numpy formula, float32", formula, shown,
         "Simulation.calculate of J4 alone, inputs already set as arrays; " + note),
        ("openfisca-core (PyPI), simulation + inputs + formula", whole, shown,
         "SimulationBuilder.build_default_simulation, set_input ×5 (arrays), calculate"),
    ]


def median_seconds_fresh(setup: Callable[[], Any], body: Callable[[Any], Any]) -> tuple[float, Any]:
    """The median time of ``body(setup())`` over RUNS runs, ``setup`` not timed."""
    times, result = [], None
    for _ in range(RUNS):
        state = setup()
        t0 = time.perf_counter()
        result = body(state)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


# --- the Python APIs users call -----------------------------------------------------------------------


def frame_of(d: dict[str, np.ndarray], n: int) -> Any:
    """The README's input: a DataFrame of decimal.Decimal amounts, str enumerations and lists of
    dicts, with ids (built outside the timing)."""
    import pandas as pd

    columns = arrow_table(d, n).to_pydict()
    columns["industry"] = [str(v) for v in columns["industry"]]
    for name in ("standards", "standardization_ratings", "first_unit_products", "quality_awards"):
        columns[name] = [[{k: (str(v) if isinstance(v, str) else v) for k, v in r.items()} for r in rows]
                         for rows in columns[name]]
    frame = pd.DataFrame({"id": [f"E{r:07d}" for r in range(n)], **columns})
    return frame


def api_rows(d: dict[str, np.ndarray], n: int, workdir: Path) -> list[dict[str, Any]]:
    """evaluate_frame, evaluate_many, compare and `subsidy evaluate` on a file, every rule of the
    rule set under the default scenario, once each (they take seconds, not milliseconds)."""
    import subprocess

    rules = subsidy.RuleSet.load(REPO / "rules")
    machining = rules.choose({"electromechanical-policy": "machining-survey"})
    frame = frame_of(d, n)
    out: list[dict[str, Any]] = []

    def timed(name: str, body: Callable[[], Any], checksum: Callable[[Any], Any], count: int, note: str) -> None:
        t0 = time.perf_counter()
        result = body()
        seconds = time.perf_counter() - t0
        out.append({"implementation": name, "n": count, "seconds": seconds, "checksum": str(checksum(result)),
                    "note": note})
        print(f"{name:60s} {count:9d} {seconds:8.2f} s", flush=True)

    timed("RuleSet.evaluate_frame (pandas DataFrame of Decimal/str)", lambda: rules.evaluate_frame(frame),
          lambda f: sum(f.totals["cash_max"]), n, "conversion included; frames of Decimal objects out")
    timed("RuleSet.evaluate_many (the same DataFrame)", lambda: rules.evaluate_many(frame),
          lambda b: b.total().cash.max, n, "conversion included; the batch stays in the engine")
    timed("subsidy.compare (default vs machining-survey, the same DataFrame)",
          lambda: subsidy.compare(rules, machining, frame), lambda c: c.total.change.max, n,
          "both scenarios, per-enterprise changes and budget lines")
    # The command reads records on the typed path: at most 52 380 records under these rules (the
    # population limit), and a CSV cell holds no list, so the file has the scalar facts (J4's and
    # the industry).
    file_n = min(n, 50000)
    records = workdir / "enterprises.csv"
    scalars = ["id", "industry", "sales_revenue", "land_use_tax", "income_tax_paid", "income_tax_paid_last_year"]
    frame.head(file_n)[scalars].to_csv(records, index=False)
    command = [sys.executable, "-c", "import sys; from subsidy.cli import main; sys.exit(main())",
               "evaluate", "--rules", str(REPO / "rules"), str(records),
               "--format", "csv", "-o", str(workdir / "lines.csv")]
    timed("subsidy evaluate FILE.csv --format csv (scalar facts)",
          lambda: subprocess.run(command, check=False, capture_output=True),
          lambda p: f"exit {p.returncode}", file_n, "a new process: start-up, reading, typing, evaluating, writing")
    return out


# --- hand-written Python, stdlib decimal ----------------------------------------------------------

FEN = Decimal("0.01")
FIRST_UNIT = [Decimal(300000), Decimal(100000), Decimal(50000)]
QUALITY = [Decimal(0), Decimal(0), Decimal(10000), Decimal(50000), Decimal(50000), Decimal(300000)]
STANDARD = [Decimal(200000), Decimal(100000), Decimal(50000), Decimal(50000)]
RATING = [Decimal(50000), Decimal(30000), Decimal(30000), Decimal(20000)]
HALF, SEVENTY = Decimal("0.50"), Decimal("0.70")
YI, FIVE_YI, FLOOR = Decimal(100000000), Decimal(500000000), Decimal(1000000)


def python_decimal(d: dict[str, np.ndarray], n: int) -> tuple[float, str]:
    # Inputs as Decimal yuan (two decimals), prepared outside the timing.
    def yuan(a: np.ndarray) -> list[Decimal]:
        return [Decimal(int(v)).scaleb(-2) for v in a]

    industry = d["industry"][:n].tolist()
    revenue, land, tax, last = (yuan(d[k][:n]) for k in ("revenue", "land_tax", "income_tax", "income_tax_last"))
    so, sl, sr = d["standard_offsets"].tolist(), d["standard_level"].tolist(), d["standard_role"].tolist()
    ro, rg = d["rating_offsets"].tolist(), d["rating_grade"].tolist()
    po, pc, pcert = d["product_offsets"].tolist(), d["product_category"].tolist(), d["product_certified"].tolist()
    pp = yuan(d["product_price"])
    ao, ak = d["award_offsets"].tolist(), d["award_kind"].tolist()

    def run() -> Decimal:
        total = Decimal(0)
        with localcontext() as ctx:
            ctx.prec = 60  # exact for these magnitudes
            for r in range(n):
                if industry[r] == 2 and revenue[r] > YI:
                    increase = max(Decimal(0), tax[r] - last[r])
                    if revenue[r] > FIVE_YI:
                        x = HALF * land[r] + SEVENTY * increase
                    else:
                        x = HALF * (land[r] + increase)
                    total += max(Decimal(0), x).quantize(FEN, ROUND_HALF_UP)
                if industry[r] == 3:
                    continue
                for i in range(po[r], po[r + 1]):
                    if pcert[i] and pp[i] >= FLOOR:
                        total += FIRST_UNIT[pc[i]]
                kinds = ak[ao[r] : ao[r + 1]]
                for k in kinds:
                    total += QUALITY[k]
                if 0 in kinds:
                    total += Decimal(1000000)
                if 1 in kinds:
                    total += Decimal(300000)
                for i in range(so[r], so[r + 1]):
                    if sr[i] == 0:
                        total += STANDARD[sl[i]]
                for i in range(ro[r], ro[r + 1]):
                    total += RATING[rg[i]]
        return total.quantize(FEN)

    t, total = median_seconds(run)
    return t, str(total)


# --- zen-engine -------------------------------------------------------------------------------------

ZEN_EXPRESSIONS = {
    # Amounts in 分 as integers: zen takes Python numbers only (a Decimal is refused) and returns
    # floats, so money enters and leaves as whole 分 below 2^53; inside it computes in rust_decimal.
    "j4": "industry == 2 and revenue > 10000000000 ? round(max([0, revenue > 50000000000 ? "
    "0.5 * land + 0.7 * max([0, tax - last]) : 0.5 * (land + max([0, tax - last]))])) : 0",
    "o11": "industry == 3 ? 0 : sum(map(filter(products, #.certified and #.price >= 100000000), "
    "[30000000, 10000000, 5000000][#.category]))",
    "o20": "industry == 3 ? 0 : (some(awards, #.kind == 0) ? 100000000 : 0) + "
    "(some(awards, #.kind == 1) ? 30000000 : 0) + "
    "sum(map(awards, [0, 0, 1000000, 5000000, 5000000, 30000000][#.kind]))",
    "o21": "industry == 3 ? 0 : sum(map(filter(standards, #.role == 0), "
    "[20000000, 10000000, 5000000, 5000000][#.level])) + "
    "sum(map(ratings, [5000000, 3000000, 3000000, 2000000][#.grade]))",
}


def zen_graph() -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "facts", "position": {"x": 0, "y": 0}},
            {
                "id": "s",
                "type": "expressionNode",
                "name": "workload S",
                "position": {"x": 200, "y": 0},
                "content": {
                    "expressions": [
                        {"id": str(i), "key": k, "value": v} for i, (k, v) in enumerate(ZEN_EXPRESSIONS.items())
                    ]
                },
            },
            {"id": "out", "type": "outputNode", "name": "awards", "position": {"x": 400, "y": 0}},
        ],
        "edges": [
            {"id": "a", "sourceId": "in", "targetId": "s", "type": "edge"},
            {"id": "b", "sourceId": "s", "targetId": "out", "type": "edge"},
        ],
    }


def zen_engine(d: dict[str, np.ndarray], n: int) -> tuple[float, str] | None:
    try:
        import zen
    except ImportError:
        return None
    decision = zen.ZenEngine().create_decision(json.dumps(zen_graph()))

    def rows(offsets: np.ndarray, r: int, **fields: np.ndarray) -> list[dict[str, int]]:
        return [{k: int(v[i]) for k, v in fields.items()} for i in range(int(offsets[r]), int(offsets[r + 1]))]

    contexts = [
        {
            "industry": int(d["industry"][r]),
            "revenue": int(d["revenue"][r]),
            "land": int(d["land_tax"][r]),
            "tax": int(d["income_tax"][r]),
            "last": int(d["income_tax_last"][r]),
            "standards": rows(d["standard_offsets"], r, level=d["standard_level"], role=d["standard_role"]),
            "ratings": rows(d["rating_offsets"], r, grade=d["rating_grade"]),
            "products": [
                {**p, "certified": bool(p["certified"])}
                for p in rows(
                    d["product_offsets"], r,
                    category=d["product_category"], price=d["product_price"], certified=d["product_certified"],
                )
            ],
            "awards": rows(d["award_offsets"], r, kind=d["award_kind"]),
        }
        for r in range(n)
    ]

    def run() -> int:
        total = 0
        for ctx in contexts:
            out = decision.evaluate(ctx)["result"]
            for key in ZEN_EXPRESSIONS:
                value = out[key]
                assert value == int(value) and abs(value) < 2**53, value
                total += int(value)
        return total

    t, fen = median_seconds(run)
    return t, str(Decimal(fen).scaleb(-2))


# --- report -------------------------------------------------------------------------------------------


LIMITS = """
## Targets and what limits them

Targets (N = 1 000 000 unless said): engine S on one thread ≥ 0.5× the checked_int128 reference;
engine W ≥ 2.5 M enterprises/s on one thread; `evaluate_frame` on a DataFrame of `Decimal`/`str`
(conversion included) ≥ 20× the hand-written stdlib-decimal loop on S, the Arrow path ≥ 0.7× the
C++ engine; `compare` of two scenarios on 100 000 enterprises under 1 s; peak memory for W under
1 GiB; rule loading under 50 ms; on workload J the engine faster than OpenFisca while exact. Read
the tables above for this run (on a shared 2-core machine: the load averages are given, and the
control row shows how much of a second core the run got). What limits the ones missed:

* **Where users are.** `evaluate_frame`, `evaluate_many` and `subsidy.compare` run on the batch
  engine whenever no trace is asked for: a DataFrame is read by column (`subsidy/_columns.py`:
  `decimal.Decimal` amounts read in C++, one `str()` per value through the C API, into decimal128
  buffers; list cells read in C++ straight into Arrow list<struct> buffers; numeric, boolean and
  `str` columns by pyarrow), with no record per enterprise and so no record limit. The batch
  keeps the engine's results as they are: lines, totals, sums and the comparison are read from
  its buffers in place (no evaluation object per row), and the frames come back as one coded
  column each (int32 codes into a dictionary of distinct `str` or `Decimal` objects, made once
  per distinct value, or a NumPy array), expanded by Arrow `take` / NumPy indexing into pandas'
  Arrow-backed `str` columns and object columns of `Decimal`. Only the rows the engine left to the
  exact path, and evaluations asked for whole (`batch[i]`, JSON, iteration), are evaluated by the
  reference evaluator, with their record of the year before. What remains in `evaluate_frame`:
  reading the DataFrame's Python objects (one `str()` per `Decimal` cell, one pass over every
  list cell's dicts), the receipts of the enterprise totals (a SHA-256 of each record, on every
  core), building the line columns and pandas' own frame construction. The ≥ 20× target
  compares unlike work: the stdlib loop computes the 17 rules of S into one sum, `evaluate_frame`
  every rule of the rule set (66) into two DataFrames of exact objects with a receipt per
  enterprise; the "× stdlib loop" column sets enterprises/s against the loop's enterprises/s.
* **compare.** Both evaluations, then the per-enterprise changes, failed rows, completeness,
  budget-line sums and sums by payer read from the two batches' buffers in C++ (row totals summed
  in int64 units, one `Decimal` object per distinct amount).
* **`subsidy evaluate` on a file.** The command types the file's records (the record limit,
  52 380 records under these rules), evaluates them on the batch engine, then writes every
  evaluation through the report writers, which print amounts as the rule rounded them and every
  check (passed or failed, with its figures): findings come from the exact domain only, so every
  row is completed there, 4 096 at a time. Most of the time is reading and typing the file and
  the Python result objects; findings in the batch results would let the writers read columns.
  `subsidy audit` evaluates on the batch engine and completes only the rows a finding must show
  whole (docs/limits.md).
* **Workload J against OpenFisca.** OpenFisca's formula is one numpy expression over float32
  arrays: a handful of vector operations on 4-byte values, no checks. The engine computes the
  same rule exactly in checked int64 at the 分 with every interaction of the rule set resolved,
  and its time at this N includes compiling the program, sizing per-row results and merging
  them. The engine is exact where OpenFisca is not: its float32 amounts are off by up to the
  figures in its note (a firm's rebate in the millions has a float32 step of 0.25-1 元).
* **Engine S, J and W** (the batch program, src/batch). Expressions run a block of 1 024 rows
  at a time (one loop per operation over a selection vector, overflow flagged per row, src/batch/
  vector.cpp), but each selected row still goes through the award semantics (semantics.hpp) one
  at a time, and its lines are written to a per-row buffer, copied into the results and counted.
  The profile on W: building selections 12 %, list operations 8 %, and/or chains 6 %, the
  semantics per row 6 %, per-row bookkeeping 6 %, per-item awards 9 %, writing and counting lines
  7 %, page faults of the result arrays about 10 %. Reaching 0.5× on S or OpenFisca's speed on J
  needs the award outcomes and the result columns built a block at a time. Peak memory on W at
  N = 1 000 000 with one thread is 735 MiB (`BENCH_QUICK=1 BENCH_ONLY=W`); with two threads the
  merge holds the second thread's lines beside the result's for a moment (the figure above).
"""


def main() -> int:
    data, n, cpp_path, out_path = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    slow_n = min(n, int(sys.argv[5]) if len(sys.argv) > 5 else 100_000)
    d = load(data)
    rows: list[dict[str, Any]] = []
    meta: dict[str, Any] = {}
    for line in cpp_path.read_text().splitlines():
        entry = json.loads(line)
        if entry.get("meta"):
            meta = entry
        else:
            rows.append(entry)

    def add(name: str, count: int, seconds: float, checksum: str, note: str = "") -> None:
        entry = {
            "implementation": name,
            "workload": "S",
            "n": count,
            "evaluations_per_second": count * RULES_S / seconds,
            "checksum": checksum,
            "note": note,
        }
        rows.append(entry)
        print(f"{name:60s} S {count:9d} {entry['evaluations_per_second']:14.0f}  {checksum}", flush=True)

    for threads in (1, 2):
        t, total = engine_from_python(d, n, threads)
        add(f"engine from Python, Arrow table, {threads} thread{'s' if threads > 1 else ''}", n, t, total,
            "RuleSet.fact_table + Scenario.evaluate_columns ×2: Arrow import, evaluation, Arrow results")
    t, total = engine_from_dataframe(d, slow_n)
    add("engine from Python, pandas DataFrame of Decimal objects, 1 thread", slow_n, t, total,
        "the DataFrame's columns read into Arrow arrays in C++ (subsidy._columns) included")
    t, total = python_decimal(d, slow_n)
    add("hand-written Python, stdlib decimal", slow_n, t, total)
    zen_result = zen_engine(d, slow_n)
    if zen_result:
        t, total = zen_result
        add("zen-engine (PyPI), JDM decision graph", slow_n, t, total,
            "numbers cross into zen as Python int 分 (a Decimal is refused) and come back as float")

    t, total = engine_j(d, n)
    rows.append({"implementation": "engine from Python, Arrow table, 1 thread", "workload": "J", "n": n,
                 "evaluations_per_second": n / t, "checksum": total,
                 "note": "Scenario.evaluate_columns (J4 only): Arrow import, evaluation, Arrow results"})
    print(f"{'engine from Python, Arrow table (J)':60s} J {n:9d} {n / t:14.0f}  {total}", flush=True)
    for name, t, total, note in openfisca_j(d, n) or []:
        rows.append({"implementation": name, "workload": "J", "n": n, "evaluations_per_second": n / t,
                     "checksum": total, "note": note})
        print(f"{name:60s} J {n:9d} {n / t:14.0f}  {total}", flush=True)
    with tempfile.TemporaryDirectory() as work:
        apis = api_rows(d, slow_n, Path(work))

    # The hand-written stdlib-decimal loop in enterprises/s (S: 17 evaluations per enterprise),
    # which the API rows are set against.
    stdlib_rate = next((r["evaluations_per_second"] / RULES_S for r in rows
                        if r["implementation"] == "hand-written Python, stdlib decimal"), None)
    # The checksum of the first slow_n enterprises, from the hand-written C++ at the same N.
    reference_rate = float(meta.get("reference_rate", 0)) or None
    checks: dict[int, set[str]] = {}
    j_checks = {r["checksum"] for r in rows if r["workload"] == "J" and "openfisca" not in r["implementation"]}
    for r in rows:
        if r["workload"] == "S":
            checks.setdefault(int(r["n"]), set()).add(r["checksum"])
    prefix = meta.get("checksum_prefix")
    if prefix:
        checks.setdefault(int(meta["prefix_n"]), set()).add(prefix)
    agree = all(len(v) == 1 for v in checks.values()) and len(j_checks) <= 1

    lines = [
        "# Batch benchmark results",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}; measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        "(a shared machine: the 1-minute load average was "
        f"{meta.get('load_average_start', '?')} when bench_batch started and {meta.get('load_average_end', '?')} "
        "when it ended, the benchmark itself included; read the 2-thread rows against the control row).",
        "",
        "Command: `bash scripts/bench.sh` (N = 1 000 000 by default; `bash scripts/bench.sh 100000` for a quick run).",
        "",
        "An **evaluation** is one enterprise × one rule. Workload **S** is 17 rules per enterprise: "
        "machining-survey J4-tax-rebate (default options, under the scenario choosing machining-survey), and "
        "em-opinions-draft O11 first-unit ×3, O20 cash awards ×6 and O21 ×7 (default scenario, with the O21 ratings read "
        "as one award per rating: option standardization_rating_count = each_rating). Workload **W** is "
        f"every rule of the four policy sets ({meta.get('rules_w', '?')} rule evaluations per enterprise: the whole rule "
        "set under each of the three members of the alternative group). The checksum is the exact sum of all totals "
        "(cash ceilings) over the enterprises; rows of the same N and workload must agree. "
        "The ratio is evaluations/s over the hand-written checked_int128 reference.",
        "",
        "| implementation | workload | N | evaluations/s | ratio to checked_int128 | checksum | note |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ratio = f"{r['evaluations_per_second'] / reference_rate:.3f}" if reference_rate and r["workload"] == "S" else ""
        lines.append(
            f"| {r['implementation']} | {r['workload']} | {r['n']} | {r['evaluations_per_second']:,.0f} | {ratio} | "
            f"{r['checksum']} | {r['note']} |"
        )
    lines += [
        "",
        f"Checksums agree across implementations (per N): **{'yes' if agree else 'NO'}**"
        + (f" (hand-written C++ over the first {meta['prefix_n']} enterprises: {prefix})" if prefix else ""),
        "",
        "Workload **J** is the machining-survey J4 tax rebate alone (one rule, under the scenario choosing "
        "machining-survey): the peer comparison. Its rows give firms/s in the evaluations/s column; the engine's "
        "checksums are exact and agree with the hand-written one, OpenFisca's is the float sum of its float32 "
        "amounts (how far off is in its note).",
        "",
        f"The Python APIs users call, on the same synthetic enterprises as a pandas DataFrame of `decimal.Decimal` "
        f"amounts, `str` enumerations and lists of dicts (every rule of the rule set, default scenario; one run "
        f"each; the 1-minute load average was {os.getloadavg()[0]:.2f} at the end):",
        "",
        "| API | N | seconds | enterprises/s | × stdlib loop | checksum | note |",
        "|---|---:|---:|---:|---:|---:|---|",
        *[f"| {a['implementation']} | {a['n']} | {a['seconds']:.2f} | {a['n'] / a['seconds']:,.0f} | "
          f"{(a['n'] / a['seconds']) / stdlib_rate:.2f} | {a['checksum']} | {a['note']} |" if stdlib_rate else
          f"| {a['implementation']} | {a['n']} | {a['seconds']:.2f} | {a['n'] / a['seconds']:,.0f} | | "
          f"{a['checksum']} | {a['note']} |" for a in apis],
        "",
        f"Loading and checking all {meta.get('rule_files', '?')} rule files: {meta.get('load_ms', '?')} ms (median of 5).",
        "",
        f"Peak memory (maxrss) of bench_batch with N = {n}: {meta.get('peak_rss_mib_s', '?')} MiB after workload S "
        f"(generated data + S fact table + results), {meta.get('peak_rss_mib_w', '?')} MiB with workload W's full fact "
        f"table (every fact of the rule set for every enterprise: {meta.get('table_mib_w', '?')} MiB of columns) and its "
        "results.",
        "",
    ]
    lines += LIMITS.splitlines()
    out_path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
