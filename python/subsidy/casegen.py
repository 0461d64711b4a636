"""Boundary and MC/DC cases generated from a rule's tree (see :mod:`subsidy.cases` for the trees,
the bounds and coverage): the enterprises at each bound and one quantum either side, and for each
operand of an and/or the cases where it alone decides, written as golden-case YAML with the
engine's results for a person to check."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import _core
from .cases import _FLIP, _chains, _leaves, _probe, _quantum, bounds_of, render, shape
from .rules import RuleSet, Scenario
from .testing import golden_files, read_golden, scenario_of

__all__ = ["GeneratedCase", "GeneratedCases", "generate"]



def _settable(node: dict[str, Any]) -> bool:
    return node["op"] == "name" and node["ref"] in ("fact", "field")


def _counted_list(node: dict[str, Any]) -> str | None:
    """The list a plain count(list) counts (no condition), whose length a case can set."""
    args = node["args"]
    if node["op"] == "count" and len(args) == 1 and args[0]["op"] == "name":
        return str(args[0]["text"])
    return None


def _assignable(node: dict[str, Any]) -> bool:
    return _settable(node) or _counted_list(node) is not None


def _assign(node: dict[str, Any], value: Decimal, facts: dict[str, Any]) -> str | None:
    """Gives ``node`` (a fact, a list field, or count(list)) the value; None, or why it cannot."""
    if _settable(node) and node["ref"] == "field":
        owner = str(node["qualified"]).split(".")[0]
        records = [dict(r) for r in (facts.get(owner) or [])[:1]]  # alone, so it decides
        if not records:
            return f"the starting enterprise has no {owner} record"
        records[0][node["text"]] = value
        facts[owner] = records
        return None
    if _settable(node):
        facts[node["text"]] = value
        return None
    counted = _counted_list(node)
    if counted is None:
        return "the compared value is computed; write its cases by hand"
    if value < 0 or value != value.to_integral_value():
        return f"a list cannot have {value} records"
    template = (facts.get(counted) or [{}])[0]
    facts[counted] = [dict(template) for _ in range(int(value))]
    return None


class _Solver:
    """Sets facts (and options) so that simple conditions come out as wanted: and/or/not, boolean
    facts, comparisons of a fact or field with a bound or a text, `in`, any(list, ...), option()."""

    def __init__(self, rules: RuleSet) -> None:
        self.values = {f.name: list(f.values) for f in rules.facts}
        self.fields = {f.name: {g.name: list(g.values) for g in f.fields} for f in rules.facts}
        self.known: dict[int, Decimal] = {}  # node id → value for the starting enterprise

    def other_value(self, node: dict[str, Any], avoid: Sequence[str], record_list: str) -> str | None:
        values = self.fields.get(record_list, {}).get(node["text"]) if node["ref"] == "field" else \
            self.values.get(node["text"])
        for value in values or []:
            if value not in avoid:
                return value
        return None if values else "（其他）"

    def solve(self, node: dict[str, Any], want: bool, facts: dict[str, Any], options: dict[str, str],
              record_list: str = "") -> bool:
        op, args = node["op"], node["args"]
        if op == "and" or op == "or":
            if (op == "and") == want:
                return all(self.solve(a, want, facts, options, record_list) for a in args)
            return self.solve(args[0], want, facts, options, record_list)
        if op == "not":
            return self.solve(args[0], not want, facts, options, record_list)
        if op == "boolean":
            return bool(node["boolean"]) == want
        if _settable(node) and str(node["unit"]).startswith("a condition"):
            facts[node["text"]] = want
            return True
        if op == "any" and want and args[0]["op"] == "name":
            record: dict[str, Any] = {}
            if len(args) > 1 and not self.solve(args[1], True, record, options, args[0]["text"]):
                return False
            facts[args[0]["text"]] = [record]
            return True
        if op == "in" and _settable(args[0]):
            value = node["strings"][0] if want else self.other_value(args[0], node["strings"], record_list)
            if value is None:
                return False
            facts[args[0]["text"]] = value
            return True
        if op != "compare":
            return False
        left, right = args
        if left["op"] == "option" and right["op"] == "string" and node["cmp"] in ("eq", "ne"):
            if want != (node["cmp"] == "eq"):
                return False  # choosing 'some other reading' is not one reading
            options[left["args"][0]["text"] if left["args"] else left["text"]] = right["text"]
            return True
        if _settable(left) and right["op"] == "string" and node["cmp"] in ("eq", "ne"):
            equal = want == (node["cmp"] == "eq")
            value = right["text"] if equal else self.other_value(left, [right["text"]], record_list)
            if value is None:
                return False
            facts[left["text"]] = value
            return True
        cmp = node["cmp"]
        bound = self.fixed(right)
        if _assignable(left) and bound is not None:
            subject = left
        elif _assignable(right) and self.fixed(left) is not None:
            subject, bound, cmp = right, self.fixed(left), _FLIP[cmp]
        elif _assignable(left) and int(right["id"]) in self.known:
            subject, bound = left, self.known[int(right["id"])]  # both set: keep the right as it was
        else:
            return False
        assert bound is not None
        q = _quantum(subject, bound)
        holds = {"gt": q, "ge": Decimal(0), "lt": -q, "le": Decimal(0), "eq": Decimal(0), "ne": q}[cmp]
        fails = {"gt": Decimal(0), "ge": -q, "lt": Decimal(0), "le": q, "eq": q, "ne": Decimal(0)}[cmp]
        value = bound + (holds if want else fails)
        if record_list and subject["ref"] == "field":
            facts[subject["text"]] = value  # `facts` is the record here
            return True
        return _assign(subject, value, facts) is None

    def fixed(self, node: dict[str, Any]) -> Decimal | None:
        """A side's value that the facts being set do not change: a bound, or the value the
        starting enterprise gave a side that is not set here (listing_year + 5)."""
        if node["value"] is not None:
            return Decimal(node["value"])
        return None if _assignable(node) else self.known.get(int(node["id"]))


@dataclass(frozen=True)
class GeneratedCase:
    name: str
    purpose: str
    facts: dict[str, Any]
    choose: dict[str, str]
    options: dict[str, str]
    lines: tuple[dict[str, str], ...]
    error: str | None


@dataclass(frozen=True)
class GeneratedCases:
    """The cases :func:`generate` derived for one rule, and what it could not derive (why)."""

    rule: str
    citation: str
    rules_path: str
    cases: tuple[GeneratedCase, ...]
    skipped: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "cases": [vars(c) for c in self.cases], "skipped": list(self.skipped)}

    def text(self) -> str:
        out = [f"{self.rule}: {len(self.cases)} cases"]
        out += [f"  {c.name}: {c.purpose} → {_outcome(c)}" for c in self.cases]
        out += [f"  not generated: {s}" for s in self.skipped]
        return "\n".join(out)

    def yaml(self) -> str:
        out = io.StringIO()
        out.write("# yaml-language-server: $schema=../schema/golden.schema.json\n")
        out.write(f"# Generated by `subsidy cases` for {self.rule} ({self.citation}).\n")
        out.write("# The expected values are the engine's: check each one against the text and write\n")
        out.write("# the arithmetic beside it before these cases become golden cases.\n")
        for note in self.skipped:
            out.write(f"# not generated: {note}\n")
        out.write(f"rules: {_scalar(self.rules_path)}\nfocus: [{self.rule}]\ncases:\n")
        for case in self.cases:
            out.write(f"  - name: {_scalar(case.name)}\n")
            out.write(f"    # {case.purpose}\n")
            if case.choose:
                out.write(f"    choose: {_flow(case.choose)}\n")
            if case.options:
                out.write(f"    options: {_flow(case.options)}\n")
            out.write("    facts:\n")
            for name, value in case.facts.items():
                out.write(f"      {name}: {_yaml_value(value)}\n")
            out.write("    expect:\n")
            if case.error is not None:
                out.write(f"      error: {_scalar(case.error)}\n")
            elif not case.lines:
                out.write("      lines: []\n")
            else:
                out.write("      lines:\n")
                for line in case.lines:
                    out.write(f"        - {_flow(line)}\n")
        return out.getvalue()


_PLAIN = re.compile(r"^[0-9A-Za-z_\u4e00-\u9fff][0-9A-Za-z_.%/\u4e00-\u9fff\u2014\u2013-]*$")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    if text in ("true", "false"):
        return text  # read back as the text the engine takes for a condition
    reserved = text.lower() in ("null", "yes", "no", "on", "off", "~", "y", "n")
    return text if _PLAIN.match(text) and not reserved else json.dumps(text, ensure_ascii=False)


def _flow(mapping: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_yaml_value(v)}" for k, v in mapping.items()) + "}"


def _yaml_value(value: Any) -> str:
    if isinstance(value, dict):
        return _flow(value)
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    return _scalar(value)


def _outcome(case: GeneratedCase) -> str:
    if case.error is not None:
        return f"error: {case.error}"
    return "; ".join(", ".join(f"{k} {v}" for k, v in line.items() if k != "rule") for line in case.lines) or "no line"


def _expected(result: Any, rule: str) -> tuple[tuple[dict[str, str], ...], str | None]:
    if result.error is not None:
        return (), str(result.error)
    for left_out in result.unevaluated:  # the rule left out for want of a fact: its error
        if left_out.qualified_id == rule:
            return (), left_out.message
    lines = []
    for line in result.lines:
        if line.qualified_rule != rule:
            continue
        entry = {"rule": rule}
        if line.status in ("exact", "decided") and line.amount is not None:
            entry["amount"] = str(line.amount)
        elif line.status == "band" and line.band is not None:
            entry["band"] = f"[{line.band.min}, {line.band.max}]"
        elif line.status == "unfixed":
            entry["unfixed"] = "true"
        else:
            entry["honour"] = "true"
        if line.tier:
            entry["tier"] = line.tier
        lines.append(entry)
    return tuple(lines), None


def _filler(unit: str, values: Sequence[str]) -> Any:
    """A neutral value for a fact the condition does not decide but the evaluation needs."""
    if unit.startswith("a condition"):
        return False
    if unit == "an enumeration":
        return values[0] if values else ""
    if unit == "a list":
        return []
    if unit == "a year":
        return Decimal(2010)
    if unit == "a date":
        return "2010-01-01"
    return Decimal(0)


def _complete(rules: RuleSet, scenario: Scenario, facts: dict[str, Any]) -> Any:
    """Evaluates, adding a neutral value for each missing fact the engine names, until it runs."""
    declared = {f.name: f for f in rules.facts}
    for _ in range(len(declared) + 1):
        result = scenario.evaluate({"id": "case", **facts})
        # The facts of the rules left out for want of them, and one an error may still name.
        messages = [left_out.message for left_out in result.unevaluated] + [str(result.error or "")]
        wanted = [name for message in messages
                  if (name := _missing_fact(message, declared, facts)) is not None]
        if not wanted:
            return result
        for name in dict.fromkeys(wanted):
            facts[name] = _filler(declared[name].unit, declared[name].values)
    return result


def _missing_fact(error: str, declared: Mapping[str, Any], facts: Mapping[str, Any]) -> str | None:
    """The declared fact an evaluation error asks for. A lone record has no earlier year, so for
    last_year(...) it is the fact whose presence the derived value needing it tests instead."""
    missing = re.search(r"missing fact '([^']+)'", error)
    if missing is None:
        return None
    names = [missing.group(1)]
    if names[0].startswith("last_year("):
        needed = re.search(r"; needed by \S+ = (.*)$", error)
        names = re.findall(r"present\((\w+)\)", needed.group(1)) if needed else []
    return next((n for n in names if n in declared and n not in facts), None)


def _seed(rules: RuleSet, rule: str, seeds: Iterable[str | Path]) -> tuple[dict[str, Any], dict[str, str], dict[str, str]] | None:
    """A golden case in which the rule gives a line: facts, choices and options."""
    for path in golden_files(seeds):
        document = read_golden(path)
        if rule not in document.focus:
            continue
        for case in document.cases:
            if any(k in case.data for k in ("set", "on")):
                continue
            try:
                result = scenario_of(rules, case.data).evaluate({"id": "case", **case.data["facts"]})
            except (_core.SubsidyError, TypeError, ValueError):
                continue
            if result.error is None and any(line.qualified_rule == rule for line in result.lines):
                return (dict(case.data["facts"]), dict(case.data.get("choose") or {}),
                        dict(case.data.get("options") or {}))
    return None


def _narrow(rules: RuleSet, scenario: Scenario, rule: str, facts: dict[str, Any]) -> None:
    """Keeps one record of each list, one with which the rule still gives a line, so that a case
    changing that record shows what the record alone decides."""
    for name, value in list(facts.items()):
        if not isinstance(value, list) or len(value) < 2:
            continue
        for record in value:
            trial = {**facts, name: [record]}
            try:
                result = scenario.evaluate({"id": "case", **trial}, trace=False)
            except (_core.SubsidyError, TypeError, ValueError):
                continue
            if result.error is None and any(line.qualified_rule == rule for line in result.lines):
                facts[name] = [record]
                break


def generate(rules: RuleSet, rule: str, *, seeds: Iterable[str | Path] = (),
             rules_path: str = "rules") -> GeneratedCases:
    """Boundary and MC/DC cases for one rule. The starting enterprise is a golden case under
    ``seeds`` in which the rule gives a line, or else one set up from the rule's condition."""
    declared = rules.rule(rule)
    choose: dict[str, str] = {}
    for policy_set in rules.policy_sets:
        if policy_set.id == declared.policy_set and policy_set.group:
            choose[policy_set.group] = policy_set.id
    solver = _Solver(rules)
    tree = shape(rules, rule)
    skipped: list[str] = []
    seed = _seed(rules, rule, seeds)
    options: dict[str, str] = {}
    if seed is not None:
        base, choose, options = seed[0], {**choose, **seed[1]}, seed[2]
    else:
        base = {}
        for root in (tree["applies_to"], tree["when"]):
            if root is not None and not solver.solve(root, True, base, options):
                skipped.append(f"no starting enterprise found for {render(root)}: give a golden case (--seed)")
    scenario = rules.baseline.choose(choose).with_options(options) if choose or options else rules.baseline
    cases: list[GeneratedCase] = []

    def add(name: str, purpose: str, facts: dict[str, Any], case_options: dict[str, str]) -> None:
        run = scenario.with_options(case_options) if case_options else scenario
        try:
            result = _complete(rules, run, facts)
        except (_core.SubsidyError, TypeError, ValueError) as refused:
            skipped.append(f"{purpose}: the record is refused ({refused})")
            return
        lines, error = _expected(result, rule)
        cases.append(GeneratedCase(name, purpose, facts, choose, {**options, **case_options}, lines, error))

    _narrow(rules, scenario, rule, base)
    add("起点", "the starting enterprise", dict(base), {})
    if not cases:
        return GeneratedCases(rule, declared.citation.where, rules_path, (), tuple(skipped))
    if cases[0].error is None:
        solver.known = dict(_probe(rules, rule, {"id": "case", **cases[0].facts}, scenario))
    for bound in bounds_of(rules, rule, scenario):
        target = bound.value
        if target is None and bound.reference_id is not None:
            target = solver.known.get(bound.reference_id)
        if target is None:
            skipped.append(f"{bound.label}: the bound is computed and the starting enterprise gives it no value")
            continue
        for step in (-bound.quantum, Decimal(0), bound.quantum):
            value = target + step
            facts = dict(cases[0].facts)
            why = _assign(bound.subject_node, value, facts)
            if why is not None:
                skipped.append(f"{bound.label}: {why}")
                continue
            where = "at the bound" if step == 0 else f"one quantum {'above' if step > 0 else 'below'}"
            add(f"{bound.subject} = {value:f}", f"{bound.label}: {where}", facts, {})
    for chain, within in _chains(tree["when"]):
        leaves = _leaves(chain, chain["op"])
        for i, leaf in enumerate(leaves):
            for wanted in ([False] if chain["op"] == "and" else [True, False]):
                facts, case_options = dict(cases[0].facts), dict[str, str]()
                holder = facts
                if within:  # the operands read one record: the first, alone, so it alone decides
                    records = [dict(r) for r in (facts.get(within) or [])[:1]]
                    holder = records[0] if records else {}
                    facts[within] = records
                others = chain["op"] == "and"  # the value the other operands keep
                ok = all(solver.solve(other, others, holder, case_options, within)
                         for j, other in enumerate(leaves) if j != i) if chain["op"] == "or" else True
                if not holder and within or not ok or \
                        not solver.solve(leaf, wanted, holder, case_options, within):
                    skipped.append(f"MC/DC for {render(leaf)} ({chain['op']}): cannot set it from facts")
                    break
                add(f"仅{'满足' if wanted else '不满足'}: {render(leaf)}",
                    f"MC/DC: {render(leaf)} {'holds' if wanted else 'fails'}, the other operands of the "
                    f"{chain['op']} {'hold' if others else 'fail'}", facts, case_options)
    return GeneratedCases(rule, declared.citation.where, rules_path, tuple(cases), tuple(dict.fromkeys(skipped)))
