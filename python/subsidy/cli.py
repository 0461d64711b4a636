"""The ``subsidy`` command: check rule folders and evaluate enterprise records.

Exit status 0 on success, 1 on any error (each printed as ``file:line:column: error[kind]: ...``),
2 on a usage error."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any, TextIO

from ._core import SubsidyError
from .results import Evaluation
from .rules import Batch, RuleSet, Scenario

__all__ = ["main"]

FORMATS = ("table", "json", "csv", "markdown")

EPILOG_MAIN = """\
examples:
  subsidy check rules
  subsidy evaluate --rules rules examples/enterprises.yaml
  subsidy evaluate --rules rules examples/enterprises.yaml --format markdown
  subsidy evaluate --rules rules firms.csv --on 2024-06-30 --set policy-set.rate=60% --format csv

run 'subsidy COMMAND --help' for each command's options.
"""

EPILOG_CHECK = """\
examples:
  subsidy check rules                    # a rule folder: every *.yaml / *.yml in it
  subsidy check rules/a.yaml rules/b.yaml --format json

Every problem is reported with file, line and column; the exit status is 1 if there is any.
"""

EPILOG_EVALUATE = """\
examples:
  subsidy evaluate --rules rules examples/enterprises.yaml
  subsidy evaluate --rules rules examples/enterprises.yaml --explain
  subsidy evaluate --rules rules firms.csv --format csv > lines.csv
  subsidy evaluate --rules rules firms.yaml --option NAME=CHOICE --choose GROUP=POLICY_SET
  subsidy evaluate --rules rules firms.yaml --set POLICY_SET.PARAMETER=60% --on 2024-06-30

