"""The clerk's way in: the data template generated from the rules, filled in as a clerk would
(Chinese headers, 1.2亿, ￥300万, １２０万, list facts on their own sheets, one misspelled
header), read back to exactly the YAML example's results; the same data as GB18030 CSVs too."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

import subsidy
from subsidy import cli, intake
from subsidy.template import FIRST_DATA_ROW

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "enterprises.yaml"

#: How a clerk types some of the example's amounts (each read as the same exact amount).
TYPED = {
    ("zhongyuan-special-steel", "income_tax_paid"): "￥2250万",      # 2250万
    ("zhongyuan-special-steel", "library_new_investment"): "１２万",  # full-width digits
    ("jiyuan-coal-hv-switch", "tax_paid"): "¥11,000,000.00",         # "11000000.00"
    ("jiyuan-coal-hv-switch", "income_tax_paid"): "4２0 万",         # mixed widths, a space
    ("keling-electric", "sales_revenue"): "１．１亿",                   # 1.1亿
    ("jiyuan-coal-hv-switch", "registered_capital"): "￥3000万",      # 3000万
    ("keling-electric", "income_tax_paid_last_year"): "￥300万",      # 300万
}


@pytest.fixture(scope="module")
def rules() -> subsidy.RuleSet:
    return subsidy.RuleSet.load(ROOT / "rules")


def _examples() -> list[dict[str, Any]]:
    data = yaml.load(EXAMPLES.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # every scalar as text
    return list(data["enterprises"])


def _expected(rules: subsidy.RuleSet) -> list[str]:
    return rules.evaluate_many(str(EXAMPLES)).to_json()


def _header_names(ws: Any) -> dict[str, int]:
    """fact name → column, from the template's two-line headers ("label\\nname")."""
    return {str(c.value).splitlines()[-1]: c.column for c in ws[1] if c.value}


def _typed(ident: str, fact: str, value: Any) -> Any:
    return TYPED.get((ident, fact), value)


def _fill(book: Any, rules: subsidy.RuleSet, *, misspell: bool) -> None:
    facts = {f.name: f for f in rules.facts}
    firms = book["企业 enterprises"]
    columns = _header_names(firms)
    for c in firms[1]:  # a clerk's own headers: the Chinese label only (the id column in English)
        if c.value:
            name = str(c.value).splitlines()[-1]
            c.value = "id" if name == "id" else str(c.value).splitlines()[0]
    if misspell:
        firms.cell(row=1, column=columns["sales_revenue"], value="当年销售收人")  # 入 typed as 人
    list_rows: dict[str, int] = {}
    for r, firm in enumerate(_examples(), FIRST_DATA_ROW):
        for key, value in firm.items():
            decl = facts.get(key)
            if decl is not None and decl.fields:
                ws = book[key[:31]]
                cols = _header_names(ws)
                for item in value:
                    row = list_rows.get(key, FIRST_DATA_ROW)
                    list_rows[key] = row + 1
                    ws.cell(row=row, column=cols["id"], value=firm["id"])
                    for field, v in item.items():
                        ws.cell(row=row, column=cols[field], value="是" if v == "true" else "否" if v == "false" else v)
                continue
            cell = firms.cell(row=r, column=columns[key])
            if value in ("true", "false"):
                cell.value = value == "true"  # a real boolean cell, as Excel's TRUE/FALSE
            elif key in ("library_books", "year", "listing_year"):
                cell.value = int(value)  # a number cell: its digits as stored
            else:
                cell.value = _typed(firm["id"], key, value)


def test_the_template_filled_as_a_clerk_would_gives_the_yaml_results(tmp_path: Path, rules: subsidy.RuleSet) -> None:
    path = tmp_path / "企业数据模板.xlsx"
    assert cli.main(["template", "--rules", str(ROOT / "rules"), "-o", str(path)]) == 0
    book = openpyxl.load_workbook(path)
    assert "企业 enterprises" in book.sheetnames and "first_unit_products" in book.sheetnames
    firms = book["企业 enterprises"]
    template_columns = _header_names(firms)
    assert firms.cell(row=1, column=template_columns["industry"]).value == "行业\nindustry"
    assert str(firms.cell(row=2, column=1).value).startswith("▸")
    validations = {str(v.sqref).split(":")[0]: v.formula1 for v in firms.data_validations.dataValidation}
    industry = f"{openpyxl.utils.get_column_letter(_header_names(firms)['industry'])}{FIRST_DATA_ROW}"
    assert validations[industry] == '"矿用机电,机械加工,机械装备制造,其他"'
    listed = f"{openpyxl.utils.get_column_letter(_header_names(firms)['listed'])}{FIRST_DATA_ROW}"
    assert validations[listed] == '"是,否"'

    _fill(book, rules, misspell=True)
    book.save(path)
    with pytest.raises(subsidy.SubsidyError) as caught:
        rules.evaluate_many(str(path))
    error = caught.value
    assert (error.file, error.line, error.column) == (f"{path}[企业 enterprises]", 1, template_columns["sales_revenue"])
    assert "unknown header '当年销售收人'" in error.message
    assert "did you mean 'sales_revenue' (当年销售收入)" in error.message

    book = openpyxl.load_workbook(path)  # the clerk corrects the header, and only it
    book["企业 enterprises"].cell(row=1, column=template_columns["sales_revenue"], value="当年销售收入")
    book.save(path)
    assert rules.evaluate_many(str(path)).to_json() == _expected(rules)


