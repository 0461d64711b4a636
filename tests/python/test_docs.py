"""The documentation's code runs and its generated pages cover every rule.

- The Python quickstart's ```python blocks are executed from the repository root, each in a fresh
  namespace, and what they print must equal the ```text block shown under them.
- Quickstart code is short (at most 30 lines a block, the C++ one included).
- The C++ quickstart shows tests/consumer/ itself (snippets), which scripts/consumer.sh builds
  against an installed copy of the library and whose output it compares with expected.txt.
- scripts/gen_rule_docs.py makes a page for every policy set and every rule the engine loads, with
  the cited sentence, the payer and every golden case run against rules/; nothing generated sits in
  docs/ (the pages exist only in the build).

The site itself is built with `mkdocs build --strict` by scripts/docs.sh (a stage of scripts/test.sh),
which fails on a broken link, a missing anchor, a missing snippet or any other warning.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import subsidy

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
sys.path.insert(0, str(REPO / "scripts"))
import gen_rule_docs  # noqa: E402

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
QUICKSTARTS = ["quickstart-python.md", "quickstart-cpp.md"]
MAX_LINES = 30


def blocks(page: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced block of a docs page, in order."""
    return FENCE.findall((DOCS / page).read_text(encoding="utf-8"))


def examples(page: str) -> list[tuple[str, str | None]]:
    """Each python block with the text block right after it (its printed output), if any."""
    found = blocks(page)
    out = []
    for i, (lang, code) in enumerate(found):
        if lang == "python":
            after = found[i + 1] if i + 1 < len(found) else ("", "")
            out.append((code, after[1] if after[0] == "text" else None))
    return out


def run(code: str) -> str:
    """Executes a block from the repository root, as the page tells the reader to, and returns
    what it printed."""
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<docs>", "exec"), {"__name__": "__docs__"})
    finally:
        os.chdir(cwd)
    return out.getvalue()


PYTHON_EXAMPLES = examples("quickstart-python.md")


def test_the_python_quickstart_has_examples_with_output() -> None:
    assert len(PYTHON_EXAMPLES) >= 2
    assert all(expected is not None for _, expected in PYTHON_EXAMPLES), "each example shows its output"


@pytest.mark.parametrize("index", range(len(PYTHON_EXAMPLES)))
def test_python_quickstart_example_prints_what_the_page_shows(index: int) -> None:
    code, expected = PYTHON_EXAMPLES[index]
    assert run(code).rstrip() == (expected or "").rstrip()


@pytest.mark.parametrize("page", QUICKSTARTS)
def test_quickstart_code_is_short(page: str) -> None:
    for lang, code in blocks(page):
        text = code
        snippet = re.fullmatch(r'--8<-- "([^"]+)"\s*', code)
        if snippet:
            text = (REPO / snippet.group(1)).read_text(encoding="utf-8")
        if lang in ("python", "cpp"):
            assert len(text.splitlines()) <= MAX_LINES, (
                f"{page}: a {lang} example has more than {MAX_LINES} lines"
            )


def test_the_cpp_quickstart_is_the_consumer_project() -> None:
    included = {m for _, code in blocks("quickstart-cpp.md") for m in re.findall(r'--8<-- "([^"]+)"', code)}
    assert {
        "tests/consumer/main.cpp",
        "tests/consumer/CMakeLists.txt",
        "tests/consumer/expected.txt",
    } <= included
    for path in included:
        assert (REPO / path).is_file(), path
    main = (REPO / "tests/consumer/main.cpp").read_text(encoding="utf-8")
    assert "#include <subsidy/subsidy.hpp>" in main
    assert "find_package(subsidy" in (REPO / "tests/consumer/CMakeLists.txt").read_text(encoding="utf-8")


def test_the_cpp_quickstart_output_agrees_with_the_python_engine() -> None:
    """The C++ consumer's expected output holds the same amounts the Python quickstart computes."""
    expected = (REPO / "tests/consumer/expected.txt").read_text(encoding="utf-8")
    python_output = run(PYTHON_EXAMPLES[0][0])
    assert "machining-survey/J4-tax-rebate  五（三）4  exact  ¥550,000.00" in expected
    assert "J4-tax-rebate 五（三）4 exact 550000.00" in python_output
    assert "total (cash): ¥1,050,000.00 – ¥5,550,000.00" in expected
    assert "total: ¥1,050,000.00 – ¥5,550,000.00" in python_output


