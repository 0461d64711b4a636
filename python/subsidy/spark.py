"""Evaluating a Spark DataFrame of enterprise-years with the columnar engine, through ``mapInArrow``.

Spark hands each task its rows as Arrow record batches; they go straight into
:meth:`subsidy.Scenario.evaluate_columns` (the engine reads the Arrow buffers, no Python code per
row), and the award lines and per-enterprise cash totals come back as Arrow batches of a declared
schema. Money is ``DecimalType(38, 2)`` in and out, never ``DoubleType``: a double column is
refused by the engine. Rows the fixed-point path cannot hold (amounts beyond int64 分) and rows
whose evaluation failed are evaluated by the reference evaluator, as ``evaluate_frame`` would;
the results are identical either way (``by_reference`` says which).

The rule set is a broadcast variable: sent to each executor once, rebuilt once per Python worker
process and kept there by fingerprint. Rows of one enterprise are brought together first
(``repartition`` on the enterprise id, sorted within partitions, and never split between two
engine calls), so that rules reading an enterprise's earlier years see them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark import TaskContext
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DecimalType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from . import _frames, _shipping
from ._shipping import Ref
from .rules import RuleSet, Scenario

__all__ = ["LINES_SCHEMA", "MONEY", "TOTALS_SCHEMA", "Results", "by_payer", "evaluate"]

#: Money in and out: exact decimals to the 分.
MONEY = DecimalType(38, 2)
_ARROW_MONEY = pa.decimal128(38, 2)

LINES_SCHEMA = StructType(
    [
        StructField("enterprise", StringType(), False),
        StructField("year", LongType(), True),
        StructField("policy_set", StringType(), False),
        StructField("rule", StringType(), False),
        StructField("payer", StringType(), False),
        StructField("form", StringType(), False),
        StructField("status", StringType(), False),
        StructField("withheld", BooleanType(), False),
        StructField("min", MONEY, True),
        StructField("max", MONEY, True),
    ]
)
TOTALS_SCHEMA = StructType(
    [
        StructField("enterprise", StringType(), False),
        StructField("year", LongType(), True),
        StructField("ok", BooleanType(), False),
        StructField("error", StringType(), True),
        StructField("cash_min", MONEY, True),
        StructField("cash_max", MONEY, True),
        StructField("by_reference", BooleanType(), False),
    ]
)


def _arrow_schema(schema: StructType) -> pa.Schema:
    kinds = {"string": pa.string(), "bigint": pa.int64(), "boolean": pa.bool_()}
    fields = []
    for f in schema.fields:
        kind = _ARROW_MONEY if f.dataType == MONEY else kinds[f.dataType.simpleString()]
        fields.append(pa.field(f.name, kind, f.nullable))
    return pa.schema(fields)


_ARROW_LINES = _arrow_schema(LINES_SCHEMA)
_ARROW_TOTALS = _arrow_schema(TOTALS_SCHEMA)


def _whole_enterprises(batches: Iterator[pa.RecordBatch], by: str) -> Iterator[pa.Table]:
    """Tables of whole enterprises from batches sorted by ``by``: the rows of the last enterprise
    of a batch wait for the next batch, which may hold more of them."""
    carry: pa.Table | None = None
    for batch in batches:
        table = pa.Table.from_batches([batch])
        if carry is not None:
            table = pa.concat_tables([carry, table])
        if table.num_rows == 0:
            continue
        ids = table.column(by)
        first_of_last = pc.index(ids, ids[-1]).as_py()
        carry = table.slice(first_of_last)
        if first_of_last:
            yield table.slice(0, first_of_last)
    if carry is not None and carry.num_rows:
        yield carry


def _year(table: pa.Table, rows: Any) -> pa.Array:
    if "year" not in table.column_names:
        return pa.nulls(len(rows), pa.int64())
    return table.column("year").take(rows).cast(pa.int64())


def _column(values: Any, kind: pa.DataType) -> pa.Array:
    """A pandas column as Arrow (NaN and None as null); a Decimal that does not fit
    decimal128(38, 2) raises, it is never rounded."""
    return pa.array(values, kind, from_pandas=True)


def _by_reference(
    scenario: Scenario, table: pa.Table, rows: list[int], by: str, source: str
) -> tuple[pa.Table, pa.Table]:
    """Rows the fixed-point path left to the reference evaluator (amounts beyond int64, errors),
    evaluated by the record path, as evaluate_frame does. Their enterprises' other years come
    along (a rule reading ``last_year(...)`` needs them); only the rows asked for are kept."""
    same = pc.is_in(table.column(by), value_set=pc.unique(table.column(by).take(pa.array(rows, pa.int64()))))
    context = np.flatnonzero(same.to_numpy(zero_copy_only=False))
    wanted = np.isin(context, np.asarray(rows, dtype=np.int64))
    part = table.take(pa.array(context, pa.int64()))
    records = _frames._from_frame(scenario.rules._core, part.to_pandas(), source)
    lines, totals = scenario.evaluate_many(records, threads=1).frames()
    totals = totals[wanted].reset_index(drop=True)
    part = part.filter(pa.array(wanted))
    if "year" in lines.columns and "year" in part.column_names:
        keys = set(zip(part.column(by).cast(pa.string()).to_pylist(), part.column("year").to_pylist()))
        lines = lines[[key in keys for key in zip(lines["enterprise"], lines["year"])]]
    lines_table = pa.table(
        {f.name: _column(lines[f.name], f.type) for f in _ARROW_LINES}, schema=_ARROW_LINES
    )
    totals_table = pa.table(
        {
            "enterprise": part.column(by).cast(pa.string()),
            "year": _year(part, pa.array(range(part.num_rows), pa.int64())),
            "ok": _column(totals["ok"], pa.bool_()),
            "error": _column(totals["error"], pa.string()),
            "cash_min": _column(totals["cash_min"], _ARROW_MONEY),
            "cash_max": _column(totals["cash_max"], _ARROW_MONEY),
            "by_reference": pa.array(np.ones(part.num_rows, dtype=bool)),
        },
        schema=_ARROW_TOTALS,
    )
    return lines_table, totals_table


def _evaluate(scenario: Scenario, table: pa.Table, by: str, source: str) -> tuple[pa.Table, pa.Table]:
    """One engine call on whole enterprises: (lines, totals) as Arrow tables of the schemas."""
    result = scenario.evaluate_columns(table, threads=1)
    lines = result.lines
    if lines.schema.field("floor").type != _ARROW_MONEY:
        raise ValueError(f"the engine's amounts are {lines.schema.field('floor').type}, not decimal(38, 2)")
    rows = lines.column("row").combine_chunks()
    rule = lines.column("rule").combine_chunks()
    info = {r.qualified_id: r for r in scenario.rules.rules}
    names = [info[q] for q in rule.dictionary.to_pylist()]

    def per_rule(attribute: str) -> pa.Array:
        return pa.array([getattr(r, attribute) for r in names], pa.string()).take(rule.indices)

    fast_lines = pa.table(
        {
            "enterprise": table.column(by).take(rows).cast(pa.string()),
            "year": _year(table, rows),
            "policy_set": per_rule("policy_set"),
            "rule": per_rule("id"),
            "payer": per_rule("payer"),
            "form": per_rule("form"),
            "status": lines.column("status").combine_chunks().dictionary_decode(),
            "withheld": lines.column("withheld"),
            "min": lines.column("floor"),
            "max": lines.column("ceiling"),
        },
        schema=_ARROW_LINES,
    )
    exceptional = sorted({*result.oversized, *result.errors})
    keep = np.ones(table.num_rows, dtype=bool)
    keep[exceptional] = False
    mask = pa.array(keep)
    enterprises = result.enterprises
    fast_totals = pa.table(
        {
            "enterprise": table.column(by).cast(pa.string()),
            "year": _year(table, pa.array(range(table.num_rows), pa.int64())),
            "ok": pa.array(np.ones(table.num_rows, dtype=bool)),
            "error": pa.nulls(table.num_rows, pa.string()),
            "cash_min": enterprises.column("cash_floor"),
            "cash_max": enterprises.column("cash_ceiling"),
            "by_reference": enterprises.column("by_reference"),
        },
        schema=_ARROW_TOTALS,
    ).filter(mask)
    if not exceptional:
        return fast_lines, fast_totals
    slow_lines, slow_totals = _by_reference(scenario, table, exceptional, by, source)
    return pa.concat_tables([fast_lines, slow_lines]), pa.concat_tables([fast_totals, slow_totals])


def _task(ref: Ref, by: str | None, what: int) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        scenario = ref.scenario()
        key = by or "id"
        task = TaskContext.get()
        # An error's location: the partition (and the row among those evaluated exactly there);
        # its text names the enterprise.
        source = f"<Spark partition {task.partitionId() if task else 0}>"
        tables = (
            _whole_enterprises(batches, by) if by else (pa.Table.from_batches([b]) for b in batches)
        )
        for table in tables:
            if table.num_rows:
                yield from _evaluate(scenario, table, key, source)[what].to_batches()

    return run


class Results:
    """Award lines (:data:`LINES_SCHEMA`) and per-enterprise cash totals (:data:`TOTALS_SCHEMA`)
    as Spark DataFrames. Each is computed by the action that reads it; persist the input (or
    these) when both are read more than once."""

    def __init__(self, lines: DataFrame, totals: DataFrame) -> None:
        self.lines = lines
        self.totals = totals

    def by_payer(self) -> DataFrame:
        """Totals by payer, aggregated by Spark exactly: see :func:`by_payer`."""
        return by_payer(self.lines)


_BROADCASTS: dict[tuple[int, str], Any] = {}


def _ship(evaluator: RuleSet | Scenario, frame: DataFrame) -> Ref:
    scenario = _shipping.as_scenario(evaluator)
    context = frame.sparkSession.sparkContext
    key = (id(context), scenario.rules.fingerprint)
    if key not in _BROADCASTS:
        _BROADCASTS[key] = context.broadcast(scenario.rules)
    return _shipping.ref(scenario, _BROADCASTS[key])


def evaluate(evaluator: RuleSet | Scenario, frame: DataFrame, *, by: str | None = "id") -> Results:
    """The rows of ``frame`` (one per enterprise-year, facts as columns, money as
    ``DecimalType(38, 2)``) evaluated under ``evaluator``. ``by``: the enterprise id column whose
    rows are brought together (None: the frame is evaluated as it is partitioned)."""
    ref = _ship(evaluator, frame)
    if by is not None:
        if by not in frame.columns:
            raise KeyError(f"the frame has no column {by!r} to bring each enterprise's rows together")
        frame = frame.repartition(by).sortWithinPartitions(by)
    return Results(
        lines=frame.mapInArrow(_task(ref, by, 0), LINES_SCHEMA),
        totals=frame.mapInArrow(_task(ref, by, 1), TOTALS_SCHEMA),
    )


def _cash(column: str) -> Column:
    return F.when(F.col("form") == "cash", F.col(column))


def _in_kind(column: str) -> Column:
    return F.when(F.col("form") == "in_kind", F.col(column))


def by_payer(lines: DataFrame) -> DataFrame:
    """Sums of the lines that are not withheld, by payer, as the engine totals them: cash and in
    kind apart, exact (``DecimalType`` sums; an overflow fails, it never rounds); ``unfixed`` and
    ``recognised`` count lines without an amount."""
    counted = lines.where(~F.col("withheld") & (F.col("payer") != ""))
    zero = F.lit(0).cast(MONEY)
    return (
        counted.groupBy("payer")
        .agg(
            F.coalesce(F.sum(_cash("min")), zero).alias("cash_min"),
            F.coalesce(F.sum(_cash("max")), zero).alias("cash_max"),
            F.coalesce(F.sum(_in_kind("min")), zero).alias("in_kind_min"),
            F.coalesce(F.sum(_in_kind("max")), zero).alias("in_kind_max"),
            F.count(F.when(F.col("status") == "unfixed", 1)).alias("unfixed"),
            F.count(F.when(F.col("status") == "recognised", 1)).alias("recognised"),
            F.count(F.lit(1)).alias("lines"),
        )
        .orderBy("payer")
    )
