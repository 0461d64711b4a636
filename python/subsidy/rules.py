"""Rule sets and what-if scenarios.

``RuleSet.load("rules")`` loads and checks a rule folder. ``RuleSet.with_parameters(...)``,
``with_options(...)``, ``choose(...)`` and ``on(date)`` return a :class:`Scenario` bound to the
rule set: the same rules evaluated under other choices. Both evaluate one enterprise (a dict),
many (a DataFrame, pyarrow Table, list of dicts or file) or compare with :func:`subsidy.compare`.
Everything about a policy is in the YAML; this module only hands values to the engine."""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Union

import pandas as pd

from . import _core, _frames
from ._frames import Frames, Population
from .columnar import ColumnarResults, FactTable
from .results import Citation, Evaluation, Text, Total

__all__ = [
    "Batch",
    "BudgetLine",
    "Fact",
    "Group",
    "Option",
    "Parameter",
    "ParameterVersion",
    "Payer",
    "PolicySet",
    "Rule",
    "RuleSet",
    "Scenario",
    "Summary",
    "Tier",
]

DecimalLike = Union[Decimal, int, str]
DateLike = Union[datetime.date, str]
PathLike = Union[str, "os.PathLike[str]"]


# --- metadata ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicySet:
    id: str
    title: Text
    issuer: str
    document_number: str
    date: datetime.date | None
    date_as_written: str
    status: str
    applies_to: str
    group: str
    file: str
    rule_count: int
    in_force: str = "always"  # "from 2024-07-06": outside it a record gets no line from the set

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> PolicySet:
        return cls(
            id=d["id"],
            title=Text._from(d["title"]),
            issuer=d["issuer"],
            document_number=d["document_number"],
            date=d["date"],
            date_as_written=d["date_as_written"],
            status=d["status"],
            applies_to=d["applies_to"],
            group=d["group"],
            file=d["file"],
            rule_count=int(d["rule_count"]),
            in_force=d["in_force"],
        )


@dataclass(frozen=True)
class Tier:
    label: str
    lower: Decimal | None
    lower_inclusive: bool
    lower_word: str
    upper: Decimal | None
    upper_inclusive: bool
    upper_word: str


@dataclass(frozen=True)
class Rule:
    policy_set: str
    id: str
    qualified_id: str
    title: Text
    citation: Citation
    payer: str
    form: str
    in_kind: Text
    recurrence: str
    kind: str
    when: str
    amount_summary: str
    rounding: str
    rounding_exponent: int
    tiers: tuple[Tier, ...]
    hit: str
    file: str
    line: int
    column: int
    payer_inferred: bool = False

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Rule:
        mark = d["mark"]
        return cls(
            policy_set=d["policy_set"],
            id=d["id"],
            qualified_id=d["qualified_id"],
            title=Text._from(d["title"]),
            citation=Citation._from(d["citation"]),
            payer=d["payer"],
            form=d["form"],
            in_kind=Text._from(d["in_kind"]),
            recurrence=d["recurrence"],
            kind=d["kind"],
            when=d["when"],
            amount_summary=d["amount_summary"],
            rounding=d["rounding"],
            rounding_exponent=int(d["rounding_exponent"]),
            tiers=tuple(Tier(**t) for t in d["tiers"]),
            hit=d["hit"],
            file=mark["file"],
            line=int(mark["line"]),
            column=int(mark["column"]),
            payer_inferred=bool(d.get("payer_inferred", False)),
        )

    def __repr__(self) -> str:
        return f"Rule({self.qualified_id}: {self.title.zh}; {self.amount_summary}; {self.citation.where})"


@dataclass(frozen=True)
class ParameterVersion:
    start: datetime.date | None  # in force from this date (None: from the beginning)
    value: Decimal
    reference: str


@dataclass(frozen=True)
class Parameter:
    policy_set: str
    name: str
    qualified_name: str
    unit: str
    label: Text
    versions: tuple[ParameterVersion, ...]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Parameter:
        return cls(
            policy_set=d["policy_set"],
            name=d["name"],
            qualified_name=d["qualified_name"],
            unit=d["unit"],
            label=Text._from(d["label"]),
            versions=tuple(
                ParameterVersion(v["from"], v["value"], v["reference"]) for v in d["versions"]
            ),
        )

    @property
    def value(self) -> Decimal:
        """The latest version's value (what an evaluation without a date uses)."""
        return self.versions[-1].value


@dataclass(frozen=True)
class Option:
    name: str
    question: Text
    choices: Mapping[str, Text]
    default: str
    see: str

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Option:
        return cls(
            name=d["name"],
            question=Text._from(d["question"]),
            choices={k: Text._from(v) for k, v in d["choices"].items()},
            default=d["default"],
            see=d["see"],
        )


