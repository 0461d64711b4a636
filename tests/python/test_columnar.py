"""The columnar path from Python (Arrow in, Arrow out) against the reference batch path: the same
lines, the same per-enterprise cash totals and the same exact totals, for random enterprises
including values too wide for int64 and finer than the 分; floats refused."""

from __future__ import annotations

import gc
import random
from decimal import Decimal, localcontext
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from conftest import REPO

import subsidy

LEVELS = ["国际标准", "国家标准", "行业标准", "省地方标准"]
ROLES = ["主要起草单位", "参与起草单位"]
KINDS = ["省长奖", "市长奖", "省级优质产品", "省名牌产品", "全国驰名商标", "中国名牌产品"]
CATEGORIES = ["国内首台重大装备或成套装备", "国内首台专用装备", "国内首台关键基础件"]


def money(rng: random.Random) -> Decimal:
    pick = rng.randrange(100)
    if pick < 3:
        return Decimal(rng.randrange(10**6)) * Decimal(10) ** 20  # beyond int64 in 分
    if pick < 6:
        return Decimal(rng.randrange(10**5)).scaleb(-3)  # finer than the 分
    return Decimal(rng.randrange(1, 2 * 10**11)).scaleb(-2)


def records(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        out.append(
            {
                "id": f"E{i}",
                "industry": rng.choice(["矿用机电", "机械加工", "机械装备制造", "其他"]),
                "sales_revenue": money(rng),
                "land_use_tax": money(rng),
                "income_tax_paid": money(rng),
                "income_tax_paid_last_year": money(rng),
                "standards": [
                    {"level": rng.choice(LEVELS), "role": rng.choice(ROLES)}
                    for _ in range(rng.randrange(4))
                ],
                "quality_awards": [{"kind": rng.choice(KINDS)} for _ in range(rng.randrange(4))],
                "first_unit_products": [
                    {
                        "category": rng.choice(CATEGORIES),
                        "price": money(rng),
                        "certified": rng.random() < 0.8,
                    }
                    for _ in range(rng.randrange(3))
                ],
            }
        )
    return out


@pytest.fixture(scope="module")
def rules() -> subsidy.RuleSet:
    return subsidy.RuleSet.load(REPO / "rules")


def table_of(rows: list[dict[str, Any]]) -> pa.Table:
    # Every money column as decimal128(38, 3), so values of three decimals stay exact.
    frame = pa.Table.from_pylist(rows)
    fields = []
    for f in frame.schema:
        fields.append(pa.field(f.name, pa.decimal128(38, 3)) if pa.types.is_decimal(f.type) else f)
    return pa.Table.from_pylist(rows, schema=pa.schema(fields))


@pytest.mark.parametrize("member", ["em-opinions-draft", "machining-survey"])
def test_columnar_equals_reference(rules: subsidy.RuleSet, member: str) -> None:
    rows = records(600, seed=hash(member) % 1000)
    scenario = rules.choose({"electromechanical-policy": member})
    result = scenario.evaluate_columns(table_of(rows), threads=2)
    batch = scenario.evaluate_many(rows)
    ref_lines, ref_totals = batch.frames()

    fast = result.lines.to_pandas()
    fast["enterprise"] = [rows[r]["id"] for r in fast["row"]]
    got: dict[str, list[tuple[Any, ...]]] = {}
    for line in fast.itertuples():
        got.setdefault(line.enterprise, []).append(
            (line.rule, line.status, bool(line.withheld), line.floor, line.ceiling)
        )
    for row, lines in result.oversized.items():
        got[rows[row]["id"]] = [tuple(x) for x in lines]
    expected: dict[str, list[tuple[Any, ...]]] = {}
    for line in ref_lines.itertuples():
        expected.setdefault(line.enterprise, []).append(
            (
                f"{line.policy_set}/{line.rule}",
                line.status,
                bool(line.withheld),
                line.min,
                line.max,
            )
        )
    assert got == expected

    by_reference = result.enterprises.column("by_reference").to_pylist()
    assert 0 < sum(by_reference) < len(rows)  # both paths were taken
    for column in ("cash_floor", "cash_ceiling"):
        assert all(isinstance(v, Decimal) for v in result.enterprises.column(column).to_pylist())
    with localcontext() as exact:  # the default 28 digits would round these sums
        exact.prec = 200
        assert result.total["cash_ceiling"] == sum(ref_totals["cash_max"], Decimal(0))
        assert result.total["cash_floor"] == sum(ref_totals["cash_min"], Decimal(0))


def to_fen(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with every amount finer than the 分 rounded to it (for decimal128 scale 2)."""

    def fen(v: Any) -> Any:
        if isinstance(v, Decimal):
            return v.quantize(Decimal("0.01")) if v.as_tuple().exponent < -2 else v
        if isinstance(v, list):
            return [{k: fen(x) for k, x in r.items()} for r in v]
        return v

    return [{k: fen(v) for k, v in row.items()} for row in rows]


def test_amounts_at_the_columns_own_scale_equal_reference(rules: subsidy.RuleSet) -> None:
    # decimal128(38, 2) is the 分 itself: amounts are read as they are (and the wide ones exactly).
    rows = to_fen(records(600, seed=7))
    frame = pa.Table.from_pylist(rows)
    schema = pa.schema(
        [pa.field(f.name, pa.decimal128(38, 2)) if pa.types.is_decimal(f.type) else f for f in frame.schema]
    )
    result = rules.evaluate_columns(pa.Table.from_pylist(rows, schema=schema), threads=1)
    _, ref_totals = rules.evaluate_many(rows).frames()
    by_reference = result.enterprises.column("by_reference").to_pylist()
    assert 0 < sum(by_reference) < len(rows)  # both paths were taken
    with localcontext() as exact:
        exact.prec = 200
        assert result.total["cash_ceiling"] == sum(ref_totals["cash_max"], Decimal(0))
        assert result.enterprises.column("cash_ceiling").to_pylist() == list(ref_totals["cash_max"])


def test_results_alike_on_one_and_two_threads(rules: subsidy.RuleSet) -> None:
    # Enough award lines (> 65 536) that two threads fill the result buffers, split mid-bitmap.
    table = table_of(records(30_001, seed=11))
    one = rules.evaluate_columns(table, threads=1)
    two = rules.evaluate_columns(table, threads=2)
    assert one.lines.num_rows > 65_536
    assert one.lines.equals(two.lines)
    assert one.enterprises.equals(two.enterprises)
    assert one.lines.column("floor").null_count == one.lines.column("ceiling").null_count
    assert one.total == two.total


def test_dataframe_input_and_floats_refused(rules: subsidy.RuleSet) -> None:
    rows = records(50, seed=5)
    frame = pd.DataFrame(rows)
    result = rules.evaluate_columns(frame)
    assert len(result.enterprises) == 50
    # Its columns read in C++ give what pyarrow's conversion of the whole frame gives.
    via_arrow = rules.evaluate_columns(pa.Table.from_pandas(frame, preserve_index=False))
    assert result.lines.equals(via_arrow.lines) and result.enterprises.equals(via_arrow.enterprises)
    assert (result.total, result.by_payer) == (via_arrow.total, via_arrow.by_payer)
    assert result.lines.num_rows > 50
    with pytest.raises(subsidy.SubsidyError, match="floating-point"):
        rules.evaluate_columns(pd.DataFrame({"id": ["a"], "industry": ["其他"], "sales_revenue": [1.5]}))
    with pytest.raises(subsidy.SubsidyError, match="no such fact"):
        rules.evaluate_columns(pa.table({"id": ["a"], "no_such_fact": [1]}))


def test_missing_facts_leave_out_their_rules_like_the_reference(rules: subsidy.RuleSet) -> None:
    rows = records(20, seed=9)
    for row in rows:
        row["industry"] = "机械装备制造"
        row["sales_revenue"] = Decimal("600000000.00")
        del row["income_tax_paid_last_year"]  # no default: a missing figure is never 0
    scenario = rules.choose({"electromechanical-policy": "machining-survey"})
    result = scenario.evaluate_columns(table_of(rows), rules=["machining-survey/J4-tax-rebate"])
    assert not result.errors
    assert sorted(result.incomplete) == list(range(20))
    assert result.incomplete[0] == [("machining-survey/J4-tax-rebate",
                                    ["income_tax_paid_last_year", "last_year(income_tax_paid)"])]
    assert result.total["unevaluated"] == 20


def test_a_fact_table_is_read_once_and_evaluated_under_many_scenarios(rules: subsidy.RuleSet) -> None:
    rows = records(100, seed=11)
    facts = rules.fact_table(table_of(rows))
    assert len(facts) == 100
    direct = rules.evaluate_columns(table_of(rows))
    again = rules.evaluate_columns(facts)
    assert direct.total == again.total
    other = subsidy.RuleSet.load(REPO / "rules").with_options({"quality_award_count": "per_enterprise"})
    assert other.evaluate_columns(facts).total["lines"] == direct.total["lines"]
    with pytest.raises(ValueError, match="another rule set"):
        subsidy.RuleSet.from_texts({"x.yaml": "catalogue: {id: x, title: X}\n"}).evaluate_columns(facts)


def test_null_lists_and_sliced_tables_read_like_their_values(rules: subsidy.RuleSet) -> None:
    rows = records(40, seed=13)
    rows[3]["industry"] = "机械加工"
    rows[3]["standards"] = [{"level": "国家标准", "role": "主要起草单位"}] * 2
    table = table_of(rows)
    # A null list is an absent fact (its default [] applies); make one span records, as the
    # Arrow format allows, so the record-by-record reader is used too.
    standards = table.column("standards").combine_chunks()
    spanning = pa.ListArray.from_arrays(
        standards.offsets, standards.values, mask=pa.array([i == 3 for i in range(40)])
    )
    nulled = table.set_column(table.schema.get_field_index("standards"), "standards", spanning)
    emptied = [dict(r, standards=[]) if i == 3 else r for i, r in enumerate(rows)]
    a = rules.evaluate_columns(nulled)
    b = rules.evaluate_columns(table_of(emptied))
    assert a.total == b.total
    assert a.total != rules.evaluate_columns(table).total  # row 3's standards did count before
    assert a.lines.to_pylist() == b.lines.to_pylist()
    # A slice starts at an offset inside every buffer.
    part = rules.evaluate_columns(table.slice(10, 20))
    whole = rules.evaluate_columns(table_of(rows[10:30]))
    assert part.total == whole.total


def test_a_fact_table_keeps_its_rule_set_alive() -> None:
    rows = records(60, seed=17)
    facts = subsidy.RuleSet.load(REPO / "rules").fact_table(table_of(rows))  # that RuleSet is gone
    gc.collect()
    rules = subsidy.RuleSet.load(REPO / "rules")
    result = rules.evaluate_columns(facts)
    assert 0 < sum(result.enterprises.column("by_reference").to_pylist())  # rows rebuilt from it
    assert result.total == rules.evaluate_columns(table_of(rows)).total
