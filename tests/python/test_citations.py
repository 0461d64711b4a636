"""Every citation in the rule tables quotes the source text verbatim.

The rule files are read with PyYAML's BaseLoader, so every scalar stays a string: no amount or rate
ever passes through a binary float. The source is the seed file beside the repository
(../shared/seed/000_ea4b50953ca959c8.txt).
"""

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
SEED = REPO / ".." / "shared" / "seed" / "000_ea4b50953ca959c8.txt"

# The clause inventory of the policy brief: each code needs at least one rule, budget line or
# check whose id starts with "<code>-".
CLAUSE_CODES = (
    ["M1", "M2", "M3", "M4", "M5", "M6"]
    + ["J1", "J2", "J3", "J4", "J5"]
    + ["O5", "O6", "O7", "O8", "O10", "O11", "O12", "O13", "O14", "O15", "O18", "O20", "O21", "O23", "O24"]
    + ["L1", "L2", "L3"]
)

# Entries that carry a citation, by section of a policy set file.
CITED_SECTIONS = ("rules", "budget", "checks", "exclusions")


def _rule_files():
    return sorted(p for p in RULES.glob("*.yaml") if p.is_file())


def _load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.BaseLoader)


def _policy_sets():
    sets = []
    for path in _rule_files():
        doc = _load(path)
        if isinstance(doc, dict) and "policy_set" in doc:
            sets.append((path, doc))
    return sets


def _cited_entries():
    """(file name, policy set id, section, entry) for every entry of a cited section."""
    out = []
    for path, doc in _policy_sets():
        set_id = doc["policy_set"]["id"]
        for section in CITED_SECTIONS:
            for entry in doc.get(section) or []:
                out.append((path.name, set_id, section, entry))
    return out


def _entry_name(item):
    file_name, _set_id, section, entry = item
    return f"{file_name}:{section}:{entry.get('id', '?')}"


@pytest.fixture(scope="module")
def seed_lines():
    assert SEED.is_file(), f"seed text not found at {SEED}"
    text = SEED.read_text(encoding="utf-8")
    return text.split("\n")


def test_rule_folder_has_the_four_policy_sets():
    ids = {doc["policy_set"]["id"] for _path, doc in _policy_sets()}
    assert {"mining-em-survey", "machining-survey", "em-opinions-draft", "worker-library-award"} <= ids


def test_files_load_without_floats():
    # BaseLoader never makes a float; this guards against a loader change sneaking one in.
    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(k)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        else:
            assert isinstance(node, str), f"non-string scalar {node!r}"

    for path in _rule_files():
        walk(_load(path))


@pytest.mark.parametrize("item", _cited_entries(), ids=_entry_name)
def test_citation_quotes_the_source_verbatim(item, seed_lines):
    _file, set_id, section, entry = item
    citation = entry.get("citation")
    if section == "exclusions" and citation is None:
        return  # an exclusion's citation is optional
    assert isinstance(citation, dict), "missing citation"
    for key in ("clause", "text", "lines"):
        assert citation.get(key), f"citation lacks {key}"
    if section == "rules":
        assert citation.get("document"), "a rule's citation names its document"
    assert citation.get("document", set_id) == set_id, "citation names another document"
    text = citation["text"]
    whole = "\n".join(seed_lines)
    assert text in whole, f"not verbatim in the seed: {text!r}"
    # ... and it is found on the lines it names (line numbers are 1-based).
    lines = [int(n) for n in citation["lines"]]
    lo, hi = min(lines), max(lines)
    assert 1 <= lo <= hi <= len(seed_lines)
    span = "\n".join(seed_lines[lo - 1 : hi])
    assert text in span, f"text not on lines {lo}-{hi}"


@pytest.mark.parametrize("path,doc", _policy_sets(), ids=lambda v: getattr(v, "name", ""))
def test_every_rule_has_an_id_citation_and_form(path, doc):
    for rule in doc.get("rules") or []:
        assert rule.get("id"), f"{path.name}: a rule without id"
        assert rule.get("form") in ("cash", "in_kind", "preference", "honour"), rule["id"]
        c = rule.get("citation") or {}
        assert c.get("document") and c.get("clause") and c.get("text"), rule["id"]


@pytest.mark.parametrize("code", CLAUSE_CODES)
def test_every_brief_clause_is_encoded(code):
    ids = [entry.get("id", "") for _f, _s, _sec, entry in _cited_entries()]
    assert any(i.startswith(code + "-") for i in ids), f"no rule, budget line or check for {code}"
