"""Reports a supervisor can open: Excel workbooks and CSV files of evaluations, audits and
comparisons, and the safe rendering of text for terminals and spreadsheets.

The public functions return bytes or text (nothing is written here), so the command line and
the HTTP service produce the same files::

    evaluation_xlsx(batches, lang="zh") -> bytes     evaluation_csv(batches, excel=True) -> bytes
    audit_xlsx(report) -> bytes                      audit_csv(report) -> bytes
    comparison_xlsx(comparison) -> bytes             comparison_csv(comparison) -> bytes

Amounts stay exact: a workbook holds an amount as a number cell only while Excel's 15
significant digits hold it exactly, else as text, and the sheet says which; a CSV holds the
plain digits (``1234.50``). Cells that a spreadsheet would run as a formula are neutralised."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO, Union

from ._text import escape_control as _escape
from ._text import printable
from .results import Evaluation, Total, money

if TYPE_CHECKING:
    from .audit import AuditReport
    from .compare import Comparison

__all__ = [
    "Table",
    "audit_csv",
    "audit_tables",
    "audit_xlsx",
    "comparison_csv",
    "comparison_tables",
    "comparison_xlsx",
    "evaluation_csv",
    "evaluation_tables",
    "evaluation_xlsx",
    "excel_value",
    "label",
    "money_text",
    "plain",
    "printable",
    "spreadsheet_text",
    "tables_csv",
    "tables_xlsx",
    "write_evaluation_csv",
    "write_tables_csv",
]

Cell = Union[str, Decimal, int, None]

LANGS = ("en", "zh")

# Column and label translations for --lang zh. Rule titles and cited sentences are Chinese in
# the rules themselves; these are the report's own words.
_ZH = {
    "results": "结果", "totals by payer": "按出资方合计", "findings": "检查与发现",
    "notes": "说明", "audit": "审核", "summary": "概要", "per enterprise": "逐企业",
    "budget": "预算", "enterprise": "企业", "name": "名称", "year": "年度", "row": "行类型",
    "policy set": "政策", "rule": "规则", "title": "标题", "payer": "出资方", "form": "形式",
    "status": "状态", "amount": "金额", "min": "下限", "max": "上限", "tier": "档次",
    "clause": "条款", "cited sentence": "引用原文", "error": "错误", "check": "检查",
    "passed": "通过", "message": "说明", "detail": "详情", "cash min": "现金下限",
    "cash max": "现金上限", "in kind min": "实物下限", "in kind max": "实物上限",
    "unfixed": "金额未定", "recognised": "荣誉/优惠", "lines": "条数", "line": "奖励",
    "no award line": "无奖励", "total": "合计", "all": "全部", "file": "文件",
    "severity": "级别", "finding": "发现", "granted": "已拨付", "computed min": "应得下限",
    "computed max": "应得上限", "baseline": "基准", "scenario": "方案", "change min": "变化下限",
    "change max": "变化上限", "change": "变化", "side": "方", "budget line": "预算科目", "per": "口径",
    "projected": "预计", "verdict": "结论", "value": "值", "yes": "是", "no": "否",
    "grants": "拨付笔数", "enterprises": "企业数", "fingerprint": "规则指纹",
    "on recorded basis": "按记录依据", "exact": "确定", "decided": "已决定", "band": "区间",
    "failed check": "未通过的检查", "baseline error": "基准错误", "scenario error": "方案错误",
}


def label(text: str, lang: str = "en") -> str:
    """The report's own word ``text`` in ``lang`` ("en" or "zh")."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (expected one of {', '.join(LANGS)})")
    return _ZH.get(text, text) if lang == "zh" else text


# --- text that is safe to show -------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP's CSV-injection advice): text that
    begins with ``= + - @``, a tab or a carriage return gets a leading apostrophe."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def plain(value: Decimal) -> str:
    """An amount's plain digits with at least two decimals (``300000.00``, never ``3.0E+5``);
    finer digits an exact amount carries are kept."""
    text = format(value, "f")
    whole, dot, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def money_text(value: Decimal | None) -> str:
    """The one money format of every report: ``¥1,234.00`` (at least two decimals)."""
    return "—" if value is None else money(value)


# Excel keeps 15 significant digits of a number; beyond that it would show a different amount.
EXCEL_DIGITS = 15


