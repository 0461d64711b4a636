"""Every sentence of the four documents is accounted for, and the coverage page shows every rule.

scripts/gen_coverage.py splits the source text into sentences and matches them with the citations
of rules/*.yaml and the omissions of rules/coverage/omitted.yaml; the coverage page and the woven
text pages are made from that one reading. Also here: the two spellings of the engineering
technology research centre go together, and an inferred payer is shown as such.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import subsidy

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import gen_coverage  # noqa: E402

ROW = re.compile(r"^\| (\d+) \| .* \| (.*) \|$")


def _sets() -> list[dict[str, Any]]:
    out = []
    for path in sorted((REPO / "rules").glob("*.yaml")):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        if isinstance(doc, dict) and "policy_set" in doc:
            out.append(doc)
    return out


def _cited() -> list[tuple[str, str, list[int]]]:
    """(policy set, entry id, cited lines) of every rule, budget line and check."""
    return [
        (doc["policy_set"]["id"], entry["id"], [int(n) for n in entry["citation"]["lines"]])
        for doc in _sets()
        for section in gen_coverage.SECTIONS
        for entry in doc.get(section) or []
    ]


def missing_from_page(page: str, cited: list[tuple[str, str, list[int]]]) -> list[str]:
    """The cited lines of each entry that have no row naming the entry on the coverage page."""
    rows: dict[str, dict[int, str]] = {}
    section = ""
    for line in page.splitlines():
        if line.startswith("## "):
            section = line[3:].split(":")[0]
        m = ROW.match(line)
        if m and section:
            rows.setdefault(section, {}).setdefault(int(m.group(1)), "")
            rows[section][int(m.group(1))] += m.group(2)
    return [
        f"{sid}/{eid} line {n}"
        for sid, eid, lines in cited
        for n in lines
        if f"`{sid}/{eid}`" not in rows.get(sid, {}).get(n, "")
    ]


@pytest.fixture(scope="module")
def reading() -> tuple[list[gen_coverage.Document], list[str]]:
    return gen_coverage.read()


def test_the_omissions_are_well_formed(reading: tuple[list[gen_coverage.Document], list[str]]) -> None:
    _documents, problems = reading
    assert problems == []


def test_every_sentence_is_encoded_or_listed_with_a_reason(
    reading: tuple[list[gen_coverage.Document], list[str]],
) -> None:
    documents, _ = reading
    assert {d.id for d in documents} == {doc["policy_set"]["id"] for doc in _sets()}
    assert sum(len(d.sentences) for d in documents) > 500
    left = [f"line {s.line}: {s.text}" for s in gen_coverage.unaccounted(documents)]
    assert left == [], "neither encoded nor in rules/coverage/omitted.yaml"


def test_each_document_covers_its_policy_sets_source_lines(
    reading: tuple[list[gen_coverage.Document], list[str]],
) -> None:
    documents, _ = reading
    for d in documents:
        lo, hi = (int(n) for n in d.doc["policy_set"]["source"]["lines"])
        assert any(a <= lo and hi <= b for a, b in d.ranges), d.id


def test_the_coverage_page_lists_every_rule_on_its_cited_lines() -> None:
    page = gen_coverage.pages()["coverage.md"]
    cited = _cited()
    assert len(cited) >= 80
    assert missing_from_page(page, cited) == []


def test_the_check_finds_a_rule_missing_from_a_cited_line() -> None:
    page = gen_coverage.pages()["coverage.md"]
    cited = [("machining-survey", "J4-tax-rebate", [326])]
    assert missing_from_page(page, cited) == []
    without = "\n".join(row for row in page.splitlines() if "`machining-survey/J4-tax-rebate`" not in row)
    assert missing_from_page(without, cited) == ["machining-survey/J4-tax-rebate line 326"]
    assert missing_from_page(page, [("machining-survey", "J4-tax-rebate", [325])]) != []


def test_every_omitted_award_is_on_the_coverage_page_with_its_reason() -> None:
    page = gen_coverage.pages()["coverage.md"]
    data = yaml.load((REPO / "rules" / "coverage" / "omitted.yaml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    omitted = [o for o in data["omitted"] if o["kind"] == "omitted"]
    assert len(omitted) >= 10
    for o in omitted:
        assert " ".join(o["reason"].split())[:60].replace("|", "\\|") in page, o["lines"]


def test_the_woven_text_shows_each_sentence_in_order_with_its_rules() -> None:
    pages = gen_coverage.pages()
    woven = pages["texts/machining-survey.md"]
    numbers = [int(m.group(1)) for line in woven.splitlines() if (m := re.match(r"^\| (\d+) \|", line))]
    assert numbers == sorted(numbers) and numbers[0] == 261 and numbers[-1] == 330
    j4 = next(line for line in woven.splitlines() if "对销售收入超过1亿元的机械装备制造企业" in line)
    assert "J4-tax-rebate" in j4 and "payer 受益财政" in j4 and "`j4_above_5yi`" in j4
    j2 = next(line for line in woven.splitlines() if "每年依据该研发机构" in line)
    assert "payer 市财政 (inferred 推定)" in j2 and "`j2_output_bonus_scope`" in j2
    library = pages["texts/worker-library-award.md"]
    assert "报市总工会班子会议研究通过后予以奖励" in library and "未编码 omitted" in library


def test_both_spellings_of_the_research_centre_go_together() -> None:
    for doc in _sets():
        text = yaml.safe_dump(doc.get("rules") or [], allow_unicode=True)
        for rule in doc.get("rules") or []:
            body = yaml.safe_dump(rule, allow_unicode=True)
            assert ("'工程技术中心'" in body) == ("'工程技术研究中心'" in body), rule["id"]
        assert text  # every policy set has rules


def test_an_inferred_payer_is_shown_as_inferred() -> None:
    bundled = subsidy.RuleSet.load(str(REPO / "rules"))
    by_id = {r.qualified_id: r for r in bundled.rules}
    rules = bundled.choose({"electromechanical-policy": "machining-survey"})
    assert by_id["machining-survey/J2-new-rd-centre"].payer_inferred
    assert not by_id["machining-survey/J4-tax-rebate"].payer_inferred
    firm = {
        "id": "E1",
        "industry": "机械加工",
        "rd_centres": [{"level": "省级", "kind": "工程技术研究中心", "newly_recognised": True, "new_product_output": "100万"}],
    }
    text = rules.evaluate(firm).explain_text()
    j2 = text.split("machining-survey/J2-new-rd-centre")[1].split("\n")[1]
    assert "payer 市财政 (inferred: the text names no payer)" in j2
