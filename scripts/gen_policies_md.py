#!/usr/bin/env python3
"""Generate the policies overview page (policies.md of the docs site) from the rule tables in rules/.

Per policy set: a table of rules (clause, rule id, form, amount / band / unfixed, payer, number of
golden cases), the budget lines and the checks. Golden cases are counted from tests/rules/**.yaml:
a case counts for a rule when the rule is in its file's `focus` or in the case's `expect.lines`.

The YAML is read with PyYAML's BaseLoader, so every scalar stays the string written in the file:
amounts are shown exactly as the policy text writes them and never pass through a float.

The page is made during the docs build (scripts/gen_rule_docs.py, with a page per policy set and
per rule that the overview links to) and is not committed. To look at it alone:

    python3 scripts/gen_policies_md.py [OUTPUT]   # default: print it
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "rules"
TESTS = REPO / "tests" / "rules"

FORM_ZH = {"cash": "现金 cash", "in_kind": "实物 in kind", "preference": "优惠 preference", "honour": "荣誉 honour"}


def load(path: Path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.BaseLoader)


def cell(text) -> str:
    """Text fit for one Markdown table cell."""
    s = " ".join(str(text).split())
    return s.replace("|", "\\|") if s else "—"


def in_force_text(period) -> str:
    """A period of force as the rule file gives it: 'from 2024-07-06', 'always'."""
    period = period if isinstance(period, dict) else {}
    parts = [f"{k} {period[k]}" for k in ("from", "until") if period.get(k)]
    return " ".join(parts) or "always (no dates given)"


def latest_values(parameters: dict) -> dict:
    out = {}
    for name, p in (parameters or {}).items():
        if "value" in p:
            out[name] = p["value"]
        elif p.get("versions"):
            out[name] = p["versions"][-1]["value"]
    return out


def amount_text(value, params: dict) -> str:
    """A literal, or a parameter shown with its (latest) value."""
    v = str(value).strip()
    if v in params:
        return f"{params[v]} (`{v}`)"
    return v


def describe_award(award: dict, params: dict, formulas: list, rule_id: str) -> str:
    if not isinstance(award, dict):
        return cell(award)
    if "fixed" in award:
        return amount_text(award["fixed"], params)
    if "band" in award:
        band = award["band"]
        lo = amount_text(band["min"], params) if "min" in band else "?"
        hi = amount_text(band["max"], params) if "max" in band else "no upper limit"
        return f"band {lo} – {hi}"
    if "rate" in award:
        return f"{amount_text(award['rate'], params)} × {award.get('base', '?')}"
    if "formula" in award:
        formulas.append((rule_id, " ".join(str(award["formula"]).split())))
        return "formula (see below)"
    if "unfixed" in award:
        return f"unfixed: {award['unfixed']}"
    if "honour" in award:
        return f"honour: {award['honour']}"
    if "per_item" in award:
        pi = award["per_item"]
        each = describe_award(pi.get("each", {}), params, formulas, rule_id)
        if "for_each" in pi:
            where = f" where {pi['where']}" if pi.get("where") else ""
            return f"per {pi['for_each']} record{where}: {each}"
        return f"per item × {pi.get('count', '?')}: {each}"
    if "tiers" in award:
        t = award["tiers"]
        levels = []
        for lv in t.get("levels", []):
            bounds = ", ".join(f"{k} {lv[k]}" for k in lv if k not in ("label", "award"))
            levels.append(
                f"{lv.get('label', '?')} [{bounds}] → {describe_award(lv.get('award', {}), params, formulas, rule_id)}"
            )
        return f"tiers on {t.get('on', '?')} ({t.get('hit', '?')}): " + "; ".join(levels)
    return cell(award)


def golden_case_counts() -> dict:
    """Map 'policy-set/rule-id' to the number of golden cases that exercise it."""
    counts: dict = defaultdict(int)
    for path in sorted(TESTS.rglob("*.yaml")):
        doc = load(path)
        if not isinstance(doc, dict):
            continue
        focus = set(doc.get("focus") or [])
        for case in doc.get("cases") or []:
            refs = set(focus)
            expect = case.get("expect") or {}
            lines = expect.get("lines") or []
            if isinstance(lines, list):
                for line in lines:
                    if isinstance(line, dict) and line.get("rule"):
                        refs.add(line["rule"])
            for ref in refs:
                counts[ref] += 1
    return counts


def budget_amount(entry: dict) -> str:
    if "amount" in entry:
        return str(entry["amount"])
    band = entry.get("band") or {}
    lo = band.get("min", "?")
    hi = band.get("max")
    return f"{lo} – {hi}" if hi is not None else f"at least {lo}"


def render(link_pages: str | None = None) -> str:
    """The page; with link_pages, policy sets and rules link to their pages in that folder."""
    catalogues, sets = [], []
    for path in sorted(RULES.glob("*.yaml")):
        doc = load(path)
        if not isinstance(doc, dict):
            continue
        if "catalogue" in doc:
            catalogues.append((path, doc))
        elif "policy_set" in doc:
            sets.append((path, doc))
    counts = golden_case_counts()

    out = []
    w = out.append
    w("<!-- Generated by scripts/gen_policies_md.py from rules/*.yaml and tests/rules/**.yaml. Do not edit. -->")
    w("")
    w("# Policies encoded")
    w("")
    w("Rule tables in `rules/`, one policy set per document. Amounts are shown as the text writes them;")
    w("a parameter's name follows its value. *Cases* counts the golden cases in `tests/rules/` that")
    w("exercise a rule (its file focuses on the rule, or a case expects a line of it).")
    w("Interpretation options are explained in [interpretations.md](interpretations.md).")
    w("")

    groups = {}
    for path, doc in catalogues:
        for gid, g in (doc.get("groups") or {}).items():
            groups[gid] = g
    members = defaultdict(list)
    for path, doc in sets:
        ps = doc["policy_set"]
        if ps.get("group"):
            members[ps["group"]].append(ps["id"])
    if groups:
        w("## Alternative groups")
        w("")
        for gid, g in groups.items():
            title = g.get("title", {})
            w(f"- **{gid}** — {title.get('zh', '')}")
            w(f"  - members: {', '.join(f'`{m}`' for m in members.get(gid, []))}; default `{g.get('default', '?')}`")
            w("  - exactly one member is evaluated per evaluation; policy sets outside the group always add on.")
        w("")

    w("## Summary")
    w("")
    w("| policy set | document | status | date | group | rules | budget lines | checks |")
    w("|---|---|---|---|---|---|---|---|")
    for path, doc in sets:
        ps = doc["policy_set"]
        w(
            f"| `{ps['id']}` | {cell(ps['title'].get('zh', ''))} | {ps.get('status', '')} | "
            f"{cell(ps.get('date_as_written', ps.get('date', '')))} | {ps.get('group') or '—'} | "
            f"{len(doc.get('rules') or [])} | {len(doc.get('budget') or [])} | {len(doc.get('checks') or [])} |"
        )
    w("")

    for path, doc in sets:
        ps = doc["policy_set"]
        params = latest_values(doc.get("parameters"))
        formulas: list = []
        heading = f"`{ps['id']}`"
        if link_pages:
            heading = f"[{heading}]({link_pages}/{ps['id']}/index.md)"
        w(f"## {heading} — {ps['title'].get('zh', '')}")
        w("")
        w(f"{ps['title'].get('en', '')}.")
        w("")
        issuer = ps.get("issuer", "")
        number = ps.get("document_number")
        number = "" if number in (None, "null", "~", "") else f", {number}"
        src = ps.get("source", {})
        lines = src.get("lines", [])
        w(f"- issuer: {issuer}{number}; {ps.get('status', '')}; dated {ps.get('date_as_written', '')} ({ps.get('date', '')})")
        w(f"- in force: {in_force_text(ps.get('in_force'))} (a record of year Y is judged on Y-12-31)")
        if lines:
            w(f"- source: `{src.get('file', '')}` lines {lines[0]}–{lines[-1]}")
        w(f"- applies to: `{ps.get('applies_to', '')}`")
        if ps.get("group"):
            w(f"- group: `{ps['group']}` (alternative version; evaluated only when chosen)")
        w("")
        w("| clause | rule | form | amount | payer | cases |")
        w("|---|---|---|---|---|---|")
        for rule in doc.get("rules") or []:
            c = rule.get("citation") or {}
            ref = f"{ps['id']}/{rule['id']}"
            amount = describe_award(rule.get("award", {}), params, formulas, rule["id"])
            name = f"`{rule['id']}`"
            if link_pages:
                name = f"[{name}]({link_pages}/{ps['id']}/{rule['id']}.md)"
            w(
                f"| {cell(c.get('clause', ''))} | {name} | {FORM_ZH.get(rule.get('form'), rule.get('form', ''))} | "
                f"{cell(amount)} | {cell(rule.get('payer', '—'))}{' (inferred 推定)' if str(rule.get('payer_inferred', '')).lower() == 'true' else ''} | {counts.get(ref, 0)} |"
            )
        w("")
        if formulas:
            w("Formulas:")
            w("")
            for rid, f in formulas:
                w(f"- `{rid}`: `{f}`")
            w("")
        if doc.get("budget"):
            w("Budget lines:")
            w("")
            w("| clause | id | payer | per | amount | items |")
            w("|---|---|---|---|---|---|")
            for b in doc["budget"]:
                c = b.get("citation") or {}
                items = " + ".join(f"{i.get('label', '')} {i.get('amount', '')}" for i in b.get("items") or [])
                w(
                    f"| {cell(c.get('clause', ''))} | `{b['id']}` | {cell(b.get('payer', ''))} | {b.get('per', '')} | "
                    f"{cell(budget_amount(b))} | {cell(items)} |"
                )
            w("")
        if doc.get("checks"):
            w("Checks:")
            w("")
            w("| clause | id | requires |")
            w("|---|---|---|")
            for chk in doc["checks"]:
                c = chk.get("citation") or {}
                w(f"| {cell(c.get('clause', ''))} | `{chk['id']}` | `{cell(chk.get('require', ''))}` |")
            w("")
        if doc.get("options"):
            w("Options: " + ", ".join(f"`{name}` (default `{o.get('default', '?')}`)" for name, o in doc["options"].items()))
            w("")

    shared_opts = []
    for path, doc in catalogues:
        for name, o in (doc.get("options") or {}).items():
            shared_opts.append(f"`{name}` (default `{o.get('default', '?')}`)")
    if shared_opts:
        w("## Shared options")
        w("")
        w("Declared in the catalogue and read by several policy sets: " + ", ".join(shared_opts) + ".")
        w("")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output", nargs="?", help="file to write (default: standard output)")
    args = ap.parse_args(argv)
    text = render()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
