"""Rule sets shipped to the processes of a cluster once, and found there by fingerprint.

A task of :mod:`subsidy.dask` or :mod:`subsidy.spark` carries a :class:`Ref`: the rule set's
fingerprint and the scenario's choices, a few hundred bytes, never the rules themselves. The rule
set reaches each worker process once (a Dask worker plugin, a Spark broadcast variable) and is
kept here, rebuilt from its sources at most once per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .rules import RuleSet, Scenario

#: The rule sets this process holds, by fingerprint.
RULES: dict[str, RuleSet] = {}


@dataclass(frozen=True)
class Ref:
    """A scenario by reference. ``source``: where a process that lacks the rule set reads it (an
    object whose ``value`` is the RuleSet, such as a Spark broadcast variable), or None."""

    fingerprint: str
    choices: tuple[Any, ...]
    source: Any = None

    def scenario(self) -> Scenario:
        rules = RULES.get(self.fingerprint)
        if rules is None and self.source is not None:
            rules = RULES.setdefault(self.fingerprint, self.source.value)
        if rules is None:
            raise RuntimeError(
                f"rule set {self.fingerprint[:12]} was not shipped to this process: evaluate "
                "through subsidy.dask (with a distributed Client, or the threaded scheduler) or "
                "subsidy.spark"
            )
        return Scenario(rules, *self.choices)


def as_scenario(evaluator: RuleSet | Scenario) -> Scenario:
    if isinstance(evaluator, RuleSet):
        return evaluator.baseline
    if isinstance(evaluator, Scenario):
        return evaluator
    raise TypeError(f"expected a RuleSet or Scenario, not {type(evaluator).__name__}")


def ref(scenario: Scenario, source: Any = None) -> Ref:
    """The scenario's handle; its rule set is also kept in this process (the driver's tasks, a
    threaded scheduler's, find it here)."""
    RULES.setdefault(scenario.rules.fingerprint, scenario.rules)
    choices = (scenario.date, scenario.options, scenario.choices, scenario.parameters)
    return Ref(scenario.rules.fingerprint, choices, source)
