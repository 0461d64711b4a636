"""What-if scenarios: an override changes exactly the lines it should, and a comparison's totals
equal the sums of its per-enterprise differences."""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from conftest import toy_record

import subsidy


def amounts(result: subsidy.Evaluation) -> dict[str, Any]:
    return {
        line.qualified_rule: (line.status, line.amount, line.band) for line in result.lines
    }


def population(n: int = 40) -> pd.DataFrame:
    rows = []
    for i in range(n):
        rows.append(
            toy_record(
                id=f"E{i:03d}",
                sales_revenue=Decimal(99_999_990 + i),  # the first ten are not above 1亿
                land_use_tax=Decimal(i * 1000) + Decimal("0.37"),
                income_tax_paid=Decimal(2_000_000 + 12_345 * i),
                income_tax_paid_last_year=Decimal(2_100_000),
                new_investment=Decimal(i * 4000),
                listed=i % 7 == 0,
                standards=[{"level": "国家标准", "role": "主要起草单位"}] * (i % 3),
            )
        )
    return pd.DataFrame(rows)


def test_overriding_the_rate_changes_only_the_rate_line(toy_rules: subsidy.RuleSet) -> None:
    record = toy_record(
        new_investment=60000,
        listed=True,
        standards=[{"level": "国家标准", "role": "主要起草单位"}],
    )
    before = amounts(toy_rules.evaluate(record))
    after = amounts(toy_rules.with_parameters({"toy-policy.rebate_rate": "60%"}).evaluate(record))
    assert before.keys() == after.keys()
    changed = {rule for rule in before if before[rule] != after[rule]}
    assert changed == {"toy-policy/rate-rebate"}
    # 40% → 60% of (10万 + (300万 − 200万)) = 44万 → 66万
    assert before["toy-policy/rate-rebate"][1] == Decimal("440000.00")
    assert after["toy-policy/rate-rebate"][1] == Decimal("660000.00")


def test_overriding_a_threshold_adds_or_removes_a_line(toy_rules: subsidy.RuleSet) -> None:
    record = toy_record(sales_revenue=Decimal(80_000_000))
    assert "toy-policy/rate-rebate" not in amounts(toy_rules.evaluate(record))
    lowered = toy_rules.with_parameters({"revenue_threshold": "5000万"})
    result = lowered.evaluate(record)
    assert set(amounts(result)) - set(amounts(toy_rules.evaluate(record))) == {
        "toy-policy/rate-rebate"
    }


def test_the_evaluation_date_picks_the_parameter_version(toy_rules: subsidy.RuleSet) -> None:
    record = toy_record()
    in_2021 = toy_rules.on("2021-06-30").evaluate(record).line("toy-policy/rate-rebate")
    in_2023 = toy_rules.on("2023-01-01").evaluate(record).line("toy-policy/rate-rebate")
    assert in_2021.amount == Decimal("550000.00")  # 50% × 110万
    assert in_2023.amount == Decimal("440000.00")  # 40% × 110万


def test_a_date_before_every_version_is_an_error(toy_rules: subsidy.RuleSet) -> None:
    # A rule needing a parameter no version covers on the day: that record's error, naming the
    # parameter and the day, never a guess (the scenario itself is valid).
    error = toy_rules.on("2019-12-31").evaluate(toy_record()).error
    assert error is not None and error.kind == "parameter"
    assert "rebate_rate" in str(error) and "2019-12-31" in str(error)


def test_unknown_names_are_refused_when_the_scenario_is_made(toy_rules: subsidy.RuleSet) -> None:
    with pytest.raises(subsidy.SubsidyError, match="no_such_parameter"):
        toy_rules.with_parameters({"no_such_parameter": "1"})
    with pytest.raises(subsidy.SubsidyError, match="no_such_option"):
        toy_rules.with_options({"no_such_option": "x"})
    with pytest.raises(subsidy.SubsidyError, match="no_such_group"):
        toy_rules.choose({"no_such_group": "x"})


def test_scenarios_are_immutable_and_chain(toy_rules: subsidy.RuleSet) -> None:
    a = toy_rules.with_parameters({"rebate_rate": "60%"})
    b = a.on("2021-01-01").with_parameters({"standard_award": "20万"})
    assert dict(a.parameters) == {"rebate_rate": Decimal("0.60")}
    assert dict(b.parameters) == {
        "rebate_rate": Decimal("0.60"),
        "standard_award": Decimal(200000),
    }
    assert a.date is None
    assert toy_rules.baseline.parameters == ()
    assert a.canonical != toy_rules.baseline.canonical


def test_scenarios_and_results_pickle(toy_rules: subsidy.RuleSet) -> None:
    scenario = toy_rules.with_parameters({"rebate_rate": "60%"}).on("2023-01-01")
    copy = pickle.loads(pickle.dumps(scenario))
    assert copy.rules.fingerprint == toy_rules.fingerprint
    assert copy.canonical == scenario.canonical
    result = scenario.evaluate(toy_record())
    assert copy.evaluate(toy_record()) == result
    assert pickle.loads(pickle.dumps(result)) == result


