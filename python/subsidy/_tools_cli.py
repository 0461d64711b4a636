"""The commands for rule authors and analysts: ``subsidy test``, ``subsidy cases``,
``subsidy goal-seek`` and ``subsidy sensitivity``, registered into the ``subsidy`` parser by
:func:`register`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TextIO

__all__ = ["register"]

EPILOG_TEST = """\
examples:
  subsidy test tests/rules                       # every golden file under the folder
  subsidy test my-cases/ --rules my-rules        # against another rule folder
  subsidy test tests/rules --junit report.xml    # also a JUnit XML report for CI

Each failure is reported as FILE:LINE with what was expected, what came, and the trace of the line
that differs. Exit status 1 if any case fails (or a file cannot be read).
"""

EPILOG_CASES = """\
examples:
  subsidy cases --rules rules --rule machining-survey/J4-tax-rebate -o J4-bounds.yaml
  subsidy cases --rules rules --rule machining-survey/J4-tax-rebate --seed tests/rules
  subsidy cases --rules rules --policy-set machining-survey
  subsidy cases --rules rules --coverage tests/rules     # bounds the golden cases do not reach

The cases are written as golden-case YAML with the engine's results as the expected values: a
person checks each one (and writes the arithmetic beside it) before it becomes a test.
"""

EPILOG_GOAL = """\
examples:
  subsidy goal-seek --rules rules --population examples/enterprises.yaml \\
      --choose electromechanical-policy=machining-survey \\
      --parameter machining-survey.rebate_rate_low --payer 受益财政 --target 1500万

Searches whole quanta (0.01% for a rate, 0.01 元 for money) by bisection; exit status 1 if the
total is not monotone in the parameter over the searched points, or no value keeps it within.
"""

EPILOG_SENSITIVITY = """\
examples:
  subsidy sensitivity --rules rules --population examples/enterprises.yaml \\
      --choose electromechanical-policy=machining-survey --payer 受益财政 --step 10%
