"""Exact decimal arithmetic on the Python side, whatever the caller's ``decimal`` context.

``Decimal`` addition rounds to the current thread's context (28 digits by default, and a caller
may have set ``prec=6`` or traps of their own). Amounts added or subtracted here (band sums,
scenario changes, budget totals) go through one context wide enough that no sum of amounts the
engine can produce is ever rounded; ``Inexact`` is trapped so that a rounding could not pass
silently even so."""

from __future__ import annotations

import contextlib
import decimal
import functools
from collections.abc import Iterable, Iterator
from decimal import Decimal

__all__ = ["EXACT", "add", "exact", "subtract", "total"]

EXACT = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow, decimal.Inexact],
)


def add(a: Decimal, b: Decimal) -> Decimal:
    return EXACT.add(a, b)


def subtract(a: Decimal, b: Decimal) -> Decimal:
    return EXACT.subtract(a, b)


def total(values: Iterable[Decimal]) -> Decimal:
    return functools.reduce(EXACT.add, values, Decimal(0))


@contextlib.contextmanager
def exact() -> Iterator[None]:
    """For vectorised arithmetic (pandas object columns of ``Decimal``), which runs in the
    current context: makes it the exact one for the duration."""
    with decimal.localcontext(EXACT):
        yield
