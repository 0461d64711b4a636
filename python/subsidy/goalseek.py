"""Goal seek and sensitivity over a population, exactly.

:func:`goal_seek` finds the largest (or smallest) value of one parameter for which a total (the
cash awarded by one payer, or the awards a budget line covers) stays within a target. It searches
whole numbers of the parameter's quantum (0.0001, i.e. 0.01%, for a rate; 0.01 元 for money; 1 for
a count), by bisection on integers, evaluating the population with the engine at each point; no
float is involved. The answer is exact to the quantum if the total is monotone in the parameter:
every point the search evaluated is checked for that, and a non-monotone sequence is reported
(``monotone`` False, with the points) instead of an answer that would only look exact.

:func:`sensitivity` moves each parameter by the same relative step and ranks the parameters by
how much the total moves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from . import _frames
from ._frames import Population
from .compare import budget_checks
from .results import Band, Total
from .rules import Batch, Parameter, RuleSet, Scenario

__all__ = [
    "GoalSeek", "Sensitivity", "SensitivityRow", "goal_seek", "plain", "quantum_for_unit",
    "quantum_of", "sensitivity",
]

def plain(value: Decimal) -> str:
    """A decimal as digits (``15000000``, never ``1.500E+7``)."""
    return format(value, "f")


def quantum_for_unit(unit: str) -> Decimal | None:
    """One step of a value of this unit (as the engine names units): 0.01% for a rate, one 分 for
    money, one for a count or a year, 0.01 for another number or measure; None if not numeric."""
    if unit.startswith("money"):
        return Decimal("0.01")
    if unit == "a rate":
        return Decimal("0.0001")
    if unit in ("a count", "a year"):
        return Decimal(1)
    if unit == "a number" or unit.startswith("a measure"):
        return Decimal("0.01")
    return None


def _values(scenario: Scenario) -> dict[str, Decimal]:
    """Each parameter's value under the scenario (its date's version, or the override), as the
    engine resolves it."""
    values = scenario.rules._core.parameter_values(scenario._core_scenario)
    return {p.qualified_name: v for p, v in zip(scenario.rules.parameters, values)}


def quantum_of(parameter: Parameter) -> Decimal:
    """The step a search moves a parameter by (see :func:`quantum_for_unit`)."""
    return quantum_for_unit(parameter.unit) or Decimal("0.01")


@dataclass(frozen=True)
class _Measure:
    """How a population's evaluation becomes one total: a payer's cash, or a budget line's."""

    payer: str | None
    budget_line: str | None
    side: str  # "max" (the ceiling of the band) or "min" (its floor)

    def total(self, batch: Batch) -> Decimal:
        """The payer's cash total over the population; for a budget line (set per year), the
        covered awards of the worst year, since the line must hold in each."""
        def pick(band: Band) -> Decimal:
            return band.max if self.side == "max" else band.min

        if self.payer is not None:
            return pick(batch.aggregate("payer", list(batch.ok)).get(self.payer, Total.zero()).cash)
        years = [
            check.projected for check in budget_checks(batch)
            if self.budget_line in (check.line.id, f"{check.line.policy_set}/{check.line.id}")
        ]
        if not years:
            raise KeyError(f"no budget line {self.budget_line!r} in this scenario")
        return max((pick(band) for band in years if band is not None), default=Decimal(0))

    def describe(self) -> str:
        what = f"payer {self.payer}" if self.payer is not None else \
            f"budget line {self.budget_line} (its worst year)"
        return f"{'ceiling' if self.side == 'max' else 'floor'} of the cash total of {what}"


def _measure(payer: str | None, budget_line: str | None, side: str) -> _Measure:
    if (payer is None) == (budget_line is None):
        raise ValueError("give exactly one of payer= and budget_line=")
    if side not in ("max", "min"):
        raise ValueError(f"side must be 'max' or 'min', not {side!r}")
    return _Measure(payer, budget_line, side)


class _Evaluator:
    """Evaluates the population (typed once) at values of one parameter, remembering each total."""

    def __init__(self, scenario: Scenario, parameter: str, population: Population,
                 measure: _Measure, threads: int | None) -> None:
        self.scenario = scenario
        self.parameter = parameter
        self.records = _frames.enterprises_from(scenario.rules._core, population)
        self.measure = measure
        self.threads = threads
        self.seen: dict[Decimal, Decimal] = {}
        self.errors = 0

    def __call__(self, value: Decimal) -> Decimal:
        if value not in self.seen:
            batch = self.scenario.with_parameters({self.parameter: value}).evaluate_many(
                self.records, threads=self.threads
            )
            self.errors = max(self.errors, sum(not ok for ok in batch.ok))
            self.seen[value] = self.measure.total(batch)
        return self.seen[value]


