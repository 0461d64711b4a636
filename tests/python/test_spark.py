"""subsidy.spark in local[2] mode: the lines, per-enterprise totals and Spark's totals by payer
equal, row for row and to the 分, evaluate_frame's and the batch's exact aggregate on the same
51 000 enterprise-years under several scenarios, including rows beyond int64 分 that the
fixed-point path hands to the exact evaluator; money is DecimalType(38, 2) throughout."""

from __future__ import annotations

import os
import runpy
import sys
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from conftest import REPO
from enterprise_years import (
    HUGE,
    YEARS,
    arrow,
    frame_rows,
    multiset,
    population,
    scenarios,
    with_last_year_filled,
    without_last_year,
)
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import DecimalType, DoubleType

import subsidy
import subsidy.spark
from subsidy import _frames

pytestmark = [
    pytest.mark.slow,
    # Spark's pandas bridge warns about pandas 3; subsidy.spark does not use it (Arrow only).
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

ENTERPRISES = 17_000  # × 3 years = 51 000 rows
LINE_KEY = ["enterprise", "year", "policy_set", "rule", "payer", "form", "status", "withheld", "min", "max"]


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    # Spark's Python workers run this interpreter (the one with this build of subsidy).
    previous = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("subsidy-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    session.stop()
    if previous is None:
        del os.environ["PYSPARK_PYTHON"]
    else:
        os.environ["PYSPARK_PYTHON"] = previous


@pytest.fixture(scope="module")
def rules() -> subsidy.RuleSet:
    return subsidy.RuleSet.load(REPO / "rules")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return population(ENTERPRISES, seed=21)


@pytest.fixture(scope="module")
def source(spark: SparkSession, frame: pd.DataFrame) -> DataFrame:
    return spark.createDataFrame(arrow(frame)).cache()


@pytest.fixture(scope="module")
def records(rules: subsidy.RuleSet, frame: pd.DataFrame) -> Any:
    """The frame typed once by the engine: ``evaluate_frame(frame)`` is
    ``evaluate_many(records).frames()``, and typing is most of its time."""
    return _frames.enterprises_from(rules._core, frame)


def collected(frame: DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = frame.toArrow().to_pylist()  # decimal128 → Decimal
    return rows


def test_money_is_decimal(source: DataFrame, rules: subsidy.RuleSet) -> None:
    assert source.schema["sales_revenue"].dataType == DecimalType(38, 2)
    result = subsidy.spark.evaluate(rules, source)
    for frame in (result.lines, result.totals, result.by_payer()):
        kinds = [f.dataType for f in frame.schema.fields]
        assert DoubleType() not in kinds
        assert DecimalType(38, 2) in kinds


@pytest.mark.parametrize("name", ["default", "machining", "mining"])
def test_equals_evaluate_frame(
    source: DataFrame, rules: subsidy.RuleSet, frame: pd.DataFrame, records: Any, name: str
) -> None:
    scenario = scenarios(rules)[name]
    batch = scenario.evaluate_many(records)
    expected_lines, expected_totals = batch.frames()
    result = subsidy.spark.evaluate(scenario, source)
    result.lines.cache()  # read twice: collected, and summed by payer

    lines = collected(result.lines)
    assert multiset([line[k] for k in LINE_KEY] for line in lines) == frame_rows(expected_lines, LINE_KEY)
    totals = collected(result.totals)
    key = ["enterprise", "ok", "error", "cash_min", "cash_max"]
    assert multiset([t[k] for k in key] for t in totals) == frame_rows(expected_totals, key)
    errors = [t["error"] for t in totals if t["error"] is not None]
    assert len(errors) == (~expected_totals["ok"]).sum()
    assert all(e.startswith("<Spark partition ") for e in errors)
    assert Counter((t["enterprise"], t["year"]) for t in totals) == Counter(
        frame[["id", "year"]].itertuples(index=False, name=None)
    )
    by_reference = sum(t["by_reference"] for t in totals)
    assert 0 < by_reference < len(totals) // 10  # both paths were taken
    if name == "machining":  # its tax rebate passes huge taxes on: amounts beyond int64 分
        assert any(t["cash_max"] is not None and t["cash_max"] >= HUGE / 1000 for t in totals)

    expected_payers = batch.aggregate("payer")
    payers = collected(result.by_payer())
    assert {p["payer"] for p in payers} == set(expected_payers)
    for p in payers:
        total = expected_payers[p["payer"]]
        assert (p["cash_min"], p["cash_max"]) == (total.cash.min, total.cash.max)
        assert (p["in_kind_min"], p["in_kind_max"]) == (total.in_kind.min, total.in_kind.max)
        assert (p["unfixed"], p["recognised"], p["lines"]) == (total.unfixed, total.recognised, total.lines)
        assert isinstance(p["cash_max"], Decimal)
    result.lines.unpersist()


def test_batches_cut_between_enterprises() -> None:
    # Arrow batches sorted by id, cut anywhere: every table handed to the engine holds whole
    # enterprises (all their years), and no row is lost or repeated.
    table = arrow(population(50, seed=3, huge_share=0)).sort_by("id")
    batches = table.to_batches(max_chunksize=7)
    tables = list(subsidy.spark._whole_enterprises(iter(batches), "id"))
    seen: list[str] = []
    for t in tables:
        ids = set(t.column("id").to_pylist())
        assert not ids & set(seen)
        seen.extend(ids)
    assert sorted(seen) == sorted(set(table.column("id").to_pylist()))
    assert sum(t.num_rows for t in tables) == table.num_rows
    assert len(tables) > 10


def test_small_arrow_batches(spark: SparkSession, rules: subsidy.RuleSet) -> None:
    # An enterprise's years arriving in different Arrow batches give the same results.
    small = population(400, seed=3)
    expected = rules.evaluate_frame(small).totals
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "7")
    try:
        totals = collected(subsidy.spark.evaluate(rules, spark.createDataFrame(arrow(small))).totals)
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
    key = ["enterprise", "ok", "error", "cash_min", "cash_max"]
    assert multiset([t[k] for k in key] for t in totals) == frame_rows(expected, key)


def test_last_year_read_across_input_partitions(spark: SparkSession, rules: subsidy.RuleSet) -> None:
    # Input partitioned by year, as a warehouse keeps it, with no figure of the year before: a
    # rule reading last_year(...) needs a row from another partition.
    scenario = scenarios(rules)["machining"]
    people = population(1_500, seed=99)
    whole = pd.concat([without_last_year(people, y) for y in YEARS], ignore_index=True)
    source = spark.createDataFrame(arrow(whole)).repartition(len(YEARS), "year")
    assert source.rdd.getNumPartitions() == len(YEARS)
    lines = collected(subsidy.spark.evaluate(scenario, source).lines)
    assert multiset([line[k] for k in LINE_KEY] for line in lines) == frame_rows(
        scenario.evaluate_frame(whole).lines, LINE_KEY
    )
    # With last year's figure written in, every later year's lines are the same: the cluster
    # really read the year before's row.
    filled = scenario.evaluate_frame(with_last_year_filled(whole)).lines
    later = multiset([line[k] for k in LINE_KEY] for line in lines if line["year"] > YEARS[0])
    assert later == frame_rows(filled[filled["year"] > YEARS[0]], LINE_KEY)
    alone = pd.concat([scenario.evaluate_frame(without_last_year(people, y)).lines for y in YEARS[1:]])
    assert later != frame_rows(alone, LINE_KEY)


def test_example_runs(spark: SparkSession, capsys: pytest.CaptureFixture[str]) -> None:
    # The docs page's example (docs/spark.md includes it), in this session (getOrCreate).
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        runpy.run_path(str(REPO / "examples" / "spark_evaluate.py"))
    shown = capsys.readouterr().out
    assert "|        E1|2022|550000.00|550000.00|" in shown
    assert "|        E2|2023|     0.00|     0.00|" in shown
    assert "|受益财政|900000.00|900000.00|" in shown