Enterprise files are YAML ('enterprises:' list or one record), JSON or CSV. Values given with
--set are read exactly as policy texts write them (60%, 30万, 1234.56).
"""


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, found {text!r}")
    return name.strip(), value.strip()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="subsidy",
        description="Compute, explain and audit industrial-subsidy awards from YAML rule tables.",
        epilog=EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="load and check rule files; print what was loaded",
        description="Load and check rule files or folders; print a summary of what was loaded.",
        epilog=EPILOG_CHECK,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("rules", nargs="+", metavar="RULES", help="rule files or folders")
    check.add_argument("--format", choices=FORMATS, default="table", help="output format")
    check.set_defaults(run=run_check)

    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate enterprise records against the rules",
        description="Evaluate enterprise records: award lines with citations, totals as bands.",
        epilog=EPILOG_EVALUATE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    evaluate.add_argument(
        "--rules", action="append", required=True, metavar="PATH",
        help="rule file or folder (repeatable)",
    )
    evaluate.add_argument(
        "enterprises", nargs="+", metavar="ENTERPRISES", help="YAML, JSON or CSV record files"
    )
    evaluate.add_argument("--format", choices=FORMATS, default="table", help="output format")
    evaluate.add_argument(
        "--option", action="append", type=_setting, default=[], metavar="NAME=VALUE",
        help="choose a reading of an interpretation option (repeatable)",
    )
    evaluate.add_argument(
        "--choose", action="append", type=_setting, default=[], metavar="GROUP=SET",
        help="choose the member of an alternative group (repeatable)",
    )
    evaluate.add_argument(
        "--set", action="append", type=_setting, default=[], metavar="PARAM=VALUE", dest="set",
        help="override a parameter's value for this run (repeatable)",
    )
    evaluate.add_argument(
        "--on", metavar="DATE", help="use the parameter versions in force on DATE (YYYY-MM-DD)"
    )
    evaluate.add_argument(
        "--explain", action="store_true",
        help="print each line's cited sentence and trace (table format) or include the trace (json)",
    )
    evaluate.add_argument(
        "--threads", type=int, default=0, help="worker threads (0: all cores; results identical)"
    )
    evaluate.set_defaults(run=run_evaluate)
    return parser


# --- text layout -------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    out.write("  ".join(_pad(h, w) for h, w in zip(header, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in rows:
        out.write("  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() + "\n")


def _markdown(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    out.write("| " + " | ".join(cell(h) for h in header) + " |\n")
    out.write("|" + "|".join("---" for _ in header) + "|\n")
    for row in rows:
        out.write("| " + " | ".join(cell(c) for c in row) + " |\n")


# --- check -------------------------------------------------------------------------------------


def run_check(args: argparse.Namespace, out: TextIO) -> int:
    rules = RuleSet.load(*args.rules)
    summary = rules.summary
    if args.format == "json":
        data: dict[str, Any] = {
            "summary": {k: v for k, v in vars(summary).items() if k != "text"},
            "fingerprint": rules.fingerprint,
            "policy_sets": [
                {"id": p.id, "title": p.title.zh, "status": p.status, "rules": p.rule_count}
                for p in rules.policy_sets
            ],
        }
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return 0
    header = ["policy set", "status", "rules", "title"]
    rows = [[p.id, p.status, str(p.rule_count), p.title.zh] for p in rules.policy_sets]
    if args.format == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return 0
    if args.format == "markdown":
        _markdown(header, rows, out)
    else:
        _table(header, rows, out)
    out.write(f"\nok: {summary}\nfingerprint: {rules.fingerprint}\n")
    return 0


# --- evaluate ----------------------------------------------------------------------------------


def _scenario(args: argparse.Namespace) -> Scenario:
    rules = RuleSet.load(*args.rules)
    scenario = rules.baseline
    if args.option:
        scenario = scenario.with_options(dict(args.option))
    if args.choose:
        scenario = scenario.choose(dict(args.choose))
    if args.set:
        scenario = scenario.with_parameters(dict(args.set))
    if args.on:
        scenario = scenario.on(args.on)
    return scenario


def _line_rows(evaluation: Evaluation) -> list[list[str]]:
    return [
        [line.qualified_rule, line.title.zh or line.title.en, line.payer, line.value_text,
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
    return text


def _write_batches(batches: Sequence[Batch], args: argparse.Namespace, out: TextIO) -> None:
    if args.format == "json":
        documents = [doc for batch in batches for doc in batch.to_json(with_trace=args.explain)]
        out.write("[\n" + ",\n".join(documents) + "\n]\n")
        return
    if args.format == "csv":
        buffer = io.StringIO()
        first = True
        for batch in batches:
            frame = batch.lines()
            frame.to_csv(buffer, index=False, header=first, lineterminator="\n")
            first = False
        out.write(buffer.getvalue())
        return
    for batch in batches:
        for evaluation in batch:
            if args.format == "markdown":
                out.write(f"### {_heading(evaluation)}\n\n")
                if evaluation.error is not None:
                    out.write(f"error: `{evaluation.error}`\n\n")
                    continue
                _markdown(LINE_HEADER, _line_rows(evaluation), out)
                out.write(f"\n**total**: {evaluation.totals.all}\n\n")
            elif args.explain:
                out.write(evaluation.explain_text() + "\n")
            else:
                out.write(f"{_heading(evaluation)}\n")
                if evaluation.error is not None:
                    out.write(f"  error: {evaluation.error}\n\n")
                    continue
                if evaluation.lines:
                    _table(LINE_HEADER, _line_rows(evaluation), out)
                else:
                    out.write("  no award line\n")
                out.write(f"total: {evaluation.totals.all}\n")
                for payer, total in evaluation.totals.by_payer.items():
                    out.write(f"  {payer}: {total}\n")
                out.write("\n")


def run_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    scenario = _scenario(args)
    batches = [
        scenario.evaluate_many(path, threads=args.threads, trace=args.explain)
        for path in args.enterprises
    ]
    _write_batches(batches, args, out)
    failed = [error for batch in batches for _, error in batch.errors()]
    for error in failed:
        print(error, file=sys.stderr)
    return 1 if failed else 0


# --- entry point -------------------------------------------------------------------------------


def _report(error: SubsidyError) -> None:
    for item in error.errors or [error]:
        print(str(item), file=sys.stderr)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from . import __version__, engine_version

        print(f"subsidy {__version__} (engine {engine_version()})", file=out or sys.stdout)
        return 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = args.run(args, out or sys.stdout)
        return code
    except SubsidyError as error:
        _report(error)
        return 1
    except (TypeError, ValueError, OSError) as error:
        print(f"subsidy: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
