"""The ``subsidy`` command: check rule folders, evaluate and explain enterprise records, audit a
ledger of grants, compare scenarios against the budget lines the rules declare.

Exit status: 0 success; 1 an error in the input (each printed as ``file:line:column:
error[kind]: ...``), an evaluation that failed, or an audit finding; 2 a usage error."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from . import _core, cli_intake, intake, reports
from ._core import SubsidyError
from ._output import atomic_file
from ._text import markdown_table as _markdown
from ._text import text_table as _table
from .reports import printable
from .rules import Batch, RuleSet, Scenario

__all__ = ["main"]

FORMATS = ("table", "json", "csv", "markdown")
REPORTS = (*FORMATS, "xlsx")  # -o FILE.xlsx (or --format xlsx -o FILE) writes a workbook

EPILOG_MAIN = """\
examples:
  subsidy check rules
  subsidy evaluate --rules rules examples/enterprises.yaml
  subsidy explain --rules rules examples/enterprises.yaml --enterprise xinghua-machinery
  subsidy audit --rules rules --facts examples/enterprises.yaml --grants examples/ledger.csv
  subsidy compare --rules rules --population examples/enterprises.yaml \\
      --baseline default --scenario choose.electromechanical-policy=machining-survey

exit status: 0 success; 1 bad input, a failed evaluation or an audit finding; 2 a usage error.
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
--set are read exactly as policy texts write them (60%, 30万, 1234.56). Exit status 1 if any
record cannot be evaluated (the others are still reported).
"""

EPILOG_EXPLAIN = """\
examples:
  subsidy explain --rules rules examples/enterprises.yaml --enterprise xinghua-machinery
  subsidy explain --rules rules examples/enterprises.yaml --enterprise xinke-mining-electric \\
      --rule O21-national-standard            # why no line: the condition, with its figures
  subsidy explain --rules rules firms.yaml --enterprise E1 --year 2011 --format json

Each line is shown with its cited clause and Chinese sentence, the figures substituted, the tier
or items reached and the rounding applied. Exit status 1 if the enterprise is not in the file.
"""

EPILOG_AUDIT = """\
examples:
  subsidy audit --rules rules --facts examples/enterprises.yaml --grants examples/ledger.csv
  subsidy audit --rules rules --facts firms.yaml --grants grants.xlsx \\
      --markdown audit.md --json audit.json      # both reports, each written whole or not at all

The ledger (CSV, Excel .xlsx, YAML or JSON) has the columns enterprise, policy_set, rule, year,
amount, payer, approval and an optional basis. Findings: over_grant, under_grant, outside_band,
not_eligible, needs_basis, payer_mismatch, duplicate, unknown_rule, unknown_enterprise,
evaluation_failed. A grant under one version of an alternative group is judged under that
version. Exit status 1 when there is any finding (all are warnings or errors), so an audit can
gate a pipeline; 0 for a clean ledger.
"""

EPILOG_COMPARE = """\
examples:
  subsidy compare --rules rules --population examples/enterprises.yaml \\
      --baseline default --scenario choose.electromechanical-policy=machining-survey
  subsidy compare --rules rules --population firms.csv --baseline on=2010-06-30 \\
      --scenario "on=2010-06-30 set.machining-survey.merger_award_max=300万" --format markdown

