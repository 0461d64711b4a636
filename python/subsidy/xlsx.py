"""Reading .xlsx workbooks exactly and safely, for ledgers and enterprise facts.

The XML parts are read directly (no float conversion anywhere): a number cell is the digits the
file stores, a boolean cell is marked as such so that it is never mistaken for 1 or 0, and a
number Excel could not have been typed with (more than 15 significant digits: the leftover of a
binary floating-point calculation such as ``300000.00000000006``) is reported as what it is.

A workbook is untrusted input: its size, the size each part decompresses to, the number of
cells and the cell references are bounded (see docs/limits.md), and a malformed workbook gives a
located :class:`subsidy.SubsidyError`, never a ``BadZipFile``, ``KeyError`` or ``ParseError``."""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Generator, Iterator, Union
from xml.etree import ElementTree

from ._core import SubsidyError

__all__ = ["Cell", "Sheet", "SheetReader", "Workbook", "located_error", "open_workbook", "read_workbook", "LIMITS"]

PathLike = Union[str, "os.PathLike[str]"]

#: Bounds on what a workbook may hold (docs/limits.md, "Workbooks").
LIMITS = {
    "file_bytes": 64 * 1024 * 1024,
    "part_bytes": 128 * 1024 * 1024,  # one XML part, decompressed
    "total_bytes": 256 * 1024 * 1024,  # every part read, decompressed
    "members": 10_000,
    "cells": 2_000_000,
    "rows": 1_048_576,  # Excel's own limits: row 1048576, column XFD
    "columns": 16_384,
    "sheets": 256,
}

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REFERENCE = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
#: Excel keeps 15 significant digits of what is typed; more come only from float arithmetic.
EXCEL_DIGITS = 15


def located_error(kind: str, message: str, file: str, line: int = 0, column: int = 0,
                  field: str = "") -> SubsidyError:
    """A SubsidyError like the engine's: 'file:line:column: error[kind]: message'."""
    location = file + (f":{line}" if line else "") + (f":{column}" if line and column else "")
    error = SubsidyError(f"{location}: error[{kind}]: {message}")
    for name, value in (("kind", kind), ("message", message), ("file", file or None),
                        ("line", line or None), ("column", column or None),
                        ("field", field or None), ("location", location)):
        setattr(error, name, value)
    error.errors = []
    return error


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True)
class Cell:
    """One cell as stored: ``text`` (digits for a number, never a float), and ``kind``: 'n'
    number, 's' text, 'b' boolean ('1' or '0'), 'e' an error value (#N/A), 'd' an ISO date."""

    text: str
    kind: str


@dataclass(frozen=True)
class Sheet:
    name: str
    source: str  # "book.xlsx[name]", the file part of error locations
    rows: tuple[tuple[int, tuple[Cell | None, ...]], ...]  # (row number, cells), blank rows left out

    def error(self, kind: str, message: str, row: int = 0, column: int = -1, field: str = "") -> SubsidyError:
        return located_error(kind, message, self.source, row, column + 1 if column >= 0 else 0, field)


@dataclass(frozen=True)
class Workbook:
    path: str
    sheets: tuple[Sheet, ...]

    def sheet(self, name: str) -> Sheet | None:
        for s in self.sheets:
            if s.name == name:
                return s
        return None


class _Reader:
    def __init__(self, path: str, book: zipfile.ZipFile) -> None:
        self.path = path
        self.book = book
        self.read_bytes = 0
        self.cells = 0

    def fail(self, message: str, kind: str = "parse") -> SubsidyError:
        return located_error(kind, message, self.path)

    def part(self, name: str) -> bytes:
        try:
            info = self.book.getinfo(name)
        except KeyError:
            raise self.fail(f"the workbook has no part {name!r}: not a complete .xlsx file") from None
        limit = min(LIMITS["part_bytes"], LIMITS["total_bytes"] - self.read_bytes)
        if info.file_size > limit:
            raise self.fail(f"expected a part of at most {limit} bytes decompressed, found {name} "
                            f"of {info.file_size} bytes", "limit")
        # The sizes in the zip directory may lie: read at most one byte past the limit.
        try:
            with self.book.open(info) as stream:
                data = stream.read(limit + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as error:
            raise self.fail(f"cannot decompress {name}: {error}") from None
        except Exception as error:  # zlib.error and the like: a damaged part
            raise self.fail(f"cannot decompress {name}: {error}") from None
        if len(data) > limit:
            raise self.fail(f"expected a part of at most {limit} bytes decompressed, found {name} "
                            "larger", "limit")
        self.read_bytes += len(data)
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise self.fail(f"{name} declares a DOCTYPE or entities, which a workbook never needs")
        return data

    def xml(self, name: str) -> ElementTree.Element:
        try:
            return ElementTree.fromstring(self.part(name))
        except ElementTree.ParseError as error:
            raise self.fail(f"{name} is not well-formed XML ({error})") from None

    def events(self, name: str, data: bytes | None = None) -> Iterator[tuple[str, ElementTree.Element]]:
        if data is None:
            data = self.part(name)
        try:
            for event, element in ElementTree.iterparse(io.BytesIO(data), events=("end",)):
                yield event, element
        except ElementTree.ParseError as error:
            raise self.fail(f"{name} is not well-formed XML ({error})") from None


def _text_of(element: ElementTree.Element | None) -> str:
    if element is None:
        return ""
    # Rich text: the runs' <t>; phonetic guides (<rPh>) are not part of the value.
    parts = []
    for child in element:
        if child.tag == f"{_MAIN}t":
            parts.append(child.text or "")
        elif child.tag == f"{_MAIN}r":
            parts.extend(t.text or "" for t in child.iter(f"{_MAIN}t"))
    return "".join(parts)


def _sheet_targets(reader: _Reader) -> list[tuple[str, str]]:
    workbook = reader.xml("xl/workbook.xml")
    rels = reader.xml("xl/_rels/workbook.xml.rels")
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_REL}Relationship")}
    out = []
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        name = sheet.get("name", "")
        target = targets.get(sheet.get(f"{_REL}id"))
        if not target:
            raise reader.fail(f"the workbook does not locate its sheet {name!r}")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        out.append((name, path))
    if len(out) > LIMITS["sheets"]:
        raise reader.fail(f"expected at most {LIMITS['sheets']} sheets, found {len(out)}", "limit")
    return out


