"""Errors of the service: each one an HTTP status, a stable code, a message and, for bad input,
the JSON path of the value at fault (``$.enterprises[2].sales_revenue``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._core import SubsidyError


class ApiError(Exception):
    """A refusal the client can act on: rendered as ``{"error": {...}, "receipt": {...}}``."""

    def __init__(self, status: int, code: str, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.path = path

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"status": self.status, "code": self.code, "message": self.message}
        if self.path is not None:
            error["path"] = self.path
        return error


def json_path(location: Sequence[str | int]) -> str:
    """``("scenario", "parameters", "x")`` -> ``$.scenario.parameters.x``; list indexes in []."""
    out = "$"
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def from_subsidy_error(
    error: SubsidyError, records_path: str | None = None, *, single: bool = False
) -> ApiError:
    """An engine error as a located API error. Records typed with ``records_path`` as their
    source name come back with the record number as line and the fact as field (``single``: one
    record at ``records_path`` itself, not a list)."""
    first = (error.errors or [error])[0]
    path = None
    if records_path is not None and first.file == records_path and first.line:
        path = records_path if single else f"{records_path}[{first.line - 1}]"
        if first.field:
            path += f".{first.field}"
    code = f"{first.kind}_error" if first.kind else "engine_error"
    return ApiError(422, code, str(first.message), path)
