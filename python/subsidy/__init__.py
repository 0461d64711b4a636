"""subsidy: industrial-subsidy policy as YAML rule tables; award amounts computed, explained and
audited exactly.

>>> import subsidy
>>> rules = subsidy.RuleSet.load("rules")                       # doctest: +SKIP
>>> result = rules.evaluate({"id": "E1", "industry": "..."})     # doctest: +SKIP
>>> result.explain()                                             # doctest: +SKIP
>>> lines, totals = rules.evaluate_frame(df)                     # doctest: +SKIP
>>> subsidy.compare(rules, rules.with_parameters({"x": "60%"}), df)  # doctest: +SKIP

Money and rates are ``decimal.Decimal`` throughout; a Python float is refused with a TypeError,
since it is already inexact. Errors are :class:`SubsidyError`, naming file, line and column.
"""

from __future__ import annotations

from decimal import Decimal

from . import _core
from ._core import SubsidyError
from ._frames import Frames
from .audit import AuditFinding, AuditReport, Ledger, audit
from .compare import BudgetCheck, Change, Comparison, budget_checks, compare
from .goalseek import GoalSeek, Sensitivity, goal_seek, sensitivity
from .results import (
    AwardLine,
    Band,
    Citation,
    Evaluation,
    Finding,
    PassedOver,
    Receipt,
    Text,
    Total,
    Totals,
    TraceStep,
)
from .testing import TestReport, run_tests
from .rules import (
    Batch,
    BudgetLine,
    Fact,
    Group,
    Option,
    Parameter,
    ParameterVersion,
    Payer,
    PolicySet,
    Rule,
    RuleSet,
    Scenario,
    Summary,
    Tier,
)

__version__ = _core.__version__

__all__ = [
    "AuditFinding",
    "AuditReport",
    "AwardLine",
    "Band",
    "Batch",
    "BudgetCheck",
    "BudgetLine",
    "Change",
    "Citation",
    "Comparison",
    "Evaluation",
    "Fact",
    "Finding",
    "Frames",
    "GoalSeek",
    "Group",
    "Ledger",
    "Option",
    "Parameter",
    "ParameterVersion",
    "Payer",
    "PassedOver",
    "PolicySet",
    "Receipt",
    "Rule",
    "RuleSet",
    "Scenario",
    "Sensitivity",
    "SubsidyError",
    "Summary",
    "Text",
    "TestReport",
    "Tier",
    "Total",
    "Totals",
    "TraceStep",
    "__version__",
    "as_decimal",
    "audit",
    "budget_checks",
    "compare",
    "engine_version",
    "goal_seek",
    "parse_amount",
    "parse_decimal",
    "run_tests",
    "sensitivity",
]


def as_decimal(value: Decimal | int | str) -> Decimal:
    """The exact decimal the engine would use for ``value``: a Decimal, an int, or text as policies
    write amounts (``'0.1'``, ``'30万'``, ``'50%'``). A float raises TypeError: pass a str or
    Decimal, since a float is already inexact."""
    return _core.as_decimal(value)


def parse_decimal(text: str) -> Decimal:
    """Parses an amount as policy texts write it (``1234.56``, ``30万``, ``1.2亿``, ``50%``)."""
    return _core.parse_decimal(text)


def parse_amount(text: str) -> tuple[Decimal, str]:
    """Like :func:`parse_decimal`, and also the unit written: ``'number'``, ``'yuan'`` or ``'rate'``."""
    return _core.parse_amount(text)


def engine_version() -> str:
    """The engine version that goes into receipts."""
    return _core.engine_version()
