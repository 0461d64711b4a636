"""Enterprise facts as clerks have them: the data template's workbook (``subsidy template``), or
CSV files (UTF-8 with or without a byte-order mark, or GB18030 as Excel saves them on Chinese
Windows), one file for the enterprises and one per list fact, or a folder of them.

Headers may be the facts' names or their Chinese (or English) labels; amounts are read by the
engine exactly as typed (``1.2亿``, ``￥300万``, ``１２０万``, ``¥120,000,000.00``). This module only
finds the tables, maps headers to facts and groups list records by enterprise; typing and
checking every value is the engine's, so a record read here and a record given as YAML are
the same record."""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from . import _core
from ._core import SubsidyError
from .headers import RECORD_COLUMNS, Column, HeaderResolver, combined, key_of
from .xlsx import LIMITS, Sheet, cell_text, located_error, read_workbook

__all__ = ["read_facts", "TEMPLATE_MARK", "ENTERPRISE_SHEET", "decode_csv"]

PathLike = Union[str, "os.PathLike[str]"]

#: The first cell of the template's description rows (type and meaning under each header): rows
#: starting with it are not data.
TEMPLATE_MARK = "▸"
#: The enterprise sheet's name in the template (any sheet not naming a list fact is read as one).
ENTERPRISE_SHEET = "企业 enterprises"
#: Sheets of the template that hold no data: the data dictionary, the drop-downs' long lists.
DICTIONARY_SHEET = "说明 dictionary"
LISTS_SHEET = "选项 lists"

CSV_ROWS = 1_000_000
CSV_COLUMNS = 1_000
CSV_CELL = 1_000_000


@dataclass
class Table:
    """One table read from a sheet or a CSV file: its header and data rows as texts."""

    source: str
    header_row: int
    headers: list[str | None]
    rows: list[tuple[int, list[str | None]]] = field(default_factory=list)
    encoding: str = ""


# --- the rule set's facts --------------------------------------------------------------------------


@dataclass(frozen=True)
class FactInfo:
    name: str
    unit: str
    zh: str
    en: str
    values: tuple[str, ...]
    fields: tuple[FactInfo, ...]

    @property
    def is_list(self) -> bool:
        return self.unit == "a list"

    @property
    def is_boolean(self) -> bool:
        return self.unit.startswith("a condition")


def fact_infos(rules: _core.RuleSet) -> list[FactInfo]:
    def info(d: dict[str, Any]) -> FactInfo:
        return FactInfo(d["name"], d["unit"], d["label"]["zh"], d["label"]["en"], tuple(d["values"]),
                        tuple(info(f) for f in d["fields"]))

    return [info(d) for d in rules.facts()]


def _resolver(facts: Sequence[FactInfo], record_columns: Sequence[str]) -> HeaderResolver:
    labels: dict[str, Sequence[str]] = {name: RECORD_COLUMNS[name] for name in record_columns}
    for f in facts:
        labels.setdefault(f.name, (f.zh, f.en))
    return HeaderResolver(labels)


def enterprise_resolver(facts: Sequence[FactInfo]) -> HeaderResolver:
    return _resolver([f for f in facts if not f.is_list], ("id", "name", "year"))


def list_resolver(fact: FactInfo) -> HeaderResolver:
    return _resolver(fact.fields, ("id", "year"))


def _list_fact(name: str, facts: Sequence[FactInfo]) -> FactInfo | None:
    """The list fact a sheet or file is named after (its name or label, perhaps cut to 31)."""
    key = key_of(name)
    for f in facts:
        if f.is_list and key in {key_of(f.name), key_of(f.zh), key_of(f.zh[:31]), key_of(f.en)}:
            return f
    return None


# --- reading tables ----------------------------------------------------------------------------------


def _table_from_sheet(sheet: Sheet, facts: dict[str, FactInfo], resolver: HeaderResolver) -> tuple[Table, list[Column]]:
    if not sheet.rows:
        raise sheet.error("schema", "the sheet is blank: no header row")
    header_row, header_cells = sheet.rows[0]
    headers = [c.text if c is not None else None for c in header_cells]
    columns = resolver.resolve(headers, sheet.source, header_row)
    table = Table(sheet.source, header_row, headers)
    for number, cells in sheet.rows[1:]:
        first = cells[0].text if cells and cells[0] is not None else ""
        if first.startswith(TEMPLATE_MARK):
            continue
        texts: list[str | None] = []
        for col in columns:
            cell = cells[col.index] if col.index < len(cells) else None
            fact = facts.get(col.name)
            if cell is not None and cell.kind == "b" and (fact is None or not fact.is_boolean):
                _refuse_boolean(sheet, number, col)
            else:
                texts.append(cell_text(cell, sheet, number, col.index, col.name))
        _check_unnamed(sheet.source, number, cells, headers)
        table.rows.append((number, texts))
    return table, columns


def _refuse_boolean(sheet: Sheet, row: int, col: Column) -> None:
    raise sheet.error("parse", f"'{col.name}' is not a yes/no fact, but the cell holds a TRUE/FALSE "
                      "boolean", row, col.index, col.name)


