"""The data dictionary and the clerk's data template, generated from the rule files.

``data_dictionary(rules)`` lists every fact (and every field of a list fact): names, Chinese and
English labels, type and unit, allowed values, default, and which rules and policy sets read it.
``write_template(rules, path)`` writes the workbook a clerk fills in: one sheet for the
enterprises' facts, one per list fact (long format: the enterprise id, the year, the record's
fields), each column headed by its Chinese label and its name, with its type and meaning below
and Excel data validation (drop-downs for enumerations, 是/否 for yes/no facts). The reader
(:mod:`subsidy.intake`) reads it back, filled."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from typing import Any, Union

import pandas as pd

from . import _core
from .headers import RECORD_COLUMNS
from .intake import DICTIONARY_SHEET, ENTERPRISE_SHEET, LISTS_SHEET, TEMPLATE_MARK, FactInfo, fact_infos

__all__ = ["data_dictionary", "rule_needs", "write_template"]

PathLike = Union[str, "os.PathLike[str]"]

#: Rows of the template that hold data: from the fourth (header, type, meaning above).
FIRST_DATA_ROW = 4
VALIDATED_ROWS = 2000

_TYPE_WORDS = {
    "money (元)": "金额（元）money: 1.2亿, 300万, 120000.00",
    "a rate": "比例 rate: 15%",
    "a count": "整数 whole number",
    "a number": "数值 number",
    "a condition (true/false)": "是/否 yes/no",
    "an enumeration": "选项 one of the list",
    "a date": "日期 date: 2010-06-30",
    "a year": "年份 year: 2010",
    "text": "文本 text",
}


def type_words(fact: FactInfo) -> str:
    if fact.unit.startswith("a measure in "):
        measure = fact.unit[len("a measure in "):]
        return f"数量（{measure}）quantity in {measure}"
    return _TYPE_WORDS.get(fact.unit, fact.unit)


def rule_needs(rules: _core.RuleSet) -> dict[str, list[str]]:
    """Rule (qualified id) → the facts it reads, through derived values and its policy set's
    applies_to, in declaration order (``year`` for the record's year)."""
    return {r["qualified_id"]: rules.facts_needed(r["qualified_id"]) for r in rules.rules()}


def data_dictionary(rules: _core.RuleSet) -> pd.DataFrame:
    """One row per fact and per field of a list fact (``list`` names the list), with the rules
    and policy sets that read it."""
    needs = rule_needs(rules)
    sets = {p["id"]: set(rules.facts_needed(p["id"])) for p in rules.policy_sets()}
    rows: list[dict[str, Any]] = []
    raw = {d["name"]: d for d in rules.facts()}

    def row(fact: FactInfo, parent: str, decl: dict[str, Any]) -> dict[str, Any]:
        owner = parent or fact.name
        return {
            "name": fact.name,
            "list": parent or None,
            "label_zh": fact.zh,
            "label_en": fact.en,
            "type": fact.unit,
            "values": ", ".join(fact.values),
            "required": bool(decl.get("required", False)),
            "default": None if not decl.get("has_default") else str(decl.get("default")),
            "rules": tuple(r for r, facts in needs.items() if owner in facts),
            "policy_sets": tuple(p for p, facts in sets.items() if owner in facts),
        }

    for fact in fact_infos(rules):
        decl = raw[fact.name]
        rows.append(row(fact, "", decl))
        for sub, sub_decl in zip(fact.fields, decl["fields"]):
            rows.append(row(sub, fact.name, sub_decl))
    frame: pd.DataFrame = pd.DataFrame(rows, columns=["name", "list", "label_zh", "label_en", "type", "values",
                                                      "required", "default", "rules", "policy_sets"])
    return frame


def _record_column(name: str) -> FactInfo:
    words = {"id": "text", "name": "text", "year": "a year"}
    zh = RECORD_COLUMNS[name][0]
    meaning = {"id": "enterprise id (the same on every sheet)", "name": "enterprise name",
               "year": "the year the facts are for"}[name]
    return FactInfo(name, words[name], zh, meaning, (), ())


def write_template(rules: _core.RuleSet, path: PathLike) -> None:
    """Writes the data template workbook (whole or not at all)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    facts = fact_infos(rules)
    book = Workbook()
    lists_sheet = None  # long drop-down lists live on a hidden sheet (Excel caps inline lists)
    header_font = Font(bold=True)
    note_fill = PatternFill("solid", fgColor="EEEEEE")

    def sheet(title: str, columns: Sequence[FactInfo], index: int | None) -> None:
        nonlocal lists_sheet
        ws = book.active if index == 0 else book.create_sheet(title)
        assert ws is not None
        ws.title = title
        for c, fact in enumerate(columns, 1):
            letter = get_column_letter(c)
            head = ws.cell(row=1, column=c, value=f"{fact.zh}\n{fact.name}")
            head.font = header_font
            head.alignment = Alignment(wrap_text=True, vertical="top")
            kind = ws.cell(row=2, column=c, value=type_words(fact))
            meaning_text = fact.en + (f" ({' / '.join(fact.values)})" if fact.values else "")
            meaning = ws.cell(row=3, column=c, value=meaning_text)
            for note in (kind, meaning):
                note.fill = note_fill
                note.alignment = Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions[letter].width = max(14, min(40, len(fact.zh) * 2 + 4))
            cells = f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + VALIDATED_ROWS}"
            validation = None
            if fact.is_boolean:
                validation = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
            elif fact.values:
                inline = ",".join(fact.values)
                if len(inline) <= 250 and '"' not in inline and all("," not in v for v in fact.values):
                    validation = DataValidation(type="list", formula1=f'"{inline}"', allow_blank=True)
                else:
                    if lists_sheet is None:
                        lists_sheet = book.create_sheet(LISTS_SHEET)
                        lists_sheet.sheet_state = "hidden"
                    col = lists_sheet.max_column + (1 if lists_sheet.max_row > 1 or lists_sheet["A1"].value else 0)
                    for r, v in enumerate(fact.values, 1):
                        lists_sheet.cell(row=r, column=col, value=v)
                    ref = get_column_letter(col)
                    validation = DataValidation(type="list", allow_blank=True,
                                                formula1=f"'{LISTS_SHEET}'!${ref}$1:${ref}${len(fact.values)}")
            elif fact.unit in ("a count", "a year"):
                validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                                            allow_blank=True)
            if validation is not None:
                validation.error = f"{fact.zh}: {type_words(fact)}"
                validation.errorTitle = fact.name
                validation.showErrorMessage = True
                ws.add_data_validation(validation)
                validation.add(cells)
            if not fact.is_boolean and not fact.values:
                # Text cells keep what is typed (1.2亿, 0012, 300000.10) exactly as typed.
                for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 200):
                    ws.cell(row=r, column=c).number_format = "@"
        ws.cell(row=2, column=1).value = f"{TEMPLATE_MARK} 类型 type: {ws.cell(row=2, column=1).value}"
        ws.cell(row=3, column=1).value = f"{TEMPLATE_MARK} 说明 meaning: {ws.cell(row=3, column=1).value}"
        ws.freeze_panes = f"B{FIRST_DATA_ROW}"
        ws.row_dimensions[1].height = 45

    record = [_record_column("id"), _record_column("name"), _record_column("year")]
    sheet(ENTERPRISE_SHEET, record + [f for f in facts if not f.is_list], 0)
    for fact in facts:
        if fact.is_list:
            sheet(fact.name[:31], [_record_column("id"), _record_column("year"), *fact.fields], None)
    _dictionary_sheet(book, rules)
    _save(book, os.fspath(path))


def _dictionary_sheet(book: Any, rules: _core.RuleSet) -> None:
    from openpyxl.styles import Font

    ws = book.create_sheet(DICTIONARY_SHEET)
    frame = data_dictionary(rules)
    headers = ["名称 name", "所属清单 list", "中文 label", "English label", "类型 type", "可选值 values",
               "必填 required", "默认 default", "用到它的规则 rules", "政策 policy sets"]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.to_dict(orient="records"):
        ws.append([row["name"], row["list"] or "", row["label_zh"], row["label_en"], row["type"],
                   row["values"], "是" if row["required"] else "", row["default"] or "",
                   "\n".join(row["rules"]), ", ".join(row["policy_sets"])])


def _save(book: Any, path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".template-", suffix=".xlsx", dir=directory)
    os.close(handle)
    try:
        book.save(temporary)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
