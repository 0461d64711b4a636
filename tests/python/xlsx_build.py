"""Workbooks written by hand, part by part, so that a test controls every byte: cells as a file
stores them (numbers as digits, booleans, errors), several sheets, and hostile parts."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Union

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

#: A cell: text (an inline string), or (stored text, kind) with kind n, b, e, s (inline).
CellSpec = Union[str, tuple[str, str], None]


def letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell_xml(ref: str, spec: CellSpec) -> str:
    if spec is None or spec == "":
        return ""
    if isinstance(spec, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(spec)}</t></is></c>'
    text, kind = spec
    if kind == "n":
        return f'<c r="{ref}"><v>{text}</v></c>'
    return f'<c r="{ref}" t="{kind}"><v>{escape(text)}</v></c>'


def sheet_xml(rows: list[list[CellSpec]]) -> str:
    body = "".join(
        f'<row r="{r + 1}">' + "".join(cell_xml(f"{letters(c)}{r + 1}", v) for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows)
    )
    return f'<worksheet xmlns="{MAIN}"><sheetData>{body}</sheetData></worksheet>'


def write_book(path: Path, sheets: dict[str, Union[list[list[CellSpec]], str]],
               extra: dict[str, Union[str, bytes]] | None = None) -> Path:
    """Writes a workbook; a sheet given as a str is its XML as written."""
    names = list(sheets)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                      + "".join(f'<sheet name="{escape(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                                for i, n in enumerate(names))
                      + "</sheets></workbook>")
        book.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PKG}">'
                      + "".join(f'<Relationship Id="rId{i + 1}" Target="worksheets/sheet{i + 1}.xml" Type="worksheet"/>'
                                for i in range(len(names)))
                      + "</Relationships>")
        for i, name in enumerate(names):
            content = sheets[name]
            book.writestr(f"xl/worksheets/sheet{i + 1}.xml", content if isinstance(content, str) else sheet_xml(content))
        for part, data in (extra or {}).items():
            book.writestr(part, data)
    return path


LEDGER_HEADER: list[CellSpec] = ["enterprise", "policy_set", "rule", "year", "amount", "payer", "approval"]


def ledger_row(amount: CellSpec) -> list[CellSpec]:
    return ["zhongyuan-special-steel", "em-opinions-draft", "O11-first-unit-major-equipment",
            ("2010", "n"), amount, "市财政", "文1"]


# --- generators named by tests/bad/*/expected.yaml (target python-*) ----------------------------


def _shared_strings_bomb(path: Path) -> None:
    # 130 MiB of one repeated string, which deflates to about 130 kB: past the per-part limit.
    chunk = "<si><t>" + "x" * 1000 + "</t></si>"
    body = chunk * (130 * 1024 * 1024 // len(chunk) + 1)
    write_book(path, {"grants": [LEDGER_HEADER]},
               {"xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">{body}</sst>'})


def _too_many_cells(path: Path) -> None:
    # 2 101 rows of 1 000 cells: 2.1 million cells, past the limit of 2 million.
    row = "".join(f"<c><v>{c}</v></c>" for c in range(1000))
    rows = "".join(f'<row r="{r}">{row}</row>' for r in range(1, 2102))
    write_book(path, {"grants": f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'})


GENERATORS = {
    "xlsx-blank-workbook": lambda p: write_book(p, {"Sheet1": [], "Sheet2": []}),
    "xlsx-header-only": lambda p: write_book(p, {"grants": [LEDGER_HEADER]}),
    "xlsx-data-on-two-sheets": lambda p: write_book(
        p, {"grants": [LEDGER_HEADER, ledger_row(("300000", "n"))], "more": [LEDGER_HEADER, ledger_row(("1", "n"))]}),
    "xlsx-boolean-amount": lambda p: write_book(p, {"grants": [LEDGER_HEADER, ledger_row(("1", "b"))]}),
    "xlsx-float-leftover": lambda p: write_book(p, {"grants": [LEDGER_HEADER, ledger_row(("300000.00000000006", "n"))]}),
    "xlsx-not-a-zip": lambda p: p.write_bytes(b"enterprise,amount\na,1\n"),
    "xlsx-no-workbook-part": lambda p: _no_workbook(p),
    "xlsx-unsupported-zip-version": lambda p: _unsupported_zip_version(p),
    "xlsx-malformed-sheet-xml": lambda p: write_book(p, {"grants": f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'}),
    "xlsx-column-past-xfd": lambda p: write_book(
        p, {"grants": f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="XFE1"><v>1</v></c></row></sheetData></worksheet>'}),
    "xlsx-huge-column-reference": lambda p: write_book(
        p, {"grants": f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="ZZZZZZZZ1"><v>1</v></c></row></sheetData></worksheet>'}),
    "xlsx-shared-strings-bomb": _shared_strings_bomb,
    "xlsx-too-many-cells": _too_many_cells,
    "xlsx-entity-declaration": lambda p: write_book(
        p, {"grants": f'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><worksheet xmlns="{MAIN}"><sheetData/></worksheet>'}),
    "xlsx-facts-misspelled-headers": lambda p: write_book(
        p, {"企业 enterprises": [["企业编号", "行业", "sales_revnue", "landtax", "当年实缴税"],
                                ["a", "矿用机电", "1亿", "2万", "3万"]]}),
    "xlsx-facts-boolean-in-amount": lambda p: write_book(
        p, {"企业 enterprises": [["id", "industry", "sales_revenue"], ["a", "矿用机电", ("1", "b")]]}),
    # One past the limits (docs/limits.md): 52 380 records under the bundled rules, 25 000 grants.
    "csv-52381-records": lambda p: p.write_text(
        "id,industry\n" + "".join(f"E{i},机械加工\n" for i in range(1, 52_382)), encoding="utf-8"),
    "xlsx-25001-grants": lambda p: write_book(
        p, {"grants": [LEDGER_HEADER, *([ledger_row(("1", "n"))] * 25_001)]}),
}


def _unsupported_zip_version(path: Path) -> None:
    """A workbook whose parts say they need zip version 9.8 to extract (Python's zipfile reads
    at most 6.3)."""
    write_book(path, {"grants": [LEDGER_HEADER]})
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + 6 : at + 8] = (98).to_bytes(2, "little")  # version needed to extract
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def _no_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