@dataclass(frozen=True)
class Group:
    id: str
    title: Text
    default: str
    members: tuple[str, ...]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Group:
        return cls(d["id"], Text._from(d["title"]), d["default"], tuple(d["members"]))


@dataclass(frozen=True)
class Fact:
    name: str
    unit: str
    label: Text
    required: bool
    values: tuple[str, ...]
    fields: tuple[Fact, ...]
    has_default: bool
    default: Any

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> Fact:
        return cls(
            name=d["name"],
            unit=d["unit"],
            label=Text._from(d["label"]),
            required=bool(d["required"]),
            values=tuple(d["values"]),
            fields=tuple(Fact._from(f) for f in d["fields"]),
            has_default=bool(d["has_default"]),
            default=d["default"],
        )


@dataclass(frozen=True)
class Payer:
    id: str
    en: str
    level: str


@dataclass(frozen=True)
class BudgetLine:
    policy_set: str
    id: str
    citation: Citation
    payer: str
    per: str
    min: Decimal
    max: Decimal | None  # None: open ("不低于")
    items: tuple[tuple[str, Decimal], ...]
    covers: tuple[str, ...]

    @classmethod
    def _from(cls, d: Mapping[str, Any]) -> BudgetLine:
        return cls(
            policy_set=d["policy_set"],
            id=d["id"],
            citation=Citation._from(d["citation"]),
            payer=d["payer"],
            per=d["per"],
            min=d["min"],
            max=d["max"],
            items=tuple((i["label"], i["amount"]) for i in d["items"]),
            covers=tuple(d["covers"]),
        )


@dataclass(frozen=True)
class Summary:
    files: int
    policy_sets: int
    rules: int
    parameters: int
    options: int
    facts: int
    budget_lines: int
    checks: int
    text: str

    def __str__(self) -> str:
        return self.text


# --- rule sets ---------------------------------------------------------------------------------


def _rebuild_rule_set(sources: list[tuple[str, str]]) -> RuleSet:
    return RuleSet.from_texts(sources)


