"""The bounds and conditions of the rules, and how far golden cases exercise them.

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
:mod:`subsidy.casegen` writes the cases that exercise them."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import _core
from .goalseek import quantum_for_unit
from .rules import RuleSet, Scenario
from .testing import golden_files, read_golden, scenario_of

__all__ = ["Bound", "Condition", "Coverage", "bounds_of", "conditions_of", "coverage", "shape"]

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


def _chains(root: dict[str, Any] | None) -> Iterator[tuple[dict[str, Any], str]]:
    """The and/or chains (a and b and c as one) of a tree, outermost first, each with the list
    whose records it reads ("" outside any/all/count/sum)."""

    def walk(node: dict[str, Any], parent: str, within: str) -> Iterator[tuple[dict[str, Any], str]]:
        if node["op"] in ("and", "or") and node["op"] != parent:
            yield node, within
        folds = node["op"] in ("any", "all", "count", "sum") and node["args"]
        inner = str(node["args"][0]["text"]) if folds else within
        for k, arg in enumerate(node["args"]):
            yield from walk(arg, node["op"], inner if k > 0 else within)

    if root is not None:
        yield from walk(root, "", "")


def _leaves(node: dict[str, Any], op: str) -> list[dict[str, Any]]:
    if node["op"] != op:
        return [node]
    return [leaf for arg in node["args"] for leaf in _leaves(arg, op)]


def conditions_of(rules: RuleSet, rule: str, scenario: Scenario | None = None) -> list[Condition]:
    """Every operand of every and/or chain in the rule's condition."""
    tree = shape(rules, rule, scenario)
    found = []
    for chain, _ in _chains(tree["when"]):
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