A SPEC is 'default' or settings separated by spaces or ';': choose.GROUP=SET, option.NAME=CHOICE,
set.PARAMETER=VALUE, on=DATE. The report gives per-enterprise differences, totals by payer as
bands (floor - ceiling), and each budget line of the rules against the awards it covers.
"""


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, found {text!r}")
    return name.strip(), value.strip()


def _threads(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of threads, found {text!r}") from None
    if count < 0:
        raise argparse.ArgumentTypeError(f"expected 0 (all cores) or more threads, found {count}")
    return count


def _command(
    commands: Any, name: str, help_text: str, description: str, epilog: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help_text,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def _add_rules(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules", action="append", required=True, metavar="PATH",
        help="rule file or folder (repeatable)",
    )


def _add_scenario(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--option", action="append", type=_setting, default=[], metavar="NAME=VALUE",
        help="choose a reading of an interpretation option (repeatable)",
    )
    parser.add_argument(
        "--choose", action="append", type=_setting, default=[], metavar="GROUP=SET",
        help="choose the member of an alternative group (repeatable)",
    )
    parser.add_argument(
        "--set", action="append", type=_setting, default=[], metavar="PARAM=VALUE", dest="set",
        help="override a parameter's value for this run (repeatable)",
    )
    parser.add_argument(
        "--on", metavar="DATE", help="use the parameter versions in force on DATE (YYYY-MM-DD)"
    )


def _add_output(parser: argparse.ArgumentParser, formats: Sequence[str], default: str) -> None:
    parser.add_argument("--format", choices=formats, default=default, help="output format")
    parser.set_defaults(formats=tuple(formats))
    parser.add_argument(
        "-o", "--output", metavar="FILE",
        help="write to FILE (whole or not at all) instead of standard output"
        + ("; FILE.xlsx writes an Excel workbook" if "xlsx" in formats else ""),
    )
    if "csv" in formats:
        parser.add_argument(
            "--excel", action="store_true",
            help="CSV for Excel: begins with the UTF-8 byte-order mark (no mojibake in Excel)",
        )
    parser.add_argument("--lang", choices=reports.LANGS, default="en",
                        help="language of the report's headings and labels")


def build_parser() -> argparse.ArgumentParser:
    # The commands' own modules read this one's plumbing (_scenario, _evaluate, _emit, ...):
    # imported here, once this module is whole.
    from .cli_compare import run_compare
    from .cli_evaluate import run_audit, run_evaluate, run_explain

    parser = argparse.ArgumentParser(
        prog="subsidy",
        description="Compute, explain and audit industrial-subsidy awards from YAML rule tables.",
        epilog=EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = _command(
        commands, "check", "load and check rule files; print what was loaded",
        "Load and check rule files or folders; print a summary of what was loaded.", EPILOG_CHECK,
    )
    check.add_argument("rules", nargs="+", metavar="RULES", help="rule files or folders")
    _add_output(check, FORMATS, "table")
    check.set_defaults(run=run_check)

    evaluate = _command(
        commands, "evaluate", "evaluate enterprise records against the rules",
        "Evaluate enterprise records: award lines with citations, totals as bands.", EPILOG_EVALUATE,
    )
    _add_rules(evaluate)
    evaluate.add_argument(
        "enterprises", nargs="+", metavar="ENTERPRISES", help="YAML, JSON or CSV record files"
    )
    _add_output(evaluate, REPORTS, "table")
    _add_scenario(evaluate)
    evaluate.add_argument(
        "--explain", action="store_true",
        help="print each line's cited sentence and trace (table format) or include the trace (json)",
    )
    evaluate.add_argument(
        "--threads", type=_threads, default=0,
        help="worker threads (0: all cores; results identical)"
    )
    evaluate.add_argument(
        "--alternatives", action="store_true",
        help="evaluate every member of each alternative group side by side (the default first)",
    )
    evaluate.set_defaults(run=run_evaluate)

    explain = _command(
        commands, "explain", "explain one enterprise's award lines, clause by clause",
        "The trace of one enterprise: each line with its cited clause and Chinese sentence, the "
        "figures substituted and the rounding applied; with --rule, one rule (or why it gave no line).",
        EPILOG_EXPLAIN,
    )
    _add_rules(explain)
    explain.add_argument("enterprises", nargs="+", metavar="FACTS", help="record files")
    explain.add_argument("--enterprise", required=True, metavar="ID", help="the enterprise id")
    explain.add_argument("--year", type=int, help="the record's year, when the file has several")
    explain.add_argument("--rule", metavar="RULE", help="one rule: policy-set/rule-id or rule-id")
    _add_output(explain, ("text", "json"), "text")
    _add_scenario(explain)
    explain.set_defaults(run=run_explain)

    audit_parser = _command(
        commands, "audit", "audit a ledger of grants against the rules",
        "Check each grant of a ledger against what the rules give for the enterprise and year: "
        "over- and under-grants, bands, eligibility, unfixed amounts without a basis, payers, "
        "duplicates, unknown rules and enterprises. Report as Markdown and JSON.",
        EPILOG_AUDIT,
    )
    _add_rules(audit_parser)
    audit_parser.add_argument(
        "--facts", action="append", required=True, metavar="FILE",
        help="enterprise records (repeatable)",
    )
    audit_parser.add_argument(
        "--grants", required=True, metavar="LEDGER", help="the ledger: CSV, .xlsx, YAML or JSON"
    )
    _add_output(audit_parser, ("markdown", "json", "csv", "xlsx"), "markdown")
    audit_parser.add_argument("--markdown", metavar="FILE", help="also write the Markdown report here")
    audit_parser.add_argument("--json", metavar="FILE", help="also write the JSON report here")
    _add_scenario(audit_parser)
    audit_parser.set_defaults(run=run_audit)

    compare_parser = _command(
        commands, "compare", "compare two scenarios on a population, against the budget lines",
        "Per-enterprise differences and totals by payer as bands under two scenarios, and each "
        "budget line the rules declare against the awards it covers.",
        EPILOG_COMPARE,
    )
    _add_rules(compare_parser)
    compare_parser.add_argument(
        "--population", action="append", required=True, metavar="FILE",
        help="enterprise records (repeatable)",
    )
    compare_parser.add_argument("--baseline", required=True, metavar="SPEC", help="'default' or settings")
    compare_parser.add_argument("--scenario", required=True, metavar="SPEC", help="settings")
    _add_output(compare_parser, REPORTS, "table")
    compare_parser.add_argument(
        "--threads", type=_threads, default=0,
        help="worker threads (0: all cores; results identical)"
    )
    compare_parser.set_defaults(run=run_compare)

    from .serve.command import add_command as add_serve

    add_serve(commands)

    from . import _tools_cli  # test, cases, goal-seek, sensitivity

    _tools_cli.register(commands, _command, _add_rules, _add_scenario, _add_output)

    cli_intake.register(commands, _command, _add_rules, _add_output)
    return parser


# --- output and progress ------------------------------------------------------------------------


@contextlib.contextmanager
def _output(
    path: str | None, stdout: TextIO, args: argparse.Namespace | None = None
) -> Iterator[TextIO]:
    """Where a command writes: stdout, or a file written whole or not at all (``_output.py``:
    streamed into a temporary file beside the target, renamed over it at the end; the target is
    checked before the work). A command that makes a workbook leaves its bytes in
    ``args.payload``: they are the file then."""
    payload = argparse.Namespace(payload=None) if args is None else args
    payload.payload = None
    if path is None or path == "-":
        yield stdout
        return
    with atomic_file(path, _inputs(args) if args is not None else []) as handle:
        yield handle
        if payload.payload is not None:
            handle.flush()
            handle.buffer.seek(0)
            handle.buffer.truncate()
            handle.buffer.write(payload.payload)


def _inputs(args: argparse.Namespace) -> list[str]:
    """The files and folders a command reads: never a place to write its result."""
    paths: list[str] = []
    for name in ("rules", "enterprises", "facts", "population", "grants"):
        value = getattr(args, name, None)
        paths.extend([value] if isinstance(value, str) else value or [])
    return paths


def _emit(args: argparse.Namespace, data: bytes, out: TextIO) -> None:
    """A report made as bytes: a workbook goes to the -o file, CSV text (its byte-order mark
    included) to wherever the command writes."""
    if args.format == "xlsx":
        args.payload = data
    else:
        out.write(data.decode("utf-8"))


PROGRESS_AFTER = 1.0  # seconds: shorter batches show no bar
PROGRESS_CHUNK = 2000  # records per engine call while a bar may be shown


class Progress:
    """A one-line progress bar on a terminal (stderr), drawn only once a batch has run for
    PROGRESS_AFTER seconds; nothing at all when stderr is not a terminal (piped, redirected)."""

    def __init__(self, total: int, stream: TextIO, label: str) -> None:
        self.total, self.stream, self.label = total, stream, label
        self.enabled = total > 0 and stream.isatty()
        self.started = time.monotonic()
        self.drawn = False

    def update(self, done: int) -> None:
        if not self.enabled or time.monotonic() - self.started < PROGRESS_AFTER:
            return
        width = 30
        filled = width * done // self.total
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}"
        )
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * (len(self.label) + 60) + "\r")
            self.stream.flush()


def _evaluate(
    scenario: Scenario, records: _core.Enterprises, *, threads: int, trace: bool, label: str
) -> list[Batch]:
    """One engine call for the whole file, or chunks of PROGRESS_CHUNK records when a bar may be
    drawn (results are the same: each record is evaluated on its own)."""
    total = len(records)
    progress = Progress(total, sys.stderr, label)
    if not progress.enabled or total <= PROGRESS_CHUNK:
        return [scenario.evaluate_many(records, threads=threads, trace=trace)]
    batches = []
    try:
        for start in range(0, total, PROGRESS_CHUNK):
            part = records.slice(start, start + PROGRESS_CHUNK)
            batches.append(scenario.evaluate_many(part, threads=threads, trace=trace))
            progress.update(min(total, start + PROGRESS_CHUNK))
    finally:
        progress.close()
    return batches


def _records(rules: RuleSet, paths: Sequence[str], encoding: str | None = None) -> _core.Enterprises:
    parts = [records for _, records in intake.read_inputs(rules._core, paths, encoding)]
    return parts[0] if len(parts) == 1 else _core.Enterprises.join(parts)


# --- check -------------------------------------------------------------------------------------


def run_check(args: argparse.Namespace, out: TextIO) -> int:
    rules = RuleSet.load(*args.rules)
    summary = rules.summary
    if args.format == "json":
        data: dict[str, Any] = {
            "summary": {k: v for k, v in vars(summary).items() if k != "text"},
            "fingerprint": rules.fingerprint,
            "policy_sets": [
                {"id": p.id, "title": p.title.zh, "status": p.status, "rules": p.rule_count,
                 "in_force": p.in_force}
                for p in rules.policy_sets
            ],
            "warnings": list(rules.period_warnings),
        }
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return 0
    header = ["policy set", "status", "in force", "rules", "title"]
    rows = [[p.id, p.status, p.in_force, str(p.rule_count), p.title.zh] for p in rules.policy_sets]
    if args.format == "csv":
        cells: list[list[reports.Cell]] = [list(row) for row in rows]
        _emit(args, reports.tables_csv([reports.Table("policy sets", header, cells)],
                                       excel=args.excel), out)
        return 0
    if args.format == "markdown":
        _markdown(header, rows, out)
    else:
        _table(header, rows, out)
    for warning in rules.period_warnings:
        out.write(f"warning: {warning}\n")
    out.write(f"\nok: {summary}\nfingerprint: {rules.fingerprint}\n")
    return 0


# --- the scenario of the options --option, --choose, --set, --on -------------------------------


def _scenario(args: argparse.Namespace, rules: RuleSet | None = None) -> Scenario:
    rules = rules if rules is not None else RuleSet.load(*args.rules)
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


# --- entry point -------------------------------------------------------------------------------


def _report(error: SubsidyError) -> None:
    for item in error.errors or [error]:
        print(printable(str(item)), file=sys.stderr)


def _quiet_stdout() -> None:
    """Points stdout at /dev/null, so that the interpreter's final flush of a closed pipe
    raises nothing."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


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
    # Commands registered elsewhere (serve, ...) may have no -o or --format of their own.
    workbook = (getattr(args, "output", None) or "").lower().endswith(".xlsx")
    if workbook or getattr(args, "format", None) == "xlsx":
        if "xlsx" not in getattr(args, "formats", ()):
            parser.error(f"{args.command} writes no workbook: -o {args.output} needs another name")
        if not workbook:
            parser.error("--format xlsx needs -o FILE.xlsx (a workbook is not written to a terminal)")
        args.format = "xlsx"
    try:
        with _output(args.output, out or sys.stdout, args) as stream:
            code: int = args.run(args, stream)
        return code
    except BrokenPipeError:
        # The reader went away (`subsidy evaluate ... | head`): end quietly, as `cat` does.
        _quiet_stdout()
        return 1
    except SubsidyError as error:
        _report(error)
        return 1
    except (TypeError, ValueError, OSError) as error:
        print(printable(f"subsidy: error: {error}"), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