def excel_value(value: Decimal) -> tuple[str, bool]:
    """The cell text of an amount and whether a number cell holds it exactly."""
    digits = value.as_tuple().digits
    significant = len("".join(str(d) for d in digits).lstrip("0").rstrip("0")) if any(digits) else 0
    return plain(value), value.is_finite() and significant <= EXCEL_DIGITS


# --- tables --------------------------------------------------------------------------------------


@dataclass
class Table:
    """One sheet of a workbook (one section of a CSV): a name, a header and rows. ``money``
    names the columns whose Decimal cells are amounts."""

    name: str
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    money: tuple[str, ...] = ()


def _words(lang: str, *names: str) -> list[str]:
    return [label(n, lang) for n in names]


def _each(batches: Iterable[Any]) -> Iterator[Evaluation]:
    """The evaluations of batches (or evaluations), one at a time: none is kept once written."""
    for part in batches:
        if isinstance(part, Evaluation):
            yield part
        else:
            yield from part


def _status(text: str, lang: str) -> str:
    return label(text, lang)


# The tables of an evaluation, and the CSV's rows for failed checks, as _evaluation_rows tags them.
RESULTS, TOTALS, FINDINGS, CHECKS = range(4)


def _evaluation_headers(lang: str) -> list[Table]:
    results = Table(
        label("results", lang),
        _words(lang, "row", "enterprise", "name", "year", "policy set", "rule", "title", "payer",
               "form", "status", "amount", "min", "max", "tier", "clause", "cited sentence"),
        money=(label("amount", lang), label("min", lang), label("max", lang)),
    )
    totals = Table(
        label("totals by payer", lang),
        _words(lang, "enterprise", "name", "year", "payer", "cash min", "cash max", "in kind min",
               "in kind max", "unfixed", "recognised", "lines"),
        money=tuple(_words(lang, "cash min", "cash max", "in kind min", "in kind max")),
    )
    findings = Table(
        label("findings", lang),
        _words(lang, "enterprise", "name", "year", "policy set", "check", "passed", "message",
               "detail", "clause", "cited sentence"),
    )
    return [results, totals, findings]


def _evaluation_rows(evaluations: Iterable[Any], lang: str) -> Iterator[tuple[int, list[Cell]]]:
    """Each row of the evaluation's tables, tagged with its table, an evaluation at a time (the
    population's totals last)."""
    population: dict[str, Total] = {}
    for e in _each(evaluations):
        who: list[Cell] = [e.enterprise, e.name, e.year]
        if e.error is not None:
            yield RESULTS, [label("error", lang), *who, *[""] * 12, str(e.error)]
        else:
            if not e.lines:
                yield RESULTS, [label("no award line", lang), *who, *[""] * 13]
            for line in e.lines:
                band = line.band
                yield RESULTS, [
                    label("line", lang), *who, line.policy_set, line.rule,
                    line.title.zh if lang == "zh" else (line.title.en or line.title.zh),
                    line.payer, line.form, _status(line.status, lang), line.amount,
                    band.min if band else None, band.max if band else None,
                    line.tier or line.unfixed_text, line.citation.clause, line.citation.text,
                ]
            for payer, total in e.totals.by_payer.items():
                yield TOTALS, [*who, payer, *_total_cells(total)]
                population[payer] = population.get(payer, Total.zero()) + total
            for f in sorted(e.findings, key=lambda f: f.passed):
                yield FINDINGS, [
                    *who, f.policy_set, f.check, label("yes" if f.passed else "no", lang),
                    f.message if not f.passed else "", f.detail,
                    f.citation.clause if f.citation else "", f.citation.text if f.citation else "",
                ]
        for f in e.findings:
            if not f.passed:
                yield CHECKS, [
                    label("failed check", lang), e.enterprise, e.name, e.year, f.policy_set,
                    f.check, f.message, "", "", f.detail, None, None, None, "",
                    f.citation.clause if f.citation else "", f.citation.text if f.citation else "",
                ]
    everyone = label("all", lang)
    overall = Total.zero()
    for payer in sorted(population):
        yield TOTALS, [everyone, "", None, payer, *_total_cells(population[payer])]
        overall = overall + population[payer]
    yield TOTALS, [everyone, "", None, label("total", lang), *_total_cells(overall)]


