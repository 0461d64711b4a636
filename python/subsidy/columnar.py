"""The columnar batch path: a whole table of enterprises evaluated in one call, results as Arrow.

Input: a ``pyarrow.Table`` / ``RecordBatch`` (fast: the engine reads decimal128, integer, bool,
text, dictionary, date32 and list<struct> columns directly through the Arrow C Data Interface), or
a pandas DataFrame (its ``decimal.Decimal``, list-of-dict, ``str`` and boolean columns read into
Arrow arrays in C++ by :mod:`subsidy._columns`, other columns converted by pyarrow). Float columns
are refused: a float is already inexact.

Results: award lines and per-enterprise cash totals as Arrow tables with decimal128 amounts, and
the exact totals as ``decimal.Decimal``. Rows the fast path cannot compute in int64 are evaluated
by the reference evaluator; the results are identical either way (``by_reference`` says which).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import _core

__all__ = ["ColumnarResults", "FactTable"]

NO_AMOUNT = ("unfixed", "recognised")


def arrow_table(data: Any) -> Any:
    """A pyarrow Table from a Table, RecordBatch or pandas DataFrame."""
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    raise TypeError(
        f"expected a pyarrow Table or RecordBatch or a pandas DataFrame, found {type(data).__name__}"
    )


class FactTable:
    """A table's facts read into the engine once (:meth:`subsidy.RuleSet.fact_table`), to be
    evaluated under many scenarios without reading the table again."""

    __slots__ = ("_core", "fingerprint", "rows")

    def __init__(self, core: _core.FactTable, fingerprint: str) -> None:
        self._core = core
        self.fingerprint = fingerprint
        self.rows = core.rows

    def __len__(self) -> int:
        return int(self.rows)


def fact_table(core_rules: _core.RuleSet, data: Any) -> _core.FactTable:
    """Reads a table's columns into the engine (no Python code per row)."""
    if isinstance(data, FactTable):
        if data.fingerprint != core_rules.fingerprint:
            raise ValueError("this FactTable was read for another rule set")
        return data._core
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        from ._columns import arrow_of_frame

        table = arrow_of_frame(core_rules, data)
    else:
        table = arrow_table(data)
    columns = []
    for name in table.column_names:
        column = table.column(name)
        array = column.combine_chunks() if hasattr(column, "combine_chunks") else column
        schema_capsule, array_capsule = array.__arrow_c_array__()
        columns.append((name, schema_capsule, array_capsule))
    return _core.FactTable.from_arrow(core_rules, columns, table.num_rows)


@dataclass(frozen=True)
class ColumnarResults:
    """The results of :meth:`subsidy.Scenario.evaluate_columns`.

    ``lines``: one row per award line (row, rule, status, withheld, floor, ceiling; amounts
    decimal128). ``enterprises``: one row per input row (cash floor and ceiling of its lines that
    are not withheld, and whether the reference evaluator computed it). ``total``, ``by_payer`` and
    ``by_policy_set``: exact sums as ``decimal.Decimal``. ``errors``: row → SubsidyError for rows
    whose evaluation failed (they have no lines). ``oversized``: rows evaluated whole by the
    reference evaluator (amounts that do not fit int64 fixed point, or rules left unevaluated),
    with their lines as (rule, status, withheld, floor, ceiling) tuples. ``incomplete``: row →
    (rule, facts it lacks) for the rules a missing fact kept from being evaluated: those rows'
    totals are incomplete (``unevaluated`` counts them), never taken as 0."""

    lines: Any
    enterprises: Any
    total: dict[str, Any]
    by_payer: dict[str, dict[str, Any]]
    by_policy_set: dict[str, dict[str, Any]]
    errors: dict[int, Exception] = field(default_factory=dict)
    oversized: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)
    incomplete: dict[int, list[tuple[str, list[str]]]] = field(default_factory=dict)

    @classmethod
    def _from_core(cls, raw: dict[str, Any]) -> ColumnarResults:
        import pyarrow as pa

        scale = -int(raw["exponent"])
        money = pa.decimal128(38, scale)
        n = int(raw["lines"])
        rows = int(raw["rows"])

        def array(kind: Any, count: int, data: bytes, valid: bytes | None = None, nulls: int = 0) -> Any:
            return pa.Array.from_buffers(
                kind, count, [pa.py_buffer(valid) if nulls else None, pa.py_buffer(data)], null_count=nulls
            )

        rule = pa.DictionaryArray.from_arrays(
            array(pa.uint32(), n, raw["line_rule"]), pa.array(raw["rules"], pa.string())
        )
        status = pa.DictionaryArray.from_arrays(
            array(pa.uint8(), n, raw["line_status"]), pa.array(raw["statuses"], pa.string())
        )
        # Unfixed and recognised lines have no amount: null (the validity bitmap comes from the
        # engine), as in the reference frames. Floor and ceiling share one buffer when equal.
        valid, nulls = raw["line_amount_valid"], int(raw["line_amount_nulls"])
        floor = array(money, n, raw["line_floor"], valid, nulls)
        ceiling = floor if raw["same_band"] else array(money, n, raw["line_ceiling"], valid, nulls)
        lines = pa.table(
            {
                "row": array(pa.int64(), n, raw["line_row"]),
                "rule": rule,
                "status": status,
                "withheld": array(pa.bool_(), n, raw["line_withheld"]),
                "floor": floor,
                "ceiling": ceiling,
            }
        )
        enterprises = pa.table(
            {
                "cash_floor": array(money, rows, raw["cash_floor"]),
                "cash_ceiling": array(money, rows, raw["cash_ceiling"]),
                "by_reference": array(pa.bool_(), rows, raw["by_reference"]),
            }
        )
        errors: dict[int, Exception] = {}
        oversized: dict[int, list[tuple[Any, ...]]] = {}
        incomplete: dict[int, list[tuple[str, list[str]]]] = {}
        for entry in raw["exact"]:
            if entry["unevaluated"]:
                incomplete[int(entry["row"])] = [(str(r), list(m)) for r, m in entry["unevaluated"]]
            if entry["error"] is not None:
                errors[int(entry["row"])] = entry["error"]
            else:
                oversized[int(entry["row"])] = [
                    (rule, kind, held, *((None, None) if kind in NO_AMOUNT else (lo, hi)))
                    for rule, kind, held, lo, hi in entry["lines"]
                ]
        return cls(
            lines=lines,
            enterprises=enterprises,
            total=raw["total"],
            by_payer=raw["by_payer"],
            by_policy_set=raw["by_policy_set"],
            errors=errors,
            oversized=oversized,
            incomplete=incomplete,
        )

    def to_pandas(self) -> tuple[Any, Any]:
        """``(lines, enterprises)`` as DataFrames, amounts as exact ``decimal.Decimal`` objects."""
        return self.lines.to_pandas(), self.enterprises.to_pandas()


def evaluate_columns(
    core_rules: _core.RuleSet,
    core_scenario: _core.Scenario,
    data: Any,
    rules: Sequence[str] | None,
    threads: int | None,
) -> ColumnarResults:
    program = _core.Program(core_rules, core_scenario, list(rules or []))
    table = fact_table(core_rules, data)
    return ColumnarResults._from_core(program.run(table, threads or 0))
