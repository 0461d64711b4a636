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
import contextlib
import csv
import io
import os
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from . import _core
from ._core import SubsidyError
from .headers import RECORD_COLUMNS, Column, HeaderResolver, combined, key_of
from .xlsx import LIMITS, Cell, SheetReader, cell_text, located_error, open_workbook

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
#
# A table is opened (its header read and resolved) and then read row by row, as often as needed:
# a file's records are typed a chunk at a time as they are read, so what Python holds beside the
# typed population is one chunk, never the file's rows.

RowTexts = tuple[int, list[Union[str, None]]]

#: Records typed by the engine at a time (the Python dicts of one chunk are all that is held).
CHUNK = 4096


@dataclass
class Table:
    """One table being read (a sheet or a CSV file): its header, and its data rows as texts in
    the order of ``columns``, read anew each time ``rows()`` is called."""

    source: str
    header_row: int
    headers: list[str | None]
    columns: list[Column]
    read: Callable[[], Iterator[RowTexts]]
    encoding: str = ""

    def rows(self) -> Iterator[RowTexts]:
        return self.read()


def _open_sheet(sheet: SheetReader, facts: dict[str, FactInfo], resolver: HeaderResolver,
                first: tuple[int, tuple[Cell | None, ...]] | None) -> Table:
    if first is None:
        raise sheet.error("schema", "the sheet is blank: no header row")
    header_row, header_cells = first
    headers = [c.text if c is not None else None for c in header_cells]
    columns = resolver.resolve(headers, sheet.source, header_row)

    def read() -> Iterator[RowTexts]:
        rows = sheet.rows()
        next(rows)  # the header
        for number, cells in rows:
            head = cells[0].text if cells and cells[0] is not None else ""
            if head.startswith(TEMPLATE_MARK):
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
            yield number, texts

    return Table(sheet.source, header_row, headers, columns, read)