def evaluation_tables(evaluations: Iterable[Any], lang: str = "en") -> list[Table]:
    """Results (one row per award line, and one per enterprise without any, or whose
    evaluation failed), totals by payer (each enterprise's and the population's), and findings
    (the validity checks, failed ones first). ``evaluations`` are Evaluation objects or batches."""
    tables = _evaluation_headers(lang)
    for which, row in _evaluation_rows(evaluations, lang):
        if which != CHECKS:
            tables[which].rows.append(row)
    return tables


def _total_cells(total: Total) -> list[Cell]:
    return [total.cash.min, total.cash.max, total.in_kind.min, total.in_kind.max,
            total.unfixed, total.recognised, total.lines]


def audit_tables(report: AuditReport, lang: str = "en") -> list[Table]:
    """The audit's summary and its findings, each with the cited sentence."""
    summary = Table(label("summary", lang), _words(lang, "value", "amount"),
                    money=(label("amount", lang),))
    summary.rows = [
        [label("grants", lang), report.grants],
        [label("enterprises", lang), report.enterprises],
        [label("granted", lang), report.granted],
        [label("on recorded basis", lang), report.on_recorded_basis],
        [label("findings", lang), len(report.findings)],
        [label("fingerprint", lang), report.fingerprint],
    ]
    findings = Table(
        label("findings", lang),
        _words(lang, "file", "row", "severity", "finding", "enterprise", "year", "rule", "payer",
               "granted", "computed min", "computed max", "clause", "message", "cited sentence"),
        money=tuple(_words(lang, "granted", "computed min", "computed max")),
    )
    for f in report.findings:
        findings.rows.append([
            f.file, f.row, f.severity, f.kind, f.enterprise, f.year, f.rule, f.payer or "",
            f.granted, f.computed.min if f.computed else None,
            f.computed.max if f.computed else None, f.citation.clause if f.citation else "",
            f.message, f.citation.text if f.citation else "",
        ])
    return [summary, findings]


def _pair(lang: str, name: str) -> list[str]:
    return [f"{label(name, lang)} {label('min', lang)}", f"{label(name, lang)} {label('max', lang)}"]


def comparison_tables(comparison: Comparison, lang: str = "en") -> list[Table]:
    """Per enterprise (every one, failed ones with their errors), totals by payer under both
    scenarios with the change, and each budget line against the awards it covers."""
    sides = [*_pair(lang, "baseline"), *_pair(lang, "scenario"), *_pair(lang, "change")]
    per = Table(label("per enterprise", lang),
                [*_words(lang, "enterprise", "name"), *sides, label("error", lang)],
                money=tuple(sides))
    errors = {str(r["enterprise"]): r for r in comparison.failed.to_dict(orient="records")}
    for row in comparison.per_enterprise.to_dict(orient="records"):
        failure = errors.get(str(row["enterprise"]))
        error = "" if failure is None else "; ".join(
            f"{label(side, lang)}: {failure[f'{side}_error']}"
            for side in ("baseline", "scenario") if failure[f"{side}_error"]
        )
        per.rows.append([str(row["enterprise"]), str(row["name"]), row["baseline_min"],
                         row["baseline_max"], row["scenario_min"], row["scenario_max"],
                         row["change_min"], row["change_max"], error])
    payers = Table(label("totals by payer", lang), [label("payer", lang), *sides],
                   money=tuple(sides))
    for key, c in [*comparison.by_payer.items(), (label("all", lang), comparison.total)]:
        payers.rows.append([key, c.baseline.cash.min, c.baseline.cash.max, c.scenario.cash.min,
                            c.scenario.cash.max, c.change.min, c.change.max])
    budget = Table(
        label("budget", lang),
        [*_words(lang, "side", "budget line", "payer", "min", "max", "per", "year"),
         *_pair(lang, "projected"), *_words(lang, "unfixed", "verdict", "clause", "cited sentence")],
    )
    budget.money = (budget.header[3], budget.header[4], budget.header[7], budget.header[8])
    for check in comparison.budget:
        side = "baseline" if check.scenario == comparison.baseline else "scenario"
        projected = check.projected
        budget.rows.append([
            label(side, lang), f"{check.line.policy_set}/{check.line.id}", check.line.payer,
            check.line.min, check.line.max, check.line.per, check.year,
            projected.min if projected else None, projected.max if projected else None,
            check.unfixed, check.verdict, check.line.citation.clause, check.line.citation.text,
        ])
    return [per, payers, budget]