# ---- generated pages ----------------------------------------------------------------------------

PAGES = gen_rule_docs.pages()
RULES = subsidy.RuleSet.load(REPO / "rules")


def test_a_page_for_every_policy_set_and_rule() -> None:
    expected = {"policies.md"}
    expected |= {f"rules/{ps.id}/index.md" for ps in RULES.policy_sets}
    expected |= {f"rules/{r.policy_set}/{r.id}.md" for r in RULES.rules}
    expected |= {"coverage.md"} | {f"texts/{ps.id}.md" for ps in RULES.policy_sets}
    assert set(PAGES) == expected


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: f"{r.policy_set}/{r.id}")
def test_rule_page_shows_citation_payer_and_amount(rule: Any) -> None:
    page = PAGES[f"rules/{rule.policy_set}/{rule.id}.md"]
    assert " ".join(rule.citation.text.split()) in page
    assert f"clause 条款 {rule.citation.clause}" in page
    assert rule.title.zh in page and rule.title.en in page
    if rule.payer:
        assert f"**{rule.payer}**" in page
    for heading in (
        "## 出处 Citation",
        "## 条件 Conditions",
        "## 金额 Amount",
        "## 支付方 Payer",
        "## 黄金用例 Golden cases",
    ):
        assert heading in page
    assert page.startswith("<!-- Generated by scripts/gen_rule_docs.py")


def _golden_cases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted((REPO / "tests" / "rules").rglob("*.yaml")):
        with open(path, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=yaml.BaseLoader)
        rules = (path.parent / doc.get("rules", "../../../rules")).resolve()
        if rules == (REPO / "rules").resolve():
            out += [(str(path.relative_to(REPO)), case) for case in doc["cases"]]
    return out


def test_every_golden_case_appears_on_a_rule_page() -> None:
    cases = _golden_cases()
    assert len(cases) > 100
    rule_pages = "\n".join(
        text for path, text in PAGES.items() if path.count("/") == 2 and not path.endswith("index.md")
    )
    missing = [
        f"{file}: {case['name']}"
        for file, case in cases
        if gen_rule_docs.cell(case["name"]) not in rule_pages
    ]
    assert not missing, missing[:5]


def test_a_worked_case_shows_inputs_expected_amount_and_arithmetic() -> None:
    page = PAGES["rules/machining-survey/J4-tax-rebate.md"]
    row = next(line for line in page.splitlines() if line.startswith("| 销售收入超过1亿元一分"))
    assert "sales_revenue: 100000000.01" in row  # the input, as written in the case
    assert "**550000.00**" in row  # the expected amount, never through a float
    assert "50% × (10万 + (300万 − 200万))" in row  # the comment written above the expected line


def test_set_page_lists_dated_parameter_versions_and_links_every_rule() -> None:
    for ps in RULES.policy_sets:
        page = PAGES[f"rules/{ps.id}/index.md"]
        for rule in (r for r in RULES.rules if r.policy_set == ps.id):
            assert f"[`{rule.id}`]({rule.id}.md)" in page
        for p in (p for p in RULES.parameters if p.policy_set == ps.id):
            assert f"| `{p.name}` |" in page


def test_nothing_generated_is_kept_in_docs() -> None:
    for path in PAGES:
        assert not (DOCS / path).exists(), f"docs/{path} is generated in the build: remove it"


# ---- the authoring guide's worked example -------------------------------------------------------

