"""Values cross the Python/C++ boundary exactly: Decimal round trips, policy-text amounts, and
floats refused everywhere with a TypeError that says what to pass instead."""

from __future__ import annotations

import datetime
import pickle
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import toy_record
from hypothesis import given
from hypothesis import strategies as st

import subsidy
from subsidy import _core


def same_decimal(a: Decimal, b: Decimal) -> bool:
    """Same value *and* same representation (1.0 and 1.00 differ); the sign of zero aside."""
    ta, tb = a.as_tuple(), b.as_tuple()
    if a.is_zero() and b.is_zero():
        return ta.exponent == tb.exponent
    return ta == tb


# --- round trips -------------------------------------------------------------------------------

ROUND_TRIP = [
    "0",
    "0.00",
    "1",
    "-1",
    "1.20",
    "1E+2",
    "123456789012345678901234567890.123456789",
    "-0.000000000000000000000000000001",
    "1E-999999",
    "9E+999999",
    "-1.5E-999990",
    "9" * 4096,
    "0." + "7" * 4095,
    "12345678901234567890E+50",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_decimal_round_trip_keeps_value_and_exponent(text: str) -> None:
    value = Decimal(text)
    back = subsidy.as_decimal(value)
    assert isinstance(back, Decimal)
    assert back == value
    assert same_decimal(back, value), (value.as_tuple(), back.as_tuple())


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_any_finite_decimal_round_trips(value: Decimal) -> None:
    back = subsidy.as_decimal(value)
    assert back == value
    assert same_decimal(back, value)


@given(st.integers(min_value=-(10**200), max_value=10**200))
def test_integers_round_trip_exactly(value: int) -> None:
    back = subsidy.as_decimal(value)
    assert back == value
    assert back.as_tuple().exponent == 0


def test_numpy_integers_are_exact() -> None:
    assert subsidy.as_decimal(np.int64(2**62)) == Decimal(2**62)
    assert subsidy.as_decimal(np.uint64(2**64 - 1)) == Decimal(2**64 - 1)


@pytest.mark.parametrize(
    ("text", "expected", "unit"),
    [
        ("30万", Decimal(300000), "number"),
        ("1.2亿", Decimal(120000000), "number"),
        ("5千", Decimal(5000), "number"),
        ("100万元", Decimal(1000000), "yuan"),
        ("200元", Decimal(200), "yuan"),
        ("1,234,567.89", Decimal("1234567.89"), "number"),
        ("50%", Decimal("0.5"), "rate"),
        ("百分之一", Decimal("0.01"), "rate"),
        ("-0.005", Decimal("-0.005"), "number"),
    ],
)
def test_policy_text_amounts_parse_exactly(text: str, expected: Decimal, unit: str) -> None:
    assert subsidy.parse_decimal(text) == expected
    value, written = subsidy.parse_amount(text)
    assert value == expected
    assert written == unit
    assert subsidy.as_decimal(text) == expected


def test_scientific_text_is_accepted_where_python_writes_it() -> None:
    assert subsidy.as_decimal(str(Decimal("1.5E+7"))) == Decimal(15000000)


def test_money_formatting_is_exact_and_grouped() -> None:
    assert _core.format_money(Decimal("1234567.89")) == "¥1,234,567.89"
    assert _core.format_wan(Decimal(300000)) == "30万元"
    assert str(subsidy.Band(Decimal("1.00"), Decimal("2.50"))) == "¥1.00 – ¥2.50"


# --- limits ------------------------------------------------------------------------------------


def test_exponent_beyond_the_limit_is_an_overflow_error() -> None:
    with pytest.raises(subsidy.SubsidyError) as caught:
        subsidy.as_decimal(Decimal(f"1E+{_core.MAX_EXPONENT + 1}"))
    assert caught.value.kind == "overflow"


def test_too_many_digits_is_an_overflow_error() -> None:
    with pytest.raises(subsidy.SubsidyError) as caught:
        subsidy.as_decimal(Decimal("1" * (_core.MAX_DIGITS + 1)))
    assert caught.value.kind == "overflow"


@pytest.mark.parametrize("text", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_non_finite_decimals_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        subsidy.as_decimal(Decimal(text))


@pytest.mark.parametrize("text", ["", "1e5", "abc", "30万万", "1.2.3"])
def test_malformed_text_is_a_parse_error(text: str) -> None:
    with pytest.raises(subsidy.SubsidyError) as caught:
        subsidy.parse_decimal(text)
    assert caught.value.kind == "parse"


# --- floats refused ----------------------------------------------------------------------------

FLOATS = [0.1, 1.0, float("nan"), np.float64(0.5), np.float32(0.25)]


@pytest.mark.parametrize("value", FLOATS, ids=repr)
def test_as_decimal_refuses_floats(value: object) -> None:
    with pytest.raises(TypeError, match=r"already inexact.*pass a str or decimal\.Decimal"):
        subsidy.as_decimal(value)  # type: ignore[arg-type]


def test_bool_is_not_an_amount() -> None:
    with pytest.raises(TypeError):
        subsidy.as_decimal(True)


def test_a_float_fact_is_refused_naming_the_fact(toy_rules: subsidy.RuleSet) -> None:
    with pytest.raises(TypeError, match=r"land_use_tax.*already inexact"):
        toy_rules.evaluate(toy_record(land_use_tax=0.1))


def test_a_float_inside_a_list_fact_is_refused(toy_rules: subsidy.RuleSet) -> None:
    with pytest.raises(TypeError, match="already inexact"):
        toy_rules.evaluate(toy_record(standards=[{"level": "国家标准", "role": 1.5}]))


def test_a_float_parameter_override_is_refused(toy_rules: subsidy.RuleSet) -> None:
    with pytest.raises(TypeError, match="pass a str or decimal.Decimal"):
        toy_rules.with_parameters({"rebate_rate": 0.6})  # type: ignore[dict-item]


def test_a_float64_column_is_refused_naming_the_column(toy_rules: subsidy.RuleSet) -> None:
    frame = pd.DataFrame([toy_record()])
    frame["land_use_tax"] = [0.1]
    with pytest.raises(TypeError, match=r"'land_use_tax'.*float64.*inexact"):
        toy_rules.evaluate_frame(frame)


def test_a_float_cell_in_an_object_column_is_refused(toy_rules: subsidy.RuleSet) -> None:
    frame = pd.DataFrame([toy_record(), toy_record(id="E2")])
    frame["land_use_tax"] = pd.Series([Decimal(1), 0.5], dtype=object)
    with pytest.raises(TypeError, match=r"land_use_tax.*already inexact"):
        toy_rules.evaluate_frame(frame)


def test_an_arrow_float_column_is_refused(toy_rules: subsidy.RuleSet) -> None:
    table = pa.table({"id": ["E1"], "industry": ["制造"], "land_use_tax": pa.array([0.5])})
    with pytest.raises(TypeError, match="land_use_tax"):
        toy_rules.evaluate_frame(table)


# --- amounts come back exact -------------------------------------------------------------------


def test_result_amounts_are_exact_decimals(toy_rules: subsidy.RuleSet) -> None:
    # 40% × (0.1 + 0.2) = 0.12 exactly; in binary floating point 0.1 + 0.2 != 0.3.
    result = toy_rules.evaluate(
        toy_record(
            land_use_tax=Decimal("0.1"),
            income_tax_paid=Decimal("0.2"),
            income_tax_paid_last_year=0,
            new_investment=0,
        )
    )
    result.raise_for_error()
    line = result.line("toy-policy/rate-rebate")
    assert isinstance(line.amount, Decimal)
    assert line.amount == Decimal("0.12")
    assert line.amount.as_tuple().exponent == -2  # rounded once, to the 分


def test_half_up_rounding_happens_once_at_the_end(toy_rules: subsidy.RuleSet) -> None:
    # 40% × 0.0125 = 0.005 → 0.01 (四舍五入); rounding the base first would give 0.40 × 0.01 = 0.00.
    result = toy_rules.evaluate(
        toy_record(
            land_use_tax=Decimal("0.0125"),
            income_tax_paid=0,
            income_tax_paid_last_year=0,
            new_investment=0,
        )
    )
    assert result.line("toy-policy/rate-rebate").amount == Decimal("0.01")


def test_dates_cross_as_dates(toy_rules: subsidy.RuleSet) -> None:
    rate = toy_rules.parameter("rebate_rate")
    assert rate.versions[0].start == datetime.date(2020, 1, 1)
    assert rate.versions[1].start == datetime.date(2022, 1, 1)
    assert rate.value == Decimal("0.40")
    assert toy_rules.on("2021-06-30").date == datetime.date(2021, 6, 30)


def test_a_datetime_with_a_time_is_not_a_date(toy_rules: subsidy.RuleSet) -> None:
    with pytest.raises(TypeError, match="date"):
        toy_rules.on(datetime.datetime(2021, 6, 30, 12, 0))  # type: ignore[arg-type]


# --- errors carry their place ------------------------------------------------------------------


def test_rule_file_errors_name_file_line_and_column() -> None:
    text = "policy_set:\n  id: broken\n  titel: {zh: 错, en: typo}\n"
    with pytest.raises(subsidy.SubsidyError) as caught:
        subsidy.RuleSet.from_texts({"broken.yaml": text})
    errors = caught.value.errors or [caught.value]
    located = [e for e in errors if e.file == "broken.yaml" and e.line is not None]
    assert located, [str(e) for e in errors]
    assert any(e.line == 3 and e.column is not None for e in located), [str(e) for e in errors]
    assert str(located[0]).startswith(f"broken.yaml:{located[0].line}:")


def test_a_missing_fact_is_never_zero(toy_rules: subsidy.RuleSet) -> None:
    record = toy_record()
    del record["income_tax_paid_last_year"]
    result = toy_rules.evaluate(record)
    assert result.ok and not result.complete
    (left_out,) = result.unevaluated
    assert left_out.missing == ("income_tax_paid_last_year",)
    assert "income_tax_paid_last_year" in left_out.message
    assert left_out.qualified_id not in {line.qualified_rule for line in result.lines}
    assert result.total.unevaluated == 1 and not result.total.complete


def test_a_wrong_enum_value_is_located_at_the_field(toy_rules: subsidy.RuleSet) -> None:
    with pytest.raises(subsidy.SubsidyError) as caught:
        toy_rules.evaluate(toy_record(industry="农业"))
    assert "industry" in str(caught.value)


def test_errors_pickle_with_their_attributes() -> None:
    with pytest.raises(subsidy.SubsidyError) as caught:
        subsidy.parse_decimal("1e5")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is subsidy.SubsidyError
    assert copy.kind == caught.value.kind == "parse"
    assert str(copy) == str(caught.value)