class SheetReader:
    """One sheet of an open workbook: its part is read (and its cells counted against the
    workbook's limit) when opened, its rows parsed each time they are asked for, one at a time,
    so a large sheet is never held as cells."""

    def __init__(self, reader: _Reader, name: str, part: str, shared: list[str]) -> None:
        self.name = name
        self.source = f"{reader.path}[{name}]"
        self._reader = reader
        self._part = part
        self._shared = shared
        self._data: bytes | None = None
        self._tags = 0

    def error(self, kind: str, message: str, row: int = 0, column: int = -1, field: str = "") -> SubsidyError:
        return located_error(kind, message, self.source, row, column + 1 if column >= 0 else 0, field)

    def open(self) -> None:
        if self._data is not None:
            return
        reader = self._reader
        data = reader.part(self._part)
        # The cells counted before any is parsed: a tag "<c" cannot occur in XML text (it would be
        # "&lt;c"), so a sheet of too many cells is refused in one pass over its bytes.
        tags = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>")
        if reader.cells + tags > LIMITS["cells"]:
            raise located_error("limit", f"expected a workbook of at most {LIMITS['cells']} cells, "
                                f"found {reader.cells + tags}", self.source)
        reader.cells += tags
        self._data, self._tags = data, tags

    def rows(self) -> Generator[tuple[int, tuple[Cell | None, ...]], None, None]:
        """(row number, cells) of each row that holds a value, in order."""
        self.open()
        reader, source = self._reader, self.source
        last_row = 0
        seen = 0  # cells parsed; past the counted tags, each is counted against the limit too
        for _, element in reader.events(self._part, self._data):
            if element.tag != f"{_MAIN}row":
                continue
            number_text = element.get("r")
            number = int(number_text) if number_text and number_text.isdigit() else last_row + 1
            if number <= last_row or number > LIMITS["rows"]:
                raise located_error("parse", f"row number {number_text or number} out of order or past "
                                    f"row {LIMITS['rows']}", source, last_row + 1)
            last_row = number
            cells: list[Cell | None] = []
            for c in element.iter(f"{_MAIN}c"):
                reference = c.get("r")
                if reference:
                    match = _REFERENCE.fullmatch(reference)
                    if match is None:
                        raise located_error("parse", f"bad cell reference {reference!r}", source, number)
                    index = 0
                    for ch in match.group(1):
                        index = index * 26 + (ord(ch) - ord("A") + 1)
                    index -= 1
                    if index >= LIMITS["columns"] or int(match.group(2)) != number:
                        raise located_error("limit" if index >= LIMITS["columns"] else "parse",
                                            f"cell reference {reference} outside row {number} or past "
                                            f"column XFD", source, number)
                else:
                    index = len(cells)
                seen += 1
                if seen > self._tags:
                    reader.cells += 1
                    if reader.cells > LIMITS["cells"]:
                        raise located_error("limit", f"expected a workbook of at most {LIMITS['cells']} "
                                            "cells, found more", source, number)
                cell = _cell(c, self._shared, source, number, index)
                if index < len(cells):
                    raise located_error("parse", f"cell {reference or index} given twice or out of "
                                        "order", source, number, index + 1)
                cells.extend([None] * (index - len(cells)))
                cells.append(cell)
            element.clear()
            while cells and (cells[-1] is None or cells[-1].text == ""):
                cells.pop()
            if cells:
                yield number, tuple(cells)


