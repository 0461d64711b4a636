"""subsidy.dask on a LocalCluster of two worker processes (one thread each, so every task's
arguments and results are really pickled): lines, totals and compare() equal, row for row and to
the 分, to evaluate_frame / compare on the same 51 000 enterprise-years, under several scenarios,
amounts beyond int64 分 included; the rule set reaches each worker once, by a plugin."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd
import pytest
from conftest import REPO
from distributed import Client, LocalCluster
from enterprise_years import (
    HUGE,
    YEARS,
    frame_rows,
    population,
    scenarios,
    with_last_year_filled,
    without_last_year,
)

import subsidy
import subsidy.dask
from subsidy import _frames, _shipping

pytestmark = pytest.mark.slow

PARTS = 6
PER_PART = 2_834  # enterprises: × 6 parts × 3 years = 51 012 rows
ENTERPRISES = PARTS * PER_PART


def part(index: int) -> pd.DataFrame:
    """One input partition, made where it is needed (on a worker, or here for the reference)."""
    return population(PER_PART, seed=index, first=index * PER_PART)


def source(parts: int = PARTS) -> dd.DataFrame:
    # Made on the workers: a frame made here would travel inside the task graph. Dask would
    # turn object columns (lists of records, Decimals) into strings: not here.
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(part, range(parts))


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def rules() -> subsidy.RuleSet:
    return subsidy.RuleSet.load(REPO / "rules")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pd.concat([part(i) for i in range(PARTS)], ignore_index=True)


@pytest.fixture(scope="module")
def records(rules: subsidy.RuleSet, frame: pd.DataFrame) -> Any:
    """The frame typed once by the engine: ``evaluate_frame(frame)`` is
    ``evaluate_many(records).frames()``, and typing is most of its time."""
    return _frames.enterprises_from(rules._core, frame)


def test_population_has_fallback_rows(frame: pd.DataFrame) -> None:
    assert len(frame) >= 50_000
    assert frame["year"].nunique() >= 3
    huge = frame["sales_revenue"].map(lambda v: v >= HUGE)
    assert 0 < huge.sum() < len(frame) // 10


# compare() below runs "machining" against "mining": three scenarios in all.
@pytest.mark.parametrize("name", ["default", "machining"])
def test_lines_and_totals_equal_evaluate_frame(
    client: Client, rules: subsidy.RuleSet, frame: pd.DataFrame, records: Any, name: str
) -> None:
    scenario = scenarios(rules)[name]
    expected = scenario.evaluate_many(records).frames()
    lines, totals = dask.compute(*subsidy.dask.evaluate(scenario, source()))
    assert list(lines.columns) == list(expected.lines.columns)
    assert list(totals.columns) == list(expected.totals.columns)
    for column in ("amount", "min", "max"):
        assert lines[column].dtype == object
        assert all(v is None or isinstance(v, Decimal) for v in lines[column])
    assert len(totals) == len(frame)
    errors = [e for e in totals["error"] if isinstance(e, str)]
    assert len(errors) == (~expected.totals["ok"]).sum()
    assert all(e.startswith("<partition ") for e in errors)
    assert frame_rows(totals) == frame_rows(expected.totals)
    assert frame_rows(lines) == frame_rows(expected.lines)
    if name == "machining":  # its tax rebate passes huge taxes on: amounts beyond int64 分
        assert any(v is not None and v >= HUGE / 1000 for v in lines["max"])


def test_each_enterprise_in_one_partition(client: Client, rules: subsidy.RuleSet, frame: pd.DataFrame) -> None:
    _, totals = subsidy.dask.evaluate(rules, source(2))
    per_part = totals.map_partitions(lambda p: pd.DataFrame({"enterprise": p["enterprise"].unique()}))
    ids = per_part.compute()["enterprise"]
    assert ids.is_unique  # no enterprise's years were split between partitions
    assert len(ids) == 2 * PER_PART


def test_rule_set_installed_once_per_worker(client: Client, rules: subsidy.RuleSet, frame: pd.DataFrame) -> None:
    # What each task carries instead of the rules: the fingerprint and the scenario's choices.
    ref = _shipping.ref(rules.choose({"electromechanical-policy": "machining-survey"}))
    assert len(pickle.dumps(ref)) * 100 < len(pickle.dumps(rules))
    lines, _ = subsidy.dask.evaluate(rules, source(2))
    assert len(lines.compute()) > 0

    def held(dask_worker: Any) -> list[str]:
        return sorted(_shipping.RULES)

    assert client.run(held) == {w: [rules.fingerprint] for w in client.scheduler_info()["workers"]}


def test_compare_equals_single_process(
    client: Client, rules: subsidy.RuleSet, frame: pd.DataFrame, records: Any
) -> None:
    all_scenarios = scenarios(rules)
    base, other = all_scenarios["machining"], all_scenarios["mining"]
    expected = subsidy.compare(base, other, records)
    got = subsidy.dask.compare(base, other, source())
    assert got.by_payer == expected.by_payer
    assert got.total == expected.total
    assert got.total.change != subsidy.Band.zero()
    assert frame_rows(got.per_enterprise.compute()) == frame_rows(expected.per_enterprise)
    assert frame_rows(got.failed.compute()) == frame_rows(expected.failed)


def by_year(index: int) -> pd.DataFrame:
    """Input partitioned by year, as a warehouse keeps it: partition i holds every enterprise's
    record of YEARS[i] and no figure of the year before, so a rule reading ``last_year(...)`` needs
    a row from another input partition."""
    return without_last_year(population(CROSS_YEAR, seed=99), YEARS[index])


CROSS_YEAR = 1_500


def test_last_year_read_across_input_partitions(client: Client, rules: subsidy.RuleSet) -> None:
    scenario = scenarios(rules)["machining"]
    whole = pd.concat([by_year(i) for i in range(len(YEARS))], ignore_index=True)
    expected = scenario.evaluate_frame(whole)
    with dask.config.set({"dataframe.convert-string": False}):
        source = dd.from_map(by_year, range(len(YEARS)))
    lines, totals = dask.compute(*subsidy.dask.evaluate(scenario, source))
    assert frame_rows(lines) == frame_rows(expected.lines)
    assert frame_rows(totals) == frame_rows(expected.totals)
    # The same rows with last year's figure written in: every later year's lines are the same, so
    # the cluster really read the year before from the other partition's row.
    filled = scenario.evaluate_frame(with_last_year_filled(whole)).lines
    later = lines[lines["year"] > YEARS[0]]
    assert frame_rows(later) == frame_rows(filled[filled["year"] > YEARS[0]])
    # Each year's partition evaluated on its own, without the year before, gives other lines.
    alone = pd.concat([scenario.evaluate_frame(by_year(i)).lines for i in range(1, len(YEARS))])
    assert frame_rows(later) != frame_rows(alone)


def test_example_runs() -> None:
    # The docs page's example (docs/dask.md includes it), as a reader would run it.
    run = subprocess.run(
        [sys.executable, "examples/dask_evaluate.py"], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:3] == [
        "enterprise  cash_min  cash_max",
        "        E1 350000.00 350000.00",
        "        E1 550000.00 550000.00",
    ]
    assert "change: ¥180,000.00" in run.stdout
