"""Comparison.plot(): Chinese payer names drawn with a CJK font (Debian's fonts-noto-cjk), or
English labels when there is none; never a missing glyph (matplotlib warns of each; the test
suite turns warnings into errors, and this test records them to name them)."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib
import pytest
from conftest import REPO

import subsidy
from subsidy.plotting import cjk_font, money_axis

matplotlib.use("Agg")

EXAMPLES = REPO / "examples" / "enterprises.yaml"


@pytest.fixture(scope="module")
def comparison() -> subsidy.compare.Comparison:
    rules = subsidy.RuleSet.load(REPO / "rules")
    machining = rules.baseline.choose({"electromechanical-policy": "machining-survey"})
    return subsidy.compare(rules.baseline, machining, EXAMPLES)


def render(comparison: subsidy.compare.Comparison, path: Path, **options: object) -> list[str]:
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = comparison.plot(**options)  # type: ignore[arg-type]
        ax.figure.savefig(path, dpi=80)
        plt.close(ax.figure)
    return [str(w.message) for w in caught]


def test_the_chart_draws_every_glyph_in_chinese(comparison: subsidy.compare.Comparison,
                                                 tmp_path: Path) -> None:
    assert cjk_font() is not None, "scripts/install-deps.sh installs fonts-noto-cjk"
    target = tmp_path / "by-payer.png"
    caught = render(comparison, target, baseline_label="意见稿", scenario_label="机械加工调研稿")
    assert caught == []
    assert target.read_bytes().startswith(b"\x89PNG")


def test_labels_and_title_are_settable_and_english_needs_no_cjk_font(
    comparison: subsidy.compare.Comparison, tmp_path: Path
) -> None:
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comparison.plot(ax, chinese=False, title="Awards", ylabel="yuan (10k)",
                        labels={"市财政": "City"})
        ax.figure.savefig(tmp_path / "en.png")
    assert [str(w.message) for w in caught] == []
    assert ax.get_title() == "Awards" and ax.get_ylabel() == "yuan (10k)"
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert "City" in ticks and all(t.isascii() for t in ticks)  # English payer names
    # The legend lies below the axes: it covers none of the bars.
    legend = ax.get_legend().get_window_extent()
    assert legend.y1 <= ax.get_window_extent().y0
    plt.close(ax.figure)


def test_the_axis_is_in_wan_or_yi_yuan() -> None:
    assert money_axis(9_000_000, chinese=True)[1] == "万元"
    assert money_axis(150_000_000, chinese=True)[1] == "亿元"
    assert money_axis(150_000_000, chinese=False)[1] == "100 million yuan"


def test_the_docs_show_the_committed_chart() -> None:
    image = REPO / "docs" / "img" / "compare-by-payer.png"
    assert image.read_bytes().startswith(b"\x89PNG")
    assert "img/compare-by-payer.png" in (REPO / "docs" / "clerk.md").read_text(encoding="utf-8")