def _refuse_boolean(sheet: SheetReader, row: int, col: Column) -> None:
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
    used = csv_encoding(path, data, encoding)
    return data.decode(used), ("utf-8" if used == "utf-8-sig" else used)


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether ``data`` is valid ``encoding``, checked a megabyte at a time (never the whole
    file's text at once)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    step = 1 << 20
    try:
        for start in range(0, len(data), step):
            decoder.decode(view[start:start + step])
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def csv_encoding(path: str, data: bytes, encoding: str | None) -> str:
    """The codec a CSV file is read with (see :func:`decode_csv`); ``utf-8-sig`` for UTF-8 with
    a byte-order mark. Raises the located error for a file that is in none."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise located_error("usage", f"unknown encoding {encoding!r} (try utf-8 or gb18030)", path) from None
        if _decodes(data, encoding):
            return encoding
        try:
            data.decode(encoding)  # for the place of the first bad byte
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise located_error("parse", f"not valid {encoding}: byte 0x{data[error.start]:02x} at "
                                f"offset {error.start}", path, line) from None
        return encoding
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise located_error("parse", "the file is UTF-16 (Excel's 'Unicode text'); save it as "
                            "'CSV UTF-8' or give --encoding utf-16", path)
    bom = data.startswith(codecs.BOM_UTF8)
    if _decodes(data, "utf-8"):
        return "utf-8-sig" if bom else "utf-8"
    if _decodes(data, "gb18030"):
        return "gb18030"
    try:
        data[len(codecs.BOM_UTF8) if bom else 0:].decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        start = utf8_error.start + (len(codecs.BOM_UTF8) if bom else 0)
        line = data[:start].count(b"\n") + 1
        raise located_error(
            "parse", f"neither UTF-8 nor GB18030 (byte 0x{data[start]:02x} at offset "
            f"{utf8_error.start}); give the file's encoding with --encoding", path, line) from None
    return "utf-8"


def _csv_rows(path: str, data: bytes, codec: str) -> Generator[tuple[int, list[str]], None, None]:
    """(line, stripped cells) of each row that holds a value, decoded as it is read."""
    csv.field_size_limit(CSV_CELL)
    text = io.TextIOWrapper(io.BytesIO(data), encoding=codec, newline="")
    reader = csv.reader(text, strict=True)
    start = 1
    try:
        for cells in reader:
            line = start
            start = reader.line_num + 1
            if len(cells) > CSV_COLUMNS:
                raise located_error("limit", f"expected a row of at most {CSV_COLUMNS} columns, found more", path, line)
            values = [c.strip() for c in cells]
            if any(values):
                yield line, values
    except csv.Error as error:
        raise located_error("parse", f"malformed CSV: {error}", path, reader.line_num) from None


def read_csv_table(path: str, encoding: str | None, resolver: HeaderResolver) -> Table:
    size = os.path.getsize(path)
    if size > LIMITS["file_bytes"]:
        raise located_error("limit", f"expected a file of at most {LIMITS['file_bytes']} bytes, found {size} bytes", path)
    with open(path, "rb") as stream:
        data = stream.read()
    codec = csv_encoding(path, data, encoding)
    used = "utf-8" if codec == "utf-8-sig" else codec
    rows = _csv_rows(path, data, codec)
    first = next(rows, None)
    rows.close()
    if first is None:
        raise located_error("schema", "the file is empty: no header row", path)
    header_row, headers = first
    try:
        columns = resolver.resolve(headers, path, header_row)
    except SubsidyError as error:
        if used != "utf-8" and not encoding:
            raise _with_note(error, f"(the file was read as {used}, not being UTF-8; "
                             "if that is wrong, give --encoding)") from None
        raise

    def read() -> Iterator[RowTexts]:
        count = 0
        body = _csv_rows(path, data, codec)
        next(body)  # the header
        for line, values in body:
            if count >= CSV_ROWS:
                raise located_error("limit", f"expected at most {CSV_ROWS} rows, found more", path, line)
            count += 1
            _check_unnamed(path, line, values, headers)
            if len(values) < len(headers):
                raise located_error("schema", f"expected {len(headers)} columns as in the header, "
                                    f"found {len(values)} (a missing column)", path, line)
            yield line, [values[c.index] or None if c.index < len(values) else None for c in columns]

    return Table(path, header_row, list(headers), columns, read, encoding=used)


def _with_note(error: SubsidyError, note: str) -> SubsidyError:
    noted = SubsidyError(f"{error}\n{note}")
    for name in ("kind", "file", "line", "column", "field", "location", "errors"):
        setattr(noted, name, getattr(error, name, None))
    noted.message = f"{getattr(error, 'message', '')} {note}"
    return noted


def _error_list(errors: list[SubsidyError]) -> SubsidyError:
    """Several errors of typing as one, as the engine gives them: one a line, no place of its own."""
    if len(errors) == 1:
        return errors[0]
    error = SubsidyError("\n".join(str(e) for e in errors))
    error.kind = errors[0].kind
    error.message = f"{len(errors)} errors\n" + "\n".join(str(e) for e in errors)
    for name in ("file", "line", "column", "field"):
        setattr(error, name, None)
    error.location = ""
    error.errors = errors
    return error


# --- tables to records -------------------------------------------------------------------------------


def _key(record: dict[str, Any]) -> tuple[str, str]:
    return (str(record.get("id") or ""), str(record.get("year") or ""))


@dataclass
class _Input:
    """A table found among the inputs: the enterprises' (``fact`` None) or a list fact's."""

    order: int
    fact: FactInfo | None
    table: Table


@dataclass
class _Reading:
    """What reading the tables found, kept in the order today's checks rank them: a table's own
    error (one per table, all reported), then a record's (an enterprise twice, a list record
    without its enterprise), then the engine's typing errors (up to MAX_LISTED)."""

    tables: list[tuple[int, SubsidyError]] = field(default_factory=list)
    record: SubsidyError | None = None
    typing: list[SubsidyError] = field(default_factory=list)
    population: SubsidyError | None = None

    def table_error(self, order: int, error: SubsidyError) -> None:
        if all(o != order for o, _ in self.tables):
            self.tables.append((order, error))

    @property
    def failed(self) -> bool:
        return bool(self.tables or self.record or self.typing or self.population)

    def raise_first(self) -> None:
        if self.tables:
            raise combined([e for _, error in sorted(self.tables, key=lambda t: t[0])
                            for e in (getattr(error, "errors", None) or [error])])
        if self.record is not None:
            raise self.record
        if self.typing:
            raise _error_list(self.typing[:MAX_LISTED])
        if self.population is not None:
            raise self.population


