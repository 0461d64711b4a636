"""Population inputs (DataFrames, pyarrow tables, lists of dicts, files) handed to the engine
column by column, and batch results turned into DataFrames with exact ``Decimal`` columns.

No Python code runs per row: a DataFrame is split into one list per column with vectorised
pandas/numpy calls, and the C++ side reads the cells, types the records and evaluates them. The
results come back as one coded column each (codes into a dictionary of distinct ``str`` or
``Decimal`` objects, or a NumPy array), expanded by NumPy / Arrow and handed to pandas whole."""

from __future__ import annotations

import decimal
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, cast

import numpy as np
import pandas as pd

from . import _core, intake

__all__ = [
    "ColumnFacts", "Frames", "Population", "column_facts", "enterprises_from", "frame_of", "frames_from_batch"
]

#: What a population may be: a DataFrame, a pyarrow Table, one record, records, or a file path
#: (YAML, JSON or CSV).
Population = Any

#: Columns that hold exact amounts (decimal.Decimal objects, never float64).
MONEY_LINE_COLUMNS = ("amount", "min", "max")
MONEY_TOTAL_COLUMNS = ("cash_min", "cash_max", "in_kind_min", "in_kind_max")


class Frames(NamedTuple):
    """``lines``: one row per award line; ``totals``: one row per enterprise."""

    lines: pd.DataFrame
    totals: pd.DataFrame


def _is_arrow_table(data: object) -> bool:
    module = type(data).__module__
    return module.startswith("pyarrow") and hasattr(data, "to_pandas") and hasattr(data, "schema")


def _column_values(name: str, series: pd.Series) -> list[Any]:
    """One column as a list of Python objects, None where missing; floats are refused."""
    rows = len(series)
    kind = series.dtype.kind
    try:
        mask = series.isna().to_numpy(dtype=bool)
    except decimal.InvalidOperation:  # pandas compares each object with itself: an sNaN signals
        mask = np.zeros(rows, dtype=bool)
        _refuse_nan(name, series, np.ones(rows, dtype=bool))
    if kind == "O" and mask.any():
        _refuse_nan(name, series, mask)  # no Python code per row: see _refuse_nan
    if kind in "fc":
        if rows and mask.all():
            return [None] * rows  # an all-missing column, as pandas writes it
        raise TypeError(
            f"column {name!r} has dtype {series.dtype}: binary floating point is already "
            "inexact, so amounts must not pass through it; pass str or decimal.Decimal values "
            "(e.g. read the file with dtype=str, or converters={...: decimal.Decimal})"
        )
    if kind == "m":
        raise TypeError(f"column {name!r} holds time spans ({series.dtype}); no fact is one")
    if kind == "M":
        values = series.dt.strftime("%Y-%m-%d").to_numpy(dtype=object, na_value=None)
    else:
        values = series.to_numpy(dtype=object, copy=True)
    if mask.any():
        values[mask] = None
    result: list[Any] = values.tolist()
    return result


def _refuse_nan(name: str, series: pd.Series, candidates: np.ndarray[Any, Any]) -> None:
    """pandas counts ``Decimal('NaN')`` as a missing cell; the library refuses it as the record
    API does (a NaN is no amount, and reading it as "not given" would change the verdict).
    Among the candidate cells, the Decimal ones are found by their type, in C (``map(type)``
    consumed by numpy), not by a Python call per cell."""
    values = series.to_numpy(dtype=object)
    rows = np.flatnonzero(candidates)
    kinds = np.fromiter(map(type, values[rows]), dtype=object, count=len(rows))
    for row in rows[kinds == decimal.Decimal]:
        value = values[row]
        if not value.is_finite():
            raise ValueError(
                f"column {name!r}, row {row + 1}: {value!r} is not a finite number; the library "
                "holds finite decimals only"
            )


def _fact_names(rules: _core.RuleSet, frame: pd.DataFrame, source: str) -> list[str]:
    names: list[str] = []
    for name in frame.columns:
        if not isinstance(name, str):
            raise TypeError(f"column names must be fact names (str), found {name!r}")
        if name in names:
            raise ValueError(f"column {name!r} appears twice")
        names.append(name)
    # Labels (行业, 当年销售收入) name their facts; an unknown column is reported once, here.
    names = intake.frame_names(rules, names, source)
    return names


def _with_id(frame: pd.DataFrame) -> pd.DataFrame:
    if "id" not in frame.columns and frame.index.name == "id":
        with_id: pd.DataFrame = frame.reset_index()
        return with_id
    return frame


def _from_frame(rules: _core.RuleSet, frame: pd.DataFrame, source: str) -> _core.Enterprises:
    frame = _with_id(frame)
    names = _fact_names(rules, frame, source)
    columns: list[list[Any]] = []
    for original, name in zip(frame.columns, names):
        columns.append(_column_values(name, frame[original]))
    return _core.Enterprises.from_columns(rules, names, columns, len(frame), source)


class ColumnFacts(NamedTuple):
    """A frame's facts read into the engine by column (see :func:`column_facts`)."""

    table: _core.FactTable
    names: list[str | None]
    exponents: dict[str, bytes]
    source: str


