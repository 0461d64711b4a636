"""A pandas DataFrame read by column into the batch engine's fact table, with no Python code per
value: numeric, boolean and text columns through vectorised pyarrow conversions, columns of
``decimal.Decimal`` objects and list-fact cells read in C++ into Arrow buffers
(``_core.decimal_buffers``, ``_core.list_buffers``), never through float.

A frame is read this way only when every value keeps exactly what the typed path would keep (an
amount written at its column's exponent, an id without surrounding spaces, no two records of one
enterprise and year, every required fact given, ...). Anything else returns None and the frame
goes the typed path, which gives the same results, or the error, record by record."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from .columnar import fact_table

# check_id's refusals: spaces around the id, invisible characters or control characters in it.
_BAD_ID = "^[ \t\u00a0\u3000\u202f]|[ \t\u00a0\u3000\u202f]$|[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x1f\x7f]"


class _Typed(Exception):
    """This column goes the typed path."""


def _objects(series: pd.Series) -> np.ndarray[Any, Any]:
    values: np.ndarray[Any, Any] = series.to_numpy(dtype=object)
    return values


def _kind(cells: np.ndarray[Any, Any]) -> str:
    kind: str = pd.api.types.infer_dtype(cells, skipna=True)
    return kind


def _number(name: str, series: pd.Series, exponent: int, negative: bool) -> tuple[pa.Array, bytes | None]:
    """The column at its fact's exponent, and each row's written exponent when some value is
    written at another (an int at 0, 100.5 at -1 in a column of 分): the records rebuilt from
    the table then hold the values as written, as typed records would."""
    if series.dtype.kind in "iu" or isinstance(series.dtype, pd.Int64Dtype):
        array = pa.array(series, type=pa.int64())
        if not negative and array.null_count < len(array) and pc.min(array).as_py() < 0:
            raise _Typed(name)
        if exponent == 0:
            return array, None
        return array.cast(pa.decimal128(38, 0)), np.zeros(len(series), dtype=np.int8).tobytes()
    if series.dtype.kind != "O":
        raise _Typed(name)
    buffers = _core.decimal_buffers(_objects(series), exponent, negative)
    if buffers is None:
        raise _Typed(name)
    data, validity, nulls, written = buffers
    array = pa.Array.from_buffers(
        pa.decimal128(38, -exponent), len(series),
        [None if validity is None else pa.py_buffer(validity), pa.py_buffer(data)], null_count=nulls,
    )
    return array, written


def _boolean(name: str, series: pd.Series) -> pa.Array:
    if series.dtype.kind == "b" or isinstance(series.dtype, pd.BooleanDtype):
        return pa.array(series)
    cells = _objects(series)
    if series.dtype.kind != "O" or _kind(cells) not in ("boolean", "empty"):
        raise _Typed(name)
    return pa.array(cells, type=pa.bool_(), from_pandas=False)


def _text(name: str, series: pd.Series, required: bool) -> pa.Array:
    cells = _objects(series)
    if _kind(cells) not in ("string", "empty"):
        raise _Typed(name)
    try:
        array = pa.array(cells, type=pa.string(), from_pandas=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        raise _Typed(name) from None
    if (required and array.null_count) or pc.any(pc.equal(pc.utf8_length(array), 0)).as_py():
        raise _Typed(name)  # a missing or empty id / name: the typed path says so
    return array


def _field_type(kind: str, exponent: int) -> pa.DataType:
    if kind == "number":
        return pa.decimal128(38, -exponent)
    if kind == "boolean":
        return pa.bool_()
    if kind == "enumeration":
        return pa.string()
    raise _Typed(kind)


def _list(rules: _core.RuleSet, name: str, series: pd.Series, fields: list[tuple[str, str, int]]) -> pa.Array:
    """A column of None or lists of dicts read in C++ into Arrow buffers (one pass, no Python
    per record), wrapped as list<struct> without a copy."""
    if series.dtype.kind != "O":
        raise _Typed(name)
    built = _core.list_buffers(rules, name, _objects(series))
    if built is None:
        raise _Typed(name)
    offsets, validity, nulls, count, buffers = built
    children: list[pa.Array] = []
    for (field, kind, exponent), (_, data, text_offsets, valid, missing) in zip(fields, buffers):
        kind_type = _field_type(kind, exponent)
        chunks = [None if valid is None else pa.py_buffer(valid)]
        if text_offsets is not None:
            chunks.append(pa.py_buffer(text_offsets))
        chunks.append(pa.py_buffer(data))
        children.append(pa.Array.from_buffers(kind_type, count, chunks, null_count=missing))
    records = pa.StructArray.from_arrays(children, names=[field for field, _, _ in fields])
    return pa.Array.from_buffers(
        pa.list_(records.type), len(series),
        [None if validity is None else pa.py_buffer(validity), pa.py_buffer(offsets)],
        null_count=nulls, children=[records],
    )


def _column(
    rules: _core.RuleSet, layout: tuple[Any, ...], name: str, series: pd.Series, exponents: dict[str, bytes]
) -> pa.Array:
    kind, exponent, negative, required, fields = layout
    if kind == "number":
        array, written = _number(name, series, exponent, negative)
        if written is not None:
            exponents[name] = written
    elif kind == "boolean":
        array = _boolean(name, series)
    elif kind == "enumeration":
        array = _text(name, series, False)
    elif kind == "list":
        array = _list(rules, name, series, fields)
    else:  # text and dates: the typed path reads them
        raise _Typed(name)
    if required and array.null_count:
        raise _Typed(name)
    return array


def arrow_of_frame(rules: _core.RuleSet, frame: pd.DataFrame) -> pa.Table:
    """The frame as the Arrow table ``pyarrow.Table.from_pandas`` gives the columnar path, its
    amount, list, text and boolean columns read by the readers above (in C++, no conversion per
    value in Python); a column they do not take is converted by pyarrow, as before."""
    names = [str(name) for name in frame.columns]
    if len(set(names)) != len(names) or not all(isinstance(name, str) for name in frame.columns):
        return pa.Table.from_pandas(frame, preserve_index=False)
    layout = _core.fact_layout(rules)
    arrays: dict[str, pa.Array] = {}
    for name in names:
        series = frame[name]
        try:
            if name in ("id", "name"):
                arrays[name] = _text(name, series, False)
            elif name in layout:
                arrays[name] = _column(rules, layout[name], name, series, {})
            else:
                raise _Typed(name)
        except _Typed:
            arrays[name] = pa.Array.from_pandas(series)
    return pa.table(arrays)


def read_frame(
    rules: _core.RuleSet, frame: pd.DataFrame, names: list[str]
) -> tuple[_core.FactTable, list[str | None], dict[str, bytes]] | None:
    """(fact table, names by row, written exponents by fact), or None when the frame must go
    the typed path."""
    layout = _core.fact_layout(rules)
    arrays: dict[str, pa.Array] = {}
    exponents: dict[str, bytes] = {}
    record_names: list[str | None] = [None] * len(frame)
    try:
        for original, name in zip(frame.columns, names):
            series = frame[original]
            if name == "id":
                arrays["id"] = ids = _text(name, series, True)
                if pc.any(pc.match_substring_regex(ids, _BAD_ID)).as_py():
                    raise _Typed(name)
            elif name == "name":
                array = _text(name, series, False)
                record_names = array.to_pylist()
            elif name == "year":
                if not (series.dtype.kind in "iu" or isinstance(series.dtype, pd.Int64Dtype)):
                    raise _Typed(name)
                arrays["year"] = pa.array(series, type=pa.int64())
            elif name in layout:
                arrays[name] = _column(rules, layout[name], name, series, exponents)
            else:  # decided amounts, and anything else the typed path knows
                raise _Typed(name)
    except _Typed:
        return None
    if "id" not in arrays or any(layout[f][3] and f not in arrays for f in layout):
        return None
    keys = ["id", "year"] if "year" in arrays else ["id"]
    if pa.table({k: arrays[k] for k in keys}).group_by(keys).aggregate([]).num_rows != len(frame):
        return None  # an enterprise twice for one year: the typed path reports where
    try:
        return fact_table(rules, pa.table(arrays)), record_names, exponents
    except (_core.SubsidyError, pa.ArrowException, ValueError, TypeError):
        return None