#: Typing errors listed at most (the engine's own bound for one call).
MAX_LISTED = 50


def _walk(inputs: list[_Input], found: _Reading) -> Iterator[tuple[Table, int, dict[str, Any]]]:
    """Each enterprise row as a record, in order; a table's error ends that table (and is kept),
    an enterprise given twice is kept as the record error."""
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for item in inputs:
        table = item.table
        any_row = False
        try:
            for line, values in table.rows():
                any_row = True
                record = {col.name: value for col, value in zip(table.columns, values) if value is not None}
                key = _key(record)
                if key[0] and found.record is None:
                    first = seen.setdefault(key, (table.source, line))
                    if first != (table.source, line):
                        found.record = located_error(
                            "fact", f"enterprise '{key[0]}'" + (f" {key[1]}" if key[1] else "")
                            + f" appears twice (first at {first[0]}:{first[1]})", table.source, line, 0, "id")
                yield table, line, record
        except SubsidyError as error:
            found.table_error(item.order, error)
            continue
        if not any_row and found.record is None:
            found.record = located_error("schema", "expected a header row and at least one enterprise row, "
                                         "found only the header", table.source, table.header_row)


def _read_lists(lists: list[_Input], found: _Reading) -> list[tuple[FactInfo, Table, int, dict[str, Any]]]:
    """The list facts' records (they are placed on their enterprises' records before those are
    typed)."""
    items: list[tuple[FactInfo, Table, int, dict[str, Any]]] = []
    for entry in lists:
        assert entry.fact is not None
        try:
            for line, values in entry.table.rows():
                items.append((entry.fact, entry.table, line,
                              {col.name: value for col, value in zip(entry.table.columns, values) if value is not None}))
        except SubsidyError as error:
            found.table_error(entry.order, error)
    return items


def _place(inputs: list[_Input], items: list[tuple[FactInfo, Table, int, dict[str, Any]]], found: _Reading
           ) -> dict[tuple[str, str], dict[str, list[dict[str, Any]]]]:
    """The list facts' records by the enterprise (id, year) they belong to. Every enterprise's
    key is needed to place a record without a year: the enterprise tables are read once for them."""
    keys: set[tuple[str, str]] = set()
    years: dict[str, list[str]] = {}
    for _, _, record in _walk(inputs, found):
        key = _key(record)
        if key[0] and key not in keys:
            keys.add(key)
            years.setdefault(key[0], []).append(key[1])
    out: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = {}
    for fact, table, line, item in items:
        if found.failed:
            break
        ident = str(item.pop("id", "") or "")
        year = str(item.pop("year", "") or "")
        if not ident:
            found.record = located_error("fact", f"a record of '{fact.name}' without the enterprise id",
                                         table.source, line, 0, "id")
            break
        candidates = [year] if (ident, year) in keys else (years.get(ident, []) if not year else [])
        if len(candidates) != 1:
            why = ("no enterprise with this id" + (f" and year {year}" if year else "")
                   if not candidates else "the id has several years: give the year column")
            found.record = located_error("fact", f"a record of '{fact.name}' for '{ident}': {why}",
                                         table.source, line, 0, "id")
            break
        out.setdefault((ident, candidates[0]), {}).setdefault(fact.name, []).append(item)
    return out


