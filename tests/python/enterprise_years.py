"""A synthetic population of enterprise-years for the Dask and Spark tests: several years per
enterprise, money to the 分 as exact decimals, and some amounts so large (beyond int64 分) that
the fixed-point batch path hands their rows to the exact evaluator. Generated column by column
(numpy draws, one Decimal per money cell), so 50 000 rows take well under a second."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

import subsidy

INDUSTRIES = ["矿用机电", "机械加工", "机械装备制造", "其他"]
LEVELS = ["国际标准", "国家标准", "行业标准", "省地方标准"]
ROLES = ["主要起草单位", "参与起草单位"]
CATEGORIES = ["国内首台重大装备或成套装备", "国内首台专用装备", "国内首台关键基础件"]
YEARS = (2021, 2022, 2023)
MONEY = ("sales_revenue", "tax_paid", "income_tax_paid", "income_tax_paid_last_year", "land_use_tax", "registered_capital")
ARROW_MONEY = pa.decimal128(38, 2)
HUGE = Decimal(10) ** 22  # yuan: 10^24 分, far beyond int64 (about 9.2 × 10^18)


def _money(rng: np.random.Generator, rows: int, huge_share: float) -> list[Decimal]:
    cents = rng.integers(1, 2 * 10**11, size=rows)
    huge = rng.random(rows) < huge_share
    return [
        (HUGE + Decimal(int(c)).scaleb(-2)) if h else Decimal(int(c)).scaleb(-2)
        for c, h in zip(cents.tolist(), huge.tolist())
    ]


def _lists(rng: np.random.Generator, rows: int, most: int, make: Any) -> list[list[dict[str, Any]]]:
    counts = rng.integers(0, most + 1, size=rows).tolist()
    return [[make(rng) for _ in range(n)] for n in counts]


def population(enterprises: int, seed: int, huge_share: float = 0.01, first: int = 0) -> pd.DataFrame:
    """``enterprises`` × len(YEARS) rows (ids from ``first``), years interleaved: the rows of one
    enterprise are not next to each other."""
    rng = np.random.default_rng(seed)
    rows = enterprises * len(YEARS)
    ids = np.tile(np.arange(first, first + enterprises), len(YEARS))
    years = np.repeat(np.array(YEARS), enterprises)
    frame = pd.DataFrame(
        {
            "id": [f"E{i:07d}" for i in ids.tolist()],
            "year": years,
            "industry": np.array(INDUSTRIES, dtype=object)[rng.integers(0, len(INDUSTRIES), rows)],
            "listed": rng.random(rows) < 0.2,
            "listed_company_registered_in_city": rng.random(rows) < 0.7,
            "listing_year": rng.integers(2016, 2024, size=rows),
            "key_backbone_enterprise": rng.random(rows) < 0.3,
        }
    )
    for name in MONEY:
        frame[name] = _money(rng, rows, huge_share)
    # A few rows lack last year's tax: their evaluation fails (a missing figure is never 0).
    missing = rng.random(rows) < 0.002
    frame.loc[missing, "income_tax_paid_last_year"] = None
    frame["standards"] = _lists(
        rng, rows, 2, lambda r: {"level": LEVELS[r.integers(4)], "role": ROLES[r.integers(2)]}
    )
    frame["first_unit_products"] = _lists(
        rng,
        rows,
        1,
        lambda r: {
            "category": CATEGORIES[r.integers(3)],
            "price": Decimal(int(r.integers(1, 10**10))).scaleb(-2),
            "certified": bool(r.random() < 0.8),
        },
    )
    return frame


def arrow_schema(frame: pd.DataFrame) -> pa.Schema:
    """Money as decimal128(38, 2) (Spark's DecimalType(38, 2)), nested money too."""
    product = pa.struct(
        [("category", pa.string()), ("price", ARROW_MONEY), ("certified", pa.bool_())]
    )
    standard = pa.struct([("level", pa.string()), ("role", pa.string())])
    kinds = {
        "id": pa.string(),
        "year": pa.int64(),
        "industry": pa.string(),
        "listing_year": pa.int64(),
        "standards": pa.list_(standard),
        "first_unit_products": pa.list_(product),
        **{name: ARROW_MONEY for name in MONEY},
    }
    return pa.schema([(c, kinds.get(c, pa.bool_())) for c in frame.columns])


def arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, schema=arrow_schema(frame), preserve_index=False)


LOCATION = re.compile(r"^<[^>]*>:\d+: ")


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return LOCATION.sub("", value)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def multiset(rows: Iterable[Iterable[Any]]) -> Counter[tuple[Any, ...]]:
    """Rows as a multiset (partitions come back in any order; Decimal compares by value), missing
    values as None, and an error's location (``<DataFrame>:row`` in one process, the partition
    on a cluster) left out: the error's text names the enterprise."""
    return Counter(tuple(_cell(v) for v in row) for row in rows)


def frame_rows(frame: pd.DataFrame, columns: list[str] | None = None) -> Counter[tuple[Any, ...]]:
    return multiset((frame if columns is None else frame[columns]).itertuples(index=False, name=None))


def scenarios(rules: subsidy.RuleSet) -> dict[str, subsidy.Scenario]:
    """The scenarios both engines are compared under: the default and each survey version."""
    return {
        "default": rules.baseline,
        "machining": rules.choose({"electromechanical-policy": "machining-survey"}),
        "mining": rules.choose({"electromechanical-policy": "mining-em-survey"}),
    }


def without_last_year(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """The records of one year with no figure of the year before: the rules that need it read
    the enterprise's record of the year before (``last_year``)."""
    part = frame[frame["year"] == year].reset_index(drop=True)
    part["income_tax_paid_last_year"] = None
    return part


def with_last_year_filled(frame: pd.DataFrame) -> pd.DataFrame:
    """The same records with last year's income tax copied in from the year before's record."""
    previous = frame.set_index(["id", "year"])["income_tax_paid"]
    filled = frame.copy()
    filled["income_tax_paid_last_year"] = [
        previous.get((i, y - 1)) for i, y in zip(filled["id"], filled["year"])
    ]
    return filled
