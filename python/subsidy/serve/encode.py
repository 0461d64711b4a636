"""JSON out: money and rates as strings, never numbers. The engine's canonical JSON (already
exact, decimals as strings) is spliced in as it is, not parsed and written again."""

from __future__ import annotations

import dataclasses
import datetime
import json
from decimal import Decimal
from typing import Any

from starlette.responses import Response


class Raw:
    """JSON text to be placed as it is (the engine's canonical output)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")  # plain digits: "2000000", never "2.00E+6"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    as_dict = getattr(value, "_asdict", None)  # the engine's result types (subsidy.results)
    if callable(as_dict):
        return as_dict()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    item = getattr(value, "item", None)  # numpy scalars (a DataFrame's bool and int cells)
    if callable(item):
        return item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, Raw):
        out.append(value.text)
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, float):
        raise TypeError("a float has no place in an exact response")
    elif value is None or isinstance(value, (str, int, bool)):
        out.append(json.dumps(value, ensure_ascii=False))
    else:
        _write(_plain(value), out)


def dumps(value: Any) -> bytes:
    out: list[str] = []
    _write(value, out)
    return "".join(out).encode("utf-8")


def json_response(value: Any, status: int = 200) -> Response:
    return Response(dumps(value), status_code=status, media_type="application/json")
