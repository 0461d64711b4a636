"""Throughput of subsidy.dask and subsidy.spark on two workers, next to the single-process engine.

Not a test: numbers. Generates N enterprise-years (3 years per enterprise, money exact to the 分,
no float anywhere) where each engine runs, evaluates them under one scenario and reports
enterprise-years per second and the exact cash total (a checksum: equal on the same rows):

  * single process, the record path (``Scenario.evaluate_frame`` on a pandas DataFrame, what each
    Dask partition runs) and the columnar path (``Scenario.evaluate_columns`` on an Arrow table,
    what each Spark task runs), 1 and 2 engine threads, on a sample of ``--single`` rows;
  * Dask: a LocalCluster of 2 worker processes × 1 thread, partitions generated on the workers,
    shuffled by enterprise id, evaluated; the totals' cash column summed exactly;
  * Spark: local[2], rows generated in the JVM (``spark.range``), repartitioned by enterprise id,
    evaluated through mapInArrow, cash totals summed by Spark.

    python bench/bench_distributed.py [--rows N] [--single N] [--engines dask,spark] [--out FILE]

Run from the repository root (it loads rules/). Generation time is reported apart and excluded
from the engines' times where the engine allows (Spark: the input is cached and counted first).
"""

from __future__ import annotations

import argparse
import decimal
import os
import platform
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import subsidy

YEARS = 3
INDUSTRIES = ["矿用机电", "机械加工", "机械装备制造", "其他"]
MONEY = ("sales_revenue", "tax_paid", "income_tax_paid", "income_tax_paid_last_year", "land_use_tax")
EXACT = decimal.Context(prec=decimal.MAX_PREC, traps=[decimal.Inexact])


def partition(index: int, rows: int, arrow: bool = False) -> Any:
    """Rows [index × rows, (index + 1) × rows) of the population: enterprise i's years are rows
    3i, 3i + 1, 3i + 2. Money as whole 分 drawn from a seeded generator, exact Decimals (pandas) or
    decimal128(38, 2) (Arrow)."""
    rng = np.random.default_rng(index)
    start = index * rows
    n = np.arange(start, start + rows)
    columns: dict[str, Any] = {
        "id": [f"E{i}" for i in (n // YEARS).tolist()],
        "year": 2021 + n % YEARS,
        "industry": np.array(INDUSTRIES, dtype=object)[rng.integers(0, len(INDUSTRIES), rows)],
        "listed": rng.random(rows) < 0.2,
        "listed_company_registered_in_city": rng.random(rows) < 0.7,
        "listing_year": rng.integers(2016, 2024, size=rows),
    }
    for name in MONEY:
        cents = pa.array(rng.integers(1, 2 * 10**11, size=rows)).cast(pa.decimal128(19, 0))
        money = pc.divide(cents, pa.scalar(Decimal(100), pa.decimal128(3, 0))).cast(pa.decimal128(38, 2))
        columns[name] = money if arrow else money.to_pylist()  # exact: Decimal objects for pandas
    if arrow:
        return pa.table(columns)
    return pd.DataFrame(columns)


def exact_sum(values: Any) -> Decimal:
    with decimal.localcontext(EXACT):
        return sum((v for v in values if v is not None), Decimal(0))


def timed(run: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


def single(scenario: subsidy.Scenario, rows: int) -> list[dict[str, Any]]:
    frame = partition(0, rows)
    table = partition(0, rows, arrow=True)
    out = []
    for threads in (1, 2):
        seconds, result = timed(lambda: scenario.evaluate_frame(frame, threads=threads))
        out.append(dict(engine=f"single process, evaluate_frame, {threads} thread(s)", rows=rows,
                        seconds=seconds, total=exact_sum(result.totals["cash_max"])))
        seconds, columns = timed(lambda: scenario.evaluate_columns(table, threads=threads))
        out.append(dict(engine=f"single process, evaluate_columns, {threads} thread(s)", rows=rows,
                        seconds=seconds, total=columns.total["cash_ceiling"]))
    return out


def on_dask(scenario: subsidy.Scenario, rows: int, per_partition: int) -> dict[str, Any]:
    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import subsidy.dask

    parts = rows // per_partition
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster):
        frame = dd.from_map(partition, range(parts), rows=per_partition)
        seconds_gen, _ = timed(lambda: frame.map_partitions(len).compute())
        _, totals = subsidy.dask.evaluate(scenario, frame)
        sums = totals["cash_max"].map_partitions(exact_sum, meta=("cash_max", object))
        seconds, partial = timed(lambda: dask.compute(sums)[0])
    return dict(engine="Dask, LocalCluster 2 processes × 1 thread", rows=parts * per_partition,
                seconds=seconds, total=exact_sum(partial), generation=seconds_gen,
                note="includes generating the partitions again on the workers (about the generation time)")


def on_spark(scenario: subsidy.Scenario, rows: int, per_partition: int) -> dict[str, Any]:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    import subsidy.spark

    spark = (
        SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "3g").config("spark.sql.shuffle.partitions", "8").getOrCreate()
    )
    parts = rows // per_partition
    schema = partition(0, 1, arrow=True).schema
    spark_schema = (
        "id string, year long, industry string, listed boolean, listed_company_registered_in_city boolean, "
        "listing_year long, " + ", ".join(f"{m} decimal(38,2)" for m in MONEY)
    )

    def generate(batches: Any) -> Any:
        for batch in batches:
            for index in batch.column(0).to_pylist():
                yield from partition(index, per_partition, arrow=True).cast(schema, safe=True).to_batches()

    seeds = spark.range(parts, numPartitions=8)
    frame = seeds.mapInArrow(generate, spark_schema).cache()
    seconds_gen, _ = timed(frame.count)
    result = subsidy.spark.evaluate(scenario, frame)
    seconds, row = timed(lambda: result.totals.agg(F.sum("cash_max").alias("total"), F.count("*")).collect()[0])
    spark.stop()
    return dict(engine="Spark local[2], mapInArrow", rows=parts * per_partition, seconds=seconds, total=row["total"],
                generation=seconds_gen, note=f"{row[1]} totals rows")


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        "| engine | enterprise-years | seconds | enterprise-years/s | exact cash ceiling total |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['engine']} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows'] / r['seconds']:,.0f} | {r['total']} |"
        )
    notes = [f"- {r['engine']}: generation {r['generation']:.1f} s. {r.get('note', '')}" for r in results if "generation" in r]
    load = os.getloadavg()
    return "\n".join(
        [f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average {load[0]:.1f} at the end; "
         f"Python {platform.python_version()}; rows asked {args.rows:,}.", "", *lines, "", *notes, ""]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--single", type=int, default=300_000)
    parser.add_argument("--per-partition", type=int, default=50_000)
    parser.add_argument("--engines", default="single,dask,spark")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rules = subsidy.RuleSet.load(Path("rules"))
    scenario = rules.choose({"electromechanical-policy": "machining-survey"})
    results: list[dict[str, Any]] = []
    engines = args.engines.split(",")
    if "single" in engines:
        results += single(scenario, args.single)
    if "dask" in engines:
        results.append(on_dask(scenario, args.rows, args.per_partition))
    if "spark" in engines:
        results.append(on_spark(scenario, args.rows, args.per_partition))
    text = report(results, args)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