def _monotone(points: Mapping[Decimal, Decimal]) -> tuple[bool, str]:
    """Whether the totals at the searched points never rise and fall both (in parameter order)."""
    ordered = sorted(points.items())
    rising = any(b[1] > a[1] for a, b in zip(ordered, ordered[1:]))
    falling = any(b[1] < a[1] for a, b in zip(ordered, ordered[1:]))
    if rising and falling:
        text = ", ".join(f"{plain(v)}: {plain(t)}" for v, t in ordered)
        return False, f"the total rises and falls over the searched points ({text})"
    return True, "non-decreasing" if not falling else "non-increasing"


@dataclass(frozen=True)
class GoalSeek:
    """The answer of :func:`goal_seek`: ``value`` (None when no value in range keeps the total
    within the target), the total there, and the total one quantum beyond it (``beyond``: the
    first value that exceeds the target, None at the end of the range). ``monotone`` False means
    the searched points show the total is not monotone in the parameter: ``value`` is then not
    to be trusted and ``note`` says why. ``points`` are every (value, total) evaluated."""

    parameter: str
    measure: str
    target: Decimal
    quantum: Decimal
    value: Decimal | None
    total: Decimal | None
    beyond: Decimal | None
    beyond_total: Decimal | None
    direction: str  # "largest" or "smallest"
    monotone: bool
    note: str
    points: tuple[tuple[Decimal, Decimal], ...]
    failed_records: int = 0

    @property
    def ok(self) -> bool:
        return self.monotone and self.value is not None

    def text(self) -> str:
        lines = [f"goal seek: {self.direction} {self.parameter} keeping the {self.measure} "
                 f"within {plain(self.target)} (to {plain(self.quantum)})"]
        if not self.monotone:
            lines.append(f"NOT MONOTONE: {self.note}; no exact answer")
        elif self.value is None:
            lines.append(f"no value in range keeps the total within the target ({self.note})")
        else:
            lines.append(f"answer: {self.parameter} = {plain(self.value)} (total {plain(self.total or Decimal(0))})")
            if self.beyond is not None:
                lines.append(f"one quantum beyond: {plain(self.beyond)} gives "
                             f"{plain(self.beyond_total or Decimal(0))} > {plain(self.target)}")
            else:
                lines.append(f"the whole range keeps the total within the target ({self.note})")
        lines.append(f"{len(self.points)} evaluations of the population"
                     + (f"; {self.failed_records} records failed and are not counted"
                        if self.failed_records else ""))
        return "\n".join(lines)


_GRID = 16  # intervals of the range sampled before bisecting


def _as_units(value: Decimal, quantum: Decimal) -> int:
    return int((value / quantum).to_integral_value(rounding="ROUND_FLOOR"))


