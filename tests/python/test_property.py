"""Property test: the package's results equal a small, independent pure-Python reference for the
rules of tests/python/data/toy-rules (rate × base with a derived value, unique tiers, per item),
on random enterprises, rates and dates, single and in batches.

The reference is written from the rule texts and docs/rule-language.md, not from the engine:
Python's decimal module with ROUND_HALF_UP once at the end, 超过 as >, 以上 as >=, 不满 as <."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import subsidy

FEN = Decimal("0.01")
THRESHOLD = Decimal(100_000_000)  # revenue_threshold: 1亿
STANDARD_AWARD = Decimal(100_000)  # standard_award: 10万
RATE_VERSIONS = [(datetime.date(2020, 1, 1), Decimal("0.50")), (datetime.date(2022, 1, 1), Decimal("0.40"))]
TIERS = [  # (以上, 不满, award)
    (Decimal(30_000), Decimal(50_000), Decimal(5_000)),
    (Decimal(50_000), Decimal(100_000), Decimal(10_000)),
    (Decimal(100_000), None, Decimal(20_000)),
]
LEVELS = ["国际标准", "国家标准", "行业标准"]
ROLES = ["主要起草单位", "参与起草单位"]


def reference(facts: dict[str, Any], rate: Decimal | None, on: datetime.date | None) -> dict[str, Decimal]:
    """Award amounts by rule id, computed directly from the rule texts."""
    out: dict[str, Decimal] = {}
    with localcontext() as context:
        context.prec = 100  # exact for these magnitudes: nothing is rounded before the end
        if rate is None:
            in_force = [value for start, value in RATE_VERSIONS if on is None or start <= on]
            rate = in_force[-1]
        if facts["sales_revenue"] > THRESHOLD:  # 超过: strictly more
            new_income_tax = max(Decimal(0), facts["income_tax_paid"] - facts["income_tax_paid_last_year"])
            base = facts["land_use_tax"] + new_income_tax
            out["rate-rebate"] = (rate * base).quantize(FEN, rounding=ROUND_HALF_UP)
        investment = facts["new_investment"]
        for lower, upper, award in TIERS:
            if investment >= lower and (upper is None or investment < upper):  # 以上 … 不满
                out["investment-tiers"] = award.quantize(FEN)
        count = sum(
            1 for s in facts["standards"] if s["level"] == "国家标准" and s["role"] == "主要起草单位"
        )
        if count:
            out["standards-award"] = (STANDARD_AWARD * count).quantize(FEN)
    return out


def money(max_yuan: int) -> st.SearchStrategy[Decimal]:
    fen = st.integers(min_value=0, max_value=max_yuan * 100)
    return fen.map(lambda n: Decimal(n).scaleb(-2))


def near(points: list[int], spread: int = 2) -> st.SearchStrategy[Decimal]:
    """Values at and right around the thresholds, where 以上 / 超过 / 不满 differ."""
    return st.sampled_from(points).flatmap(
        lambda p: st.integers(min_value=-spread, max_value=spread).map(
            lambda d: Decimal(p) + Decimal(d).scaleb(-2)
        )
    )


standards = st.lists(
    st.fixed_dictionaries({"level": st.sampled_from(LEVELS), "role": st.sampled_from(ROLES)}),
    max_size=5,
)

enterprises = st.fixed_dictionaries(
    {
        "industry": st.just("制造"),
        "sales_revenue": st.one_of(money(300_000_000), near([100_000_000])),
        "land_use_tax": money(5_000_000),
        "income_tax_paid": money(50_000_000),
        "income_tax_paid_last_year": money(50_000_000),
        "new_investment": st.one_of(money(300_000), near([30_000, 50_000, 100_000])),
        "standards": standards,
    }
)

rates = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-4)),  # 0–100%, 4 places
)
dates = st.one_of(st.none(), st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2030, 12, 31)))


def scenario_for(rules: subsidy.RuleSet, rate: Decimal | None, on: datetime.date | None) -> subsidy.Scenario:
    scenario = rules.baseline
    if rate is not None:
        scenario = scenario.with_parameters({"toy-policy.rebate_rate": rate})
    return scenario.on(on)


def engine_amounts(result: subsidy.Evaluation) -> dict[str, Decimal]:
    result.raise_for_error()
    found: dict[str, Decimal] = {}
    for line in result.lines:
        if line.rule in ("rate-rebate", "investment-tiers", "standards-award"):
            assert line.status == "exact"
            assert line.amount is not None
            found[line.rule] = line.amount
    return found


@settings(max_examples=300)
@given(facts=enterprises, rate=rates, on=dates)
def test_single_evaluations_match_the_reference(
    toy_rules: subsidy.RuleSet, facts: dict[str, Any], rate: Decimal | None, on: datetime.date | None
) -> None:
    record = {"id": "P", **facts}
    result = scenario_for(toy_rules, rate, on).evaluate(record, trace=False)
    expected = reference(facts, rate, on)
    assert engine_amounts(result) == expected
    for rule, amount in expected.items():
        assert amount.as_tuple().exponent == -2, rule  # to the 分


@settings(max_examples=30)
@given(population=st.lists(enterprises, min_size=1, max_size=40), rate=rates, on=dates)
def test_batches_match_the_reference(
    toy_rules: subsidy.RuleSet, population: list[dict[str, Any]], rate: Decimal | None, on: datetime.date | None
) -> None:
    records = [{"id": f"P{i}", **facts} for i, facts in enumerate(population)]
    lines, totals = scenario_for(toy_rules, rate, on).evaluate_frame(pd.DataFrame(records))
    assert totals["ok"].all()
    for record in records:
        expected = reference(record, rate, on)
        mine = lines[lines["enterprise"] == record["id"]]
        assert dict(zip(mine["rule"], mine["amount"])) == expected
        total = totals[totals["enterprise"] == record["id"]].iloc[0]
        assert total["cash_min"] == total["cash_max"] == sum(expected.values(), Decimal(0))
