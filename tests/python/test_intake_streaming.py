"""CSV files and workbooks are typed a chunk of records at a time as they are read (so the
command holds one chunk of Python rows beside the typed population): a file of several chunks
is read whole and in order, its list facts land on the right records, and every error is the one
the file would give read at once, at its line."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

import subsidy
from subsidy import intake

ROOT = Path(__file__).resolve().parents[2]
ROWS = 2 * intake.CHUNK + 5  # three chunks, the last a short one


@pytest.fixture(scope="module")
def rules() -> subsidy.RuleSet:
    return subsidy.RuleSet.load(ROOT / "rules")


def _records(count: int) -> list[dict[str, str]]:
    return [
        {"id": f"E{i:05d}", "year": str(2021 + i % 2), "industry": "机械加工",
         "sales_revenue": f"{1 + i % 9}.{i % 10}亿", "land_use_tax": f"{1 + i % 50}万"}
        for i in range(count)
    ]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _standards(records: list[dict[str, str]]) -> list[dict[str, str]]:
    """A standard for records in each chunk: one with its year, one without (its enterprise has
    one year only), in an order unlike the enterprises'."""
    picked = [records[i] for i in (ROWS - 1, 3, intake.CHUNK, intake.CHUNK + 1, 2 * intake.CHUNK)]
    return [{"id": r["id"], "year": r["year"] if n % 2 else "", "level": "国家标准", "role": "主要起草单位"}
            for n, r in enumerate(picked)]


def test_a_file_of_several_chunks_is_read_whole_in_order_with_its_list_facts(
        rules: subsidy.RuleSet, tmp_path: Path) -> None:
    records = _records(ROWS)
    standards = _standards(records)
    _write(tmp_path / "enterprises.csv", records)
    _write(tmp_path / "standards.csv", standards)
    read = intake.read_facts(rules._core, [tmp_path])
    assert read.ids() == [r["id"] for r in records]
    expected = [dict(r) for r in records]
    by_id = {r["id"]: r for r in expected}
    for s in standards:
        by_id[s["id"]].setdefault("standards", []).append({"level": s["level"], "role": s["role"]})
    direct = subsidy._core.Enterprises.from_records(rules._core, expected)
    scenario = rules.baseline
    assert (scenario.evaluate_many(read).to_json() == scenario.evaluate_many(direct).to_json())
    lines = rules.baseline.evaluate_many(read).lines()
    assert set(lines[lines["rule"].str.contains("national-standard")]["enterprise"]) == {
        s["id"] for s in standards}


def test_a_workbook_of_several_chunks_reads_as_the_csv_file(rules: subsidy.RuleSet, tmp_path: Path) -> None:
    records = _records(ROWS)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("enterprises")
    sheet.append(list(records[0]))
    for r in records:
        sheet.append(list(r.values()))
    book.save(tmp_path / "facts.xlsx")
    from_book = intake.read_facts(rules._core, [tmp_path / "facts.xlsx"])
    from_csv = intake.read_facts(rules._core, [_write(tmp_path / "facts.csv", records)])
    assert rules.baseline.evaluate_many(from_book).to_json() == rules.baseline.evaluate_many(from_csv).to_json()


def test_a_bad_value_in_a_later_chunk_is_located_at_its_line(rules: subsidy.RuleSet, tmp_path: Path) -> None:
    records = _records(ROWS)
    records[intake.CHUNK + 10]["sales_revenue"] = "很多"
    path = _write(tmp_path / "facts.csv", records)
    with pytest.raises(subsidy.SubsidyError) as caught:
        intake.read_facts(rules._core, [path])
    assert caught.value.file == str(path)
    assert caught.value.line == intake.CHUNK + 12  # the header is line 1
    assert caught.value.field == "sales_revenue"


def test_bad_values_in_several_chunks_are_all_listed(rules: subsidy.RuleSet, tmp_path: Path) -> None:
    records = _records(ROWS)
    for i in (5, intake.CHUNK + 5, 2 * intake.CHUNK + 1):
        records[i]["land_use_tax"] = "不详"
    path = _write(tmp_path / "facts.csv", records)
    with pytest.raises(subsidy.SubsidyError) as caught:
        intake.read_facts(rules._core, [path])
    assert [e.line for e in caught.value.errors] == [7, intake.CHUNK + 7, 2 * intake.CHUNK + 3]
    assert str(caught.value).count("error[") == 3


def test_a_broken_row_after_a_bad_value_is_the_error_as_when_the_table_was_read_first(
        rules: subsidy.RuleSet, tmp_path: Path) -> None:
    records = _records(ROWS)
    records[2]["sales_revenue"] = "很多"
    path = _write(tmp_path / "facts.csv", records)
    with path.open("a", encoding="utf-8") as stream:
        stream.write("E99999,2021\n")  # a missing column
    with pytest.raises(subsidy.SubsidyError) as caught:
        intake.read_facts(rules._core, [path])
    assert caught.value.kind == "schema"
    assert caught.value.line == ROWS + 2
    assert "a missing column" in str(caught.value)


def test_an_enterprise_twice_in_different_chunks_names_the_first(rules: subsidy.RuleSet, tmp_path: Path) -> None:
    records = _records(ROWS)
    records[-1] = dict(records[1])
    path = _write(tmp_path / "facts.csv", records)
    with pytest.raises(subsidy.SubsidyError, match=r"appears twice \(first at .*facts.csv:3\)") as caught:
        intake.read_facts(rules._core, [path])
    assert caught.value.line == ROWS + 1


def test_a_list_record_without_a_year_for_an_id_of_two_years_is_refused(
        rules: subsidy.RuleSet, tmp_path: Path) -> None:
    records = _records(ROWS)
    records[-1] = {**records[1], "year": "2030"}  # E00001 in two years, in different chunks
    _write(tmp_path / "enterprises.csv", records)
    _write(tmp_path / "standards.csv", [{"id": "E00001", "year": "", "level": "国家标准", "role": "主要起草单位"}])
    with pytest.raises(subsidy.SubsidyError, match="the id has several years: give the year column"):
        intake.read_facts(rules._core, [tmp_path])