def _check_unnamed(source: str, row: int, cells: Sequence[Any], headers: Sequence[str | None]) -> None:
    for index, cell in enumerate(cells):
        text = cell if isinstance(cell, str) or cell is None else cell.text
        if text and (index >= len(headers) or not (headers[index] or "").strip()):
            raise located_error("schema", f"a value in a column without a header ({text[:40]!r}); "
                                "name the column or clear it", source, row, index + 1)


def decode_csv(path: str, data: bytes, encoding: str | None) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in. UTF-8 (a byte-order mark is
    dropped) is tried first, then GB18030 (what Excel writes on Chinese Windows); a named
    encoding is used strictly. Never decoded with replacement characters."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise located_error("usage", f"unknown encoding {encoding!r} (try utf-8 or gb18030)", path) from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise located_error("parse", f"not valid {encoding}: byte 0x{data[error.start]:02x} at "
                                f"offset {error.start}", path, line) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise located_error("parse", "the file is UTF-16 (Excel's 'Unicode text'); save it as "
                            "'CSV UTF-8' or give --encoding utf-16", path)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise located_error(
                "parse", f"neither UTF-8 nor GB18030 (byte 0x{data[utf8_error.start]:02x} at offset "
                f"{utf8_error.start}); give the file's encoding with --encoding", path, line) from None


def read_csv_table(path: str, encoding: str | None, resolver: HeaderResolver) -> tuple[Table, list[Column]]:
    size = os.path.getsize(path)
    if size > LIMITS["file_bytes"]:
        raise located_error("limit", f"expected a file of at most {LIMITS['file_bytes']} bytes, found {size} bytes", path)
    with open(path, "rb") as stream:
        data = stream.read()
    text, used = decode_csv(path, data, encoding)
    csv.field_size_limit(CSV_CELL)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    table: Table | None = None
    columns: list[Column] = []
    start = 1
    try:
        for cells in reader:
            line = start
            start = reader.line_num + 1
            if len(cells) > CSV_COLUMNS:
                raise located_error("limit", f"expected a row of at most {CSV_COLUMNS} columns, found more", path, line)
            values = [c.strip() for c in cells]
            if not any(values):
                continue
            if table is None:
                table = Table(path, line, list(values), encoding=used)
                try:
                    columns = resolver.resolve(values, path, line)
                except SubsidyError as error:
                    if used != "utf-8" and not encoding:
                        raise _with_note(error, f"(the file was read as {used}, not being UTF-8; "
                                         "if that is wrong, give --encoding)") from None
                    raise
                continue
            if len(table.rows) >= CSV_ROWS:
                raise located_error("limit", f"expected at most {CSV_ROWS} rows, found more", path, line)
            _check_unnamed(path, line, values, table.headers)
            if len(values) < len(table.headers):
                raise located_error("schema", f"expected {len(table.headers)} columns as in the header, "
                                    f"found {len(values)} (a missing column)", path, line)
            table.rows.append((line, [values[c.index] or None if c.index < len(values) else None
                                      for c in columns]))
    except csv.Error as error:
        raise located_error("parse", f"malformed CSV: {error}", path, reader.line_num) from None
    if table is None:
        raise located_error("schema", "the file is empty: no header row", path)
    return table, columns


def _with_note(error: SubsidyError, note: str) -> SubsidyError:
    noted = SubsidyError(f"{error}\n{note}")
    for name in ("kind", "file", "line", "column", "field", "location", "errors"):
        setattr(noted, name, getattr(error, name, None))
    noted.message = f"{getattr(error, 'message', '')} {note}"
    return noted


# --- tables to records -------------------------------------------------------------------------------


@dataclass
class _Enterprise:
    record: dict[str, Any]
    source: str
    line: int


def _key(record: dict[str, Any]) -> tuple[str, str]:
    return (str(record.get("id") or ""), str(record.get("year") or ""))


def read_facts(rules: _core.RuleSet, paths: Sequence[PathLike], *, encoding: str | None = None) -> _core.Enterprises:
    """Reads enterprise facts from workbooks (.xlsx), CSV files or folders of CSV files, with
    their list facts, typed by the engine. Raises SubsidyError naming file, sheet, row and column."""
    facts = fact_infos(rules)
    by_name = {f.name: f for f in facts}
    enterprise_tables: list[tuple[Table, list[Column]]] = []
    list_tables: list[tuple[FactInfo, Table, list[Column]]] = []
    errors: list[SubsidyError] = []

    def add(kind_name: str, read: Any) -> None:
        fact = _list_fact(kind_name, facts)
        try:
            if fact is None:
                enterprise_tables.append(read(enterprise_resolver(facts), by_name))
            else:
                table, columns = read(list_resolver(fact), {f.name: f for f in fact.fields})
                list_tables.append((fact, table, columns))
        except SubsidyError as error:
            errors.extend(getattr(error, "errors", None) or [error])

    for path in [os.fspath(p) for p in paths]:
        if os.path.isdir(path):
            found = sorted(n for n in os.listdir(path) if n.lower().endswith(".csv"))
            if not found:
                raise located_error("io", "the folder holds no .csv file", path)
            for name in found:
                full = os.path.join(path, name)
                add(os.path.splitext(name)[0], lambda r, f, full=full: read_csv_table(full, encoding, r))
        elif path.lower().endswith((".xlsx", ".xlsm")):
            book = read_workbook(path)
            for sheet in book.sheets:
                if sheet.name in (DICTIONARY_SHEET, LISTS_SHEET) or (not sheet.rows and _list_fact(sheet.name, facts)):
                    continue
                add(sheet.name, lambda r, f, sheet=sheet: _table_from_sheet(sheet, f, r))
        else:
            add(os.path.splitext(os.path.basename(path))[0], lambda r, f, path=path: read_csv_table(path, encoding, r))
    if errors:
        raise combined(errors)
    if not enterprise_tables:
        raise located_error("schema", "no table of enterprises found (only list facts: "
                            + ", ".join(f.name for f, _, _ in list_tables) + ")",
                            os.fspath(paths[0]) if paths else "<input>")
    return _records(rules, facts, enterprise_tables, list_tables)


