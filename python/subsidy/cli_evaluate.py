"""The ``subsidy evaluate``, ``explain`` and ``audit`` commands: enterprise records evaluated
against the rules, reported line by line, explained clause by clause, or checked against a ledger
of grants."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from . import _core, intake, reports
from ._output import write_atomic
from ._text import markdown_table as _markdown
from ._text import text_table as _table
from .audit import Ledger, audit
from .cli import _emit, _evaluate, _inputs, _records, _scenario
from .reports import label, printable
from .results import Evaluation, Total
from .rules import Batch, Scenario

__all__ = ["run_audit", "run_evaluate", "run_explain"]


def _line_rows(evaluation: Evaluation, lang: str = "en") -> list[list[str]]:
    return [
        [line.qualified_rule, line.title.zh or line.title.en, line.payer, line.value_in(lang),
         line.citation.clause]
        for line in evaluation.lines
    ]


LINE_HEADER = ["rule", "title", "payer", "amount", "clause"]


def _heading(evaluation: Evaluation) -> str:
    text = evaluation.enterprise
    if evaluation.name:
        text += f" {evaluation.name}"
    if evaluation.year is not None:
        text += f" ({evaluation.year})"
    return printable(text)


def _failed_checks(evaluation: Evaluation, lang: str) -> list[str]:
    """Checks that failed (a decided amount outside its band among them): shown, never dropped."""
    return [
        printable(f"{label('failed check', lang)}: {f.policy_set}/{f.check}: {f.message}"
                  + (f" ({f.detail})" if f.detail else ""))
        for f in evaluation.findings if not f.passed
    ]


def _write_batches(batches: Sequence[Batch], args: argparse.Namespace, out: TextIO) -> None:
    if args.format == "json":  # document by document: the whole array is never one string
        separator = "[\n"
        for batch in batches:
            for document in batch.to_json(with_trace=args.explain):
                out.write(separator + document)
                separator = ",\n"
        out.write("[\n\n]\n" if separator == "[\n" else "\n]\n")
        return
    if args.format == "csv":  # an evaluation at a time, never the whole table
        reports.write_evaluation_csv(batches, out, excel=args.excel, lang=args.lang)
        return
    if args.format == "xlsx":
        _emit(args, reports.evaluation_xlsx(batches, lang=args.lang), out)
        return
    lang, markdown = args.lang, args.format == "markdown"
    header = [label(h, lang) for h in LINE_HEADER]
    population: dict[str, Total] = {}
    count = 0
    for evaluation in (e for batch in batches for e in batch):
        count += 1
        for payer, total in evaluation.totals.by_payer.items():
            population[payer] = population.get(payer, Total.zero()) + total
        if args.explain and not markdown:
            out.write(evaluation.explain_text(lang=lang) + "\n")
            continue
        # A heading is marked as one: an id such as "total: ..." starts no line of its own.
        out.write(f"### {_heading(evaluation)}\n\n" if markdown else f"── {_heading(evaluation)}\n")
        if evaluation.error is not None:
            out.write(f"  {label('error', lang)}: {printable(str(evaluation.error))}\n\n")
            continue
        if evaluation.lines:
            (_markdown if markdown else _table)(header, _line_rows(evaluation, lang), out)
        elif not evaluation.unevaluated:
            out.write(f"  {label('no award line', lang)}\n")
        for left_out in evaluation.unevaluated:  # lines whose amount is unknown, never 0
            out.write(f"{'- ' if markdown else '  '}{printable(str(left_out))}\n")
        for failed in _failed_checks(evaluation, lang):
            out.write(f"{'- ' if markdown else '  '}{failed}\n")
        bold = "**" if markdown else ""
        out.write(f"{chr(10) if markdown else ''}{bold}{label('total', lang)}{bold}: {evaluation.totals.all.text(lang)}\n")
        for payer, total in evaluation.totals.by_payer.items():
            out.write(f"{'- ' if markdown else '  '}{printable(payer)}: {total.text(lang)}\n")
        out.write("\n")
    title = (f"按出资方合计（{count} 家企业）" if lang == "zh"
             else f"totals by payer ({count} enterprises)")
    out.write(f"## {title}\n\n" if markdown else f"{title}\n")
    for payer in sorted(population):
        out.write(f"{'- ' if markdown else '  '}{printable(payer)}: {population[payer].text(lang)}\n")


def _alternatives(scenario: Scenario, args: argparse.Namespace) -> list[tuple[str, Scenario]]:
    """The scenario, or (with --alternatives) one per member of each alternative group."""
    groups = scenario.rules.groups if args.alternatives else ()
    if not groups:
        return [("", scenario)]
    if args.format in ("csv", "xlsx"):
        raise ValueError("--alternatives writes table, markdown or json (one report per member)")
    return [
        (member, scenario.choose({group.id: member}))
        for group in groups
        for member in [group.default, *(m for m in group.members if m != group.default)]
    ]


def run_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    batches, documents = [], []
    for member, scenario in _alternatives(_scenario(args), args):
        part = []
        for path, records in intake.read_inputs(scenario.rules._core, args.enterprises, args.encoding):
            part += _evaluate(scenario, records, threads=args.threads, trace=args.explain, label=path)
        batches += part
        if member and args.format == "json":
            documents += [f'{{"scenario":"{member}","evaluation":{doc}}}'
                          for batch in part for doc in batch.to_json(with_trace=args.explain)]
        elif member:
            out.write(f"══ under {member} ══\n\n")
        if not member or args.format != "json":
            _write_batches(part, args, out)
    if documents:
        out.write("[\n" + ",\n".join(documents) + "\n]\n")
    failed = [error for batch in batches for _, error in batch.errors()]
    for error in failed:
        print(printable(error), file=sys.stderr)
    checks = [c for batch in batches for e in batch for c in _failed_checks(e, "en")]
    # Lines a missing fact kept from being computed: the totals above are incomplete.
    incomplete = [item for batch in batches for item in batch.incomplete()]
    for enterprise, rules in incomplete:
        print(printable(f"subsidy: {enterprise}: incomplete, not evaluated: {rules}"), file=sys.stderr)
    return 1 if failed or checks or incomplete else 0


# --- explain -----------------------------------------------------------------------------------


def run_explain(args: argparse.Namespace, out: TextIO) -> int:
    scenario = _scenario(args)
    records = _records(scenario.rules, args.enterprises, args.encoding)
    ids, years = records.ids(), records.years()
    chosen = [
        i for i, (ident, year) in enumerate(zip(ids, years))
        if ident == args.enterprise and (args.year is None or year == args.year)
    ]
    if not chosen:
        known = sorted(set(ids))
        hint = f"; the files have {', '.join(known[:10])}{' ...' if len(known) > 10 else ''}"
        year = f" for {args.year}" if args.year is not None else ""
        print(printable(f"subsidy: error: no enterprise {args.enterprise!r}{year} in "
                        f"{', '.join(args.enterprises)}{hint}"), file=sys.stderr)
        return 1
    if args.rule is not None and not any(
        args.rule in (r.qualified_id, r.id) for r in scenario.rules.rules
    ):
        print(f"subsidy: error: no rule {args.rule!r} in the rule set (write policy-set/rule-id)",
              file=sys.stderr)
        return 1
    parts = [records.slice(i, i + 1) for i in chosen]
    batch = scenario.evaluate_many(_core.Enterprises.join(parts), trace=True)
    if args.format == "json":
        out.write("[\n" + ",\n".join(batch.to_json(with_trace=True)) + "\n]\n")
    else:
        out.write("\n".join(evaluation.explain_text(args.rule, args.lang) for evaluation in batch))
    failed = batch.errors()
    return 1 if failed else 0


# --- audit -------------------------------------------------------------------------------------


def run_audit(args: argparse.Namespace, out: TextIO) -> int:
    scenario = _scenario(args)
    records = _records(scenario.rules, args.facts, args.encoding)
    report = audit(scenario, records, Ledger.load(args.grants))
    if args.markdown:
        write_atomic(args.markdown, report.markdown, _inputs(args))
    if args.json:
        write_atomic(args.json, report.json + "\n", _inputs(args))
    if args.format in ("csv", "xlsx"):
        _emit(args, reports.audit_xlsx(report, lang=args.lang) if args.format == "xlsx"
              else reports.audit_csv(report, excel=args.excel, lang=args.lang), out)
    else:
        out.write(report.json + "\n" if args.format == "json" else report.markdown)
    if not report.passed:
        counts = ", ".join(f"{n} {kind}" for kind, n in report.counts().items() if n)
        print(f"subsidy audit: {len(report.findings)} findings ({counts})", file=sys.stderr)
    return 0 if report.passed else 1
