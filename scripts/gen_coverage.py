#!/usr/bin/env python3
"""The coverage page and the woven text pages: every sentence of the four documents, with the rules
that encode it or the reason it is not encoded.

One data source serves both pages:

- the sentences, split from the source text (the seed file each policy set's `source.file` names,
  read from ../shared beside the repository, as tests/python/test_citations.py reads it);
- what encodes a sentence: every rule, budget line and check of rules/*.yaml whose cited text
  overlaps it (found by position on the lines the citation names);
- why a sentence is not encoded: rules/coverage/omitted.yaml (data, not code), each entry a line
  range or a verbatim phrase on its lines, with a kind and a reason.

`coverage.md` lists every awarding sentence (encoded, with rule ids, or omitted, with the reason);
`texts/<policy-set>.md` shows each document sentence by sentence, in order, with the rules beside
it (condition, amount, payer, options) or the reason. A sentence that is neither encoded nor listed
is shown as "not accounted for"; tests/python/test_coverage.py fails while there is one.

    python3 scripts/gen_coverage.py [OUTPUT_DIR]     # default build/docs-gen
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "rules"
OMITTED = RULES / "coverage" / "omitted.yaml"
SHARED = REPO / ".." / "shared"
SECTIONS = ("rules", "budget", "checks")
KINDS = {
    "elsewhere": "另见 encoded by",
    "omitted": "未编码 omitted",
    "no_award": "无奖励 no award",
    "background": "背景 background",
}
# A sentence ends at 。；！？ (with any closing quotes or brackets after it) or at the end of a line.
SENTENCE = re.compile(r"[^。；！？\n]*(?:[。；！？][”’」』）)]*|$)")
OPTION = re.compile(r"option\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)")


def load(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.BaseLoader)


@dataclass
class Sentence:
    line: int
    start: int  # offset in the whole text
    end: int
    text: str
    encoded: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (section, entry, set doc)
    omitted: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Document:
    id: str
    doc: dict[str, Any]
    ranges: list[tuple[int, int]]
    sentences: list[Sentence]


@dataclass
class Source:
    lines: list[str]
    offsets: list[int]  # offset of the start of each line (index 0 = line 1)

    @classmethod
    def read(cls, path: Path) -> Source:
        if not path.is_file():
            raise FileNotFoundError(f"the source text is not at {path} (the seed sits in ../shared beside the repository)")
        lines = path.read_text(encoding="utf-8").split("\n")
        offsets, at = [], 0
        for line in lines:
            offsets.append(at)
            at += len(line) + 1
        return cls(lines, offsets)

    @property
    def whole(self) -> str:
        return "\n".join(self.lines)

    def span(self, first: int, last: int) -> tuple[int, int]:
        return self.offsets[first - 1], self.offsets[last - 1] + len(self.lines[last - 1])

    def find(self, text: str, lines: list[int]) -> tuple[int, int] | None:
        """Where `text` stands on the lines named (first occurrence), as whole-text offsets."""
        lo, hi = self.span(min(lines), max(lines))
        at = self.whole.find(text, lo, hi)
        return None if at < 0 else (at, at + len(text))


def sentences_of(source: Source, first: int, last: int) -> list[Sentence]:
    out = []
    for n in range(first, last + 1):
        line = source.lines[n - 1]
        for m in SENTENCE.finditer(line):
            if m.group().strip():
                out.append(Sentence(n, source.offsets[n - 1] + m.start(), source.offsets[n - 1] + m.end(), m.group().strip()))
    return out


def lines_of(value: Any) -> list[int]:
    return [int(n) for n in (value or [])]


def read(omitted_path: Path = OMITTED) -> tuple[list[Document], list[str]]:
    """The documents, sentence by sentence, with what encodes each; and the problems found (a
    citation or omitted phrase not on its lines, an unknown document or kind, a missing reason)."""
    data = load(omitted_path) or {}
    problems: list[str] = []
    sets = {}
    for path in sorted(RULES.glob("*.yaml")):
        doc = load(path)
        if isinstance(doc, dict) and "policy_set" in doc:
            sets[doc["policy_set"]["id"]] = doc
    documents = []
    sources: dict[str, Source] = {}
    for sid, spec in (data.get("documents") or {}).items():
        if sid not in sets:
            problems.append(f"documents: no policy set '{sid}' in rules/")
            continue
        file = sets[sid]["policy_set"]["source"]["file"]
        source = sources.setdefault(file, Source.read(SHARED / file))
        ranges = [(int(r[0]), int(r[1])) for r in spec.get("lines") or []]
        sentences = [s for lo, hi in ranges for s in sentences_of(source, lo, hi)]
        documents.append(Document(sid, sets[sid], ranges, sentences))
    by_id = {d.id: d for d in documents}
    for sid, doc in sets.items():
        if sid not in by_id:
            problems.append(f"documents: policy set '{sid}' has no entry")
            continue
        source = sources[doc["policy_set"]["source"]["file"]]
        for section in SECTIONS:
            for entry in doc.get(section) or []:
                c = entry.get("citation") or {}
                hit = source.find(str(c.get("text", "")), lines_of(c.get("lines"))) if c.get("lines") else None
                if hit is None:
                    problems.append(f"{sid}/{entry.get('id')}: cited text not found on its lines")
                    continue
                covered = [s for s in by_id[sid].sentences if s.start < hit[1] and hit[0] < s.end]
                if not covered:
                    problems.append(f"{sid}/{entry.get('id')}: cited lines are outside the document's lines")
                for s in covered:
                    s.encoded.append((section, entry, doc))
    for i, entry in enumerate(data.get("omitted") or []):
        where = f"omitted[{i}] (lines {entry.get('lines')})"
        sid = entry.get("document")
        if sid not in by_id:
            problems.append(f"{where}: unknown document '{sid}'")
            continue
        if entry.get("kind") not in KINDS:
            problems.append(f"{where}: kind must be one of {', '.join(KINDS)}")
        if not str(entry.get("reason", "")).strip():
            problems.append(f"{where}: no reason")
        if entry.get("kind") == "elsewhere":
            known = {f"{k}/{r.get('id')}" for k, d in sets.items() for r in d.get("rules") or []}
            if not entry.get("rules") or any(r not in known for r in entry["rules"]):
                problems.append(f"{where}: 'elsewhere' needs rules that exist: {entry.get('rules')}")
        lines = lines_of(entry.get("lines"))
        if not lines:
            problems.append(f"{where}: no lines")
            continue
        source = sources[sets[sid]["policy_set"]["source"]["file"]]
        if entry.get("text"):
            hit = source.find(str(entry["text"]), lines)
            if hit is None:
                problems.append(f"{where}: text not verbatim on its lines: {entry['text']!r}")
                continue
        else:
            hit = source.span(min(lines), max(lines))
        covered = [s for s in by_id[sid].sentences if s.start < hit[1] and hit[0] < s.end]
        if not covered:
            problems.append(f"{where}: outside the document's lines")
        for s in covered:
            s.omitted.append(entry)
    return documents, problems


def unaccounted(documents: list[Document]) -> list[Sentence]:
    return [s for d in documents for s in d.sentences if not s.encoded and not s.omitted]


# ---- rendering ----------------------------------------------------------------------------------


def cell(text: Any) -> str:
    s = " ".join(str(text).split())
    return s.replace("|", "\\|") if s else "—"


def one_line(text: Any) -> str:
    return " ".join(str(text).split())


def payer_text(entry: dict[str, Any]) -> str:
    payer = entry.get("payer")
    if payer in (None, "", "null", "~"):
        return "none 无"
    inferred = str(entry.get("payer_inferred", "")).lower() == "true"
    return f"{payer} (inferred 推定)" if inferred else str(payer)


def latest(params: dict[str, Any], name: str) -> str:
    """A parameter's value (its latest version), or the text itself when it is not a parameter."""
    p = params.get(name)
    if not isinstance(p, dict):
        return name
    value = p.get("value") or (p.get("versions") or [{}])[-1].get("value", "")
    return f"{value} (`{name}`)"


