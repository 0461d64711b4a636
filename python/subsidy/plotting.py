"""Charts for reading (the exact figures are in the frames and reports): a CJK font found among
the system's fonts, axes in 万元 or 亿元, labels a caller can set, and English labels when no
font can draw Chinese, so that no glyph is ever drawn as an empty box."""

from __future__ import annotations

import functools
import os
import textwrap
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

__all__ = ["cjk_font", "money_axis", "plot_bands"]

# Debian's fonts-noto-cjk (scripts/install-deps.sh installs it), then other common CJK families.
_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "Source Han Sans SC",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing CN")
_FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy", "droidsansfallback", "uming")


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of a font that draws Chinese, registered with matplotlib; None if the
    system has none. Matplotlib's font cache may predate the font's installation, so the
    system's font files are looked at as well."""
    from matplotlib import font_manager

    paths = [p for p in font_manager.findSystemFonts()
             if any(hint in os.path.basename(p).lower().replace("-", "") for hint in _FILE_HINTS)]
    # Regular weights first: a bold face alone makes matplotlib log a fallback for every text.
    for path in sorted(paths, key=lambda p: ("regular" not in p.lower(), "sans" not in p.lower(), p)):
        try:
            font_manager.fontManager.addfont(path)
            name: str = font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
        return name
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in _FAMILIES if family in known), None)


_WAN, _YI = Decimal(10) ** 4, Decimal(10) ** 8


def money_axis(ceiling: int, chinese: bool) -> tuple[Decimal, str]:
    """The unit of a money axis whose highest value is ``ceiling`` yuan: 亿元 from 1亿, else 万元."""
    if ceiling >= _YI:
        return _YI, "亿元" if chinese else "100 million yuan"
    return _WAN, "万元" if chinese else "10,000 yuan"


def plot_bands(
    ax: Any,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[tuple[int, int]]]],
    *,
    chinese: bool,
    title: str,
    ylabel: str | None,
) -> Any:
    """Bars per category and series: solid up to the floor, hatched up to the ceiling (whole
    yuan), the axis in 万元 or 亿元, the legend below the chart where it covers nothing."""
    from matplotlib import ticker

    font = cjk_font() if chinese else None
    props: Mapping[str, Any] = {"fontfamily": font} if font else {}
    ceiling = max((high for _, bands in series for _, high in bands), default=0)
    scale, unit = money_axis(ceiling, chinese)
    width = 0.8 / max(1, len(series))
    for index, (name, bands) in enumerate(series):
        xs = [i - 0.4 + width * (index + 0.5) for i in range(len(categories))]
        floors = [low for low, _ in bands]
        ranges = [high - low for low, high in bands]
        bar = ax.bar(xs, floors, width, label=f"{name}: {'下限' if chinese else 'floor'}")
        ax.bar(xs, ranges, width, bottom=floors, fill=False, hatch="//",
               edgecolor=bar.patches[0].get_facecolor() if bar.patches else None,
               label=f"{name}: {'区间至上限' if chinese else 'band to ceiling'}")
    ax.set_xticks(range(len(categories)))
    # Long names (English payer names) wrap rather than run into their neighbours.
    ax.set_xticklabels([textwrap.fill(c, 16) for c in categories], **props)

    def tick(value: float, _: int) -> str:
        # Tick positions are the axis's; the text is their decimal digits over the unit.
        return f"{(Decimal(repr(float(value))) / scale).normalize():,f}"

    ax.yaxis.set_major_formatter(ticker.FuncFormatter(tick))
    ax.set_ylabel(ylabel if ylabel is not None else unit, **props)
    ax.set_title(title, **props)
    longest = max((len(name) for name, _ in series), default=0)
    legend = ax.legend(loc="upper center", ncol=1 if longest > 24 else 2, frameon=False,
                       prop={"family": font} if font else None)
    # The legend sits below the axes, under the tick labels (measured, as they may wrap), and
    # the figure's layout makes room for it: it covers nothing of the chart.
    figure = ax.figure
    for _ in range(2):
        figure.tight_layout()
        labels = ax.xaxis.get_tightbbox(figure.canvas.get_renderer())
        bottom = labels.transformed(ax.transAxes.inverted()).y0 if labels is not None else -0.1
        legend.set_bbox_to_anchor((0.5, bottom - 0.02), transform=ax.transAxes)
    figure.tight_layout()
    return legend
