"""Differential test: subsidy::Decimal (through tools/decimal_oracle) against Python's decimal.

Random operands, seeded so that a failure reproduces: small and large coefficients, wide exponents,
ties such as x.xx5, negatives and zeros, and coefficients at the 64-bit boundaries where the C++
fast paths hand over to arbitrary precision. Every case must agree exactly, exponent included.

The oracle is looked up in $SUBSIDY_BUILD_DIR/tools (ctest and scripts/test.sh set it to the build
they made; by default the repository's own build/ folder); a missing oracle is a failure, not a
skip, so that an unbuilt tree cannot pass silently.
"""

from __future__ import annotations

import os
import pathlib
import random
import subprocess
from decimal import (
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    Inexact,
    InvalidOperation,
    Rounded,
    localcontext,
)

import pytest

CASES = 10_000
REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
BUILD_DIR = pathlib.Path(os.environ.get("SUBSIDY_BUILD_DIR", REPOSITORY / "build"))
ORACLE = BUILD_DIR / "tools" / "decimal_oracle"

# Our rule-file names, with Python's constant for each.
MODES = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "half_down": ROUND_HALF_DOWN,
    "down": ROUND_DOWN,
    "up": ROUND_UP,
    "floor": ROUND_FLOOR,
    "ceiling": ROUND_CEILING,
    "05up": ROUND_05UP,
}

# Wide enough that nothing in these operands is ever rounded or clamped by the reference itself.
EXACT = Context(prec=100_000, Emax=999_999_999, Emin=-999_999_999,
                traps=[Inexact, Rounded, InvalidOperation])
LOOSE = Context(prec=100_000, Emax=999_999_999, Emin=-999_999_999, traps=[InvalidOperation])

# Coefficients where 64-bit arithmetic overflows or a limb boundary is crossed.
EDGE_COEFFICIENTS = [
    2**63 - 1, 2**63, 2**63 + 1, 2**64 - 1, 2**64, 2**64 + 1, 10**18, 10**18 - 1, 10**19 - 1,
    10**19, 10**19 + 5, 5 * 10**18, 922337203685477580, 9223372036854775805, 2**127, 10**38 + 5,
]
DIGIT_LENGTHS = [1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 9, 12, 15, 18, 19, 20, 21, 25, 30, 38, 45]


def oracle_path() -> pathlib.Path:
    if not (ORACLE.is_file() and os.access(ORACLE, os.X_OK)):
        pytest.fail(f"{ORACLE} is missing: build it first (cmake --build build --target "
                    "decimal_oracle) or point SUBSIDY_BUILD_DIR at the build directory")
    return ORACLE