def amount_text(award: Any, params: dict[str, Any]) -> str:
    """A one-line summary of an award, parameters shown with their values (the rule page has more)."""
    if not isinstance(award, dict):
        return one_line(award)
    v = lambda x: latest(params, one_line(x))  # noqa: E731
    if "fixed" in award:
        return f"fixed {v(award['fixed'])}"
    if "band" in award:
        b = award["band"]
        return f"band {v(b.get('min', '0'))} – {v(b['max']) if 'max' in b else 'no upper limit'}"
    if "rate" in award:
        return f"{v(award['rate'])} × {one_line(award.get('base', ''))}"
    if "formula" in award:
        return f"formula {one_line(award['formula'])}"
    if "unfixed" in award:
        return f"unfixed 未定: {one_line(award['unfixed'])}"
    if "honour" in award:
        return f"honour 荣誉: {one_line(award['honour'])}"
    if "per_item" in award:
        pi = award["per_item"]
        if "for_each" in pi:
            what = f"each {pi['for_each']}" + (f" where {one_line(pi['where'])}" if pi.get("where") else "")
        else:
            what = f"× {one_line(pi.get('count', ''))}"
        return f"per item ({what}): {amount_text(pi.get('each', {}), params)}"
    if "tiers" in award:
        t = award["tiers"]
        levels = "; ".join(f"{lv.get('label', '')}: {amount_text(lv.get('award', {}), params)}" for lv in t.get("levels") or [])
        return f"tiers on {t.get('on', '')} ({t.get('hit', 'unique')}): {levels}"
    return one_line(award)