def test_the_receipt_depends_on_the_scenario(toy_rules: subsidy.RuleSet) -> None:
    record = toy_record(new_investment=0)
    base = toy_rules.evaluate(record)
    same = toy_rules.evaluate(record)
    other = toy_rules.with_parameters({"standard_award": "20万"}).evaluate(record)
    assert base.receipt == same.receipt
    assert base.receipt.digest != other.receipt.digest
    assert base.receipt.fingerprint == other.receipt.fingerprint == toy_rules.fingerprint


# --- compare -----------------------------------------------------------------------------------


def test_compare_totals_equal_the_sum_of_per_enterprise_changes(
    toy_rules: subsidy.RuleSet,
) -> None:
    people = population()
    scenario = toy_rules.with_parameters({"rebate_rate": "45.5%", "standard_award": "12万"})
    result = subsidy.compare(toy_rules, scenario, people)

    per = result.per_enterprise
    assert len(per) == len(people)
    assert per["ok"].all()
    for column in ("change_min", "change_max", "baseline_min", "scenario_max"):
        assert per[column].dtype == object
        assert all(isinstance(v, Decimal) for v in per[column])
    assert sum(per["change_min"], Decimal(0)) == result.total.change.min
    assert sum(per["change_max"], Decimal(0)) == result.total.change.max
    assert sum(per["baseline_min"], Decimal(0)) == result.total.baseline.cash.min
    assert sum(per["scenario_max"], Decimal(0)) == result.total.scenario.cash.max

    by_payer_change = sum((c.change for c in result.by_payer.values()), subsidy.Band.zero())
    assert by_payer_change == result.total.change
    # Both overrides touch rules of different payers; each payer's change is its rules' change.
    assert result.by_payer["受益财政"].change.min > 0
    assert result.by_payer["市财政"].change.min > 0
    assert result.total.change != subsidy.Band.zero()


def test_compare_per_enterprise_changes_match_single_evaluations(
    toy_rules: subsidy.RuleSet,
) -> None:
    people = population(12)
    scenario = toy_rules.with_parameters({"rebate_rate": "33.33%"})
    result = subsidy.compare(toy_rules, scenario, people)
    for index in (0, 5, 11):
        record = people.iloc[index].to_dict()
        before = toy_rules.evaluate(record).totals.all.cash
        after = scenario.evaluate(record).totals.all.cash
        row = result.per_enterprise.iloc[index]
        assert row["enterprise"] == record["id"]
        assert row["change_min"] == after.min - before.min
        assert row["change_max"] == after.max - before.max


def test_compare_leaves_out_failed_enterprises_on_both_sides(toy_rules: subsidy.RuleSet) -> None:
    people = population(10)
    people["income_tax_paid_last_year"] = people["income_tax_paid_last_year"].astype(object)
    people.loc[3, "income_tax_paid_last_year"] = None  # above 1亿: the missing fact is needed
    people.loc[3, "sales_revenue"] = Decimal(200_000_000)
    scenario = toy_rules.with_parameters({"rebate_rate": "60%"})
    result = subsidy.compare(toy_rules, scenario, people)
    assert list(result.failed["enterprise"]) == ["E003"]
    assert "income_tax_paid_last_year" in result.failed["baseline_error"][0]
    assert not result.per_enterprise["ok"][3]
    assert result.per_enterprise["change_min"][3] is None
    counted = result.per_enterprise[result.per_enterprise["ok"]]
    assert sum(counted["change_min"], Decimal(0)) == result.total.change.min


def test_compare_two_rule_sets_of_the_same_text(toy_rules: subsidy.RuleSet) -> None:
    rebuilt = subsidy.RuleSet.from_texts(toy_rules.sources)
    result = subsidy.compare(toy_rules, rebuilt, population(8))
    assert result.total.change == subsidy.Band.zero()
    assert result.payer_frame()["change_max"].tolist() == [Decimal(0)] * (
        len(result.by_payer) + 1
    )


def test_compare_plot_draws_floor_and_band_per_payer_and_scenario(toy_rules: subsidy.RuleSet) -> None:
    import matplotlib

    matplotlib.use("Agg")
    scenario = toy_rules.with_parameters({"toy-policy.rebate_rate": "60%"})
    result = subsidy.compare(toy_rules, scenario, population(12))
    ax = result.plot()
    bars = ax.patches
    assert len(bars) == 2 * 2 * len(result.by_payer)  # floor and band, baseline and scenario
    first_payer = next(iter(result.by_payer.values()))
    assert bars[0].get_height() == int(first_payer.baseline.cash.min)
