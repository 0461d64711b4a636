"""Comparing two scenarios (or two rule sets) over one population, exactly."""

from __future__ import annotations

import html
import os
from decimal import Decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np
import pandas as pd

from . import _core, _frames
from ._frames import Population
from .results import Band, Total
from .rules import Batch, BudgetLine, RuleSet, Scenario

__all__ = ["BudgetCheck", "Change", "Comparison", "budget_checks", "compare"]

Evaluator = Union[RuleSet, Scenario]

MONEY_COLUMNS = ("baseline_min", "baseline_max", "scenario_min", "scenario_max", "change_min", "change_max")


@dataclass(frozen=True)
class Change:
    """Baseline and scenario totals for one payer (or for all), and the change between them.

    ``change`` is the change in the floor and the change in the ceiling of the cash band:
    ``Band(scenario.cash.min - baseline.cash.min, scenario.cash.max - baseline.cash.max)``."""

    key: str
    baseline: Total
    scenario: Total

    @property
    def change(self) -> Band:
        return self.scenario.cash - self.baseline.cash

    @property
    def in_kind_change(self) -> Band:
        return self.scenario.in_kind - self.baseline.in_kind

    @property
    def unfixed_change(self) -> int:
        return self.scenario.unfixed - self.baseline.unfixed

    def __repr__(self) -> str:
        return f"Change({self.key}: {self.baseline.cash} -> {self.scenario.cash}, change {self.change})"


@dataclass(frozen=True)
class BudgetCheck:
    """A budget line the rules declare, set against the awards it covers as projected for one
    population and year under one scenario: ``projected`` is the floor and ceiling of those
    awards (None for an outlay: a line that funds no award, listed once with ``year`` None);
    ``unfixed`` counts covered lines whose amount the policy leaves open (never taken as 0)."""

    scenario: str
    line: BudgetLine
    year: int | None
    projected: Band | None
    unfixed: int

    @property
    def verdict(self) -> str:
        """``within``, ``may exceed`` (the ceiling of the projection is above the budget's),
        ``exceeds`` (even its floor is), ``no ceiling`` (an open budget, 不低于) or ``outlay`` (a
        line that funds no award, e.g. running costs: spent whatever the population)."""
        if self.projected is None:
            return "outlay"
        if self.line.max is None:
            return "no ceiling"
        if self.projected.min > self.line.max:
            return "exceeds"
        if self.projected.max > self.line.max:
            return "may exceed"
        return "within"

    @property
    def budget(self) -> Band:
        return Band(self.line.min, self.line.max if self.line.max is not None else self.line.min)


def _in_scenario(scenario: Scenario, policy_set: str) -> bool:
    for p in scenario.rules.policy_sets:
        if p.id == policy_set and p.group:
            group = next(g for g in scenario.rules.groups if g.id == p.group)
            return dict(scenario.choices).get(p.group, group.default) == policy_set
    return True


def budget_checks(batch: Batch) -> list[BudgetCheck]:
    """Every budget line of the policy sets in the batch's scenario against the awards it covers,
    per year of the population (``year`` None when records carry none, and for outlays). The
    sums are the engine's (no Python per line)."""
    scenario = batch.scenario
    checks: list[BudgetCheck] = []
    for budget in scenario.rules.budget:
        if not _in_scenario(scenario, budget.policy_set):
            continue
        if not budget.covers:
            checks.append(BudgetCheck(scenario.describe(), budget, None, None, 0))
            continue
        for year, low, high, unfixed in _core.budget_sums(batch._core, list(budget.covers)):
            checks.append(BudgetCheck(scenario.describe(), budget, year, Band(low, high), unfixed))
    return checks


