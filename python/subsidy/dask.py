"""Evaluating a Dask DataFrame of enterprise-years with the batch engine, partition by partition.

Each partition is a pandas DataFrame handed to :meth:`subsidy.Scenario.evaluate_frame` (or to
:func:`subsidy.compare`) on a worker, so the results are those of the single-process engine: the
same columns, amounts as exact ``decimal.Decimal`` objects, the exact fallback for rows too large
for fixed point included. Nothing here computes an award.

The rule set travels to each worker once: on a ``distributed`` cluster it is installed by a
worker plugin (pickled as its sources, rebuilt once per worker process, kept by fingerprint), and
each task carries only the fingerprint and the scenario's choices. Without a distributed client
(the threaded or synchronous scheduler) the tasks run in this process and find it here.

Rows of one enterprise are brought into one partition first (a shuffle on ``by``, the enterprise
id column), so that rules reading an enterprise's earlier years see them. Pass ``by=None`` for a
frame already partitioned that way.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from typing import Any

import dask
import dask.dataframe as dd
from dask.base import compute, persist
from dask.delayed import delayed
import pandas as pd
from distributed import get_client
from distributed.diagnostics.plugin import WorkerPlugin

from . import _frames, _shipping
from .compare import Change, compare as _single_compare
from .compare import Comparison as _Comparison
from ._shipping import Ref
from ._frames import Frames
from .results import Total
from .rules import RuleSet, Scenario

__all__ = ["Comparison", "compare", "evaluate"]


class _RulesPlugin(WorkerPlugin):
    """Installs a rule set on every worker of the cluster (and on workers that join later)."""

    idempotent = True  # registered again under the same name (same fingerprint): ignored

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.name = f"subsidy-rules-{rules.fingerprint}"

    def setup(self, worker: Any) -> None:
        _shipping.RULES[self.rules.fingerprint] = self.rules


#: (client id, fingerprint) of the rule sets this process has sent to a cluster.
_REGISTERED: set[tuple[str, str]] = set()


def _ship(evaluator: RuleSet | Scenario) -> Ref:
    """Makes the rule set available where tasks run, once per process, and returns its handle."""
    scenario = _shipping.as_scenario(evaluator)
    try:
        client = get_client()
    except ValueError:  # no distributed client: tasks run in this process
        client = None
    key = (str(client.id) if client is not None else "", scenario.rules.fingerprint)
    if client is not None and key not in _REGISTERED:
        client.register_plugin(_RulesPlugin(scenario.rules))
        _REGISTERED.add(key)
    return _shipping.ref(scenario)


def _colocated(frame: dd.DataFrame, by: str | None) -> dd.DataFrame:
    if by is None:
        return frame
    if by not in frame.columns:
        raise KeyError(f"the frame has no column {by!r} to bring each enterprise's rows together")
    shuffled: dd.DataFrame = frame.shuffle(on=by)
    return shuffled


def _partitions(frame: dd.DataFrame) -> list[Any]:
    """One Delayed object per partition."""
    parts: list[Any] = frame.to_delayed()  # type: ignore[no-untyped-call]
    return parts


def _records(scenario: Scenario, part: pd.DataFrame, index: int) -> Any:
    """The partition typed by the engine; an error's location names the partition (and its row
    there), and its text names the enterprise."""
    return _frames._from_frame(scenario.rules._core, part, f"<partition {index}>")


def _evaluate_part(part: pd.DataFrame, ref: Ref, index: int) -> Frames:
    scenario = ref.scenario()
    return scenario.evaluate_many(_records(scenario, part, index), threads=1).frames()


#: Result columns that always hold a value, with their dtype (the others hold text, exact
#: Decimals or None: object).
_DTYPES = {
    "ok": "bool",
    "withheld": "bool",
    "items": "int64",
    "unfixed": "int64",
    "recognised": "int64",
    "lines": "int64",
}


def _field(parts: Any, name: str, sample: Any) -> Any:
    """A Dask DataFrame of one field of every partition's result. ``sample`` (the result for an
    empty partition) gives the columns; an empty result cannot tell their dtypes, so the meta
    says object except for the columns that are never missing."""
    meta = getattr(sample, name).iloc[:0]
    meta = meta.astype({c: _DTYPES.get(c, object) for c in meta.columns})
    # Dask would otherwise turn object columns into strings: Decimal amounts included.
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_delayed([delayed(getattr)(p, name) for p in parts], meta=meta, verify_meta=False)


def evaluate(evaluator: RuleSet | Scenario, frame: dd.DataFrame, *, by: str | None = "id") -> Frames:
    """``(lines, totals)`` as Dask DataFrames: the columns of :meth:`Scenario.evaluate_frame`,
    amounts as exact ``decimal.Decimal`` objects. Lazy; ``dask.compute(lines, totals)`` evaluates
    each partition once for both."""
    ref = _ship(evaluator)
    frame = _colocated(frame, by)
    sample = _evaluate_part(frame._meta, ref, 0)
    parts = [delayed(_evaluate_part)(p, ref, i) for i, p in enumerate(_partitions(frame))]
    return Frames(lines=_field(parts, "lines", sample), totals=_field(parts, "totals", sample))


# --- comparing two scenarios ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """One partition's comparison: its rows, and its totals to be added up on the client."""

    per_enterprise: pd.DataFrame
    failed: pd.DataFrame
    by_payer: dict[str, tuple[Total, Total]]
    total: tuple[Total, Total]