def options_of(entry: dict[str, Any]) -> list[str]:
    texts = [str(entry.get("when", "")), str(entry.get("require", "")), yaml.safe_dump(entry.get("award", ""), allow_unicode=True)]
    return sorted({m for t in texts for m in OPTION.findall(t)})


def encoded_detail(section: str, entry: dict[str, Any], doc: dict[str, Any], up: str) -> str:
    sid = doc["policy_set"]["id"]
    if section == "rules":
        parts = [f"[`{entry['id']}`]({up}rules/{sid}/{entry['id']}.md)"]
        when = entry.get("when")
        parts.append(f"when `{cell(when)}`" if when not in (None, "", "null") else "no condition")
        parts.append(amount_text(entry.get("award", {}), doc.get("parameters") or {}))
        parts.append(f"payer {payer_text(entry)}")
        opts = options_of(entry)
        if opts:
            parts.append("options " + ", ".join(f"`{o}`" for o in opts))
        return "; ".join(parts)
    if section == "budget":
        band = entry.get("band") or {}
        amount = entry.get("amount") or (f"{band.get('min')}–{band['max']}" if "max" in band else f"at least {band.get('min')}")
        return f"budget line `{entry['id']}`: {one_line(amount)} per {entry.get('per', '')}, payer {entry.get('payer', '')}"
    return f"check `{entry['id']}`: requires `{cell(entry.get('require', ''))}`"


def ids_of(s: Sentence) -> list[str]:
    """The encoded entries of a sentence: those citing it, and the rules an 'elsewhere' entry names."""
    ids = [f"{doc['policy_set']['id']}/{e['id']}" for _sec, e, doc in s.encoded]
    ids += [r for o in s.omitted if o.get("kind") == "elsewhere" for r in o.get("rules") or []]
    return list(dict.fromkeys(ids))


def is_encoded(s: Sentence) -> bool:
    return bool(s.encoded) or any(o.get("kind") == "elsewhere" for o in s.omitted)


HEADER = "<!-- Generated by scripts/gen_coverage.py from rules/*.yaml, rules/coverage/omitted.yaml and the source text. Do not edit. -->"