def _cell(c: ElementTree.Element, shared: list[str], source: str, row: int, index: int) -> Cell | None:
    kind = c.get("t", "n")
    value = c.find(f"{_MAIN}v")
    if kind == "inlineStr":
        return Cell(_text_of(c.find(f"{_MAIN}is")).strip(), "s")
    if value is None or value.text is None:
        return None
    text = value.text.strip()
    if kind == "s":
        if not text.isdigit() or int(text) >= len(shared):
            raise located_error("parse", f"shared string {text!r} does not exist", source, row, index + 1)
        return Cell(shared[int(text)].strip(), "s")
    if kind == "str":  # a formula's text result
        return Cell(text, "s")
    if kind in ("b", "e", "d"):
        return Cell(text, kind)
    if kind != "n" or _NUMBER.fullmatch(text) is None:
        raise located_error("parse", f"a number cell holds {text[:40]!r}", source, row, index + 1)
    return Cell(text, "n")


@contextlib.contextmanager
def open_workbook(path: PathLike) -> Iterator[list[SheetReader]]:
    """The sheets of a workbook, in order, each read when its rows are asked for (see
    :class:`SheetReader`); the file stays open until the block ends."""
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise located_error("io", "not a regular file" if os.path.exists(name) else "no such file", name)
    size = os.path.getsize(name)
    if size > LIMITS["file_bytes"]:
        raise located_error("limit", f"expected a file of at most {LIMITS['file_bytes']} bytes, "
                            f"found {size} bytes", name)
    try:
        book = zipfile.ZipFile(name)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise located_error("parse", f"not an .xlsx workbook (a zip package): {error}", name) from None
    with book:
        if len(book.infolist()) > LIMITS["members"]:
            raise located_error("limit", f"expected at most {LIMITS['members']} parts, found "
                                f"{len(book.infolist())}", name)
        reader = _Reader(name, book)
        shared: list[str] = []
        if "xl/sharedStrings.xml" in book.namelist():
            for _, element in reader.events("xl/sharedStrings.xml"):
                if element.tag == f"{_MAIN}si":
                    shared.append(_text_of(element))
                    element.clear()
                    if len(shared) > LIMITS["cells"]:
                        raise located_error("limit", f"expected at most {LIMITS['cells']} shared "
                                            "strings, found more", name)
        yield [SheetReader(reader, n, p, shared) for n, p in _sheet_targets(reader)]


def read_workbook(path: PathLike) -> Workbook:
    """Every sheet of a workbook, as stored cells (see :class:`Cell`)."""
    with open_workbook(path) as sheets:
        return Workbook(os.fspath(path), tuple(Sheet(s.name, s.source, tuple(s.rows())) for s in sheets))


def plain_number(cell: Cell, sheet: Sheet | SheetReader, row: int, column: int, what: str) -> str:
    """A number cell's stored digits, as the text the engine parses; a boolean, an error value or
    a float leftover is refused, located at the cell."""
    where = f"{column_letters(column)}{row}"
    if cell.kind == "b":
        shown = "TRUE" if cell.text == "1" else "FALSE"
        raise sheet.error("parse", f"cell {where} ({what}) is the boolean {shown}, not a number; "
                          "type the amount", row, column, what)
    if cell.kind == "e":
        raise sheet.error("parse", f"cell {where} ({what}) holds the error value {cell.text}", row, column, what)
    if cell.kind != "n":
        return cell.text
    value = Decimal(cell.text)  # _NUMBER admits only finite numbers
    digits = len(value.as_tuple().digits)
    if digits > EXCEL_DIGITS:
        with localcontext() as context:
            context.prec = 60  # the digits and the exponent are bounded by _NUMBER and the check
            shown = format(value.quantize(Decimal("0.01")), "f") if abs(value) < 10**30 else cell.text
        raise sheet.error(
            "parse",
            f"cell {where} ({what}) holds {cell.text}, a binary floating-point leftover of a "
            f"calculation (Excel shows it as {shown}): {digits} significant digits, more than the "
            f"{EXCEL_DIGITS} Excel keeps of a typed number; round it in Excel (=ROUND(...,2)) or "
            "type the amount",
            row, column, what,
        )
    # As stored: a number written in exponent form (1.23E+8) is left for the engine to judge.
    return cell.text


def cell_text(cell: Cell | None, sheet: Sheet | SheetReader, row: int, column: int, what: str) -> str | None:
    """A cell as the text the engine parses: numbers as plain digits, booleans as true/false
    (where a boolean is wanted), text as written; None for an empty cell."""
    if cell is None or cell.text == "":
        return None
    if cell.kind == "b":
        return "true" if cell.text == "1" else "false"
    if cell.kind in ("n", "e"):
        return plain_number(cell, sheet, row, column, what)
    return cell.text