def run_oracle(lines: list[str]) -> list[str]:
    proc = subprocess.run([str(oracle_path()), "--both"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"decimal_oracle exited with {proc.returncode}: {proc.stderr}"
    out = proc.stdout.splitlines()
    assert len(out) == len(lines), f"{len(lines)} lines in, {len(out)} lines out"
    return out


def random_decimal(rng: random.Random) -> Decimal:
    sign = 1 if rng.random() < 0.4 else 0
    wide = rng.random() < 0.1
    exponent = rng.randint(-40, 40) if wide else rng.randint(-12, 10)
    pick = rng.random()
    if pick < 0.06:
        return Decimal((sign, (0,), exponent))  # zeros, "-0" included
    if pick < 0.14:
        coefficient = rng.choice(EDGE_COEFFICIENTS) + rng.randint(-2, 2)
    else:
        n = rng.choice(DIGIT_LENGTHS)
        coefficient = rng.randrange(10 ** (n - 1), 10**n)
        if pick < 0.35:
            coefficient = coefficient * 10 + 5  # a tie one digit further down: x.xx5
    coefficient = max(coefficient, 1)
    return Decimal((sign, tuple(int(c) for c in str(coefficient)), exponent))


def text(d: Decimal, rng: random.Random) -> str:
    """The operand as the oracle reads it: scientific or plain, both GDA syntax. Plain notation
    of 8E+4 is 80000, another representation, so the reference re-reads this text (operand())."""
    r = rng.random()
    if r < 0.5:
        return str(d)
    if r < 0.6:
        return str(d).replace("E", "e")
    plain = f"{d:f}"
    return "+" + plain if r < 0.65 and not plain.startswith("-") else plain


def operand(rng: random.Random) -> tuple[str, Decimal]:
    """A random operand's text and the exact value Python reads from that same text."""
    t = text(random_decimal(rng), rng)
    return t, Decimal(t)


def render(d: Decimal) -> str:
    """Plain and scientific forms; the library has no negative zero."""
    if d.is_zero():
        d = d.copy_abs()
    return f"{d:f} {d}"


def quantum(exponent: int) -> Decimal:
    return Decimal((0, (1,), exponent))


def check(lines: list[str], expected: list[str]) -> None:
    got = run_oracle(lines)
    mismatches = [(line, g, e) for line, g, e in zip(lines, got, expected) if g != e]
    report = "\n".join(f"  {line!r}\n    oracle:   {g}\n    expected: {e}"
                       for line, g, e in mismatches[:20])
    assert not mismatches, f"{len(mismatches)} of {len(lines)} cases differ:\n{report}"


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
def test_exact_arithmetic(op: str) -> None:
    rng = random.Random(f"decimal-{op}")
    lines, expected = [], []
    for _ in range(CASES):
        (ta, a), (tb, b) = operand(rng), operand(rng)
        lines.append(f"{op} {ta} {tb}")
        with localcontext(EXACT):  # traps Inexact and Rounded: the reference result is exact
            r = a + b if op == "add" else a - b if op == "sub" else a * b
        expected.append(render(r))
    assert len(lines) >= CASES
    check(lines, expected)


def test_compare() -> None:
    rng = random.Random("decimal-compare")
    lines, expected = [], []
    for _ in range(CASES):
        ta, a = operand(rng)
        r = rng.random()
        if r < 0.2:
            b = a  # equal values, often with a different exponent below
        elif r < 0.3:
            b = a.scaleb(rng.randint(-3, 3), EXACT).quantize(quantum(a.as_tuple().exponent - 2),
                                                              context=LOOSE)
        else:
            b = random_decimal(rng)
        if rng.random() < 0.3:
            b = b.quantize(quantum(b.as_tuple().exponent - rng.randint(0, 5)), context=LOOSE)
        tb = text(b, rng)
        lines.append(f"compare {ta} {tb}")
        expected.append(str(int(a.compare(Decimal(tb)))))
    check(lines, expected)


@pytest.mark.parametrize("mode", list(MODES))
def test_quantize(mode: str) -> None:
    rng = random.Random(f"decimal-quantize-{mode}")
    lines, expected = [], []
    for i in range(CASES):
        ta, a = operand(rng)
        e = a.as_tuple().exponent
        assert isinstance(e, int)
        r = rng.random()
        if r < 0.35:
            target = e + 1  # the last digit decides: ties when it is 5
        elif r < 0.85:
            target = e + rng.randint(-6, 12)
        else:
            target = e + rng.randint(-30, 60)
        name = mode if i % 2 == 0 else MODES[mode]  # exercises both spellings
        lines.append(f"quantize {ta} {target} {name}")
        with localcontext(LOOSE):
            expected.append(render(a.quantize(quantum(target), rounding=MODES[mode])))
    check(lines, expected)


def reference_divide(a: Decimal, b: Decimal, exponent: int, mode: str) -> str:
    if b.is_zero():
        return "ERROR division"
    if a.is_zero():
        return render(Decimal((0, (0,), exponent)))
    # Round to at least two digits below 10^exponent with ROUND_05UP (decimal round-to-odd), then
    # to 10^exponent with the mode: the second rounding sees the tail exactly as the true quotient.
    upper = a.adjusted() - b.adjusted() + 1
    prec = max(upper - (exponent - 2) + 1, 1) + 2
    with localcontext(Context(prec=prec, rounding=ROUND_05UP, Emax=999_999_999,
                              Emin=-999_999_999, traps=[InvalidOperation])):
        q = a / b
    with localcontext(LOOSE):
        return render(q.quantize(quantum(exponent), rounding=MODES[mode]))


@pytest.mark.parametrize("mode", list(MODES))
def test_divide(mode: str) -> None:
    rng = random.Random(f"decimal-divide-{mode}")
    lines, expected = [], []
    for i in range(CASES):
        (ta, a), (tb, b) = operand(rng), operand(rng)
        r = rng.random()
        if r < 0.3:
            # Ties: b divides 2a exactly with a 5 one place below the target.
            b = Decimal(rng.choice([2, 4, 8, 20, 40, -2, -8, 16, 80, 5, -25])).scaleb(
                rng.randint(-3, 3), EXACT)
            tb = str(b)
            target = a.as_tuple().exponent - b.as_tuple().exponent  # type: ignore[operator]
            target += rng.randint(-1, 2)
        elif r < 0.9:
            target = rng.randint(-12, 6)
        else:
            target = rng.randint(-40, 30)
        name = mode if i % 2 == 0 else MODES[mode]
        lines.append(f"divide {ta} {tb} {target} {name}")
        expected.append(reference_divide(a, b, target, mode))
    got = run_oracle(lines)
    mismatches = []
    for line, g, e in zip(lines, got, expected):
        ok = g.startswith("ERROR division:") if e == "ERROR division" else g == e
        if not ok:
            mismatches.append((line, g, e))
    report = "\n".join(f"  {line!r}\n    oracle:   {g}\n    expected: {e}"
                       for line, g, e in mismatches[:20])
    assert not mismatches, f"{len(mismatches)} of {len(lines)} cases differ:\n{report}"
    assert sum(e == "ERROR division" for e in expected) > 0  # division by zero was exercised
