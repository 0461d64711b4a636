"""Shared fixtures of the Python tests.

The tests import the *installed* package (``pip install .``), never the source tree: python/ is
not on sys.path, and test_package.py checks where ``subsidy`` came from."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import subsidy

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
TOY_RULES = DATA / "toy-rules"

# CI runs the same examples every time (no flaky reds); a developer's run explores new ones.
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def toy_rules() -> subsidy.RuleSet:
    """tests/python/data/toy-rules: made-up rules, one per award form the tests need."""
    return subsidy.RuleSet.load(TOY_RULES)


def toy_record(**facts: Any) -> dict[str, Any]:
    """A manufacturing enterprise that qualifies for the toy rate rebate, with overrides."""
    record: dict[str, Any] = {
        "id": "E1",
        "name": "测试企业",
        "industry": "制造",
        "sales_revenue": Decimal("100000000.01"),
        "land_use_tax": "10万",
        "income_tax_paid": "300万",
        "income_tax_paid_last_year": "200万",
        "new_investment": 50000,
        "listed": False,
        "standards": [],
    }
    record.update(facts)
    return record