# --- writers -------------------------------------------------------------------------------------


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return spreadsheet_text(str(value))


def _csv_writer(out: TextIO) -> Any:
    # CRLF rows (RFC 4180): a cell holding a lone CR or LF is then always quoted, never a row.
    return csv.writer(out, lineterminator="\r\n")


def write_tables_csv(tables: Sequence[Table], out: TextIO, *, excel: bool = False) -> None:
    """One CSV: a single table as it is; several as sections, each row led by its table's name
    (so one file keeps them all). ``excel`` adds the UTF-8 byte-order mark Excel needs to read
    UTF-8 (without it, Excel on Chinese Windows shows mojibake)."""
    if excel:
        out.write("\ufeff")
    writer = _csv_writer(out)
    sections = len(tables) > 1
    for table in tables:
        lead = [table.name] if sections else []
        writer.writerow(["table", *table.header] if sections else table.header)
        writer.writerows([*lead, *(_csv_cell(c) for c in row)] for row in table.rows)


def tables_csv(tables: Sequence[Table], *, excel: bool = False) -> bytes:
    """:func:`write_tables_csv` as bytes."""
    buffer = io.StringIO()
    write_tables_csv(tables, buffer, excel=excel)
    return buffer.getvalue().encode("utf-8")


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class _Digits(str):
    """The decimal digits of a number cell: openpyxl writes a str as it is, where it would format
    a Decimal with ``%.16g`` (through a binary float)."""


#: Rows of a sheet whose widths set its columns' (written before the rows, the sheet streaming).
_WIDTH_ROWS = 200


def tables_xlsx(tables: Sequence[Table], lang: str = "en") -> bytes:
    """A workbook, one sheet per table, and a notes sheet saying which amounts are text."""
    return _xlsx(tables, ((i, row) for i, table in enumerate(tables) for row in table.rows), lang)


def _xlsx(tables: Sequence[Table], rows: Iterable[tuple[int, list[Cell]]], lang: str) -> bytes:
    """The workbook of ``tables`` (their names, headers and money columns) holding ``rows``,
    each tagged with its table, written as they come (openpyxl's write-only workbook: the cells
    are never all held)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    as_text: list[str] = []
    sheets = []
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        sheet.freeze_panes = "A2"
        header = []
        for text in table.header:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = Font(bold=True)
            header.append(cell)
        sheets.append((sheet, {i for i, h in enumerate(table.header) if h in table.money},
                       [table.header], [header], [2]))
    right = Alignment(horizontal="right")

    def cells(which: int, row: list[Cell]) -> list[Any]:
        sheet, money_columns, _, _, number = sheets[which]
        out: list[Any] = []
        for c, value in enumerate(row, start=1):
            if isinstance(value, Decimal):
                text, exact = excel_value(value)
                target = WriteOnlyCell(sheet, value=0)
                if exact:
                    target._value = _Digits(text)  # a number cell; its digits as stored
                    target.number_format = "#,##0.00" if c - 1 in money_columns else "0.00"
                else:
                    target.value = text
                    target.alignment = right
                    as_text.append(f"{tables[which].name}!{get_column_letter(c)}{number[0]}")
                out.append(target)
            elif isinstance(value, int) and not isinstance(value, bool):
                out.append(value)
            elif value is not None:
                # Stored as a string cell (never a formula); characters XML cannot hold are
                # written as escapes.
                target = WriteOnlyCell(sheet, value=_XML_UNSAFE.sub(_escape, str(value)))
                target.data_type = "s"
                out.append(target)
            else:
                out.append(None)
        number[0] += 1
        return out

    def start(which: int) -> None:
        sheet, _, values, pending, _ = sheets[which]
        for c in range(1, max(len(v) for v in values) + 1):
            width = max((len(str(v[c - 1])) for v in values if c - 1 < len(v) and v[c - 1] is not None),
                        default=8)
            sheet.column_dimensions[get_column_letter(c)].width = min(60, max(8, width + 2))
        for row in pending:
            sheet.append(row)
        values.clear()
        pending.clear()
        sheets[which] = (*sheets[which][:2], [], [], sheets[which][4])

    started = [False] * len(tables)
    for which, row in rows:
        written = cells(which, row)
        if started[which]:
            sheets[which][0].append(written)
            continue
        sheets[which][2].append([_shown(v) for v in written])
        sheets[which][3].append(written)
        if len(sheets[which][3]) >= _WIDTH_ROWS:
            start(which)
            started[which] = True
    for which, done in enumerate(started):
        if not done:
            start(which)
    notes = book.create_sheet(label("notes", lang))
    notes.append([label("notes", lang)])
    notes.append([
        "金额为精确值：Excel 只能准确保存15位有效数字，超过的金额以文本保存。" if lang == "zh" else
        "Amounts are exact: a number cell holds an amount only while Excel's 15 significant "
        "digits hold it exactly; longer amounts are stored as text."
    ])
    if as_text:
        notes.append([("以文本保存的金额：" if lang == "zh" else "Amounts stored as text: ")
                      + ", ".join(as_text)])
    else:
        notes.append(["所有金额均为数字单元格。" if lang == "zh" else
                      "Every amount is a number cell."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _shown(value: Any) -> Any:
    """What a cell holds, for its column's width."""
    return getattr(value, "_value", value)