@dataclass(frozen=True, repr=False)
class Comparison:
    """Per-enterprise differences and totals by payer, as bands.

    Only enterprises evaluated completely under both scenarios are counted (``ok`` column: no
    error, no rule left out for want of a fact); the others are listed in ``failed`` with both
    errors (or the rules left out and the facts they need). So ``total.change`` equals the sum of
    the per-enterprise changes, and the by-payer changes add up to it."""

    baseline: str
    scenario: str
    per_enterprise: pd.DataFrame
    by_payer: Mapping[str, Change]
    total: Change
    failed: pd.DataFrame
    budget: tuple[BudgetCheck, ...] = ()  # baseline's checks, then the scenario's
    payer_en: Mapping[str, str] = field(default_factory=dict)  # a payer's English name

    def plot(
        self,
        ax: Any = None,
        *,
        title: str | None = None,
        ylabel: str | None = None,
        labels: Mapping[str, str] | None = None,
        baseline_label: str | None = None,
        scenario_label: str | None = None,
        chinese: bool | None = None,
    ) -> Any:
        """Cash totals by payer under both scenarios: a solid bar up to the floor and a hatched
        range up to the ceiling, the axis in 万元 or 亿元 (whole yuan; the chart is for reading,
        the exact figures are in :meth:`payer_frame`). Chinese labels when a CJK font is found
        (``chinese=None``), else the payers' English names; ``labels`` renames payers, and
        ``title``, ``ylabel``, ``baseline_label``, ``scenario_label`` replace the defaults.
        Needs matplotlib (``pip install subsidy[plot]``)."""
        import matplotlib.pyplot as plt

        from .plotting import cjk_font, plot_bands

        if chinese is None:
            chinese = cjk_font() is not None
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 5))
        payers = list(self.by_payer)
        names = dict(labels or {})
        categories = [names.get(p) or (p if chinese else self.payer_en.get(p, p)) for p in payers]
        series = [
            (name, [(int(getattr(self.by_payer[p], side).cash.min),
                     int(getattr(self.by_payer[p], side).cash.max)) for p in payers])
            for name, side in ((baseline_label or self.baseline, "baseline"),
                               (scenario_label or self.scenario, "scenario"))
        ]
        default_title = "现金奖励合计（按出资方）" if chinese else "Cash awards by payer"
        plot_bands(ax, categories, series, chinese=chinese, title=title or default_title,
                   ylabel=ylabel)
        return ax

    def payer_frame(self) -> pd.DataFrame:
        """One row per payer: baseline and scenario bands and the change (exact Decimals)."""
        rows = [
            {
                "payer": key,
                "baseline_min": c.baseline.cash.min,
                "baseline_max": c.baseline.cash.max,
                "scenario_min": c.scenario.cash.min,
                "scenario_max": c.scenario.cash.max,
                "change_min": c.change.min,
                "change_max": c.change.max,
                "unfixed_change": c.unfixed_change,
            }
            for key, c in [*self.by_payer.items(), ("all", self.total)]
        ]
        frame: pd.DataFrame = pd.DataFrame(rows).astype(
            {
                name: object
                for name in (
                    "baseline_min",
                    "baseline_max",
                    "scenario_min",
                    "scenario_max",
                    "change_min",
                    "change_max",
                )
            }
        )
        return frame

    def _counts(self) -> tuple[int, int]:
        """Enterprises compared and enterprises that failed."""
        return int(self.per_enterprise["ok"].sum()), len(self.failed)

    def __repr__(self) -> str:
        lines = [f"Comparison: {self.baseline}  ->  {self.scenario}"]
        for key, change in self.by_payer.items():
            lines.append(f"  {key}: {change.baseline.cash} -> {change.scenario.cash} ({change.change})")
        lines.append(f"  all: {self.total.baseline.cash} -> {self.total.scenario.cash} ({self.total.change})")
        counted, failed = self._counts()
        lines.append(f"  {counted} enterprises compared, {failed} failed")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (
            f"<div><b>{html.escape(self.baseline)}</b> → <b>{html.escape(self.scenario)}</b>"
            f"{self.payer_frame().to_html(index=False)}</div>"
        )


def _object_column(values: list[str | None]) -> np.ndarray[Any, Any]:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def _as_scenario(evaluator: Evaluator) -> Scenario:
    if isinstance(evaluator, Scenario):
        return evaluator
    if isinstance(evaluator, RuleSet):
        return evaluator.baseline
    raise TypeError(f"compare takes RuleSet or Scenario objects, not {type(evaluator).__name__}")


def _replayable(population: Population) -> Population:
    """A one-shot iterable of records becomes a list, so both scenarios see the same records."""
    if isinstance(population, (pd.DataFrame, str, os.PathLike, Mapping, list, tuple)):
        return population
    if isinstance(population, _core.Enterprises) or _frames._is_arrow_table(population):
        return population
    if isinstance(population, Iterable):
        return list(population)
    return population


def compare(
    baseline: Evaluator, scenario: Evaluator, population: Population, *, threads: int | None = None
) -> Comparison:
    """Evaluates ``population`` under both and reports per-enterprise differences of the cash
    totals, and totals by payer, as bands (floor and ceiling), all exact."""
    base, other = _as_scenario(baseline), _as_scenario(scenario)
    population = _replayable(population)
    if base.rules.fingerprint == other.rules.fingerprint:
        # Same rules: the facts are read once (by column for a frame, else typed) and
        # evaluated under both scenarios.
        core = base.rules._core
        population = _frames.column_facts(core, population) or _frames.enterprises_from(core, population)
    base_batch = base.evaluate_many(population, threads=threads)
    other_batch = other.evaluate_many(population, threads=threads)
    if len(base_batch) != len(other_batch):
        raise ValueError("the population gave a different number of records to each side")

    # Per enterprise, by the engine: an incomplete evaluation (a rule left out for want of a
    # fact) is not compared either: its total is a floor, and a change between floors is not a
    # change in awards.
    columns = _core.compare_columns(base_batch._core, other_batch._core)
    # Amounts as Decimal objects and unfixed_change as int objects, None where a row is not
    # compared (never a float NaN).
    per_enterprise = _frames.frame_of(columns["per_enterprise"], (*MONEY_COLUMNS, "unfixed_change"))
    # Text or None in every cell: a side that did not fail shows None, never NaN.
    failed = pd.DataFrame(
        {name: _object_column(values) for name, values in columns["failed"].items()}, dtype=object
    )
    both = per_enterprise["ok"].to_numpy(dtype=bool)

    mask = both.tolist()
    base_by_payer = base_batch.aggregate("payer", mask)
    other_by_payer = other_batch.aggregate("payer", mask)
    by_payer = {
        key: Change(
            key,
            base_by_payer.get(key, Total.zero()),
            other_by_payer.get(key, Total.zero()),
        )
        for key in sorted(set(base_by_payer) | set(other_by_payer))
    }
    total = Change("all", base_batch.total(mask), other_batch.total(mask))
    return Comparison(
        baseline=base.describe(),
        scenario=other.describe(),
        per_enterprise=per_enterprise,
        by_payer=by_payer,
        total=total,
        failed=failed,
        budget=(*budget_checks(base_batch), *budget_checks(other_batch)),
        payer_en={p.id: p.en.split(" (")[0] for p in (*base.rules.payers, *other.rules.payers)},
    )