class RuleSet:
    """A loaded, checked, immutable rule set. Evaluates under the default scenario; use
    :meth:`with_parameters`, :meth:`with_options`, :meth:`choose` or :meth:`on` for what-ifs.

    Pickles as its sources (rebuilt with ``from_texts`` on the other side)."""

    __slots__ = ("_core", "_cache")

    def __init__(self, core: _core.RuleSet) -> None:
        self._core = core
        self._cache: dict[str, Any] = {}

    @classmethod
    def load(cls, *paths: PathLike) -> RuleSet:
        """Loads rule files or folders (``*.yaml``/``*.yml``, sorted by name); raises
        :class:`subsidy.SubsidyError` listing every problem with file, line and column."""
        if not paths:
            raise TypeError("RuleSet.load needs at least one file or folder")
        return cls(_core.RuleSet.load([os.fspath(p) for p in paths]))

    @classmethod
    def from_texts(cls, sources: Mapping[str, str] | Sequence[tuple[str, str]]) -> RuleSet:
        """Loads from in-memory YAML texts: ``{name: text}`` or ``[(name, text), ...]``."""
        pairs = list(sources.items()) if isinstance(sources, Mapping) else list(sources)
        return cls(_core.RuleSet.load_texts(pairs))

    def __reduce__(self) -> tuple[Any, tuple[list[tuple[str, str]]]]:
        return (_rebuild_rule_set, (self.sources,))

    # -- contents --

    def _cached(self, key: str, build: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    @property
    def policy_sets(self) -> tuple[PolicySet, ...]:
        result: tuple[PolicySet, ...] = self._cached(
            "policy_sets", lambda: tuple(PolicySet._from(d) for d in self._core.policy_sets())
        )
        return result

    @property
    def rules(self) -> tuple[Rule, ...]:
        result: tuple[Rule, ...] = self._cached(
            "rules", lambda: tuple(Rule._from(d) for d in self._core.rules())
        )
        return result

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        result: tuple[Parameter, ...] = self._cached(
            "parameters", lambda: tuple(Parameter._from(d) for d in self._core.parameters())
        )
        return result

    @property
    def options(self) -> tuple[Option, ...]:
        result: tuple[Option, ...] = self._cached(
            "options", lambda: tuple(Option._from(d) for d in self._core.options())
        )
        return result

    @property
    def groups(self) -> tuple[Group, ...]:
        result: tuple[Group, ...] = self._cached(
            "groups", lambda: tuple(Group._from(d) for d in self._core.groups())
        )
        return result

    @property
    def facts(self) -> tuple[Fact, ...]:
        result: tuple[Fact, ...] = self._cached(
            "facts", lambda: tuple(Fact._from(d) for d in self._core.facts())
        )
        return result

    @property
    def payers(self) -> tuple[Payer, ...]:
        result: tuple[Payer, ...] = self._cached(
            "payers", lambda: tuple(Payer(**d) for d in self._core.payers())
        )
        return result

    @property
    def budget(self) -> tuple[BudgetLine, ...]:
        result: tuple[BudgetLine, ...] = self._cached(
            "budget", lambda: tuple(BudgetLine._from(d) for d in self._core.budget())
        )
        return result

    @property
    def summary(self) -> Summary:
        return Summary(**self._core.summary())

    @property
    def period_warnings(self) -> tuple[str, ...]:
        """Dates that do not fit together: a parameter with no version for part of its policy
        set's period of force, a rule reading a parameter on days it has no value."""
        return tuple(self._core.period_warnings())

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical sources: same rules, same fingerprint."""
        return self._core.fingerprint

    @property
    def sources(self) -> list[tuple[str, str]]:
        """The (name, YAML text) pairs it was loaded from."""
        return self._core.sources()

    def facts_needed(self, id: str) -> tuple[str, ...]:
        """The facts a rule (``policy-set/rule-id``), check, cap or whole policy set reads."""
        return tuple(self._core.facts_needed(id))

    def data_dictionary(self) -> pd.DataFrame:
        """Every fact and list field: labels, type, values, default, and the rules and policy
        sets that read it (see :mod:`subsidy.template`)."""
        from .template import data_dictionary

        return data_dictionary(self._core)

    def rule(self, qualified_id: str) -> Rule:
        found = self._core.find_rule(qualified_id)
        if found is None:
            raise KeyError(f"no rule {qualified_id!r}")
        return Rule._from(found)

    def parameter(self, name: str) -> Parameter:
        found = self._core.find_parameter(name)
        if found is None:
            raise KeyError(f"no parameter {name!r} (qualified, or bare if unique)")
        return Parameter._from(found)

    def __repr__(self) -> str:
        ids = [p.id for p in self.policy_sets]
        shown = ", ".join(ids[:4]) + (f", … ({len(ids)} in all)" if len(ids) > 4 else "")
        return f"<RuleSet {shown}: {self.summary}; fingerprint {self.fingerprint[:12]}>"

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f"<tr><td>{html.escape(p.id)}</td><td>{html.escape(str(p.title))}</td>"
            f"<td>{html.escape(p.status)}</td><td>{p.rule_count}</td></tr>"
            for p in self.policy_sets
        )
        return (
            f"<div><b>RuleSet</b> {html.escape(str(self.summary))}<table><thead><tr>"
            "<th>policy set</th><th>title</th><th>status</th><th>rules</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )

    # -- scenarios --

    @property
    def baseline(self) -> Scenario:
        """The default scenario: latest parameter versions, default options and group members."""
        return Scenario(self)

    def with_parameters(self, parameters: Mapping[str, DecimalLike]) -> Scenario:
        return self.baseline.with_parameters(parameters)

    def with_options(self, options: Mapping[str, str]) -> Scenario:
        return self.baseline.with_options(options)

    def choose(self, choices: Mapping[str, str]) -> Scenario:
        return self.baseline.choose(choices)

    def on(self, date: DateLike | None) -> Scenario:
        return self.baseline.on(date)

    # -- evaluation under the default scenario --

    def evaluate(self, enterprise: Mapping[str, Any], *, trace: bool = True) -> Evaluation:
        return self.baseline.evaluate(enterprise, trace=trace)

    def evaluate_many(
        self, population: Population, *, threads: int | None = None, trace: bool = False
    ) -> Batch:
        return self.baseline.evaluate_many(population, threads=threads, trace=trace)

    def evaluate_frame(self, population: Population, *, threads: int | None = None) -> Frames:
        return self.baseline.evaluate_frame(population, threads=threads)

    def evaluate_columns(
        self, data: Any, *, rules: Sequence[str] | None = None, threads: int | None = None
    ) -> ColumnarResults:
        return self.baseline.evaluate_columns(data, rules=rules, threads=threads)

    def fact_table(self, data: Any) -> FactTable:
        """Reads a pyarrow Table / RecordBatch or pandas DataFrame into the engine once, for
        :meth:`Scenario.evaluate_columns` under several scenarios (see subsidy.columnar)."""
        from .columnar import fact_table

        return FactTable(fact_table(self._core, data), self._core.fingerprint)


# --- scenarios ---------------------------------------------------------------------------------


def _frozen(mapping: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(mapping.items()))


@dataclass(frozen=True)
class Scenario:
    """A rule set under what-if choices: parameter overrides, interpretation options, chosen
    alternative policy sets and an evaluation date. Immutable: each ``with_*`` returns a new one,
    checked against the rule set at once (an unknown name raises :class:`subsidy.SubsidyError`)."""

    rules: RuleSet
    date: datetime.date | None = None
    options: tuple[tuple[str, str], ...] = ()
    choices: tuple[tuple[str, str], ...] = ()
    parameters: tuple[tuple[str, Decimal], ...] = ()
    _core_scenario: _core.Scenario = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        core = self._make_core(trace=False)
        core.validate(self.rules._core)
        object.__setattr__(self, "_core_scenario", core)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (Scenario, (self.rules, self.date, self.options, self.choices, self.parameters))

    def _make_core(self, *, trace: bool) -> _core.Scenario:
        return _core.Scenario(
            on=self.date,
            options=dict(self.options),
            choose=dict(self.choices),
            parameters=dict(self.parameters),
            trace=trace,
        )

    def _replace(self, **changes: Any) -> Scenario:
        return dataclasses.replace(self, **changes)  # re-validated by __post_init__

    def with_parameters(self, parameters: Mapping[str, DecimalLike]) -> Scenario:
        """Overrides parameter values (qualified ``policy-set.name`` or a unique bare name).
        Values are Decimal, int or str (``'60%'``, ``'30万'``); a float raises TypeError."""
        merged = dict(self.parameters)
        for name, value in parameters.items():
            # Checked by the parameter's unit, as a rule file's value: '50万元' is no rate.
            merged[name] = _core.parameter_value(self.rules._core, name, value)
        return self._replace(parameters=_frozen(merged))

    def with_options(self, options: Mapping[str, str]) -> Scenario:
        """Chooses readings of interpretation options."""
        return self._replace(options=_frozen({**dict(self.options), **options}))

    def choose(self, choices: Mapping[str, str]) -> Scenario:
        """Chooses members of alternative groups: ``{group: policy_set}``."""
        return self._replace(choices=_frozen({**dict(self.choices), **choices}))

    def on(self, date: DateLike | None) -> Scenario:
        """Uses the parameter versions in force on ``date`` (None: the latest)."""
        if isinstance(date, str):
            try:
                date = datetime.date.fromisoformat(date)
            except ValueError as error:
                raise ValueError(f"expected a date written YYYY-MM-DD, found {date!r} ({error})") from None
        return self._replace(date=date)

    @property
    def canonical(self) -> str:
        """Canonical text of the choices (part of every receipt)."""
        return self._core_scenario.canonical()

    def describe(self) -> str:
        """The choices on one line: ``on=latest; choose.group=member; ...``."""
        return "; ".join(self.canonical.strip().splitlines()) or "default scenario"

    def __repr__(self) -> str:
        return f"<Scenario {self.describe()} over {self.rules.summary}>"

    # -- evaluation --

    def evaluate(self, enterprise: Mapping[str, Any], *, trace: bool = True) -> Evaluation:
        """Evaluates one enterprise record (a dict of facts). Fact errors (a missing fact, ...)
        are reported in ``Evaluation.error``; bad values (a float, ...) raise."""
        if not isinstance(enterprise, Mapping):
            raise TypeError(
                f"evaluate takes one enterprise as a dict; use evaluate_frame for "
                f"{type(enterprise).__name__}"
            )
        core_rules = self.rules._core
        records = _core.Enterprises.from_records(core_rules, [enterprise], "<record>")
        handle = _core.evaluate(core_rules, records, 0, self._make_core(trace=trace))
        return Evaluation._from_core(handle, self.rules.fingerprint, self.canonical)

    def evaluate_many(
        self, population: Population, *, threads: int | None = None, trace: bool = False
    ) -> Batch:
        """Evaluates a population in one call into the engine (GIL released, ``threads`` threads,
        default all cores); results in input order, identical whatever the thread count.

        Without ``trace`` the batch engine computes the lines and totals (the same results, much
        faster); an evaluation asked for whole (``batch[i]``, iteration, JSON) is completed by the
        reference evaluator, which alone reports findings and explanations."""
        core_rules = self.rules._core
        if not trace:
            # A frame is read by column (no record per row); other populations are typed.
            columns = _frames.column_facts(core_rules, population)
            if columns is not None:
                return Batch(
                    _core.evaluate_table_engine(
                        core_rules, columns.table, columns.names, columns.exponents, columns.source,
                        self._core_scenario, threads or 0,
                    ),
                    self,
                )
        records = _frames.enterprises_from(core_rules, population)
        if trace:
            traced = self._make_core(trace=True)
            return Batch(_core.evaluate_batch(core_rules, records, traced, threads or 0), self)
        return Batch(_core.evaluate_batch_engine(core_rules, records, self._core_scenario, threads or 0), self)

    def evaluate_frame(self, population: Population, *, threads: int | None = None) -> Frames:
        """Evaluates a population and returns ``(lines, totals)`` DataFrames: one row per award
        line and one per enterprise, amounts as exact ``decimal.Decimal`` objects."""
        return self.evaluate_many(population, threads=threads).frames()

    def evaluate_columns(
        self, data: Any, *, rules: Sequence[str] | None = None, threads: int | None = None
    ) -> ColumnarResults:
        """Evaluates a whole table on the columnar path (GIL released, ``threads`` threads,
        default all cores): a pyarrow Table/RecordBatch read directly, or a pandas DataFrame
        (converted to Arrow first, the slower path), or a :class:`subsidy.columnar.FactTable`
        read once by :meth:`RuleSet.fact_table`. ``rules`` keeps only those qualified rule
        ids. Results are the reference evaluator's, as Arrow tables: see
        :class:`subsidy.columnar.ColumnarResults`."""
        from .columnar import evaluate_columns

        return evaluate_columns(self.rules._core, self._core_scenario, data, rules, threads)


class Batch(Sequence[Evaluation]):
    """The evaluations of a population, held by the engine; rows become Python objects only
    when asked for (as DataFrames, or one :class:`Evaluation` at a time)."""

    def __init__(self, core: _core.EvaluationBatch, scenario: Scenario) -> None:
        self._core = core
        self.scenario = scenario

    def __len__(self) -> int:
        return len(self._core)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        position = int(index)
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError("evaluation index out of range")
        return Evaluation._from_core(
            self._core[position], self.scenario.rules.fingerprint, self.scenario.canonical
        )

    def __iter__(self) -> Iterator[Evaluation]:
        # Whole evaluations a block at a time (one engine call each), handed on and not kept, so
        # reading a batch through does not hold every whole evaluation at once.
        fingerprint, canonical = self.scenario.rules.fingerprint, self.scenario.canonical
        block = _core.WHOLE_BLOCK
        for start in range(0, len(self), block):
            for handle in self._core.whole(start, start + block):
                yield Evaluation._from_core(handle, fingerprint, canonical)

    @property
    def ok(self) -> list[bool]:
        return _core.batch_ok(self._core)

    @property
    def complete(self) -> list[bool]:
        """Evaluated without error and with no rule left out for want of a fact."""
        return _core.complete_mask(self._core)

    def incomplete(self) -> list[tuple[str, str]]:
        """(enterprise, the rules left out and the facts they need) for each incomplete one."""
        return [(e, t) for e, _, t in _core.batch_failures(self._core) if t is not None]

    def lines(self) -> pd.DataFrame:
        """One row per award line."""
        return _frames.lines_frame(self._core)

    def totals(self, by: str = "enterprise") -> pd.DataFrame:
        """One row per enterprise (``by='enterprise'``) or per enterprise and payer / policy set."""
        return _frames.totals_frame(self._core, by)

    def frames(self) -> Frames:
        return _frames.frames_from_batch(self._core)

    def aggregate(self, by: str = "payer", mask: Sequence[bool] | None = None) -> dict[str, Total]:
        """Exact sums over the enterprises evaluated without error (and selected by ``mask``):
        ``by='payer'``, ``'policy_set'`` or ``'all'``."""
        sums = _core.batch_aggregate(self._core, by, None if mask is None else [bool(m) for m in mask])
        return {key: Total._from(value) for key, value in sums.items()}

    def total(self, mask: Sequence[bool] | None = None) -> Total:
        return self.aggregate("all", mask).get("all", Total.zero())

    def errors(self) -> list[tuple[str, str]]:
        """(enterprise, error text) for each evaluation that failed, in input order."""
        return [(e, error) for e, error, _ in _core.batch_failures(self._core) if error is not None]

    def to_json(self, *, with_trace: bool = False) -> list[str]:
        """Each evaluation's canonical JSON."""
        return self._core.to_json(with_trace)

    def __repr__(self) -> str:
        failed = len(self) - sum(self.ok)
        return f"<Batch of {len(self)} evaluations ({failed} failed) under {self.scenario.describe()}>"
