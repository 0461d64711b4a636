"""The result types: the engine's structs bound directly, subclassed by the package. They keep
the rules they cite alive, give exact Decimals, and compare, hash, pickle and refuse changes as
the frozen dataclasses they replaced did."""

from __future__ import annotations

import gc
import pickle
from decimal import Decimal

import pytest

import subsidy
from subsidy import _core

from conftest import TOY_RULES, toy_record


def _evaluation() -> subsidy.Evaluation:
    rules = subsidy.RuleSet.load(TOY_RULES)
    return rules.evaluate(toy_record(listed=True))


def test_a_result_outlives_its_rule_set() -> None:
    evaluation = _evaluation()  # the RuleSet is gone once _evaluation returns
    gc.collect()
    assert evaluation.lines
    for line in evaluation.lines:
        assert line.citation.text and line.citation.document
        assert line.title.zh or line.title.en
    assert evaluation.totals.all.cash.max > 0


def test_results_are_the_packages_classes_over_the_bound_ones() -> None:
    evaluation = _evaluation()
    line = evaluation.lines[0]
    assert type(line) is subsidy.AwardLine and isinstance(line, _core.AwardLine)
    assert type(line.citation) is subsidy.Citation
    assert type(line.title) is subsidy.Text
    assert all(type(step) is subsidy.TraceStep for step in line.trace)
    assert type(evaluation.totals) is subsidy.Totals
    assert type(evaluation.totals.all) is subsidy.Total
    assert type(evaluation.totals.all.cash) is subsidy.Band
    assert all(type(t) is subsidy.Total for t in evaluation.totals.by_payer.values())
    exact = [ln for ln in evaluation.lines if ln.status == "exact"]
    assert exact and all(isinstance(ln.amount, Decimal) for ln in exact)
    assert all(ln.band is not None and ln.band.min == ln.amount for ln in exact)


def test_results_cannot_be_changed() -> None:
    line = _evaluation().lines[0]
    with pytest.raises(AttributeError):
        line.amount = Decimal(1)  # type: ignore[misc]
    band = subsidy.Band(Decimal("1.00"), Decimal("2.00"))
    with pytest.raises(AttributeError):
        band.min = Decimal(0)  # type: ignore[misc]


def test_equality_hashing_and_pickling_go_by_the_fields() -> None:
    first, second = _evaluation(), _evaluation()
    assert first.lines == second.lines
    assert {hash(line) for line in first.lines} == {hash(line) for line in second.lines}
    assert first.totals == second.totals
    with pytest.raises(TypeError):
        hash(first.totals)  # it holds dicts, as the dataclass did
    for value in (*first.lines, first.totals, *first.findings, *first.passed_over):
        back = pickle.loads(pickle.dumps(value))
        assert back == value and type(back) is type(value)
    back_line = pickle.loads(pickle.dumps(first.lines[0]))
    assert back_line.citation == first.lines[0].citation
    assert back_line.value_text == first.lines[0].value_text
    assert pickle.loads(pickle.dumps(first)) == first
    assert subsidy.Band(Decimal("1.00"), Decimal("2.0")) != subsidy.Band(Decimal("1.00"), Decimal("2.5"))
    assert subsidy.Band(Decimal("1"), Decimal("2")) != (Decimal("1"), Decimal("2"))


def test_a_line_rebuilt_from_its_fields_is_equal() -> None:
    line = _evaluation().lines[0]
    assert subsidy.AwardLine(**line._asdict()) == line  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="award form"):
        subsidy.AwardLine(**{**line._asdict(), "form": "cheque"})  # type: ignore[arg-type]


def test_the_repr_names_the_fields() -> None:
    assert repr(subsidy.Text("奖励", "award")) == "Text(zh='奖励', en='award')"
    assert repr(subsidy.TraceStep("rule", "r1")) == "TraceStep(kind='rule', detail='r1')"
