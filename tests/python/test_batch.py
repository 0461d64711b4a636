"""Batch evaluation: a 100 000-row DataFrame is evaluated in one call into the engine, with no
Python code running per row (checked by counting calls, not by timing), and the result frames
hold exact Decimal objects."""

from __future__ import annotations

import sys
from collections import Counter
from decimal import Decimal
from types import FrameType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import toy_record

import subsidy
from subsidy import _core

ROWS = 100_000
MONEY_LINE_COLUMNS = ("amount", "min", "max")
MONEY_TOTAL_COLUMNS = ("cash_min", "cash_max", "in_kind_min", "in_kind_max")


def big_frame(rows: int) -> pd.DataFrame:
    index = np.arange(rows)
    return pd.DataFrame(
        {
            "id": [f"E{i}" for i in range(rows)],
            "industry": pd.Categorical(np.where(index % 10 == 9, "服务", "制造")),
            "sales_revenue": [Decimal(99_990_000 + 7 * i) for i in range(rows)],
            "land_use_tax": [Decimal(i % 5000) / 100 for i in range(rows)],
            "income_tax_paid": index * 3 + 1_000_000,  # int64
            "income_tax_paid_last_year": pd.array(
                [1_000_000] * rows, dtype="Int64"
            ),  # nullable integers
            "new_investment": [str((i * 37) % 150_000) for i in range(rows)],  # text, read exactly
            "listed": index % 1000 == 0,  # bool
        }
    )


