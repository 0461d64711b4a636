"""The clerk's way in, on the command line: ``subsidy template`` (the data template workbook),
``subsidy facts`` (the data dictionary: every fact, and which facts each rule and policy version
needs) and ``--encoding`` for CSV inputs."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from .rules import RuleSet
from .template import data_dictionary, write_template

__all__ = ["register"]

EPILOG_TEMPLATE = """\
examples:
  subsidy template --rules rules -o 企业数据模板.xlsx
  subsidy evaluate --rules rules 企业数据模板.xlsx      # once filled in

The workbook has a sheet for the enterprises' facts and one per list fact (first-unit products,
standards, R&D centres, ...: one row per record, with the enterprise id). Each column is headed
by its Chinese label and its name, with its type and meaning below; drop-downs offer the allowed
values and 是/否. The sheet '说明 dictionary' lists every fact and the rules that read it.
"""

EPILOG_FACTS = """\
examples:
  subsidy facts --rules rules                               # every fact
  subsidy facts --rules rules --policy em-opinions-draft    # what one policy version needs
  subsidy facts --rules rules --rule machining-survey/J4-tax-rebate --format json
"""

ENCODINGS_HELP = ("the encoding of CSV inputs (default: UTF-8, with or without a byte-order mark, "
                  "else GB18030 as Excel saves on Chinese Windows)")


def register(commands: Any, command: Any, add_rules: Any, add_output: Any) -> None:
    """Adds ``template`` and ``facts`` to the subcommands, and ``--encoding`` to those that read
    enterprise records."""
    for name in ("evaluate", "explain", "audit", "compare"):
        if name in commands.choices:
            commands.choices[name].add_argument("--encoding", metavar="NAME", help=ENCODINGS_HELP)

    template = command(commands, "template", "write the data template workbook for the rules",
                       "Write the .xlsx data template generated from the rule files.", EPILOG_TEMPLATE)
    add_rules(template)
    template.add_argument("-o", "--output", dest="workbook", required=True, metavar="FILE.xlsx",
                          help="the workbook to write (whole or not at all)")
    template.set_defaults(run=run_template, output=None)

    facts = command(commands, "facts", "list the facts the rules read (the data dictionary)",
                    "The data dictionary: each fact's name, labels, type and the rules that read it.",
                    EPILOG_FACTS)
    add_rules(facts)
    which = facts.add_mutually_exclusive_group()
    which.add_argument("--policy", metavar="SET", help="only the facts this policy set needs")
    which.add_argument("--rule", metavar="RULE", help="only the facts this rule (policy-set/rule-id) needs")
    add_output(facts, ("table", "json", "csv"), "table")
    facts.set_defaults(run=run_facts)


def run_template(args: argparse.Namespace, out: TextIO) -> int:
    rules = RuleSet.load(*args.rules)
    if not args.workbook.lower().endswith(".xlsx"):
        raise ValueError(f"the template is a workbook: name it FILE.xlsx, not {args.workbook!r}")
    write_template(rules._core, args.workbook)
    print(f"wrote {args.workbook}", file=out)
    return 0


def run_facts(args: argparse.Namespace, out: TextIO) -> int:
    rules = RuleSet.load(*args.rules)
    frame = data_dictionary(rules._core)
    wanted = args.policy or args.rule
    if wanted:
        needed = set(rules._core.facts_needed(wanted))
        frame = frame[frame["name"].isin(needed) | frame["list"].isin(needed)]
    if args.format == "json":
        records = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in row.items()}
                   for row in frame.to_dict(orient="records")]
        out.write(json.dumps(records, ensure_ascii=False, indent=1) + "\n")
        return 0
    if args.format == "csv":
        flat = frame.assign(rules=frame["rules"].map(" ".join), policy_sets=frame["policy_sets"].map(" ".join))
        out.write(flat.to_csv(index=False))
        return 0
    for row in frame.to_dict(orient="records"):
        name = f"{row['list']}.{row['name']}" if row["list"] else str(row["name"])
        extra = f"  [{row['values']}]" if row["values"] else ""
        need = f"  ← {len(row['rules'])} rule(s)" if row["rules"] else ""
        out.write(f"{name:<40} {row['label_zh']}  ({row['type']}){extra}{need}\n")
    return 0