TITLED = re.compile(r'^```\w*\s+title="([^"]+)"[^\n]*\n(.*?)^```', re.S | re.M)
AWARD_FORMS = {"fixed", "band", "rate", "formula", "per_item", "tiers", "unfixed", "honour"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guide's files, each put together from its blocks in page order, in a temporary folder."""
    root = tmp_path_factory.mktemp("authoring")
    files: dict[str, list[str]] = {}
    for title, code in TITLED.findall((DOCS / "authoring.md").read_text(encoding="utf-8")):
        files.setdefault(title, []).append(code)
    for title, parts in files.items():
        (root / title).parent.mkdir(parents=True, exist_ok=True)
        (root / title).write_text("".join(parts), encoding="utf-8")
    assert {"sample/sample-common.yaml", "sample/sample-measures.yaml"} <= set(files)
    return root


def _awards(award: Any) -> set[str]:
    if not isinstance(award, dict):
        return set()
    found = set(award) & AWARD_FORMS
    for key in ("per_item",):
        if key in award:
            found |= _awards(award[key].get("each"))
    for level in (award.get("tiers") or {}).get("levels") or []:
        found |= _awards(level.get("award"))
    return found


def test_the_guide_shows_every_construct(sample: Path) -> None:
    with open(sample / "sample/sample-measures.yaml", encoding="utf-8") as f:
        doc = yaml.load(f, Loader=yaml.BaseLoader)
    assert {
        "policy_set",
        "parameters",
        "derived",
        "options",
        "rules",
        "budget",
        "checks",
        "exclusions",
        "caps",
    } <= set(doc)
    forms = set().union(*(_awards(rule["award"]) for rule in doc["rules"]))
    assert forms == AWARD_FORMS
    assert {r.get("form", "cash") for r in doc["rules"]} >= {"cash", "honour"}
    assert any("versions" in p and len(p["versions"]) > 1 for p in doc["parameters"].values())
    assert any("rounding" in r for r in doc["rules"])
    guide = (DOCS / "authoring.md").read_text(encoding="utf-8")
    for word in (
        "以上",
        "以下",
        "以内",
        "超过",
        "不满",
        "不低于",
        "不少于",
        "低于",
        "少于",
        "不超过",
        "不足",
    ):
        assert word in guide, word
    for mode in ("half_up", "half_even", "half_down", "`up`", "`down`", "ceiling", "floor"):
        assert mode in guide
    assert "subsidy check" in guide


def test_the_guide_files_validate_against_the_editor_schemas(sample: Path) -> None:
    import json

    from jsonschema import Draft202012Validator

    schemas = {REPO / "rules/schema/rules.schema.json", REPO / "tests/rules/schema/golden.schema.json"}
    for path in sorted(sample.rglob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=../"), path.name
        target = (REPO / first.partition("=")[2].removeprefix("../")).resolve()  # as if beside rules/
        assert target in schemas, first
        with open(target, encoding="utf-8") as f:
            validator = Draft202012Validator(json.load(f))
        with open(path, encoding="utf-8") as f:
            errors = [e.message for e in validator.iter_errors(yaml.load(f, Loader=yaml.BaseLoader))]
        assert not errors, f"{path.name}: {errors[:3]}"


def test_the_guide_check_output(sample: Path) -> None:
    from subsidy.cli import main

    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(sample)
    try:
        assert main(["check", "sample"], out=out) == 0
    finally:
        os.chdir(cwd)
    ok = next(line for line in out.getvalue().splitlines() if line.startswith("ok:"))
    assert f"```text\n{ok}\n```" in (DOCS / "authoring.md").read_text(encoding="utf-8")


def test_the_guide_mistake_gives_the_error_shown(sample: Path) -> None:
    guide = (DOCS / "authoring.md").read_text(encoding="utf-8")
    shown = re.search(r"^(sample/sample-measures\.yaml:\d+:\d+: error\[name\]: .*)$", guide, re.M)
    assert shown is not None
    text = (sample / "sample/sample-measures.yaml").read_text(encoding="utf-8")
    bad = text.replace(
        'when: "sales_revenue 超过 revenue_threshold"', 'when: "sales_revenue 超过 revenue_treshold"'
    )
    assert bad != text
    with pytest.raises(subsidy.SubsidyError) as raised:
        subsidy.RuleSet.from_texts(
            {
                "sample/sample-common.yaml": (sample / "sample/sample-common.yaml").read_text(
                    encoding="utf-8"
                ),
                "sample/sample-measures.yaml": bad,
            }
        )
    assert shown.group(1) in str(raised.value)


def test_the_guide_evaluation_prints_what_the_page_shows(sample: Path) -> None:
    ((code, expected),) = examples("authoring.md")
    cwd = os.getcwd()
    os.chdir(sample)
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<authoring.md>", "exec"), {"__name__": "__docs__"})
    finally:
        os.chdir(cwd)
    assert out.getvalue().rstrip() == (expected or "").rstrip()


def test_the_guide_golden_cases_pass(sample: Path) -> None:
    report = subsidy.run_tests(sample / "sample-tests/G1-tax-rebate.yaml")
    assert len(report.results) >= 4
    assert report.ok, report.text()