class CallCounter:
    """Counts Python-level function calls (sys.setprofile 'call' events) by function name."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            self.calls[f"{frame.f_code.co_filename}:{frame.f_code.co_name}"] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return big_frame(ROWS)


@pytest.mark.parametrize(
    "text_amounts, calls",
    [
        # Amounts written as text ("30万" would be read as policy text) are typed record by record.
        (True, {"evaluate_batch_engine": 1, "from_columns": 1}),
        # Decimal, int, nullable and bool columns are read by column: no record per row.
        (False, {"evaluate_table_engine": 1}),
    ],
)
def test_a_100000_row_frame_is_one_engine_call_with_no_per_row_python(
    toy_rules: subsidy.RuleSet,
    big: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
    text_amounts: bool,
    calls: dict[str, int],
) -> None:
    if not text_amounts:
        big = big.drop(columns=["new_investment"])
    engine_calls: Counter[str] = Counter()

    def counted(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            engine_calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    for name in ("evaluate_batch", "evaluate_batch_engine", "evaluate_table_engine"):
        monkeypatch.setattr(_core, name, counted(name, getattr(_core, name)))
    monkeypatch.setattr(_core, "evaluate", counted("evaluate", _core.evaluate))
    monkeypatch.setattr(
        _core.Enterprises, "from_columns", counted("from_columns", _core.Enterprises.from_columns)
    )
    monkeypatch.setattr(
        _core.Enterprises, "from_records", counted("from_records", _core.Enterprises.from_records)
    )

    counter = CallCounter()
    sys.setprofile(counter)
    try:
        lines, totals = toy_rules.evaluate_frame(big)
    finally:
        sys.setprofile(None)

    assert engine_calls == Counter(calls)
    # Every Python function that ran, ran far fewer times than there are rows: the work per row
    # is C++ (pandas, numpy and the engine), not a Python callback.
    most_called, count = counter.calls.most_common(1)[0]
    assert count < ROWS // 100, f"{most_called} ran {count} times for {ROWS} rows"
    assert counter.total < ROWS // 10, counter.calls.most_common(10)

    assert len(totals) == ROWS
    assert totals["ok"].all()
    assert len(lines) > ROWS // 2


def test_batch_frames_hold_exact_decimals(toy_rules: subsidy.RuleSet, big: pd.DataFrame) -> None:
    lines, totals = toy_rules.evaluate_frame(big.head(5000))
    for column in MONEY_LINE_COLUMNS:
        assert lines[column].dtype == object
        assert all(v is None or isinstance(v, Decimal) for v in lines[column])
    for column in MONEY_TOTAL_COLUMNS:
        assert totals[column].dtype == object
        assert all(isinstance(v, Decimal) for v in totals[column])
    exact = lines[lines["status"] == "exact"]
    assert len(exact) > 0
    assert all(isinstance(v, Decimal) for v in exact["amount"])
    assert not any(lines[c].dtype.kind == "f" for c in lines.columns)
    assert not any(totals[c].dtype.kind == "f" for c in totals.columns)


def test_batch_rows_equal_single_evaluations(toy_rules: subsidy.RuleSet, big: pd.DataFrame) -> None:
    sample = big.iloc[[0, 1, 9, 1234, 7142, 49_999]].reset_index(drop=True)
    lines, totals = toy_rules.evaluate_frame(sample)
    for index, record in enumerate(sample.to_dict("records")):
        single = toy_rules.evaluate(record)
        assert single.ok
        row = totals.iloc[index]
        assert row["enterprise"] == single.enterprise
        assert row["cash_min"] == single.totals.all.cash.min
        assert row["cash_max"] == single.totals.all.cash.max
        assert row["receipt"] == single.receipt.digest
        mine = lines[lines["enterprise"] == single.enterprise]
        assert sorted(zip(mine["policy_set"] + "/" + mine["rule"], mine["amount"])) == sorted(
            (line.qualified_rule, line.amount) for line in single.lines
        )


def test_results_do_not_depend_on_the_thread_count(
    toy_rules: subsidy.RuleSet, big: pd.DataFrame
) -> None:
    sample = big.head(20_000)
    one_lines, one_totals = toy_rules.evaluate_frame(sample, threads=1)
    two_lines, two_totals = toy_rules.evaluate_frame(sample, threads=2)
    pd.testing.assert_frame_equal(one_lines, two_lines)
    pd.testing.assert_frame_equal(one_totals, two_totals)


def test_list_of_dicts_and_arrow_table_give_the_same_frames(toy_rules: subsidy.RuleSet) -> None:
    records = [
        toy_record(id=f"E{i}", land_use_tax=Decimal(i) + Decimal("0.05"), new_investment=i * 9000)
        for i in range(30)
    ]
    frame_lines, frame_totals = toy_rules.evaluate_frame(pd.DataFrame(records))
    list_lines, list_totals = toy_rules.evaluate_frame(records)
    pd.testing.assert_frame_equal(frame_lines, list_lines)
    pd.testing.assert_frame_equal(frame_totals, list_totals)

    table = pa.table(
        {
            "id": [r["id"] for r in records],
            "name": [r["name"] for r in records],
            "industry": [r["industry"] for r in records],
            "sales_revenue": pa.array([r["sales_revenue"] for r in records], pa.decimal128(20, 2)),
            "land_use_tax": pa.array([r["land_use_tax"] for r in records], pa.decimal128(20, 2)),
            "income_tax_paid": [r["income_tax_paid"] for r in records],
            "income_tax_paid_last_year": [r["income_tax_paid_last_year"] for r in records],
            "new_investment": pa.array([r["new_investment"] for r in records], pa.int64()),
            "listed": [r["listed"] for r in records],
        }
    )
    arrow_lines, arrow_totals = toy_rules.evaluate_frame(table)
    pd.testing.assert_frame_equal(
        frame_totals.drop(columns="receipt"), arrow_totals.drop(columns="receipt")
    )
    assert list(frame_lines["amount"]) == list(arrow_lines["amount"])


def test_missing_cells_are_facts_not_given(toy_rules: subsidy.RuleSet) -> None:
    frame = pd.DataFrame(
        [
            toy_record(id="A", listed=None),
            toy_record(id="B", new_investment=None),
            toy_record(id="C", income_tax_paid_last_year=None),
        ]
    )
    frame["new_investment"] = frame["new_investment"].astype("Int64")  # <NA>, not NaN
    lines, totals = toy_rules.evaluate_frame(frame)
    by_id = totals.set_index("enterprise")
    # listed and new_investment have defaults; last year's income tax has none and is needed:
    # the rules that read it are left out of C (listed), its other rules are evaluated.
    assert list(by_id["ok"]) == [True, True, True]
    assert by_id["incomplete"][["A", "B"]].isna().all()
    assert "needs income_tax_paid_last_year" in by_id["incomplete"]["C"]
    assert list(by_id["unevaluated"] > 0) == [False, False, True]
    left_out = by_id["incomplete"]["C"].split(" needs ")[0]
    assert left_out not in set(lines[lines["enterprise"] == "C"]["policy_set"] + "/" + lines[lines["enterprise"] == "C"]["rule"])


def test_a_bad_cell_is_reported_with_its_row_and_column(toy_rules: subsidy.RuleSet) -> None:
    frame = pd.DataFrame([toy_record(id=f"E{i}") for i in range(5)])
    frame.loc[3, "industry"] = "农业"
    with pytest.raises(subsidy.SubsidyError) as caught:
        toy_rules.evaluate_frame(frame)
    errors = caught.value.errors or [caught.value]
    assert len(errors) == 1
    assert errors[0].line == 4  # 1-based row
    assert "industry" in str(errors[0])


def test_batch_aggregates_are_exact_sums(toy_rules: subsidy.RuleSet, big: pd.DataFrame) -> None:
    batch = toy_rules.evaluate_many(big.head(3000))
    totals = batch.totals()
    by_payer = batch.aggregate("payer")
    everything = batch.total()
    assert everything.cash.min == sum(totals["cash_min"], Decimal(0))
    assert everything.cash.max == sum(totals["cash_max"], Decimal(0))
    assert sum((t.cash for t in by_payer.values()), subsidy.Band.zero()) == everything.cash
    per_payer = batch.totals("payer")
    for payer, total in by_payer.items():
        mine = per_payer[per_payer["payer"] == payer]
        assert sum(mine["cash_max"], Decimal(0)) == total.cash.max
