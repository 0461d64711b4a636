"""The installed package: imports outside the source tree, loads the bundled rules/, evaluates the
bundled examples, explains with the cited sentences, pickles, and keeps its public surface typed."""

from __future__ import annotations

import ast
import io
import os
import pickle
import subprocess
import sys
from decimal import Decimal
from importlib import metadata
from pathlib import Path

import pytest
from conftest import REPO, TOY_RULES, toy_record

import subsidy

RULES = REPO / "rules"
EXAMPLES = REPO / "examples" / "enterprises.yaml"


# --- installation ------------------------------------------------------------------------------


def test_imports_outside_the_source_tree(tmp_path: Path) -> None:
    code = (
        "import subsidy, subsidy._core as c; "
        "print(subsidy.__file__); print(c.__file__); print(subsidy.engine_version())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
    )
    package_file, core_file, version = done.stdout.splitlines()
    assert not Path(package_file).resolve().is_relative_to(REPO / "python")
    assert Path(core_file).parent == Path(package_file).parent  # _core sits inside the package
    assert version == subsidy.engine_version()
    assert subsidy.__version__


def test_typing_markers_are_installed() -> None:
    package = Path(subsidy.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_core.pyi").is_file()


def _declared_names(body: list[ast.stmt]) -> set[str]:
    names = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.AnnAssign, ast.Assign)):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def test_the_core_stub_matches_the_compiled_module() -> None:
    from subsidy import _core

    stub = ast.parse((Path(subsidy.__file__).parent / "_core.pyi").read_text("utf-8"))
    # Type aliases (and the TypedDict of a returned dict) exist only in the stub.
    aliases = {"DecimalLike", "DateLike", "CodedColumn", "CodedColumns", "CompareColumns"}
    runtime = {name for name in dir(_core) if not name.startswith("_")} | {"__version__"}
    assert _declared_names(stub.body) - aliases == runtime
    for node in stub.body:
        if isinstance(node, ast.ClassDef) and node.name != "SubsidyError":
            declared = _declared_names(node.body) - {"__init__"}
            public = {m for m in dir(getattr(_core, node.name)) if not m.startswith("_")}
            assert {m for m in declared if not m.startswith("_")} == public, node.name
            for dunder in declared - public:
                assert hasattr(getattr(_core, node.name), dunder), (node.name, dunder)


def test_the_console_script_is_declared() -> None:
    scripts = metadata.distribution("subsidy").entry_points.select(group="console_scripts")
    assert {e.name: e.value for e in scripts}["subsidy"] == "subsidy.cli:main"


def test_python_float_appears_nowhere_in_the_result_types(toy_rules: subsidy.RuleSet) -> None:
    result = toy_rules.evaluate(toy_record(listed=True))

    def walk(value: object) -> None:
        assert not isinstance(value, float), value
        if isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                walk(getattr(value, name))
        elif hasattr(value, "_asdict"):  # the engine's bound result types
            seen.append(type(value).__name__)
            for item in value._asdict().values():
                walk(item)

    seen: list[str] = []
    walk(result)
    assert {"AwardLine", "Band", "Citation", "Text", "Totals", "Total"} <= set(seen)


# --- the bundled rules and examples ------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> subsidy.RuleSet:
    return subsidy.RuleSet.load(RULES)


def test_the_bundled_rules_load_with_citations(bundled: subsidy.RuleSet) -> None:
    summary = bundled.summary
    assert summary.policy_sets >= 1
    assert summary.rules == len(bundled.rules) > 0
    for rule in bundled.rules:
        assert rule.citation.text.strip(), rule.qualified_id
        assert rule.citation.clause.strip(), rule.qualified_id
        if rule.form in ("cash", "in_kind"):  # money or goods: someone named pays
            assert rule.payer in {p.id for p in bundled.payers}, rule.qualified_id
        assert rule.file.endswith((".yaml", ".yml")) and rule.line > 0


def test_the_bundled_examples_evaluate(bundled: subsidy.RuleSet) -> None:
    batch = bundled.evaluate_many(EXAMPLES)
    assert len(batch) > 0
    payers = {p.id for p in bundled.payers}
    for evaluation in batch:
        assert evaluation.ok, evaluation.error
        total = subsidy.Total.zero()
        for payer, by_payer in evaluation.totals.by_payer.items():
            assert payer in payers
            total = total + by_payer
        assert total.cash == evaluation.totals.all.cash
        for line in evaluation.lines:
            assert line.citation.text
            if line.amount is not None:
                assert isinstance(line.amount, Decimal)
                assert line.band is not None and line.band.min <= line.amount <= line.band.max


