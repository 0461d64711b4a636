"""Boundary cases derived from the rules, and the bound coverage of golden cases.

The engine hands over each rule's compiled condition, award and derived values as trees
(``RuleSet.rule_shape`` in the bindings), with every bound valued in the scenario; nothing here
parses an expression. From the trees:

* a **bound** is a numeric comparison (``超过``, ``不低于``, ``>=``, ``==`` ...) in the condition, the
  award or a derived value the rule reads, or a tier's edge. It is *exercised* when golden cases
  put the compared value at the bound and one quantum (0.01 元, 0.01%, one unit) on the other side
  of the decision: for ``x 超过 b`` the cases ``x = b`` and ``x = b + 0.01``.
* a **condition** is an operand of an ``and``/``or`` chain. It is exercised (MC/DC) when two cases
  differ in that operand alone and the chain's outcome differs with it.

The values a golden case gives each side are the engine's (``probe_rule``: the sides of each
comparison evaluated for the case's record), so bounds on derived values and list fields count.

:func:`generate` writes, for one rule, the enterprises at each bound it can reach through a fact
and one quantum either side, and for each condition the pair that shows it alone decides, as
golden-case YAML with the engine's results for a person to check."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import _core
from .goalseek import quantum_for_unit
from .rules import RuleSet, Scenario
from .testing import golden_files, read_golden, scenario_of

__all__ = ["Bound", "Condition", "Coverage", "GeneratedCases", "bounds_of", "coverage", "generate"]

_FLIP = {"gt": "lt", "ge": "le", "lt": "gt", "le": "ge", "eq": "eq", "ne": "ne"}
_WORD = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "==", "ne": "!="}
_BINARY = {"add": "+", "sub": "-", "mul": "*"}


def render(node: dict[str, Any]) -> str:
    """A tree back as text, for reports (the engine's source is the authority)."""
    op, args = node["op"], node["args"]
    if op == "name":
        return str(node["text"])
    if op == "number":
        return format(node["value"], "f")
    if op == "string":
        return repr(node["text"])
    if op == "boolean":
        return "true" if node["boolean"] else "false"
    if op in _BINARY:
        return f"({render(args[0])} {_BINARY[op]} {render(args[1])})"
    if op == "compare":
        return f"{render(args[0])} {node['text'] or _WORD[node['cmp']]} {render(args[1])}"
    if op in ("and", "or"):
        return f" {op} ".join(render(a) for a in args)
    if op == "not":
        return f"not {render(args[0])}"
    if op == "in":
        return f"{render(args[0])} in {node['strings']}"
    if op == "option":
        return str(node["text"])  # as written: option(name)
    if op == "neg":
        return f"-{render(args[0])}"
    name = "if" if op == "if" else op
    return f"{name}({', '.join(render(a) for a in args)})"


def _nodes(node: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    if node is None:
        return
    yield node
    for arg in node["args"]:
        yield from _nodes(arg)


@dataclass(frozen=True)
class Bound:
    """One bound of a rule: ``subject`` compared with ``value`` (or with ``reference``, a value
    that varies per enterprise) by ``cmp``; exercised at the differences ``needed``."""

    rule: str
    where: str  # "condition", "award", "tier <label>", "derived <name>"
    subject: str
    cmp: str
    value: Decimal | None
    reference: str
    quantum: Decimal
    subject_id: int
    reference_id: int | None  # None for a tier edge (the value is fixed)
    subject_node: dict[str, Any] = field(repr=False, compare=False, hash=False, default_factory=dict)

    @property
    def needed(self) -> tuple[Decimal, Decimal]:
        """The differences subject − bound that pin the bound: the bound itself and one quantum
        on the other side of the decision."""
        q = self.quantum
        return (Decimal(0), q if self.cmp in ("gt", "le", "eq", "ne") else -q)

    @property
    def label(self) -> str:
        bound = format(self.value, "f") if self.value is not None else self.reference
        return f"{self.subject} {_WORD[self.cmp]} {bound} ({self.where})"


@dataclass(frozen=True)
class Condition:
    """One operand of an and/or chain."""

    rule: str
    chain_id: int
    chain_op: str
    index: int
    leaf_ids: tuple[int, ...]
    text: str
    leaf: dict[str, Any] = field(repr=False, compare=False, hash=False, default_factory=dict)


def _numeric(node: dict[str, Any]) -> bool:
    return quantum_for_unit(str(node["unit"])) is not None


def _quantum(subject: dict[str, Any], value: Decimal | None) -> Decimal:
    q = quantum_for_unit(str(subject["unit"])) or Decimal("0.01")
    if value is not None:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            q = min(q, Decimal(1).scaleb(exponent))
    return q


def _compare_bounds(rule: str, where: str, root: dict[str, Any] | None) -> list[Bound]:
    found = []
    for node in _nodes(root):
        if node["op"] != "compare":
            continue
        left, right = node["args"]
        if not (_numeric(left) and _numeric(right)):
            continue
        cmp = node["cmp"]
        if left["value"] is not None and right["value"] is None:
            left, right, cmp = right, left, _FLIP[cmp]
        if left["value"] is not None:
            continue  # two constants: nothing varies
        found.append(Bound(rule, where, render(left), cmp, right["value"], render(right),
                           _quantum(left, right["value"]), left["id"], right["id"], left))
    return found


def _tier_bounds(rule: str, award: dict[str, Any] | None) -> list[Bound]:
    if award is None:
        return []
    found: list[Bound] = []
    subject = award["a"]
    for level in award["levels"]:
        tier = level["tier"]
        for edge, inclusive, cmp_in, cmp_out in (("lower", "lower_inclusive", "ge", "gt"),
                                                 ("upper", "upper_inclusive", "le", "lt")):
            node = level[edge]
            if node is None or node["value"] is None or subject is None:
                continue
            cmp = cmp_in if tier[inclusive] else cmp_out
            found.append(Bound(rule, f"tier {tier['label']}", render(subject), cmp, node["value"],
                               format(node["value"], "f"), _quantum(subject, node["value"]), subject["id"],
                               None, subject))
        found += _tier_bounds(rule, level["award"])
    for part in ("a", "b", "where"):
        found += _compare_bounds(rule, "award", award[part])
    if award["each"] is not None:
        found += _tier_bounds(rule, award["each"])
    return found


def _unique(bounds: Iterable[Bound]) -> list[Bound]:
    seen: dict[tuple[Any, ...], Bound] = {}
    for b in bounds:
        key = (b.subject, b.value if b.value is not None else b.reference, b.needed)
        seen.setdefault(key, b)
    return list(seen.values())


def shape(rules: RuleSet, rule: str, scenario: Scenario | None = None) -> dict[str, Any]:
    """The engine's tree of one rule (condition, award, derived values), bounds valued in
    ``scenario`` (default: the baseline)."""
    scenario = scenario or rules.baseline
    result: dict[str, Any] = rules._core.rule_shape(rule, scenario._core_scenario)
    return result


def bounds_of(rules: RuleSet, rule: str, scenario: Scenario | None = None) -> list[Bound]:
    """Every bound of one rule: its condition's comparisons, its award's comparisons and tier
    edges, and the comparisons of the derived values it reads."""
    tree = shape(rules, rule, scenario)
    found = _compare_bounds(rule, "condition", tree["when"])
    found += _tier_bounds(rule, tree["award"])
    for derived in tree["derived"]:
        found += _compare_bounds(rule, f"derived {derived['name']}", derived["shape"])
    return _unique(found)


def _chains(root: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    """The and/or chains (a and b and c as one) of a tree, outermost first."""

    def walk(node: dict[str, Any], parent: str) -> Iterator[dict[str, Any]]:
        if node["op"] in ("and", "or") and node["op"] != parent:
            yield node
        for arg in node["args"]:
            yield from walk(arg, node["op"])

    if root is not None:
        yield from walk(root, "")


def _leaves(node: dict[str, Any], op: str) -> list[dict[str, Any]]:
    if node["op"] != op:
        return [node]
    return [leaf for arg in node["args"] for leaf in _leaves(arg, op)]


def conditions_of(rules: RuleSet, rule: str, scenario: Scenario | None = None) -> list[Condition]:
    """Every operand of every and/or chain in the rule's condition."""
    tree = shape(rules, rule, scenario)
    found = []
    for chain in _chains(tree["when"]):
        leaves = _leaves(chain, chain["op"])
        ids = tuple(int(leaf["id"]) for leaf in leaves)
        found += [Condition(rule, int(chain["id"]), chain["op"], i, ids, render(leaf), leaf)
                  for i, leaf in enumerate(leaves)]
    return found


# --- coverage ------------------------------------------------------------------------------------


def _key(b: Bound) -> tuple[Any, ...]:
    return (b.where, b.subject_id, b.reference_id, b.cmp)


def _probe(rules: RuleSet, rule: str, facts: dict[str, Any], scenario: Scenario) -> list[tuple[int, Decimal]]:
    records = _core.Enterprises.from_records(rules._core, [facts], "<case>")
    return [(int(i), v) for i, v in rules._core.probe_rule(rule, records, 0, scenario._core_scenario)]


def _differences(bound: Bound, probed: Sequence[tuple[int, Decimal]]) -> set[Decimal]:
    if bound.reference_id is None:
        assert bound.value is not None
        return {v - bound.value for i, v in probed if i == bound.subject_id}
    found: set[Decimal] = set()
    pending: dict[int, Decimal] = {}
    for i, v in probed:
        if i in (bound.subject_id, bound.reference_id):
            pending[i] = v
            if len(pending) == 2:
                found.add(pending[bound.subject_id] - pending[bound.reference_id])
                pending.clear()
    return found


def _vectors(condition: Condition, probed: Sequence[tuple[int, Decimal]]) -> set[tuple[bool, tuple[bool, ...]]]:
    found = set()
    n = len(condition.leaf_ids)
    for k, (i, v) in enumerate(probed):
        if i != condition.chain_id:
            continue
        group = probed[k + 1 : k + 1 + n]
        if tuple(g[0] for g in group) == condition.leaf_ids:
            found.add((v == 1, tuple(g[1] == 1 for g in group)))
    return found


def _decides(index: int, vectors: set[tuple[bool, tuple[bool, ...]]]) -> bool:
    """Two vectors that differ in this operand alone, with different outcomes (unique cause)."""
    for outcome, leaves in vectors:
        for other_outcome, other in vectors:
            if outcome != other_outcome and leaves[index] != other[index] and all(
                a == b for j, (a, b) in enumerate(zip(leaves, other)) if j != index
            ):
                return True
    return False


@dataclass(frozen=True)
class RuleCoverage:
    rule: str
    cases: int  # golden cases that reached the rule (its policy set evaluated, no error)
    bounds: tuple[tuple[Bound, frozenset[Decimal]], ...]  # each bound with the differences seen
    conditions: tuple[tuple[Condition, bool], ...]

    @property
    def missing_bounds(self) -> list[tuple[Bound, list[Decimal]]]:
        out = []
        for bound, seen in self.bounds:
            lacking = [d for d in bound.needed if d not in seen]
            if bound.cmp in ("eq", "ne") and lacking == [bound.quantum] and -bound.quantum in seen:
                lacking = []
            if lacking:
                out.append((bound, lacking))
        return out


@dataclass(frozen=True)
class Coverage:
    """Which bounds and conditions of each rule the golden cases exercise."""

    rules: tuple[RuleCoverage, ...]
    files: tuple[Path, ...]

    @property
    def bound_total(self) -> int:
        return sum(len(r.bounds) for r in self.rules)

    @property
    def bound_covered(self) -> int:
        return self.bound_total - sum(len(r.missing_bounds) for r in self.rules)

    @property
    def condition_total(self) -> int:
        return sum(len(r.conditions) for r in self.rules)

    @property
    def condition_covered(self) -> int:
        return sum(covered for r in self.rules for _, covered in r.conditions)

    @property
    def complete(self) -> bool:
        """Every bound exercised (the repository's own cases keep this true)."""
        return self.bound_covered == self.bound_total

    def text(self) -> str:
        out = io.StringIO()
        for r in self.rules:
            missing = r.missing_bounds
            open_conditions = [c for c, covered in r.conditions if not covered]
            if not missing and not open_conditions:
                continue
            out.write(f"{r.rule} ({r.cases} golden cases reach it)\n")
            for bound, lacking in missing:
                points = ", ".join(f"{'+' if d > 0 else ''}{d}" for d in lacking)
                out.write(f"  bound not exercised: {bound.label}: needs subject − bound = {points}\n")
            for condition in open_conditions:
                out.write(f"  condition not shown to decide alone ({condition.chain_op}): {condition.text}\n")
        out.write(f"bounds: {self.bound_covered}/{self.bound_total} exercised; conditions (MC/DC): "
                  f"{self.condition_covered}/{self.condition_total}; {len(self.files)} golden files\n")
        return out.getvalue()

    def to_dict(self) -> dict[str, Any]:
        return {
            "bounds": {"total": self.bound_total, "covered": self.bound_covered},
            "conditions": {"total": self.condition_total, "covered": self.condition_covered},
            "rules": [
                {
                    "rule": r.rule,
                    "cases": r.cases,
                    "missing_bounds": [{"bound": b.label, "needs": [str(d) for d in lacking]}
                                       for b, lacking in r.missing_bounds],
                    "open_conditions": [c.text for c, covered in r.conditions if not covered],
                }
                for r in self.rules
            ],
        }


def coverage(rules: RuleSet, golden: Iterable[str | Path], *, only: Sequence[str] | None = None) -> Coverage:
    """Bound and condition coverage of ``rules`` (every rule, or ``only`` these) by the golden
    files under ``golden`` that are written for the same rules (same fingerprint); a case counts
    for the rules its file focuses on."""
    ids = list(only) if only else [r.qualified_id for r in rules.rules]
    by_rule: dict[str, list[tuple[dict[str, Any], Scenario]]] = {rule: [] for rule in ids}
    used: list[Path] = []
    loaded: dict[Path, str] = {}
    for path in golden_files(golden):
        document = read_golden(path)
        if document.rules is None:
            continue
        if document.rules not in loaded:
            loaded[document.rules] = RuleSet.load(document.rules).fingerprint
        if loaded[document.rules] != rules.fingerprint:
            continue
        used.append(path)
        for case in document.cases:
            for rule in document.focus:
                if rule in by_rule:
                    by_rule[rule].append((case.data, scenario_of(rules, case.data)))
    results = []
    for rule in ids:
        policy_set = rules.rule(rule).policy_set
        bounds = {_key(b): b for b in bounds_of(rules, rule)}
        seen: dict[tuple[Any, ...], set[Decimal]] = {k: set() for k in bounds}
        conditions = conditions_of(rules, rule)
        vectors: dict[int, set[tuple[bool, tuple[bool, ...]]]] = {}
        reached = 0
        for data, scenario in by_rule[rule]:
            facts = {"id": "case", **data["facts"]}
            try:
                result = scenario.evaluate(facts, trace=False)
            except (_core.SubsidyError, TypeError, ValueError):
                continue
            if result.error is not None or policy_set not in result.policy_sets:
                continue
            reached += 1
            probed = _probe(rules, rule, facts, scenario)
            for bound in bounds_of(rules, rule, scenario):
                if _key(bound) in seen:
                    seen[_key(bound)] |= _differences(bound, probed)
            for condition in conditions:
                vectors.setdefault(condition.chain_id, set()).update(_vectors(condition, probed))
        results.append(RuleCoverage(
            rule, reached,
            tuple((b, frozenset(seen[k])) for k, b in bounds.items()),
            tuple((c, _decides(c.index, vectors.get(c.chain_id, set()))) for c in conditions),
        ))
    return Coverage(tuple(results), tuple(used))


# --- generation ----------------------------------------------------------------------------------


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
        records = [dict(r) for r in facts.get(owner) or []]
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
        if _settable(node) and node["unit"].startswith("a condition"):
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
        return _assign(subject, bound + (holds if want else fails), facts) is None

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
        missing = re.search(r"missing fact '([^']+)'", str(result.error or ""))
        if missing is None or missing.group(1) not in declared or missing.group(1) in facts:
            return result
        fact = declared[missing.group(1)]
        facts[fact.name] = _filler(fact.unit, fact.values)
    return result


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
    for chain in _chains(tree["when"]):
        leaves = _leaves(chain, chain["op"])
        for i, leaf in enumerate(leaves):
            for wanted in ([False] if chain["op"] == "and" else [True, False]):
                facts, case_options = dict(cases[0].facts), dict[str, str]()
                others = chain["op"] == "and"  # the value the other operands keep
                ok = all(solver.solve(other, others, facts, case_options)
                         for j, other in enumerate(leaves) if j != i) if chain["op"] == "or" else True
                if not ok or not solver.solve(leaf, wanted, facts, case_options):
                    skipped.append(f"MC/DC for {render(leaf)} ({chain['op']}): cannot set it from facts")
                    break
                add(f"仅{'满足' if wanted else '不满足'}: {render(leaf)}",
                    f"MC/DC: {render(leaf)} {'holds' if wanted else 'fails'}, the other operands of the "
                    f"{chain['op']} {'hold' if others else 'fail'}", facts, case_options)
    return GeneratedCases(rule, declared.citation.where, rules_path, tuple(cases), tuple(dict.fromkeys(skipped)))
