"""subsidy.dask on a LocalCluster of two worker processes (one thread each, so every task's
arguments and results are really pickled): lines, totals and compare() equal, row for row and to
the 分, to evaluate_frame / compare on the same 51 000 enterprise-years, under several scenarios,
amounts beyond int64 分 included; the rule set reaches each worker once, by a plugin."""

from __future__ import annotations

import math
import pickle
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd
import pytest
from conftest import REPO
from distributed import Client, LocalCluster
from enterprise_years import HUGE, population

import subsidy
import subsidy.dask
from subsidy import _shipping

pytestmark = pytest.mark.slow

ENTERPRISES = 17_000  # × 3 years = 51 000 rows


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def rules() -> subsidy.RuleSet:
    return subsidy.RuleSet.load(REPO / "rules")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return population(ENTERPRISES, seed=20)


def scenarios(rules: subsidy.RuleSet) -> dict[str, subsidy.Scenario]:
    return {
        "default": rules.baseline,
        "machining": rules.choose({"electromechanical-policy": "machining-survey"}),
        "mining": rules.choose({"electromechanical-policy": "mining-em-survey"}).on("2022-06-30"),
    }


LOCATION = re.compile(r"^<[^>]*>:\d+: ")


def rows(frame: pd.DataFrame) -> Counter[tuple[Any, ...]]:
    """The rows as a multiset (partitions come back in any order; Decimal compares by value).
    Missing values as None; an error's location (``<DataFrame>:row`` in one process,
    ``<partition i>:row`` on Dask) left out: its text names the enterprise."""
    def cell(value: Any) -> Any:
        if isinstance(value, str):
            return LOCATION.sub("", value)
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else value

    return Counter(tuple(cell(v) for v in row) for row in frame.itertuples(index=False, name=None))


def test_population_has_fallback_rows(frame: pd.DataFrame) -> None:
    assert len(frame) >= 50_000
    assert frame["year"].nunique() >= 3
    huge = frame["sales_revenue"].map(lambda v: v >= HUGE)
    assert 0 < huge.sum() < len(frame) // 10


@pytest.mark.parametrize("name", ["default", "machining", "mining"])
def test_lines_and_totals_equal_evaluate_frame(
    client: Client, rules: subsidy.RuleSet, frame: pd.DataFrame, name: str
) -> None:
    scenario = scenarios(rules)[name]
    expected = scenario.evaluate_frame(frame)
    source = dd.from_pandas(frame, npartitions=6, sort=False)
    lines, totals = dask.compute(*subsidy.dask.evaluate(scenario, source))
    assert list(lines.columns) == list(expected.lines.columns)
    assert list(totals.columns) == list(expected.totals.columns)
    for column in ("amount", "min", "max"):
        assert lines[column].dtype == object
        assert all(v is None or isinstance(v, Decimal) for v in lines[column])
    assert len(totals) == len(frame)
    errors = [e for e in totals["error"] if isinstance(e, str)]
    assert errors and all(e.startswith("<partition ") for e in errors)
    assert rows(totals) == rows(expected.totals)
    assert rows(lines) == rows(expected.lines)
    big = [v for v in lines["max"] if v is not None and v >= HUGE / 1000]
    assert big  # amounts beyond int64 分 came through exactly


def test_each_enterprise_in_one_partition(client: Client, rules: subsidy.RuleSet, frame: pd.DataFrame) -> None:
    source = dd.from_pandas(frame, npartitions=6, sort=False)
    _, totals = subsidy.dask.evaluate(rules, source)
    per_part = totals.map_partitions(lambda p: pd.DataFrame({"enterprise": p["enterprise"].unique()}))
    ids = per_part.compute()["enterprise"]
    assert ids.is_unique  # no enterprise's years were split between partitions
    assert len(ids) == ENTERPRISES


def test_rule_set_installed_once_per_worker(client: Client, rules: subsidy.RuleSet, frame: pd.DataFrame) -> None:
    # What each task carries instead of the rules: the fingerprint and the scenario's choices.
    ref = _shipping.ref(rules.choose({"electromechanical-policy": "machining-survey"}))
    assert len(pickle.dumps(ref)) * 100 < len(pickle.dumps(rules))
    source = dd.from_pandas(frame.head(3000), npartitions=3, sort=False)
    lines, _ = subsidy.dask.evaluate(rules, source)
    assert len(lines.compute()) > 0

    def held(dask_worker: Any) -> list[str]:
        return sorted(_shipping.RULES)

    assert client.run(held) == {w: [rules.fingerprint] for w in client.scheduler_info()["workers"]}


def test_compare_equals_single_process(client: Client, rules: subsidy.RuleSet, frame: pd.DataFrame) -> None:
    all_scenarios = scenarios(rules)
    base, other = all_scenarios["default"], all_scenarios["machining"].with_parameters({})
    expected = subsidy.compare(base, other, frame)
    source = dd.from_pandas(frame, npartitions=6, sort=False)
    got = subsidy.dask.compare(base, other, source)
    assert got.by_payer == expected.by_payer
    assert got.total == expected.total
    assert got.total.change != subsidy.Band.zero()
    assert rows(got.per_enterprise.compute()) == rows(expected.per_enterprise)
    assert rows(got.failed.compute()) == rows(expected.failed)