def test_bundled_evaluations_are_reproducible(bundled: subsidy.RuleSet) -> None:
    first = bundled.evaluate_many(EXAMPLES).totals()
    rebuilt = pickle.loads(pickle.dumps(bundled))
    assert rebuilt.fingerprint == bundled.fingerprint
    again = rebuilt.evaluate_many(EXAMPLES).totals()
    assert list(first["receipt"]) == list(again["receipt"])


# --- explain, repr, pickling -------------------------------------------------------------------


def test_explain_prints_each_line_with_its_cited_sentence(toy_rules: subsidy.RuleSet) -> None:
    result = toy_rules.evaluate(toy_record(listed=True))
    out = io.StringIO()
    result.explain(file=out)
    text = out.getvalue()
    for line in result.lines:
        assert line.qualified_rule in text
        assert text.count(f"「{line.citation.text}」") == 1  # the sentence once
        for step in line.trace:
            # The "rule" step (rule and clause) is the line's heading and citation.
            assert step.detail in text or step.kind == "rule"
    assert any(line.trace for line in result.lines)  # single evaluations trace by default
    assert str(result.receipt) in text
    assert "奖金若干" in text  # the unfixed line is named, not counted as 0


def test_reprs_are_readable(toy_rules: subsidy.RuleSet) -> None:
    result = toy_rules.evaluate(toy_record(listed=True))
    assert repr(result).startswith("<Evaluation E1: 4 lines, cash ¥")
    assert "1 unfixed" in repr(result)
    assert "toy-policy/rate-rebate" in repr(result.lines[0])
    html = result._repr_html_()
    assert html.count("<tr>") == len(result.lines) + 1
    assert "toy-policy" in repr(toy_rules) and "5 rules" in repr(toy_rules)
    assert "<table>" in toy_rules._repr_html_()


def test_rule_sets_pickle_as_their_sources(toy_rules: subsidy.RuleSet) -> None:
    data = pickle.dumps(toy_rules)
    copy = pickle.loads(data)
    assert copy.fingerprint == toy_rules.fingerprint
    assert copy.sources == toy_rules.sources
    assert copy.evaluate(toy_record()) == toy_rules.evaluate(toy_record())
    assert b"_core" not in data  # no engine object inside: the sources are rebuilt


def test_results_pickle_whole(toy_rules: subsidy.RuleSet) -> None:
    good = toy_rules.evaluate(toy_record(listed=True))
    assert pickle.loads(pickle.dumps(good)) == good
    record = toy_record()
    del record["income_tax_paid_last_year"]
    incomplete = toy_rules.evaluate(record)
    copy = pickle.loads(pickle.dumps(incomplete))
    assert copy.unevaluated and copy.unevaluated == incomplete.unevaluated
    assert copy == incomplete and not copy.complete


def test_metadata_is_exposed_as_dataclasses(toy_rules: subsidy.RuleSet) -> None:
    rule = toy_rules.rule("toy-policy/investment-tiers")
    assert rule.hit == "unique"
    assert [t.label for t in rule.tiers] == ["3—5万元", "5—10万元", "10万元以上"]
    assert rule.tiers[0].lower == Decimal(30000) and rule.tiers[0].lower_inclusive
    assert rule.tiers[0].upper == Decimal(50000) and not rule.tiers[0].upper_inclusive
    fact = next(f for f in toy_rules.facts if f.name == "standards")
    assert [f.name for f in fact.fields] == ["level", "role"]
    assert fact.has_default and fact.default == []
    with pytest.raises(KeyError):
        toy_rules.rule("toy-policy/nope")


def test_rule_sets_load_from_texts_and_paths_alike(toy_rules: subsidy.RuleSet) -> None:
    files = sorted(TOY_RULES.glob("*.yaml"))
    from_paths = subsidy.RuleSet.load(*files)
    from_texts = subsidy.RuleSet.from_texts({f.name: f.read_text("utf-8") for f in files})
    assert from_paths.summary.rules == from_texts.summary.rules == toy_rules.summary.rules


def test_the_whatif_example_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "whatif_notebook.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "Evaluation of" in done.stdout  # one enterprise explained
    assert "「" in done.stdout  # with its cited sentences