def _records(rules: _core.RuleSet, facts: list[FactInfo], enterprise_tables: list[tuple[Table, list[Column]]],
             list_tables: list[tuple[FactInfo, Table, list[Column]]]) -> _core.Enterprises:
    enterprises: dict[tuple[str, str], _Enterprise] = {}
    by_id: dict[str, list[_Enterprise]] = {}
    groups: list[tuple[str, list[_Enterprise]]] = []
    for table, columns in enterprise_tables:
        if not table.rows:
            raise located_error("schema", "expected a header row and at least one enterprise row, "
                                "found only the header", table.source, table.header_row)
        group: list[_Enterprise] = []
        for line, values in table.rows:
            record = {col.name: value for col, value in zip(columns, values) if value is not None}
            entry = _Enterprise(record, table.source, line)
            key = _key(record)
            if key in enterprises and key[0]:
                first = enterprises[key]
                raise located_error("fact", f"enterprise '{key[0]}'" + (f" {key[1]}" if key[1] else "")
                                    + f" appears twice (first at {first.source}:{first.line})",
                                    table.source, line, 0, "id")
            if key[0]:
                enterprises[key] = entry
                by_id.setdefault(key[0], []).append(entry)
            group.append(entry)
        groups.append((table.source, group))
    for fact, table, columns in list_tables:
        for line, values in table.rows:
            item = {col.name: value for col, value in zip(columns, values) if value is not None}
            ident = str(item.pop("id", "") or "")
            year = str(item.pop("year", "") or "")
            if not ident:
                raise located_error("fact", f"a record of '{fact.name}' without the enterprise id",
                                    table.source, line, 0, "id")
            candidates = [enterprises[(ident, year)]] if (ident, year) in enterprises else (
                by_id.get(ident, []) if not year else [])
            if len(candidates) != 1:
                why = ("no enterprise with this id" + (f" and year {year}" if year else "")
                       if not candidates else "the id has several years: give the year column")
                raise located_error("fact", f"a record of '{fact.name}' for '{ident}': {why}",
                                    table.source, line, 0, "id")
            target = candidates[0].record.setdefault(fact.name, [])
            if not isinstance(target, list):
                raise located_error("fact", f"'{fact.name}' is given both as a column and on its own sheet",
                                    table.source, line, 0, fact.name)
            target.append(item)
    parts = [
        _core.Enterprises.from_records(rules, [e.record for e in group], source, [e.line for e in group])
        for source, group in groups
    ]
    return parts[0] if len(parts) == 1 else _core.Enterprises.join(parts)


# --- other inputs -------------------------------------------------------------------------------


def is_tabular(path: str) -> bool:
    """Read here (rather than by the engine's YAML/JSON reader): CSV, workbooks, folders."""
    return os.path.isdir(path) or path.lower().endswith((".csv", ".xlsx", ".xlsm"))


def read_inputs(rules: _core.RuleSet, paths: Sequence[str], encoding: str | None = None
                ) -> list[tuple[str, _core.Enterprises]]:
    """Each YAML/JSON file on its own, and every table (CSV files, folders, workbooks) together,
    since a list fact's file belongs with the enterprises' file: (label, records) in order."""
    out: list[tuple[str, _core.Enterprises]] = []
    tabular = [p for p in paths if is_tabular(p)]
    for path in paths:
        if not is_tabular(path):
            out.append((path, _core.Enterprises.load(rules, path)))
        elif path == tabular[0]:
            out.append((", ".join(tabular), read_facts(rules, tabular, encoding=encoding)))
    return out


def frame_names(rules: _core.RuleSet, names: Sequence[str], source: str) -> list[str]:
    """A DataFrame's column names as fact names (labels accepted); every unknown or duplicate
    column in one error, once (not once per row)."""
    facts = fact_infos(rules)
    resolver = _resolver(facts, ("id", "name", "year"))
    fixed = {"decided"}
    columns = resolver.resolve([None if n in fixed else n for n in names], source, 1)
    out = list(names)
    for column in columns:
        out[column.index] = column.name
    return out