# --- the public API ------------------------------------------------------------------------------


def evaluation_xlsx(evaluations: Iterable[Any], lang: str = "en") -> bytes:
    """The workbook of an evaluation: results, totals by payer, findings, notes."""
    rows = ((which, row) for which, row in _evaluation_rows(evaluations, lang) if which != CHECKS)
    return _xlsx(_evaluation_headers(lang), rows, lang)


def write_evaluation_csv(evaluations: Iterable[Any], out: TextIO, *, excel: bool = False,
                         lang: str = "en") -> None:
    """The CSV of an evaluation, one table: a row per award line, a row for each enterprise
    without any line (or whose evaluation failed) saying so, a row per failed check (a decided
    amount outside its band among them), then a "total" row per enterprise and payer and for
    the whole population (cash floor and ceiling in min and max). Written an evaluation at a
    time; the failed checks' and totals' rows wait as CSV text."""
    results = _evaluation_headers(lang)[RESULTS]
    if excel:
        out.write("\ufeff")
    writer = _csv_writer(out)
    writer.writerow(results.header)
    checks, totals = io.StringIO(), io.StringIO()
    later = {CHECKS: _csv_writer(checks), TOTALS: _csv_writer(totals)}
    total = label("total", lang)
    for which, row in _evaluation_rows(evaluations, lang):
        if which == TOTALS:
            enterprise, name, year, payer, cash_min, cash_max, _, _, unfixed, recognised, _ = row
            status = f"{unfixed} {label('unfixed', lang)}" if unfixed else ""
            row = [total, enterprise, name, year, "", "", "", payer, "", status, None,
                   cash_min, cash_max, "", "", ""]
        elif which == FINDINGS:
            continue
        (later[which] if which in later else writer).writerow([_csv_cell(c) for c in row])
    out.write(checks.getvalue())
    out.write(totals.getvalue())


def evaluation_csv(evaluations: Iterable[Any], *, excel: bool = False, lang: str = "en") -> bytes:
    """:func:`write_evaluation_csv` as bytes."""
    buffer = io.StringIO()
    write_evaluation_csv(evaluations, buffer, excel=excel, lang=lang)
    return buffer.getvalue().encode("utf-8")


def audit_xlsx(report: AuditReport, lang: str = "en") -> bytes:
    return tables_xlsx(audit_tables(report, lang), lang)


def audit_csv(report: AuditReport, *, excel: bool = False, lang: str = "en") -> bytes:
    """One row per finding, with the cited sentence."""
    return tables_csv([audit_tables(report, lang)[1]], excel=excel)


def comparison_xlsx(comparison: Comparison, lang: str = "en") -> bytes:
    return tables_xlsx(comparison_tables(comparison, lang), lang)


def comparison_csv(comparison: Comparison, *, excel: bool = False, lang: str = "en") -> bytes:
    return tables_csv(comparison_tables(comparison, lang), excel=excel)
