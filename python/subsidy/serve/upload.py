"""Files a clerk uploads, read into the engine's records; results written as .xlsx.

Each direction goes through one function (:func:`records_from_upload`, :func:`ledger_from_upload`,
:func:`xlsx_bytes`), so a better reader or report writer replaces one body, not its callers. An
upload is saved under its own name in a private temporary folder, so the readers that take files
(the clerk's-path workbook and CSV reader, when the package has it) read it as they read any file,
and errors name the file as uploaded."""

from __future__ import annotations

import importlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, Any, TypeVar, cast

from .. import _core
from .._core import SubsidyError
from ..audit import Ledger, read_xlsx_rows
from .errors import ApiError, from_subsidy_error

TEXT_SUFFIXES = (".csv", ".yaml", ".yml", ".json")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
T = TypeVar("T")


def _suffix(filename: str) -> str:
    lowered = filename.lower()
    for suffix in TEXT_SUFFIXES + XLSX_SUFFIXES:
        if lowered.endswith(suffix):
            return suffix
    raise ApiError(
        415, "unsupported_file",
        f"{filename}: expected one of {', '.join(TEXT_SUFFIXES + XLSX_SUFFIXES)}", "$.file",
    )


def _safe_name(filename: str, suffix: str) -> str:
    # Only the last component, of plain characters: the name is never a path into the machine.
    base = os.path.basename(filename.replace("\\", "/"))
    return base if re.fullmatch(r"[\w.\-\u4e00-\u9fff ]{1,120}", base) and base[0] != "." else f"upload{suffix}"


@contextmanager
def _saved(filename: str, data: bytes) -> Iterator[tuple[str, str]]:
    """(path of the saved upload, the name errors should show)."""
    name = _safe_name(filename, _suffix(filename))
    with tempfile.TemporaryDirectory(prefix="subsidy-upload-") as folder:
        path = os.path.join(folder, name)
        with open(path, "wb") as handle:
            handle.write(data)
        yield path, name


def _reading(path: str, name: str, read: Callable[[], T]) -> T:
    """Runs a reader; its errors name the upload, not the temporary file."""
    try:
        return read()
    except SubsidyError as error:
        located = from_subsidy_error(error)
        first = (error.errors or [error])[0]
        where = ":".join(str(p) for p in (first.line, first.column) if p)
        located.message = f"{name}{':' + where if where else ''}: {located.message}".replace(path, name)
        located.path = "$.file"
        raise located from None
    except (ValueError, OSError, KeyError) as error:
        raise ApiError(422, "unreadable_file", str(error).replace(path, name), "$.file") from None


def _clerks_reader() -> Any:
    """The clerk's-path reader of workbooks and labelled CSV (subsidy.intake), if installed."""
    try:
        return importlib.import_module("subsidy.intake").read_facts
    except (ImportError, AttributeError):
        return None


def records_from_upload(rules: _core.RuleSet, filename: str, data: bytes) -> _core.Enterprises:
    """An uploaded enterprise file typed against the rule set: YAML or JSON by the engine's
    reader; CSV and .xlsx by the clerk's-path reader when the package has it (CSV otherwise by
    the engine's reader)."""
    with _saved(filename, data) as (path, name):
        suffix = _suffix(filename)
        read_facts = _clerks_reader()
        if read_facts is not None and suffix in (".csv", *XLSX_SUFFIXES):
            records: _core.Enterprises = _reading(path, name, lambda: read_facts(rules, [path]))
            return records
        if suffix in XLSX_SUFFIXES:
            raise ApiError(
                415, "unsupported_file",
                f"{name}: enterprise workbooks (.xlsx) are not read by this version; upload CSV, YAML or JSON",
                "$.file",
            )
        return _reading(path, name, lambda: _core.Enterprises.load(rules, path))


def ledger_from_upload(filename: str, data: bytes) -> Ledger:
    """An uploaded ledger: CSV, YAML, JSON or an .xlsx workbook; findings name the upload."""
    with _saved(filename, data) as (path, name):
        if _suffix(filename) in XLSX_SUFFIXES:
            rows = _reading(path, name, lambda: read_xlsx_rows(path))
            names = [(h or "").strip() for h in rows[0][1]] if rows else []
            return Ledger(_core.Ledger.from_rows(name, names, rows[1:]), name)
        text = _reading(path, name, lambda: data.decode("utf-8-sig"))
        return _reading(path, name, lambda: Ledger.parse(name, text))


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