def column_facts(rules: _core.RuleSet, data: Population) -> ColumnFacts | None:
    """A DataFrame or pyarrow Table read by column for the batch engine, without a record per
    row (:mod:`subsidy._columns`); None when some column must be read on the typed path (which
    also reports what is wrong with it) or the population is no frame."""
    from ._columns import read_frame

    if isinstance(data, ColumnFacts):
        return data
    if isinstance(data, pd.DataFrame):
        frame, source = data, "<DataFrame>"
    elif _is_arrow_table(data):
        frame, source = data.to_pandas(), "<pyarrow.Table>"
    else:
        return None
    frame = _with_id(frame)
    names = _fact_names(rules, frame, source)  # the typed path's errors for bad column names
    read = read_frame(rules, frame, names)
    if read is None:
        return None
    return ColumnFacts(read[0], read[1], read[2], source)


def enterprises_from(rules: _core.RuleSet, data: Population) -> _core.Enterprises:
    """Types a population against the rule set, in one call into the engine."""
    if isinstance(data, _core.Enterprises):
        return data
    if isinstance(data, pd.DataFrame):
        return _from_frame(rules, data, "<DataFrame>")
    if _is_arrow_table(data):
        # decimal128 columns arrive as Decimal objects, dates as datetime.date; floats are refused.
        return _from_frame(rules, data.to_pandas(), "<pyarrow.Table>")
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        if intake.is_tabular(path):
            return intake.read_facts(rules, [path])
        return _core.Enterprises.load(rules, path)
    if isinstance(data, Mapping):
        return _core.Enterprises.from_records(rules, [data], "<record>")
    if isinstance(data, Iterable):
        records = list(data)
        for index, record in enumerate(records):
            if not isinstance(record, Mapping):
                raise TypeError(
                    f"record {index + 1}: expected a dict of facts, found {type(record).__name__}"
                )
        return _core.Enterprises.from_records(rules, records, "<records>")
    raise TypeError(
        "a population is a pandas DataFrame, a pyarrow Table, a dict, a list of dicts or a path, "
        f"not {type(data).__name__}"
    )


#: The dtype pandas gives a column of ``str`` (pandas 3: its Arrow-backed ``str``; before: object).
_STR = pd.Series(["x"]).dtype


def _objects(dictionary: Sequence[object]) -> np.ndarray[Any, Any]:
    """The dictionary as an object array with None appended: code -1 reads None."""
    table = np.empty(len(dictionary) + 1, dtype=object)
    table[: len(dictionary)] = dictionary
    return table


def _text(codes: np.ndarray[Any, Any], dictionary: Sequence[str]) -> Any:
    """A text column as pandas builds one from the same ``str`` / None cells."""
    missing = codes < 0
    if missing.all():
        return _objects([])[codes]  # only None: object dtype, as pandas infers it
    if getattr(_STR, "storage", None) == "pyarrow":
        import pyarrow as pa

        taken = pa.array(dictionary, type=pa.large_string()).take(pa.array(codes, mask=missing))
        return pd.array(taken, dtype=_STR)
    return _objects(dictionary)[codes]  # pandas infers its str dtype from the objects


def _column(kind: str, values: np.ndarray[Any, Any], dictionary: Sequence[object]) -> Any:
    if kind == "array":
        return values
    if kind == "text":
        return _text(values, cast("Sequence[str]", dictionary))
    if kind == "object":
        return _objects(dictionary)[values]  # Decimal or int objects (or None), never float64
    if (values >= 0).all():  # whole numbers with None where missing, as pandas reads a list
        return np.asarray(dictionary, dtype=np.int64)[values]
    column: list[Any] = _objects(dictionary)[values].tolist()
    return column


def frame_of(columns: _core.CodedColumns, money: tuple[str, ...] = ()) -> pd.DataFrame:
    """A DataFrame from the engine's coded columns (see ``_core.batch_lines``): one call to
    pandas per column, no Python per row. Without rows, the columns pandas makes of empty lists."""
    if len(columns[0][2]) == 0:
        empty: dict[str, list[Any]] = {name: [] for name, _, _, _ in columns}
        frame: pd.DataFrame = pd.DataFrame(empty)
        for name in money:
            frame[name] = frame[name].astype(object)
        return frame
    built: pd.DataFrame = pd.DataFrame(
        {name: _column(kind, values, dictionary) for name, kind, values, dictionary in columns}
    )
    return built


def lines_frame(batch: _core.EvaluationBatch) -> pd.DataFrame:
    return frame_of(_core.batch_lines(batch), MONEY_LINE_COLUMNS)


def totals_frame(batch: _core.EvaluationBatch, by: str = "enterprise") -> pd.DataFrame:
    return frame_of(_core.batch_totals(batch, by), MONEY_TOTAL_COLUMNS)


def frames_from_batch(batch: _core.EvaluationBatch) -> Frames:
    return Frames(lines=lines_frame(batch), totals=totals_frame(batch))
