"""The ``subsidy compare`` command: two scenarios on one population, per enterprise, by payer
and against the budget lines the rules declare."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from typing import Any, TextIO

from . import reports
from ._text import markdown_table as _markdown
from ._text import text_table as _table
from .cli import _emit, _records
from .compare import BudgetCheck, Comparison, compare
from .reports import printable
from .results import Band, money
from .rules import RuleSet, Scenario

__all__ = ["parse_spec", "run_compare"]


def parse_spec(rules: RuleSet, spec: str) -> Scenario:
    """'default', or settings separated by spaces or ';': choose.GROUP=SET, option.NAME=CHOICE,
    set.PARAMETER=VALUE, on=DATE."""
    scenario = rules.baseline
    settings = [part for chunk in spec.split(";") for part in chunk.split()]
    if settings == ["default"] or not settings:
        return scenario
    choose: dict[str, str] = {}
    options: dict[str, str] = {}
    parameters: dict[str, str] = {}
    for setting in settings:
        name, sep, value = setting.partition("=")
        kind, dot, key = name.partition(".")
        if not sep or (name != "on" and (not dot or not key)):
            raise ValueError(
                f"scenario setting {setting!r}: expected choose.GROUP=SET, option.NAME=CHOICE, "
                "set.PARAMETER=VALUE or on=DATE"
            )
        if name == "on":
            scenario = scenario.on(value)
        elif kind == "choose":
            choose[key] = value
        elif kind == "option":
            options[key] = value
        elif kind == "set":
            parameters[key] = value
        else:
            raise ValueError(
                f"scenario setting {setting!r}: unknown kind {kind!r} (choose, option, set or on)"
            )
    return scenario.choose(choose).with_options(options).with_parameters(parameters)


def _band(band: Band | None) -> str:
    if band is None:
        return "—"
    return str(band)


def _budget_rows(comparison: Comparison) -> list[list[str]]:
    rows = []
    for check in comparison.budget:
        rows.append([
            "baseline" if check.scenario == comparison.baseline else "scenario",
            f"{check.line.policy_set}/{check.line.id}",
            check.line.payer,
            f"{money(check.line.min)}" + (f" – {money(check.line.max)}" if check.line.max is not None
                                          and check.line.max != check.line.min else
                                          ("" if check.line.max is not None else " or more")),
            check.line.per,
            "" if check.year is None else str(check.year),
            _band(check.projected) + (f" + {check.unfixed} unfixed" if check.unfixed else ""),
            check.verdict,
        ])
    return rows


def _comparison_json(comparison: Comparison) -> dict[str, Any]:
    def plain(d: Decimal) -> str:
        return format(d, "f")  # 1000万 is stored as 1.000E+7; reports write 10000000

    def band(b: Band | None) -> Any:
        return None if b is None else {"min": plain(b.min), "max": plain(b.max)}

    def check(c: BudgetCheck) -> dict[str, Any]:
        return {
            "scenario": c.scenario, "budget_line": f"{c.line.policy_set}/{c.line.id}",
            "payer": c.line.payer, "per": c.line.per, "year": c.year,
            "budget": {"min": plain(c.line.min), "max": None if c.line.max is None else plain(c.line.max)},
            "covers": list(c.line.covers), "projected": band(c.projected), "unfixed": c.unfixed,
            "verdict": c.verdict, "clause": c.line.citation.clause, "citation": c.line.citation.text,
        }

    frame = comparison.per_enterprise
    return {
        "baseline": comparison.baseline,
        "scenario": comparison.scenario,
        "per_enterprise": [
            {k: plain(v) if isinstance(v, Decimal) else v for k, v in row.items()}
            for row in frame.to_dict(orient="records")
        ],
        "by_payer": {
            key: {"baseline": band(c.baseline.cash), "scenario": band(c.scenario.cash),
                  "change": band(c.change)}
            for key, c in [*comparison.by_payer.items(), ("all", comparison.total)]
        },
        "budget": [check(c) for c in comparison.budget],
        "failed": comparison.failed.astype(object).where(comparison.failed.notna(), None).to_dict(orient="records"),
    }


def run_compare(args: argparse.Namespace, out: TextIO) -> int:
    rules = RuleSet.load(*args.rules)
    baseline, scenario = parse_spec(rules, args.baseline), parse_spec(rules, args.scenario)
    records = _records(rules, args.population, args.encoding)
    comparison = compare(baseline, scenario, records, threads=args.threads)
    if args.format == "json":
        out.write(json.dumps(_comparison_json(comparison), ensure_ascii=False, indent=2) + "\n")
        return 0
    if args.format in ("csv", "xlsx"):
        _emit(args, reports.comparison_xlsx(comparison, lang=args.lang) if args.format == "xlsx"
              else reports.comparison_csv(comparison, excel=args.excel, lang=args.lang), out)
        return 1 if len(comparison.failed) else 0
    frame = comparison.per_enterprise
    enterprise_header = ["enterprise", "baseline", "scenario", "change"]
    enterprise_rows = [
        [
            str(row["enterprise"]),
            str(Band(row["baseline_min"], row["baseline_max"])) if row["ok"] else "error",
            str(Band(row["scenario_min"], row["scenario_max"])) if row["ok"] else "error",
            str(Band(row["change_min"], row["change_max"])) if row["ok"] else "",
        ]
        for row in frame.to_dict(orient="records")
    ]
    payer_header = ["payer", "baseline", "scenario", "change"]
    payer_rows = [
        [key, str(c.baseline.cash), str(c.scenario.cash), str(c.change)]
        for key, c in [*comparison.by_payer.items(), ("all", comparison.total)]
    ]
    budget_header = ["side", "budget line", "payer", "budget", "per", "year", "projected", "verdict"]
    budget_rows = _budget_rows(comparison)
    write = _markdown if args.format == "markdown" else _table
    heading = "## " if args.format == "markdown" else ""
    out.write(printable(f"{heading}baseline: {comparison.baseline}") + "\n"
              + printable(f"{heading}scenario: {comparison.scenario}") + "\n\n")
    write(enterprise_header, enterprise_rows, out)
    out.write(f"\n{heading}totals by payer (floor – ceiling)\n\n")
    write(payer_header, payer_rows, out)
    if budget_rows:
        out.write(f"\n{heading}budget lines against the awards they cover\n\n")
        write(budget_header, budget_rows, out)
    for row in comparison.failed.to_dict(orient="records"):
        # A side that did not fail has no error (None): it is shown as complete.
        print(printable(f"{row['enterprise']}: baseline {row['baseline_error'] or 'complete'}; "
                        f"scenario {row['scenario_error'] or 'complete'}"), file=sys.stderr)
    return 1 if len(comparison.failed) else 0
