"""Every rule file validates against the JSON Schema that editors use (rules/schema/rules.schema.json).

The files are read with PyYAML's BaseLoader, so every scalar stays a string (as the engine's loader
reads it): no amount becomes a float and no date a datetime. The schema accepts strings for every
amount-like field, and numbers too, for editors that parse `0.1` as a number.

The schema mirrors the loader (src/rules.cpp): the keys each map accepts, the required keys, the
enumerations and the "exactly one of" choices. Name resolution, units and tier overlaps are left to
the loader (`subsidy check`).
"""

import copy
import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO / "rules" / "schema" / "rules.schema.json"
RULES = REPO / "rules"
ENGINE_DATA = REPO / "tests" / "data" / "engine"
SCHEMA_LINE = "# yaml-language-server: $schema=schema/rules.schema.json"


def _schema():
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        return json.load(f)


VALIDATOR = Draft202012Validator(_schema())


def _rule_files():
    return sorted(p for p in RULES.glob("*.yaml") if p.is_file())


def _engine_files():
    return sorted(p for p in ENGINE_DATA.glob("*.yaml") if p.is_file())


def _load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.BaseLoader)


def _leaves(error):
    """The specific errors behind an error: for oneOf/anyOf, those of the alternative that fits best
    (it got furthest into the document, then has the fewest errors; alternatives that fail only
    because the value has another type are dropped)."""
    if not error.context:
        return [error]
    branches = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    here = list(error.absolute_path)

    def only(validator, errs):
        return all(e.validator == validator and list(e.absolute_path) == here for e in errs)

    # The "or null" alternative of an optional key says nothing; nor does one of another type,
    # unless it is the only one left.
    candidates = [errs for errs in branches.values() if not only("enum", errs) or None not in errs[0].validator_value]
    candidates = [errs for errs in candidates if not only("type", errs)] or candidates or list(branches.values())
    def rank(errs):  # deepest first, then fewest errors
        return (-max(len(e.absolute_path) for e in errs), len(errs))

    ranked = sorted(candidates, key=rank)
    if len(ranked) > 1 and rank(ranked[0]) == rank(ranked[1]):
        return [error]  # no alternative stands out: the error itself says most
    out = []
    for sub in ranked[0]:
        out.extend(_leaves(sub))
    return out


def _message(error):
    message = error.message
    if error.validator in ("oneOf", "anyOf"):
        _, more, which = message.partition(" is valid under each of ")
        message = f"matches more than one of: {which}" if more else "matches none of the alternatives"
        description = error.schema.get("description") if isinstance(error.schema, dict) else None
        if description:
            message += f" ({description})"
    return message if len(message) <= 400 else message[:400] + "..."


