"""evaluate_many / evaluate_frame run on the batch engine whenever no trace is asked for; their
results must be those of the reference evaluator, cell for cell: a differential test over random
populations (several years per enterprise, text facts, amounts beyond int64 that need the exact
path, missing facts) under several scenarios."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import subsidy
from subsidy import _core, _frames
from enterprise_years import arrow, population

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="module")
def rules() -> subsidy.RuleSet:
    return subsidy.RuleSet.load(RULES)


def _scenarios(rules: subsidy.RuleSet) -> list[subsidy.Scenario]:
    option = rules.options[0]
    other = next(c for c in option.choices if c != option.default)
    return [
        rules.baseline,
        rules.choose({"electromechanical-policy": "machining-survey"}),
        rules.choose({"electromechanical-policy": "mining-em-survey"}).with_options({option.name: other}),
        rules.on("2022-06-30"),
    ]


def _frame(seed: int) -> pd.DataFrame:
    frame = population(400, seed, huge_share=0.03)
    rng = np.random.default_rng(seed)
    frame["name"] = [f"企业{i}" for i in rng.integers(0, 50, len(frame))]
    # Some facts left out: rules that read them are not evaluated (never taken as 0).
    frame.loc[rng.random(len(frame)) < 0.05, "land_use_tax"] = None
    # Amounts written with fewer decimals than the 分 (an int, 1234.5): kept as written.
    frame.loc[rng.random(len(frame)) < 0.05, "tax_paid"] = Decimal("1234.5")
    frame.loc[rng.random(len(frame)) < 0.05, "registered_capital"] = 5_000_000
    frame["listed"] = frame["listed"].astype(object)
    frame.loc[rng.random(len(frame)) < 0.02, "listed"] = None
    return frame


def _reference(scenario: subsidy.Scenario, records: _core.Enterprises) -> _core.EvaluationBatch:
    return _core.evaluate_batch(scenario.rules._core, records, scenario._core_scenario, 2)


def _same_frames(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert list(got.dtypes) == list(want.dtypes)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for column in ("amount", "min", "max", "cash_min", "cash_max", "in_kind_min", "in_kind_max"):
        if column in got:  # Decimal objects, equal in value and in exponent (str)
            assert [None if v is None else str(v) for v in got[column]] == [
                None if v is None else str(v) for v in want[column]
            ]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_batch_engine_gives_the_reference_results(rules: subsidy.RuleSet, seed: int) -> None:
    frame = _frame(seed)
    records = _frames.enterprises_from(rules._core, frame)
    columns = _frames.column_facts(rules._core, frame)
    assert columns is not None and set(columns.exponents) == {"tax_paid", "registered_capital"}
    for scenario, population in zip(_scenarios(rules), [records, columns, records, columns]):
        want = _reference(scenario, records)
        batch = scenario.evaluate_many(population, threads=2)
        # The batch engine computed most rows (the test would prove nothing otherwise).
        assert batch._core.partial > len(batch) // 2
        _same_frames(batch.lines(), _frames.lines_frame(want))
        for by in ("enterprise", "payer", "policy_set"):
            _same_frames(batch.totals(by), _frames.totals_frame(want, by))
        for by in ("payer", "policy_set", "all"):
            assert _core.batch_aggregate(batch._core, by) == _core.batch_aggregate(want, by)
            mask = [i % 3 != 0 for i in range(len(batch))]
            assert _core.batch_aggregate(batch._core, by, mask) == _core.batch_aggregate(want, by, mask)
        assert batch.ok == _core.batch_ok(want)
        assert batch.complete == _core.complete_mask(want)
        # Whole evaluations (findings, policy sets) are the reference evaluator's.
        for i in (0, 7, len(batch) - 1):
            assert batch._core[i].to_json(True) == want[i].to_json(True)
        partial = batch._core.partial
        assert batch.to_json() == want.to_json()
        whole = batch._core.whole(0, len(batch))
        assert [e.to_json(True) for e in whole] == [want[i].to_json(True) for i in range(len(want))]
        assert list(batch) == list(subsidy.rules.Batch(want, scenario))
        # Completed block by block for the writer and not kept: the batch stays at its own size.
        assert batch._core.partial == partial > 0


def test_evaluate_frame_equals_the_reference_frames(rules: subsidy.RuleSet) -> None:
    frame = _frame(3)
    records = _frames.enterprises_from(rules._core, frame)
    scenario = rules.choose({"electromechanical-policy": "machining-survey"})
    lines, totals = scenario.evaluate_frame(frame)
    want = _reference(scenario, records)
    _same_frames(lines, _frames.lines_frame(want))
    _same_frames(totals, _frames.totals_frame(want))
    # Amounts beyond int64 分 were computed exactly (on the reference path).
    assert any(v is not None and v > Decimal(10) ** 18 for v in totals["cash_max"])
    assert totals["incomplete"].notna().any()


def test_a_frame_is_read_by_column_or_else_typed(rules: subsidy.RuleSet) -> None:
    frame = _frame(6)
    assert _frames.column_facts(rules._core, frame) is not None
    # An amount written with more digits than its column keeps, an id with a space around it, a
    # text in an amount column, a float: each frame goes the typed path, with the same results
    # (or the same error).
    for column, row, value in (
        ("sales_revenue", 5, Decimal("12.345")),
        ("id", 2, " E0000002"),
        ("land_use_tax", 9, "30万"),
        ("listed", 4, 1),
    ):
        odd = frame.copy()
        odd[column] = odd[column].astype(object)
        odd.loc[row, column] = value
        assert _frames.column_facts(rules._core, odd) is None
    odd = frame.copy()
    odd.loc[7, "land_use_tax"] = Decimal("12.345")
    lines, totals = rules.evaluate_frame(odd)
    want = _reference(rules.baseline, _frames.enterprises_from(rules._core, odd))
    _same_frames(lines, _frames.lines_frame(want))
    _same_frames(totals, _frames.totals_frame(want))


def test_list_cells_as_numpy_arrays_are_read_by_column(rules: subsidy.RuleSet) -> None:
    frame = arrow(population(150, 8, huge_share=0.03)).to_pandas()
    assert isinstance(frame["standards"].iloc[0], np.ndarray)  # as pyarrow hands list cells over
    assert _frames.column_facts(rules._core, frame) is not None
    lines, totals = rules.evaluate_frame(frame)
    want = _reference(rules.baseline, _frames.enterprises_from(rules._core, frame))
    _same_frames(lines, _frames.lines_frame(want))
    _same_frames(totals, _frames.totals_frame(want))


def test_a_trace_stays_on_the_reference_evaluator(rules: subsidy.RuleSet) -> None:
    frame = _frame(4).head(30)
    batch = rules.evaluate_many(frame, trace=True)
    assert batch._core.partial == 0
    assert any(step for e in batch for line in e.lines for step in line.trace)


def test_bad_input_raises_the_same_error(rules: subsidy.RuleSet) -> None:
    frame = _frame(5).head(20)
    frame.loc[3, "sales_revenue"] = "a lot"
    with pytest.raises(subsidy.SubsidyError) as fast:
        rules.evaluate_frame(frame)
    with pytest.raises(subsidy.SubsidyError) as reference:
        rules.evaluate_many(frame, trace=True)
    assert str(fast.value) == str(reference.value)


def test_compare_sums_in_the_engine_what_the_reference_frames_give(rules: subsidy.RuleSet) -> None:
    frame = _frame(7)
    records = _frames.enterprises_from(rules._core, frame)
    base, other = rules.baseline, rules.choose({"electromechanical-policy": "machining-survey"})
    comparison = subsidy.compare(base, other, frame)
    a, b = _reference(base, records), _reference(other, records)
    ta, tb = _frames.totals_frame(a), _frames.totals_frame(b)
    both = [x and y for x, y in zip(subsidy.rules.Batch(a, base).complete, subsidy.rules.Batch(b, other).complete)]
    assert list(comparison.per_enterprise["ok"]) == both and not all(both) and any(both)
    rows = comparison.per_enterprise
    for i in (i for i, ok in enumerate(both) if ok):
        for side, totals in (("baseline", ta), ("scenario", tb)):
            assert str(rows[f"{side}_min"][i]) == str(totals["cash_min"][i])
            assert str(rows[f"{side}_max"][i]) == str(totals["cash_max"][i])
        assert rows["change_max"][i] == tb["cash_max"][i] - ta["cash_max"][i]
        assert rows["unfixed_change"][i] == tb["unfixed"][i] - ta["unfixed"][i]
    assert all(v is None for v, ok in zip(rows["change_min"], both) if not ok)
    assert list(comparison.failed["enterprise"]) == [e for e, ok in zip(ta["enterprise"], both) if not ok]
    # Budget lines: the sums of the covered lines' floors and ceilings, per year.
    lines = _frames.lines_frame(b)
    for check in comparison.budget:
        if check.projected is None or check.line.policy_set != "machining-survey":
            continue
        covered = lines[(lines["policy_set"] + "/" + lines["rule"]).isin(check.line.covers)]
        covered = covered[covered["year"] == check.year]
        assert check.projected.max == sum(m for m in covered["max"] if m is not None)
        assert check.unfixed == int((covered["status"] == "unfixed").sum())
    # A side that did not fail shows None, never NaN; a row not compared has no unfixed change.
    for column in ("baseline_error", "scenario_error"):
        assert all(v is None or isinstance(v, str) for v in comparison.failed[column])
    assert all(v is None for v, ok in zip(rows["unfixed_change"], both) if not ok)


# --- the frames against the per-row construction --------------------------------------------------

ENGINE = Path(__file__).resolve().parents[1] / "data" / "engine"
# Interactions, so that lines are withheld or reduced: an exclusion and a yearly cap (over
# exact amounts only: a cap that cuts an exact line against a band's floor and ceiling leaves it
# "exact" with a floor above its ceiling in both engines, and the batch results carry no amount
# apart from the floor; that is the engine's to settle, not the frames').
INTERACTIONS = """
exclusions:
  - id: one-of-fixed-and-items
    rules: [R1-fixed, R4-items]
    resolve: higher