def _compare_part(part: pd.DataFrame, base: Ref, other: Ref, index: int) -> _Part:
    baseline, scenario = base.scenario(), other.scenario()
    same_rules = base.fingerprint == other.fingerprint  # then the records are typed once for both
    population = _records(baseline, part, index) if same_rules else part
    c = _single_compare(baseline, scenario, population, threads=1)
    return _Part(
        per_enterprise=c.per_enterprise,
        failed=c.failed,
        by_payer={k: (v.baseline, v.scenario) for k, v in c.by_payer.items()},
        total=(c.total.baseline, c.total.scenario),
    )


@dataclass(frozen=True, repr=False)
class Comparison(_Comparison):
    """:class:`subsidy.Comparison` over a Dask DataFrame: ``by_payer`` and ``total`` computed (exact
    sums of the partitions'), ``per_enterprise`` and ``failed`` Dask DataFrames over the persisted
    partition results. Budget checks are not made here (``budget`` is empty)."""

    counts: tuple[int, int] = (0, 0)  # enterprises compared, and failed

    def _counts(self) -> tuple[int, int]:
        return self.counts


def _sums(part: _Part) -> tuple[dict[str, tuple[Total, Total]], tuple[Total, Total], int, int]:
    return part.by_payer, part.total, int(part.per_enterprise["ok"].sum()), len(part.failed)


def _exact_sum(totals: list[Total]) -> Total:
    # Every digit kept: an inexact sum would raise instead of rounding.
    context = decimal.Context(prec=decimal.MAX_PREC, traps=[decimal.Inexact, decimal.Overflow])
    with decimal.localcontext(context):
        result = Total.zero()
        for t in totals:
            result = result + t
        return result


def compare(
    baseline: RuleSet | Scenario, scenario: RuleSet | Scenario, frame: dd.DataFrame, *, by: str | None = "id"
) -> Comparison:
    """Both scenarios on every partition (records typed once per partition), as
    :func:`subsidy.compare`; the partition results stay in the cluster's memory (persisted)."""
    base_ref, other_ref = _ship(baseline), _ship(scenario)
    frame = _colocated(frame, by)
    sample = _compare_part(frame._meta, base_ref, other_ref, 0)
    delayed_parts = [
        delayed(_compare_part)(p, base_ref, other_ref, i) for i, p in enumerate(_partitions(frame))
    ]
    parts = persist(*delayed_parts)  # type: ignore[no-untyped-call]
    summaries = compute(*[delayed(_sums)(p) for p in parts])  # type: ignore[no-untyped-call]
    payers = sorted({key for s in summaries for key in s[0]})
    by_payer = {
        key: Change(
            key,
            _exact_sum([s[0][key][0] for s in summaries if key in s[0]]),
            _exact_sum([s[0][key][1] for s in summaries if key in s[0]]),
        )
        for key in payers
    }
    total = Change(
        "all", _exact_sum([s[1][0] for s in summaries]), _exact_sum([s[1][1] for s in summaries])
    )
    return Comparison(
        baseline=base_ref.scenario().describe(),
        scenario=other_ref.scenario().describe(),
        per_enterprise=_field(parts, "per_enterprise", sample),
        by_payer=by_payer,
        total=total,
        failed=_field(parts, "failed", sample),
        counts=(sum(s[2] for s in summaries), sum(s[3] for s in summaries)),
    )