def _csv_tables(rules: subsidy.RuleSet) -> tuple[list[list[str]], dict[str, list[list[str]]]]:
    facts = {f.name: f for f in rules.facts}
    scalar = [f.name for f in rules.facts if not f.fields]
    header = ["企业编号", "企业名称", "年度"] + [facts[n].label.zh for n in scalar]
    rows = [header]
    lists: dict[str, list[list[str]]] = {}
    for firm in _examples():
        row = [firm["id"], firm.get("name", ""), firm.get("year", "")]
        row += [str(_typed(firm["id"], n, firm.get(n, ""))) for n in scalar]
        rows.append(row)
        for key, value in firm.items():
            if key in facts and facts[key].fields:
                fields = [f.name for f in facts[key].fields]
                table = lists.setdefault(key, [["企业编号"] + [f.label.zh for f in facts[key].fields]])
                for item in value:
                    table.append([firm["id"]] + [item.get(f, "") for f in fields])
    return rows, lists


def _write_csv(path: Path, rows: list[list[str]], encoding: str) -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))


def test_the_same_data_as_gb18030_csv_files_gives_the_same_results(tmp_path: Path, rules: subsidy.RuleSet) -> None:
    rows, lists = _csv_tables(rules)
    folder = tmp_path / "csv"
    folder.mkdir()
    _write_csv(folder / "企业.csv", rows, "gb18030")
    for name, table in lists.items():
        _write_csv(folder / f"{name}.csv", table, "gb18030")
    assert rules.evaluate_many(str(folder)).to_json() == _expected(rules)
    # The same files named one by one, and in UTF-8 with a byte-order mark.
    for path in folder.iterdir():
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().decode("gb18030").encode("utf-8"))
    records = intake.read_facts(rules._core, sorted(str(p) for p in folder.iterdir()))
    assert rules.evaluate_many(records).to_json() == _expected(rules)


def test_a_gb18030_file_whose_headers_do_not_match_says_how_it_was_read(tmp_path: Path, rules: subsidy.RuleSet) -> None:
    path = tmp_path / "f.csv"
    _write_csv(path, [["企业编号", "营业额"], ["a", "1"]], "gb18030")
    with pytest.raises(subsidy.SubsidyError) as caught:
        rules.evaluate_many(str(path))
    assert "unknown header '营业额'" in str(caught.value)
    assert "read as gb18030" in str(caught.value)
    with pytest.raises(subsidy.SubsidyError, match="not valid utf-8: byte 0xc6"):
        intake.read_facts(rules._core, [str(path)], encoding="utf-8")