caps:
  - id: yearly-cap
    rules: [R1-fixed, R3-rate, R4-items]
    max: 250万
"""


def _engine_rules() -> subsidy.RuleSet:
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(ENGINE.glob("*.yaml"))}
    texts["policy-a.yaml"] += INTERACTIONS
    return subsidy.RuleSet.from_texts(texts)


def _engine_population(enterprises: int, seed: int) -> pd.DataFrame:
    """Several years per enterprise, tiers, bands, items, in-kind and unfixed awards, missing
    facts, and amounts beyond int64 分 (rows the batch engine leaves to the exact path)."""
    rng = np.random.default_rng(seed)
    rows = enterprises * 3

    def money(high: int, missing: float = 0.0, huge: float = 0.0) -> list[Decimal | None]:
        cents = rng.integers(0, high * 100, rows).tolist()
        out: list[Decimal | None] = [Decimal(c).scaleb(-2) for c in cents]
        for i in np.flatnonzero(rng.random(rows) < huge).tolist():
            out[i] = Decimal(10) ** 20 + Decimal(cents[i])
        for i in np.flatnonzero(rng.random(rows) < missing).tolist():
            out[i] = None
        return out

    kinds = ["大", "小"]
    return pd.DataFrame(
        {
            "id": [f"T{i % enterprises:05d}" for i in range(rows)],
            "name": [f"企业{i % 7}" for i in range(rows)],
            "year": np.repeat(np.array([2021, 2022, 2023]), enterprises),
            "sector": np.array(["制造", "服务"], dtype=object)[(rng.random(rows) < 0.15).astype(int)],
            "revenue": money(300_000_000, missing=0.05, huge=0.02),
            "tax_paid": money(80_000_000, huge=0.02),
            "tax_last_year": money(60_000_000, missing=0.05),
            "investment": money(150_000, missing=0.2),
            "certified": rng.random(rows) < 0.6,
            "listing_year": rng.integers(2015, 2024, rows),
            "products": [
                [{"kind": kinds[int(k)], "price": Decimal(int(p)) * 10000} for k, p in
                 zip(rng.integers(0, 2, n), rng.integers(50, 300, n))]
                for n in rng.integers(0, 4, rows).tolist()
            ],
            "mergers": [[{"merged": int(m)} for m in rng.integers(1, 4, n)] for n in rng.integers(0, 3, rows).tolist()],
        }
    )


def _per_row_frames(evaluations: list[subsidy.Evaluation]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lines and enterprise totals built cell by cell from whole evaluations, as the frames
    were built before they were read from the batch engine's buffers."""
    lines: dict[str, list[object]] = {name: [] for name in (
        "enterprise", "name", "year", "policy_set", "rule", "payer", "form", "status", "amount", "min",
        "max", "tier", "items", "unfixed_text", "withheld", "note", "clause")}
    totals: dict[str, list[object]] = {name: [] for name in (
        "enterprise", "name", "ok", "cash_min", "cash_max", "in_kind_min", "in_kind_max", "unfixed",
        "recognised", "lines", "unevaluated", "receipt")}
    for e in evaluations:
        for line in e.lines:
            for name, value in (
                ("enterprise", e.enterprise), ("name", e.name), ("year", e.year),
                ("policy_set", line.policy_set), ("rule", line.rule), ("payer", line.payer),
                ("form", line.form), ("status", line.status), ("amount", line.amount),
                ("min", line.band.min if line.band else None), ("max", line.band.max if line.band else None),
                ("tier", line.tier), ("items", line.items), ("unfixed_text", line.unfixed_text),
                ("withheld", line.withheld), ("note", line.note), ("clause", line.citation.clause),
            ):
                lines[name].append(value)
        t = e.totals.all
        for name, value in (
            ("enterprise", e.enterprise), ("name", e.name), ("ok", e.error is None),
            ("cash_min", t.cash.min), ("cash_max", t.cash.max), ("in_kind_min", t.in_kind.min),
            ("in_kind_max", t.in_kind.max), ("unfixed", t.unfixed), ("recognised", t.recognised),
            ("lines", t.lines), ("unevaluated", t.unevaluated), ("receipt", e.receipt.digest),
        ):
            totals[name].append(value)
    line_frame = pd.DataFrame(lines)
    for name in ("amount", "min", "max"):
        line_frame[name] = line_frame[name].astype(object)
    total_frame = pd.DataFrame(totals)
    for name in ("cash_min", "cash_max", "in_kind_min", "in_kind_max"):
        total_frame[name] = total_frame[name].astype(object)
    return line_frame, total_frame


def test_frames_from_the_engine_buffers_equal_the_per_row_construction() -> None:
    rules = _engine_rules()
    frame = _engine_population(300, 11)
    for scenario in (rules.baseline, rules.choose({"support-policy": "policy-b"}), rules.on("2021-06-30")):
        batch = scenario.evaluate_many(frame, threads=2)
        # Both kinds of rows: read from the engine's results, and evaluated whole.
        assert 0 < len(batch) - batch._core.partial < batch._core.partial
        lines, totals = batch.frames()
        evaluations = list(batch)
        want_lines, want_totals = _per_row_frames(evaluations)
        _same_frames(lines, want_lines)
        _same_frames(totals[list(want_totals.columns)], want_totals)
        assert list(totals["error"].isna()) == [e.error is None for e in evaluations]
        assert list(totals["incomplete"].isna()) == [not e.unevaluated for e in evaluations]
        if scenario is rules.baseline:
            assert lines["withheld"].any() and (lines["note"] != "").any()
            assert (lines["tier"] != "").any() and (lines["unfixed_text"] != "").any()
            assert set(lines["status"]) >= {"exact", "band", "unfixed"} and (lines["items"] > 1).any()
            assert (totals["in_kind_max"] != 0).any() and not totals["incomplete"].isna().all()