"""

Command = Callable[[Any, str, str, str, str], argparse.ArgumentParser]
Adder = Callable[..., None]


def register(commands: Any, command: Command, add_rules: Adder, add_scenario: Adder,
             add_output: Adder) -> None:
    test = command(commands, "test", "run golden-case files against the rules",
                   "Run golden-case YAML files (the format of tests/rules/) and report each failure "
                   "with its file:line, the expected and actual values and the trace.", EPILOG_TEST)
    test.add_argument("paths", nargs="+", metavar="PATH", help="golden files or folders")
    test.add_argument("--rules", action="append", metavar="PATH",
                      help="rule folder for every file (default: each file's 'rules' key)")
    test.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    add_output(test, ("text", "json"), "text")
    test.set_defaults(run=run_test)

    cases = command(commands, "cases", "generate boundary cases, or report bound coverage",
                    "Derive boundary and MC/DC cases from a rule's conditions and tiers, written as "
                    "golden-case YAML; or report which bounds the golden cases do not exercise.",
                    EPILOG_CASES)
    add_rules(cases)
    cases.add_argument("--rule", action="append", default=[], metavar="ID", help="a rule (repeatable)")
    cases.add_argument("--policy-set", action="append", default=[], metavar="ID",
                       help="every rule of a policy set (repeatable)")
    cases.add_argument("--seed", action="append", default=[], metavar="GOLDEN",
                       help="golden files or folders to start from (a case where the rule gives a line)")
    cases.add_argument("--coverage", nargs="*", metavar="GOLDEN",
                       help="report the bounds and conditions these golden files do not exercise")
    add_output(cases, ("yaml", "text", "json"), "yaml")
    cases.set_defaults(run=run_cases)

    goal = command(commands, "goal-seek", "find a parameter value that keeps a total within a target",
                   "The largest (or smallest) value of a parameter for which a payer's (or a budget "
                   "line's) total over a population stays within a target, exact to the quantum.",
                   EPILOG_GOAL)
    _analysis_arguments(goal, add_rules, add_scenario)
    goal.add_argument("--parameter", required=True, metavar="NAME", help="the parameter to move")
    goal.add_argument("--target", required=True, metavar="AMOUNT", help="the total not to exceed")
    goal.add_argument("--low", metavar="VALUE", help="lowest value searched (default 0)")
    goal.add_argument("--high", metavar="VALUE", help="highest value searched")
    add_output(goal, ("text", "json"), "text")
    goal.set_defaults(run=run_goal_seek)

    sens = command(commands, "sensitivity", "rank parameters by their effect on a total",
                   "Move each parameter down and up by a step of its value and rank them by how "
                   "far a payer's (or a budget line's) total moves.", EPILOG_SENSITIVITY)
    _analysis_arguments(sens, add_rules, add_scenario)
    sens.add_argument("--parameter", action="append", metavar="NAME",
                      help="a parameter to move (repeatable; default: all)")
    sens.add_argument("--step", default="10%", metavar="RATIO", help="relative step (default 10%%)")
    add_output(sens, ("text", "json"), "text")
    sens.set_defaults(run=run_sensitivity)


def _analysis_arguments(parser: argparse.ArgumentParser, add_rules: Adder, add_scenario: Adder) -> None:
    add_rules(parser)
    add_scenario(parser)
    parser.add_argument("--population", action="append", required=True, metavar="FILE",
                        help="enterprise records (repeatable)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--payer", metavar="PAYER", help="the total of this payer's cash awards")
    which.add_argument("--budget-line", metavar="ID", help="the awards this budget line covers")
    parser.add_argument("--side", choices=("max", "min"), default="max",
                        help="the ceiling (default) or the floor of the total's band")


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (list, tuple)):
        return [_text(v) for v in value]
    if isinstance(value, dict):
        return {k: _text(v) for k, v in value.items()}
    return value


def run_test(args: argparse.Namespace, out: TextIO) -> int:
    from .cli import _output
    from .testing import run_tests

    report = run_tests(args.paths, rules=args.rules)
    if args.junit:
        import sys

        with _output(args.junit, sys.stdout) as stream:
            stream.write(report.junit_xml())
    if args.format == "json":
        data = {
            "cases": len(report.results),
            "failed": len(report.failures),
            "failures": [
                {"file": str(r.file), "line": r.line, "name": r.name, "problems": list(r.problems),
                 "traces": list(r.traces)}
                for r in report.failures
            ],
        }
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(report.text())
    return 0 if report.ok else 1


def run_cases(args: argparse.Namespace, out: TextIO) -> int:
    from . import casegen, cases
    from .rules import RuleSet

    rules = RuleSet.load(*args.rules)
    if args.coverage is not None:
        report = cases.coverage(rules, args.coverage or ["tests/rules"])
        if args.format == "json":
            out.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
        else:
            out.write(report.text())
        return 0 if report.complete else 1
    ids = list(args.rule)
    for policy_set in args.policy_set:
        ids += [r.qualified_id for r in rules.rules if r.policy_set == policy_set]
    if not ids:
        raise ValueError("name a rule (--rule) or a policy set (--policy-set), or ask for --coverage")
    generated = [casegen.generate(rules, rule, seeds=args.seed, rules_path=args.rules[0]) for rule in ids]
    if args.format == "json":
        out.write(json.dumps([_text(g.to_dict()) for g in generated], ensure_ascii=False, indent=2) + "\n")
    elif args.format == "text":
        for g in generated:
            out.write(g.text() + "\n")
    else:
        out.write("\n---\n".join(g.yaml() for g in generated))
    return 0


def run_goal_seek(args: argparse.Namespace, out: TextIO) -> int:
    from .cli import _records, _scenario
    from .goalseek import goal_seek

    scenario = _scenario(args)
    result = goal_seek(scenario, args.parameter, target=args.target,
                       population=_records(scenario.rules, args.population), payer=args.payer,
                       budget_line=args.budget_line, side=args.side, low=args.low, high=args.high)
    if args.format == "json":
        data = {k: _text(v) for k, v in vars(result).items()}
        data["ok"] = result.ok
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(result.text() + "\n")
    return 0 if result.ok else 1


def run_sensitivity(args: argparse.Namespace, out: TextIO) -> int:
    from .cli import _records, _scenario
    from .goalseek import sensitivity

    scenario = _scenario(args)
    result = sensitivity(scenario, population=_records(scenario.rules, args.population),
                         payer=args.payer, budget_line=args.budget_line, parameters=args.parameter,
                         step=args.step, side=args.side)
    if args.format == "json":
        rows = [{**{k: _text(v) for k, v in vars(r).items()}, "swing": _text(r.swing)} for r in result.rows]
        out.write(json.dumps({"measure": result.measure, "base_total": _text(result.base_total),
                              "rows": rows}, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(result.text() + "\n")
    return 0