def _errors(document):
    """'path: message' for every schema error of a document (empty if it is valid)."""
    out = []
    for error in sorted(VALIDATOR.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        for leaf in _leaves(error):
            path = "/".join(str(p) for p in leaf.absolute_path) or "(top)"
            out.append(f"{path}: {_message(leaf)}")
    return out


def test_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(_schema())


def test_there_are_files_to_check():
    assert _rule_files(), "no rules/*.yaml"
    assert _engine_files(), "no tests/data/engine/*.yaml"


@pytest.mark.parametrize("path", _rule_files() + _engine_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_rule_file_validates(path):
    errors = _errors(_load(path))
    if errors:
        print(f"{path.relative_to(REPO)}: {len(errors)} schema error(s)")
        for e in errors:
            print("  " + e)
    assert not errors, f"{path.name}: " + "; ".join(errors[:5])


@pytest.mark.parametrize("path", _rule_files(), ids=lambda p: p.name)
def test_rule_file_starts_with_schema_line(path):
    with open(path, encoding="utf-8") as f:
        first = f.readline().rstrip("\r\n")
    assert first == SCHEMA_LINE, f"{path.name}: first line is {first!r}, expected {SCHEMA_LINE!r}"


# ---- the schema rejects what the loader rejects ------------------------------------------------------

VALID_SET = {
    "policy_set": {"id": "toy", "title": {"zh": "玩具政策", "en": "Toy policy"}, "date": "2020-01-01"},
    "parameters": {"grant": {"unit": "money", "value": "30万"}},
    "rules": [
        {
            "id": "R1",
            "citation": {"clause": "一", "lines": ["3"], "text": "奖励30万元"},
            "payer": "市财政",
            "when": "revenue 超过 1亿",
            "award": {"fixed": "grant"},
        },
        {
            "id": "R2",
            "citation": {"clause": "二", "text": "按新投入分档奖励"},
            "payer": "市财政",
            "award": {
                "tiers": {
                    "on": "investment",
                    "levels": [
                        {"以上": "3万", "不满": "5万", "award": {"fixed": "5千"}},
                        {"以上": "5万", "award": {"band": {"min": "1万", "max": "2万"}}},
                    ],
                }
            },
        },
    ],
    "budget": [
        {"id": "B1", "citation": {"clause": "三", "text": "每年列支200万元"}, "payer": "市财政", "amount": "200万"}
    ],
}

VALID_CATALOGUE = {
    "catalogue": {"id": "toy-common"},
    "payers": {"市财政": {"en": "City finance", "level": "city"}},
    "facts": {"revenue": {"type": "money"}, "investment": {"type": "money"}},
}


def _set_with(edit):
    doc = copy.deepcopy(VALID_SET)
    edit(doc)
    return doc


def test_valid_examples_pass():
    assert _errors(VALID_SET) == []
    assert _errors(VALID_CATALOGUE) == []


def test_editor_types_pass():
    """What a YAML editor sees: numbers for bare amounts and line numbers, null for `key: null`."""

    def edit(doc):
        doc["policy_set"]["document_number"] = None
        doc["parameters"]["grant"]["value"] = 300000
        doc["rules"][0]["citation"]["lines"] = [3, 4]
        doc["rules"][0]["rounding"] = {"mode": "half_up", "quantum": 0.01}
        doc["rules"][0]["when"] = None

    assert _errors(_set_with(edit)) == []


INVALID = {
    "unknown key in a rule": lambda d: d["rules"][0].update({"amount": "30万"}),
    "misspelt key in a rule": lambda d: d["rules"][0].update({"citaton": d["rules"][0]["citation"]}),
    "award with two forms": lambda d: d["rules"][0].update({"award": {"fixed": "30万", "band": {"min": "1", "max": "2"}}}),
    "award with no form": lambda d: d["rules"][0].update({"award": {}}),
    "rate without base": lambda d: d["rules"][0].update({"award": {"rate": "50%"}}),
    "missing citation": lambda d: d["rules"][0].pop("citation"),
    "citation without text": lambda d: d["rules"][0]["citation"].pop("text"),
    "cash rule without payer": lambda d: d["rules"][0].pop("payer"),
    "honour rule with money": lambda d: d["rules"][0].update({"form": "honour"}),
    "in_kind rule without in_kind": lambda d: d["rules"][0].update({"form": "in_kind"}),
    "unknown form": lambda d: d["rules"][0].update({"form": "voucher"}),
    "tier level with two lower bounds": lambda d: d["rules"][1]["award"]["tiers"]["levels"][0].update({"超过": "2万"}),
    "tier level without a bound": lambda d: d["rules"][1]["award"]["tiers"]["levels"][1].pop("以上"),
    "tier level with an unknown word": lambda d: d["rules"][1]["award"]["tiers"]["levels"][1].update({"大于": "9万"}),
    "unknown hit policy": lambda d: d["rules"][1]["award"]["tiers"].update({"hit": "all"}),
    "nested per_item": lambda d: d["rules"][0].update(
        {"award": {"per_item": {"count": "n", "each": {"per_item": {"count": "m", "each": {"fixed": "1"}}}}}}
    ),
    "per_item with count and for_each": lambda d: d["rules"][0].update(
        {"award": {"per_item": {"count": "n", "for_each": "items", "each": {"fixed": "1"}}}}
    ),
    "parameter with value and versions": lambda d: d["parameters"]["grant"].update(
        {"versions": [{"from": "2020-01-01", "value": "1"}]}
    ),
    "parameter of a non-numeric unit": lambda d: d["parameters"]["grant"].update({"unit": "boolean"}),
    "bad date": lambda d: d["policy_set"].update({"date": "2020-1-1"}),
    "bad status": lambda d: d["policy_set"].update({"status": "adopted"}),
    "upper-case policy set id": lambda d: d["policy_set"].update({"id": "Toy"}),
    "missing title": lambda d: d["policy_set"].pop("title"),
    "text with an unknown language": lambda d: d["policy_set"].update({"title": {"zh": "甲", "fr": "A"}}),
    "budget line with amount and band": lambda d: d["budget"][0].update({"band": {"min": "1"}}),
    "unknown top-level key": lambda d: d.update({"rule": []}),
    "groups in a policy set": lambda d: d.update({"groups": {}}),
    "both policy_set and catalogue": lambda d: d.update({"catalogue": {"id": "x"}}),
    "rules not a list": lambda d: d.update({"rules": {"R1": {}}}),
}


@pytest.mark.parametrize("name", list(INVALID))
def test_invalid_documents_are_rejected(name):
    doc = _set_with(INVALID[name])
    assert _errors(doc), f"the schema accepts a document with {name}"


@pytest.mark.parametrize(
    "name, edit",
    [
        ("reserved fact name", lambda d: d["facts"].update({"year": {"type": "year"}})),
        ("enum fact without values", lambda d: d["facts"].update({"kind": {"type": "enum"}})),
        ("measure fact without unit", lambda d: d["facts"].update({"area": {"type": "measure"}})),
        ("list field of type list", lambda d: d["facts"].update(
            {"items": {"type": "list", "fields": {"sub": {"type": "list", "fields": {}}}}}
        )),
        ("unknown payer level", lambda d: d["payers"]["市财政"].update({"level": "county"})),
        ("option without default", lambda d: d.update({"options": {"o": {"choices": {"a": None}}}})),
        ("catalogue without id", lambda d: d["catalogue"].pop("id")),
        ("rules in a catalogue", lambda d: d.update({"rules": []})),
    ],
)
def test_invalid_catalogues_are_rejected(name, edit):
    doc = copy.deepcopy(VALID_CATALOGUE)
    edit(doc)
    assert _errors(doc), f"the schema accepts a catalogue with {name}"


# ---- golden cases (tests/rules/**.yaml) have a schema too ---------------------------------------

GOLDEN = REPO / "tests" / "rules"
GOLDEN_SCHEMA_LINE = "# yaml-language-server: $schema=../schema/golden.schema.json"
with open(GOLDEN / "schema" / "golden.schema.json", encoding="utf-8") as _f:
    GOLDEN_VALIDATOR = Draft202012Validator(json.load(_f))


def _golden_files():
    return sorted(GOLDEN.rglob("*.yaml"))


def test_golden_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(GOLDEN_VALIDATOR.schema)
    assert _golden_files()


@pytest.mark.parametrize("path", _golden_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden_file_validates_and_starts_with_schema_line(path):
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in GOLDEN_VALIDATOR.iter_errors(_load(path))]
    assert not errors, f"{path.name}: " + "; ".join(errors[:5])
    with open(path, encoding="utf-8") as f:
        assert f.readline().rstrip("\r\n") == GOLDEN_SCHEMA_LINE


GOLDEN_CASE = {"name": "n", "facts": {"industry": "制造"}, "expect": {"lines": [{"rule": "s/R1", "amount": "1"}]}}


@pytest.mark.parametrize(
    "name, edit",
    [
        ("a line with two results", lambda c: c["expect"]["lines"][0].update({"band": ["1", "2"]})),
        ("a line with no result", lambda c: c["expect"]["lines"][0].pop("amount")),
        ("a misspelt case key", lambda c: c.update({"option": {"a": "b"}})),
        ("lines and an error", lambda c: c["expect"].update({"error": "x"})),
        ("a rule without its policy set", lambda c: c["expect"]["lines"][0].update({"rule": "R1"})),
        ("a bad date", lambda c: c.update({"on": "2020-1-1"})),
    ],
)
def test_golden_schema_rejects(name, edit):
    case = copy.deepcopy(GOLDEN_CASE)
    edit(case)
    assert GOLDEN_VALIDATOR.is_valid({"focus": ["s/R1"], "cases": [GOLDEN_CASE]})
    assert not GOLDEN_VALIDATOR.is_valid({"focus": ["s/R1"], "cases": [case]}), name


def test_honour_tiers_pass_as_the_loader_allows():
    """An honour rule may grade its titles in tiers whose leaves are honours (the loader checks the
    leaves); the schema accepts the same shape instead of being stricter than the engine."""

    def edit(doc):
        doc["rules"][1]["form"] = "honour"
        doc["rules"][1].pop("payer")
        for level, title in zip(doc["rules"][1]["award"]["tiers"]["levels"], ("二等奖", "一等奖")):
            level["award"] = {"honour": title}

    assert _errors(_set_with(edit)) == []