def goal_seek(
    scenario: Scenario | RuleSet,
    parameter: str,
    *,
    target: Decimal | int | str,
    population: Population,
    payer: str | None = None,
    budget_line: str | None = None,
    side: str = "max",
    low: Decimal | int | str | None = None,
    high: Decimal | int | str | None = None,
    quantum: Decimal | int | str | None = None,
    threads: int | None = None,
) -> GoalSeek:
    """Finds the value of ``parameter`` that takes the total as close to ``target`` as it may go
    without exceeding it: the largest value if the total grows with the parameter, the smallest
    if it falls. The total is the cash ``payer`` awards, or the awards ``budget_line`` covers
    (``side`` "max": the ceiling of the band, so the target holds whatever is decided within
    bands; "min": the floor). The search runs over whole quanta from ``low`` (default 0) to
    ``high`` (default 100% for a rate; otherwise the current value doubled until the target is
    exceeded). Values are Decimal, int or policy text (``'30万'``, ``'55%'``); a float raises."""
    from . import as_decimal

    scenario = scenario.baseline if isinstance(scenario, RuleSet) else scenario
    declared = scenario.rules.parameter(parameter)
    name = declared.qualified_name
    step = as_decimal(quantum) if quantum is not None else quantum_of(declared)
    goal = as_decimal(target)
    measure = _measure(payer, budget_line, side)
    evaluate = _Evaluator(scenario, name, population, measure, threads)

    def at(units: int) -> Decimal:
        return evaluate(step * units)

    lo = _as_units(as_decimal(low), step) if low is not None else 0
    if high is not None:
        hi = _as_units(as_decimal(high), step)
    elif declared.unit == "a rate":
        hi = _as_units(Decimal(1), step)
    else:
        hi = max(_as_units(_values(scenario)[name], step), 1)
        while at(hi) <= goal and hi < 10**17:
            hi *= 2
    if hi < lo:
        raise ValueError(f"the range is empty: low {step * lo} is above high {step * hi}")
    # A grid of the range before the bisection: points for the monotonicity check that a search
    # between the two ends alone would never look at.
    for k in range(_GRID + 1):
        at(lo + (hi - lo) * k // _GRID)
    increasing = at(hi) >= at(lo)
    direction = "largest" if increasing else "smallest"
    inside, outside = (lo, hi) if increasing else (hi, lo)

    value: int | None
    beyond: int | None
    if at(inside) > goal:
        value, beyond, note = None, inside, f"even {plain(step * inside)} gives {plain(at(inside))}"
    elif at(outside) <= goal:
        value, beyond, note = outside, None, f"the total at {plain(step * outside)} is {plain(at(outside))}"
    else:
        # Invariant: at(inside) <= goal < at(outside); the answer is next to the boundary.
        good, bad = inside, outside
        while abs(bad - good) > 1:
            middle = (good + bad) // 2
            if at(middle) <= goal:
                good = middle
            else:
                bad = middle
        value, beyond, note = good, bad, ""
    monotone, shape = _monotone(evaluate.seen)
    points = tuple(sorted(evaluate.seen.items()))
    return GoalSeek(
        parameter=name,
        measure=measure.describe(),
        target=goal,
        quantum=step,
        value=None if value is None else step * value,
        total=None if value is None else at(value),
        beyond=None if beyond is None else step * beyond,
        beyond_total=None if beyond is None else at(beyond),
        direction=direction,
        monotone=monotone,
        note=note if monotone else shape,
        points=points,
        failed_records=evaluate.errors,
    )


# --- sensitivity ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SensitivityRow:
    parameter: str
    base_value: Decimal
    low_value: Decimal
    high_value: Decimal
    low_total: Decimal
    high_total: Decimal
    base_total: Decimal

    @property
    def swing(self) -> Decimal:
        """How far the total moves between the two ends: what the ranking sorts by."""
        return abs(self.high_total - self.low_total)


@dataclass(frozen=True)
class Sensitivity:
    measure: str
    step: Decimal
    base_total: Decimal
    rows: tuple[SensitivityRow, ...]  # largest swing first

    def text(self) -> str:
        out = [f"sensitivity of the {self.measure} (base {plain(self.base_total)}) to each parameter "
               f"moved by ±{plain(self.step * 100)}%:"]
        out.append("parameter\tlow → total\thigh → total\tswing")
        for row in self.rows:
            out.append(f"{row.parameter}\t{plain(row.low_value)} → {plain(row.low_total)}\t"
                       f"{plain(row.high_value)} → {plain(row.high_total)}\t{plain(row.swing)}")
        return "\n".join(out)


def sensitivity(
    scenario: Scenario | RuleSet,
    *,
    population: Population,
    payer: str | None = None,
    budget_line: str | None = None,
    parameters: Sequence[str] | None = None,
    step: Decimal | int | str = "10%",
    side: str = "max",
    threads: int | None = None,
) -> Sensitivity:
    """Moves each parameter (default: every parameter of the policy sets in the scenario) down and
    up by ``step`` of its value, rounded to its quantum, and ranks the parameters by how far the
    total moves between the two (largest first; ties by name)."""
    from . import as_decimal

    scenario = scenario.baseline if isinstance(scenario, RuleSet) else scenario
    measure = _measure(payer, budget_line, side)
    records = _frames.enterprises_from(scenario.rules._core, population)
    ratio = as_decimal(step)

    def total(s: Scenario) -> Decimal:
        return measure.total(s.evaluate_many(records, threads=threads))

    base_total = total(scenario)
    chosen = [scenario.rules.parameter(p) for p in parameters] if parameters else [
        p for p in scenario.rules.parameters if quantum_for_unit(p.unit) is not None
    ]
    current = _values(scenario)
    rows = []
    for declared in chosen:
        q = quantum_of(declared)
        base = current[declared.qualified_name]
        delta = (base * ratio / q).to_integral_value() * q
        low_value, high_value = max(base - delta, Decimal(0)), base + delta
        rows.append(SensitivityRow(
            declared.qualified_name, base, low_value, high_value,
            total(scenario.with_parameters({declared.qualified_name: low_value})),
            total(scenario.with_parameters({declared.qualified_name: high_value})),
            base_total,
        ))
    rows.sort(key=lambda r: (-r.swing, r.parameter))
    return Sensitivity(measure.describe(), ratio, base_total, tuple(rows))