def coverage_page(documents: list[Document]) -> str:
    out = [HEADER, "", "# 覆盖 Coverage of the four documents", ""]
    out += [
        "Every sentence of the four documents that grants something, or sets a condition of a grant, "
        "is either encoded (the rules, budget lines and checks citing it) or omitted with the reason. "
        "Sentences that grant nothing (analysis, headings, the government's own measures) are listed on "
        "each document's [woven text](#the-woven-texts) with their reason. The list of omissions is "
        "`rules/coverage/omitted.yaml`.",
        "",
        "| document 文件 | sentences 句数 | encoded 已编码 | omitted 未编码 | no award 无奖励 | background 背景 | not accounted for 未说明 |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in documents:
        enc = sum(1 for s in d.sentences if is_encoded(s))
        kinds = {k: sum(1 for s in d.sentences if not is_encoded(s) and any(o.get("kind") == k for o in s.omitted)) for k in KINDS}
        out.append(
            f"| [`{d.id}`](texts/{d.id}.md) | {len(d.sentences)} | {enc} | {kinds['omitted']} | {kinds['no_award']} | "
            f"{kinds['background']} | {sum(1 for s in d.sentences if not s.encoded and not s.omitted)} |"
        )
    out.append("")
    for d in documents:
        ps = d.doc["policy_set"]
        out += [f"## {d.id}: {ps['title'].get('zh', '')}", ""]
        out += ["| line 行 | sentence 原文 | encoded by 编码 / reason 理由 |", "|---|---|---|"]
        for s in d.sentences:
            if is_encoded(s):
                what = "encoded 已编码: " + ", ".join(f"`{i}`" for i in ids_of(s))
                extra = [o for o in s.omitted if o.get("kind") == "omitted"]
                if extra:
                    what += "; partly omitted 部分未编码: " + " ".join(one_line(o["reason"]) for o in extra)
            elif any(o.get("kind") == "omitted" for o in s.omitted):
                what = "omitted 未编码: " + " ".join(one_line(o["reason"]) for o in s.omitted if o.get("kind") == "omitted")
            elif not s.omitted:
                what = "**not accounted for 未说明**"
            else:
                continue
            out.append(f"| {s.line} | {cell(s.text)} | {cell(what)} |")
        out.append("")
    out += ["## The woven texts", ""]
    out += [f"- [`{d.id}`](texts/{d.id}.md): {d.doc['policy_set']['title'].get('zh', '')}" for d in documents]
    out.append("")
    return "\n".join(out)


def woven_page(d: Document) -> str:
    ps = d.doc["policy_set"]
    up = "../"
    ranges = ", ".join(f"{lo}–{hi}" for lo, hi in d.ranges)
    out = [HEADER, "", f"# {d.id}: {ps['title'].get('zh', '')}", ""]
    out += [
        f"*{ps['title'].get('en', '')}*. The text sentence by sentence (source lines {ranges}), each "
        f"beside the rules that encode it or the reason it is not encoded. Policy set: "
        f"[`{d.id}`]({up}rules/{d.id}/index.md); all documents: [coverage]({up}coverage.md).",
        "",
        "| line 行 | text 原文 | encoding 编码 |",
        "|---|---|---|",
    ]
    for s in d.sentences:
        notes = [encoded_detail(sec, e, doc, up) for sec, e, doc in s.encoded]
        for o in s.omitted:
            if o.get("kind") == "elsewhere":
                links = ", ".join(f"[`{r}`]({up}rules/{r}.md)" for r in o.get("rules") or [])
                notes.append(f"{KINDS['elsewhere']} {links}: {one_line(o['reason'])}")
            elif o.get("kind") in KINDS:
                notes.append(f"{KINDS[o['kind']]}: {one_line(o['reason'])}")
        if not notes:
            notes = ["**not accounted for 未说明**"]
        out.append(f"| {s.line} | {cell(s.text)} | {cell('<br>'.join(notes)).replace(chr(92) + '|', chr(92) + '|')} |")
    out.append("")
    return "\n".join(out)


def pages() -> dict[str, str]:
    documents, problems = read()
    if problems:
        raise ValueError("rules/coverage/omitted.yaml: " + "; ".join(problems))
    out = {"coverage.md": coverage_page(documents)}
    for d in documents:
        out[f"texts/{d.id}.md"] = woven_page(d)
    return out


def nav() -> list[dict[str, Any]]:
    documents, _ = read()
    return [{"Coverage 覆盖": "coverage.md"}, {"Texts 原文对照": [{d.id: f"texts/{d.id}.md"} for d in documents]}]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    documents, problems = read()
    for p in problems:
        print(p, file=sys.stderr)
    for s in unaccounted(documents):
        print(f"line {s.line}: not accounted for: {s.text}", file=sys.stderr)
    if "--check" in args:
        return 1 if problems or unaccounted(documents) else 0
    target = Path(args[0]) if args else REPO / "build" / "docs-gen"
    for rel, text in pages().items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote the coverage pages under {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