class _Typist:
    """Types records a chunk at a time into one population. Once anything has failed it stops
    typing (reading goes on: a later table's error still counts), except to list more typing
    errors of the table that had the first, as the engine lists a file's."""

    def __init__(self, rules: _core.RuleSet, found: _Reading) -> None:
        self.rules, self.found = rules, found
        self.population: _core.Enterprises | None = None
        self.records: list[dict[str, Any]] = []
        self.lines: list[int] = []
        self.source = ""
        self.failed_source: str | None = None

    def add(self, source: str, line: int, record: dict[str, Any]) -> None:
        if source != self.source:
            self.flush()
            self.source = source
        self.records.append(record)
        self.lines.append(line)
        if len(self.records) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        records, lines = self.records, self.lines
        self.records, self.lines = [], []
        found = self.found
        if (not records or found.tables or found.record or found.population
                or len(found.typing) >= MAX_LISTED
                or (self.failed_source is not None and self.failed_source != self.source)):
            return
        try:
            part = _core.Enterprises.from_records(self.rules, records, self.source, lines)
        except SubsidyError as error:
            found.typing.extend(getattr(error, "errors", None) or [error])
            self.failed_source = self.source
            return
        del records
        if self.failed_source is not None:
            return
        try:
            if self.population is None:
                self.population = part
            else:
                self.population.extend(part)
        except SubsidyError as error:
            found.population = error


def read_facts(rules: _core.RuleSet, paths: Sequence[PathLike], *, encoding: str | None = None) -> _core.Enterprises:
    """Reads enterprise facts from workbooks (.xlsx), CSV files or folders of CSV files, with
    their list facts, typed by the engine a chunk at a time as the rows are read. Raises
    SubsidyError naming file, sheet, row and column."""
    with contextlib.ExitStack() as stack:
        found = _Reading()
        inputs, lists = _open_tables(rules, [os.fspath(p) for p in paths], encoding, stack, found)
        items = _read_lists(lists, found)
        if found.tables:
            found.raise_first()
        if not inputs:
            raise located_error("schema", "no table of enterprises found (only list facts: "
                                + ", ".join(e.fact.name for e in lists if e.fact) + ")",
                                os.fspath(paths[0]) if paths else "<input>")
        placed = _place(inputs, items, found) if items else {}
        if found.failed:
            found.raise_first()
        typist = _Typist(rules, found)
        # Read again when list records were placed: the first reading found the errors.
        for table, line, record in _walk(inputs, _Reading() if items else found):
            for name, values in placed.pop(_key(record), {}).items():
                if name in record and found.record is None:
                    found.record = located_error("fact", f"'{name}' is given both as a column and on its own sheet",
                                                 table.source, line, 0, name)
                record[name] = values
            typist.add(table.source, line, record)
        typist.flush()
        found.raise_first()
        assert typist.population is not None
        return typist.population


def _open_tables(rules: _core.RuleSet, paths: list[str], encoding: str | None, stack: contextlib.ExitStack,
                 found: _Reading) -> tuple[list[_Input], list[_Input]]:
    """The enterprise tables and the list facts' tables, opened (headers read) in order."""
    facts = fact_infos(rules)
    by_name = {f.name: f for f in facts}
    inputs: list[_Input] = []
    lists: list[_Input] = []

    def add(kind_name: str, open_table: Any) -> None:
        order = len(inputs) + len(lists) + len(found.tables)
        fact = _list_fact(kind_name, facts)
        try:
            if fact is None:
                inputs.append(_Input(order, None, open_table(enterprise_resolver(facts), by_name)))
            else:
                lists.append(_Input(order, fact, open_table(list_resolver(fact), {f.name: f for f in fact.fields})))
        except SubsidyError as error:
            found.table_error(order, error)

    for path in paths:
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.lower().endswith(".csv"))
            if not names:
                raise located_error("io", "the folder holds no .csv file", path)
            for name in names:
                full = os.path.join(path, name)
                add(os.path.splitext(name)[0], lambda r, f, full=full: read_csv_table(full, encoding, r))
        elif path.lower().endswith((".xlsx", ".xlsm")):
            for sheet in stack.enter_context(open_workbook(path)):
                rows = sheet.rows()
                first = next(rows, None)
                if sheet.name in (DICTIONARY_SHEET, LISTS_SHEET) or (first is None and _list_fact(sheet.name, facts)):
                    for _ in rows:  # read (and checked) all the same, as every part is
                        pass
                    continue
                rows.close()
                add(sheet.name, lambda r, f, sheet=sheet, first=first: _open_sheet(sheet, f, r, first))
        else:
            add(os.path.splitext(os.path.basename(path))[0], lambda r, f, path=path: read_csv_table(path, encoding, r))
    return inputs, lists


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