def test_every_header_error_is_reported_at_once_with_real_suggestions(rules: subsidy.RuleSet, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("id,industry,sales_revnue,landtax,当年实缴税,industry\na,矿用机电,1,2,3,矿用机电\n", encoding="utf-8")
    with pytest.raises(subsidy.SubsidyError) as caught:
        rules.evaluate_many(str(path))
    messages = [e.message for e in caught.value.errors]
    assert [e.column for e in caught.value.errors] == [3, 4, 5, 6]
    assert all(e.line == 1 for e in caught.value.errors)
    assert "did you mean 'sales_revenue'" in messages[0]
    assert "did you mean 'land_use_tax'" in messages[1]
    assert "did you mean 'tax_paid' (当年实缴税金)" in messages[2]
    assert "is 'industry' again (first in column B)" in messages[3]


def test_a_frame_with_a_wrong_column_fails_once_and_labels_name_facts(rules: subsidy.RuleSet) -> None:
    import pandas as pd

    frame = pd.DataFrame({"id": [f"e{i}" for i in range(50)], "行业": ["矿用机电"] * 50, "sales_revnue": ["1"] * 50})
    with pytest.raises(subsidy.SubsidyError) as caught:
        rules.evaluate_many(frame)
    assert not caught.value.errors  # one error, not one per row
    assert "unknown header 'sales_revnue' (did you mean 'sales_revenue'" in caught.value.message
    ok = rules.evaluate_many(frame.rename(columns={"sales_revnue": "当年销售收入"}))
    assert len(ok) == 50


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("¥120,000,000.00", "120000000.00"), ("￥1.2亿", "120000000"), ("１．２亿", "120000000"),
     ("1.2 亿", "120000000"), ("￥300万", "3000000"), ("１２０万", "1200000"), ("\u3000¥ 5\u00a0000", None)],
)
def test_amounts_as_typed_are_read_exactly(rules: subsidy.RuleSet, typed: str, amount: str | None) -> None:
    record = {"id": "a", "industry": "机械加工", "registered_capital": typed}
    if amount is None:  # a space between digits stays an error: "5 000" is not silently 5000
        with pytest.raises(subsidy.SubsidyError, match="space"):
            rules.evaluate(record)
        return
    plain = rules.evaluate({**record, "registered_capital": amount})
    assert rules.evaluate(record).receipt.digest == plain.receipt.digest


def test_a_missing_fact_fails_only_the_rules_that_read_it(rules: subsidy.RuleSet) -> None:
    firm = next(f for f in _examples() if f["id"] == "zhongyuan-special-steel")
    whole = rules.evaluate(firm)
    without = rules.evaluate({k: v for k, v in firm.items() if k != "sales_revenue"})
    assert without.ok and not without.complete and whole.complete
    lacking = {u.qualified_id: u.missing for u in without.unevaluated}
    assert lacking and all("sales_revenue" in m for m in lacking.values())
    kept = {line.qualified_rule for line in without.lines}
    assert kept and kept < {line.qualified_rule for line in whole.lines}
    assert "em-opinions-draft/O11-first-unit-major-equipment" in kept  # the first-unit award stays
    assert without.total.unevaluated == len(lacking) and not without.total.complete
    assert "incomplete" in str(without.total)
    for qualified in lacking:
        assert "sales_revenue" in rules.facts_needed(qualified)


def test_the_data_dictionary_lists_facts_and_the_rules_that_read_them(rules: subsidy.RuleSet) -> None:
    frame = rules.data_dictionary()
    row = frame[frame["name"] == "sales_revenue"].iloc[0]
    assert row["label_zh"] == "当年销售收入" and row["type"] == "money (元)"
    assert row["rules"] and all("sales_revenue" in rules.facts_needed(r) for r in row["rules"])
    field = frame[(frame["list"] == "first_unit_products") & (frame["name"] == "price")].iloc[0]
    assert field["type"] == "money (元)"
    out = io.StringIO()
    assert cli.main(["facts", "--rules", str(ROOT / "rules"), "--policy", "em-opinions-draft"], out=out) == 0
    assert "sales_revenue" in out.getvalue() and "first_unit_products" in out.getvalue()


def test_the_command_line_reads_tables_and_says_what_is_incomplete(tmp_path: Path, rules: subsidy.RuleSet,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    rows, lists = _csv_tables(rules)
    folder = tmp_path / "csv"
    folder.mkdir()
    _write_csv(folder / "企业.csv", rows, "gb18030")
    for name, table in lists.items():
        _write_csv(folder / f"{name}.csv", table, "gb18030")
    out = io.StringIO()
    code = cli.main(["evaluate", "--rules", str(ROOT / "rules"), "--encoding", "gb18030", "--format", "json",
                     str(folder / "企业.csv"), *[str(folder / f"{n}.csv") for n in lists]], out=out)
    assert code == 0
    assert out.getvalue() == "[\n" + ",\n".join(_expected(rules)) + "\n]\n"

    revenue = rows[0].index("当年销售收入")
    rows[1][revenue] = ""  # zhongyuan-special-steel without its sales revenue
    _write_csv(folder / "企业.csv", rows, "gb18030")
    out = io.StringIO()
    assert cli.main(["evaluate", "--rules", str(ROOT / "rules"), str(folder)], out=out) == 1
    err = capsys.readouterr().err
    assert "zhongyuan-special-steel: incomplete, not evaluated:" in err and "needs sales_revenue" in err
    assert "not evaluated: needs sales_revenue" in out.getvalue()
    assert "incomplete: " in out.getvalue()
