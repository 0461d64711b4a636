"""Files a clerk uploads, read into the engine's records; results written as .xlsx.

Each direction goes through one function (:func:`records_from_upload`, :func:`ledger_from_upload`,
:func:`xlsx_bytes`), so a better reader or report writer replaces one body, not its callers."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, cast

from .. import _core
from ..audit import Ledger, read_xlsx_rows
from .errors import ApiError

TEXT_SUFFIXES = (".csv", ".yaml", ".yml", ".json")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


def _text(filename: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ApiError(
            422, "not_utf8", f"{filename}: not UTF-8 text (byte {error.start})", "$.file"
        ) from None


def _suffix(filename: str, allowed: tuple[str, ...]) -> str:
    lowered = filename.lower()
    for suffix in allowed:
        if lowered.endswith(suffix):
            return suffix
    raise ApiError(
        415, "unsupported_file",
        f"{filename}: expected one of {', '.join(allowed)}", "$.file",
    )


def records_from_upload(rules: _core.RuleSet, filename: str, data: bytes) -> _core.Enterprises:
    """An uploaded enterprise file (CSV, YAML or JSON) typed against the rule set; errors name
    the file, row and column as the engine reports them."""
    _suffix(filename, TEXT_SUFFIXES + XLSX_SUFFIXES)
    if filename.lower().endswith(XLSX_SUFFIXES):
        raise ApiError(
            415, "unsupported_file",
            f"{filename}: enterprise workbooks (.xlsx) are not read yet; upload CSV, YAML or JSON",
            "$.file",
        )
    return _core.Enterprises.parse(rules, filename, _text(filename, data))


def ledger_from_upload(filename: str, data: bytes) -> Ledger:
    """An uploaded ledger: CSV, YAML, JSON or an .xlsx workbook (its first sheet)."""
    suffix = _suffix(filename, TEXT_SUFFIXES + XLSX_SUFFIXES)
    if suffix in XLSX_SUFFIXES:
        rows = read_xlsx_rows(cast(Any, io.BytesIO(data)))
        if not rows:
            return Ledger(_core.Ledger.from_rows(filename, [], []), filename)
        names = [(h or "").strip() for h in rows[0][1]]
        return Ledger(_core.Ledger.from_rows(filename, names, rows[1:]), filename)
    return Ledger.parse(filename, _text(filename, data))


Sheet = tuple[Sequence[str], Iterable[Sequence[Any]]]


def xlsx_bytes(sheets: Mapping[str, Sheet]) -> bytes:
    """A workbook with one sheet per entry (header row, then rows). Amounts arrive as exact
    strings and are written as text cells, so no spreadsheet turns them into binary floats."""
    from openpyxl import Workbook

    book = Workbook()
    first = True
    for title, (header, rows) in sheets.items():
        sheet = book.active if first else book.create_sheet()
        assert sheet is not None
        sheet.title = title[:31]
        first = False
        sheet.append(list(header))
        for row in rows:
            sheet.append(["" if cell is None else str(cell) for cell in row])
    out: IO[bytes] = io.BytesIO()
    book.save(out)
    return cast(io.BytesIO, out).getvalue()
