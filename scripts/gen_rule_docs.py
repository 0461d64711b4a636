#!/usr/bin/env python3
"""Generate the documentation pages of the rule tables: one per policy set, one per rule.

Each page is bilingual (Chinese and English) and is made from the YAML alone: the cited document,
clause and verbatim Chinese sentence, the conditions, the amount (fixed, band, rate, formula, per
item, tiers, unfixed, honour), the payer, the parameters with their dated versions, the
interpretation options a rule depends on, and the golden cases of tests/rules/ that exercise the
rule, as a worked table (settings, inputs, expected result and the arithmetic written beside it).

The pages are made during the docs build (scripts/mkdocs_hooks.py adds them to the site), never
committed and never edited by hand. To look at them without building the site:

    python3 scripts/gen_rule_docs.py [OUTPUT_DIR]     # default build/docs-gen

The YAML is read with PyYAML's BaseLoader: every scalar stays the string written in the file, so
an amount is shown as the policy writes it and never passes through a float.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_coverage  # noqa: E402  (the coverage page and the woven texts)
import gen_policies_md  # noqa: E402  (the overview page; shares the reading of the YAML)

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "rules"
GOLDEN = REPO / "tests" / "rules"
PAGES = "rules"  # the generated pages' folder inside the site

FORMS = {
    "cash": "现金 cash",
    "in_kind": "实物 in kind",
    "preference": "优惠 preference",
    "honour": "荣誉 honour",
}
STATUS = {"in_force": "现行 in force", "draft": "讨论稿 draft", "proposal": "建议 proposal"}
BOUNDS = {
    "以上": "≥",
    "不低于": "≥",
    "不少于": "≥",
    ">=": "≥",
    "超过": ">",
    ">": ">",
    "以下": "≤",
    "以内": "≤",
    "<=": "≤",
    "不满": "<",
    "低于": "<",
    "少于": "<",
    "<": "<",
}
HIT = {
    "unique": "唯一 unique: at most one level matches",
    "highest": "最高 highest: the highest level reached",
    "first": "首个 first: the first level that matches",
    "sum": "累加 sum: every matching level adds up",
}
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
OPTION = re.compile(r"option\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)")


def load(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.BaseLoader)


def cell(value: Any) -> str:
    """Text fit for one Markdown table cell."""
    text = " ".join(flow(value).split()) if not isinstance(value, str) else " ".join(value.split())
    return text.replace("|", "\\|") if text else "—"


def code(text: Any) -> str:
    s = " ".join(str(text).split()).replace("|", "\\|")
    return f"`{s}`" if s else "—"


def flow(value: Any) -> str:
    """A YAML value in flow style, as short as the file writes it."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return str(value)


def both(text: Any) -> str:
    """'中文 / English' from a {zh, en} text."""
    if not isinstance(text, dict):
        return str(text or "")
    zh, en = text.get("zh", ""), text.get("en", "")
    return f"{zh} / {en}" if zh and en else zh or en


def absent(value: Any) -> bool:
    return value in (None, "", "null", "~")


# ---- the rule folder ----------------------------------------------------------------------------


@dataclass
class Golden:
    """One golden case, with the comments written above each expected line."""

    file: str
    focus: set[str]
    case: dict[str, Any]
    comments: list[str]  # one per entry of expect.lines (may be "")


@dataclass
class Folder:
    catalogues: list[dict[str, Any]] = field(default_factory=list)
    sets: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    payers: dict[str, dict[str, Any]] = field(default_factory=dict)
    derived: dict[str, dict[str, Any]] = field(default_factory=dict)  # catalogue-level
    golden: list[Golden] = field(default_factory=list)


def read_folder() -> Folder:
    folder = Folder()
    for path in sorted(RULES.glob("*.yaml")):
        doc = load(path)
        if not isinstance(doc, dict):
            continue
        (folder.catalogues if "catalogue" in doc else folder.sets).append(doc)
        folder.facts.update(doc.get("facts") or {})
        folder.options.update(doc.get("options") or {})
        folder.payers.update(doc.get("payers") or {})
        if "catalogue" in doc:
            folder.derived.update(doc.get("derived") or {})
    folder.golden = read_golden()
    return folder


def _comments_above(lines: list[str], index: int) -> str:
    """The comment lines directly above line `index` (0-based), joined."""
    found = []
    i = index - 1
    while i >= 0 and lines[i].lstrip().startswith("#"):
        found.append(lines[i].strip().lstrip("#").strip())
        i -= 1
    return " ".join(reversed(found))


def _child(node: Any, key: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    return None


def read_golden() -> list[Golden]:
    """The golden cases that run against rules/ (files for other folders are left out)."""
    out = []
    for path in sorted(GOLDEN.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        loader = yaml.BaseLoader(text)
        try:
            root = loader.get_single_node()
            doc = loader.construct_document(root)
        finally:
            loader.dispose()
        if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
            continue
        if (path.parent / doc.get("rules", str(RULES))).resolve() != RULES.resolve():
            continue
        source = text.splitlines()
        case_nodes = _child(root, "cases").value
        for case, node in zip(doc["cases"], case_nodes):
            lines_node = _child(_child(node, "expect"), "lines")
            entries = lines_node.value if isinstance(lines_node, yaml.SequenceNode) else []
            comments = [_comments_above(source, n.start_mark.line) for n in entries]
            out.append(Golden(str(path.relative_to(REPO)), set(doc.get("focus") or []), case, comments))
    return out


def cases_of(folder: Folder, ref: str) -> list[tuple[Golden, list[tuple[dict[str, Any], str]]]]:
    """The golden cases that say something about rule `ref`, each with its expected lines of it."""
    out = []
    for g in folder.golden:
        expect = g.case.get("expect") or {}
        lines = expect.get("lines") if isinstance(expect.get("lines"), list) else []
        mine = [
            (line, g.comments[i] if i < len(g.comments) else "")
            for i, line in enumerate(lines)
            if isinstance(line, dict) and line.get("rule") == ref
        ]
        if mine or ref in g.focus:
            out.append((g, mine))
    return out


# ---- pieces of a page ---------------------------------------------------------------------------


def parameter_value(p: dict[str, Any]) -> str:
    if "value" in p:
        return str(p["value"])
    versions = p.get("versions") or []
    return "; ".join(f"{v.get('value', '')} (from {v.get('from', 'the beginning')})" for v in versions)


def amount(value: Any, params: dict[str, Any]) -> str:
    """A literal or expression in code, or a parameter with its value."""
    v = " ".join(str(value).split())
    if v in params:
        return f"{parameter_value(params[v])} (`{v}`)"
    return f"`{v}`"


def award_lines(award: Any, params: dict[str, Any], depth: int = 0) -> list[str]:
    """Markdown describing an award, nested awards indented."""
    pad = "    " * depth
    if not isinstance(award, dict):
        return [f"{pad}- {cell(award)}"]
    if "fixed" in award:
        return [f"{pad}- 固定金额 fixed amount: {amount(award['fixed'], params)}"]
    if "band" in award:
        band = award["band"]
        lo = amount(band["min"], params) if "min" in band else "0"
        hi = amount(band["max"], params) if "max" in band else "no upper limit 无上限"
        return [f"{pad}- 区间 band: {lo} – {hi} (the point in the range is a decision 具体金额另行决定)"]
    if "rate" in award:
        return [
            f"{pad}- 比例 rate × base: {amount(award['rate'], params)} × `{' '.join(str(award.get('base', '')).split())}`"
        ]
    if "formula" in award:
        return [f"{pad}- 公式 formula: `{' '.join(str(award['formula']).split())}`"]
    if "unfixed" in award:
        return [
            f"{pad}- 金额未定 unfixed: {award['unfixed']} (eligible; the text fixes no amount 符合条件，金额未定)"
        ]
    if "honour" in award:
        return [f"{pad}- 荣誉 honour: {award['honour']}"]
    if "per_item" in award:
        pi = award["per_item"]
        if "for_each" in pi:
            where = f" where 满足 `{' '.join(str(pi['where']).split())}`" if pi.get("where") else ""
            head = f"{pad}- 每项 per item: for each record of 逐条 `{pi['for_each']}`{where}, each 每项:"
        else:
            head = (
                f"{pad}- 每项 per item: × `{' '.join(str(pi.get('count', '')).split())}` items 项, each 每项:"
            )
        return [head] + award_lines(pi.get("each", {}), params, depth + 1)
    if "tiers" in award:
        t = award["tiers"]
        hit = t.get("hit", "unique")
        out = [f"{pad}- 分档 tiers on `{t.get('on', '')}`, hit policy {HIT.get(hit, hit)}:", ""]
        out.append(f"{pad}    | level 档次 | from 下限 | to 上限 | award 奖励 |")
        out.append(f"{pad}    |---|---|---|---|")
        for lv in t.get("levels") or []:
            lower = [f"{w} {lv[w]} ({BOUNDS[w]})" for w in lv if w in BOUNDS and BOUNDS[w] in "≥>"]
            upper = [f"{w} {lv[w]} ({BOUNDS[w]})" for w in lv if w in BOUNDS and BOUNDS[w] in "≤<"]
            inner = " ".join(line.strip().lstrip("- ") for line in award_lines(lv.get("award", {}), params))
            out.append(
                f"{pad}    | {cell(lv.get('label', ''))} | {cell(' '.join(lower))} | "
                f"{cell(' '.join(upper))} | {inner.replace('|', chr(92) + '|')} |"
            )
        out.append("")
        return out
    return [f"{pad}- {cell(award)}"]


def expressions(value: Any) -> list[str]:
    """Every string inside a YAML value (the expressions an award or condition may contain)."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in expressions(v)]
    if isinstance(value, list):
        return [s for v in value for s in expressions(v)]
    return [str(value)]


def names_used(texts: list[str], scope: dict[str, dict[str, Any]]) -> list[str]:
    """Declared names that the texts read, following derived values (in order of first use)."""
    seen: list[str] = []
    todo = list(texts)
    while todo:
        for name in IDENT.findall(todo.pop(0)):
            if name in scope and name not in seen:
                seen.append(name)
                if "expr" in scope[name]:
                    todo.append(str(scope[name]["expr"]))
    return seen


def names_table(folder: Folder, doc: dict[str, Any], texts: list[str]) -> list[str]:
    params = doc.get("parameters") or {}
    derived = {**folder.derived, **(doc.get("derived") or {})}
    scope = {
        **{k: {"kind": "fact", **v} for k, v in folder.facts.items()},
        **{k: {"kind": "parameter", **v} for k, v in params.items()},
        **{k: {"kind": "derived", **v} for k, v in derived.items()},
    }
    names = names_used(texts, scope)
    if not names:
        return []
    out = ["| name 名称 | kind 类别 | meaning 含义 | unit or value 单位或取值 |", "|---|---|---|---|"]
    for name in names:
        d = scope[name]
        if d["kind"] == "parameter":
            detail = parameter_value(d)
        elif d["kind"] == "derived":
            detail = f"{d.get('unit', '')} = {code(d.get('expr', ''))}"
        else:
            detail = d.get("type", "")
            if d.get("values"):
                detail += ": " + " / ".join(d["values"])
        kind = {"fact": "事实 fact", "parameter": "参数 parameter", "derived": "派生 derived"}[d["kind"]]
        out.append(f"| `{name}` | {kind} | {cell(both(d.get('label')))} | {cell(detail)} |")
    return out


def options_used(folder: Folder, doc: dict[str, Any], texts: list[str], depth: int) -> list[str]:
    derived = {**folder.derived, **(doc.get("derived") or {})}
    scope = {k: v for k, v in derived.items()}
    exprs = list(texts) + [str(derived[n].get("expr", "")) for n in names_used(texts, scope)]
    used = [o for o in dict.fromkeys(m for e in exprs for m in OPTION.findall(e)) if o in folder.options]
    if not used:
        return []
    up = "../" * depth
    out = [
        "| option 解释选项 | question 问题 | default 默认 | other readings 其他解读 |",
        "|---|---|---|---|",
    ]
    for name in used:
        o = folder.options[name]
        see = str(o.get("see", ""))
        anchor = see.partition("#")[2]
        label = (
            f"[`{name}`]({up}interpretations.md#{anchor})"
            if see.startswith("docs/interpretations.md#")
            else f"`{name}`"
        )
        default = o.get("default", "")
        others = [f"`{c}`" for c in (o.get("choices") or {}) if c != default]
        out.append(
            f"| {label} | {cell(both(o.get('question')))} | `{default}` | {', '.join(others) or '—'} |"
        )
    return out


def expected_text(line: dict[str, Any]) -> str:
    parts = []
    if "amount" in line:
        parts.append(f"**{line['amount']}**")
    if "band" in line:
        parts.append(f"band 区间 {flow(line['band'])}")
    if str(line.get("unfixed", "")).lower() == "true":
        parts.append("unfixed 金额未定")
    if str(line.get("honour", "")).lower() == "true":
        parts.append("honour 荣誉")
    for key, label in (
        ("tier", "tier 档次"),
        ("count", "items 项数"),
        ("decided", "decided 决定"),
        ("payer", "payer"),
        ("form", "form"),
    ):
        if key in line:
            parts.append(f"{label} {line[key]}")
    return ", ".join(parts)


def golden_table(folder: Folder, ref: str) -> list[str]:
    cases = cases_of(folder, ref)
    if not cases:
        return ["No golden case exercises this rule yet. 尚无黄金用例。"]
    out = [
        "| case 用例 | settings 设定 | inputs 输入 | expected 预期 | working 算式 |",
        "|---|---|---|---|---|",
    ]
    for g, mine in cases:
        case = g.case
        settings = [f"{k}: {flow(case[k])}" for k in ("on", "choose", "options", "set") if k in case]
        expect = case.get("expect") or {}
        if "error" in expect:
            result, working = f"error 报错: {expect['error']}", "the evaluation fails 评估失败"
        elif mine:
            result = "; ".join(expected_text(line) for line, _ in mine)
            working = "; ".join(c for _, c in mine if c)
        else:
            result, working = "no line 无此项奖励", ""
        out.append(
            f"| {cell(case.get('name', ''))} | {cell('; '.join(settings))} | {cell(case.get('facts', {}))} | "
            f"{cell(result)} | {cell(working)} |"
        )
    files = sorted({g.file for g, _ in cases})
    out += ["", "From 来自 " + ", ".join(f"`{f}`" for f in files) + "."]
    return out


def recurrence(value: Any) -> str:
    if isinstance(value, dict):
        return f"yearly for {value.get('years', '?')} years from `{value.get('from', '?')}` 自该年起逐年，共{value.get('years', '?')}年"
    return {"one_time": "one time 一次性", "yearly": "yearly 每年"}.get(
        str(value), str(value or "one time 一次性")
    )


def interactions(doc: dict[str, Any], rule_id: str) -> list[str]:
    out = []
    for ex in doc.get("exclusions") or []:
        if rule_id in (ex.get("rules") or []):
            others = ", ".join(f"[`{r}`]({r}.md)" for r in ex["rules"] if r != rule_id)
            how = {
                "higher": "the higher one is kept 就高",
                "priority": "the first listed wins 按顺序优先",
            }.get(ex.get("resolve", ""), ex.get("resolve", ""))
            out.append(f"- 不重复享受 exclusion `{ex.get('id', '')}` with {others}: {how}")
    for cap in doc.get("caps") or []:
        if rule_id in (cap.get("rules") or []):
            out.append(
                f"- 上限 cap `{cap.get('id', '')}`: at most {cap.get('max', '')} across {', '.join(f'`{r}`' for r in cap['rules'])}"
            )
    return out


# ---- pages --------------------------------------------------------------------------------------

HEADER = "<!-- Generated by scripts/gen_rule_docs.py from {source}. Do not edit. -->"


def rule_page(folder: Folder, doc: dict[str, Any], rule: dict[str, Any]) -> str:
    ps = doc["policy_set"]
    ref = f"{ps['id']}/{rule['id']}"
    params = doc.get("parameters") or {}
    c = rule.get("citation") or {}
    title = rule.get("title") or {}
    out = [HEADER.format(source=f"rules/{ps['id']}.yaml and tests/rules/"), ""]
    out += [f"# {rule['id']}: {title.get('zh', '')}", ""]
    if title.get("en"):
        out += [f"*{title['en']}*", ""]
    out += [
        f"Policy set 政策: [`{ps['id']}`](index.md), {ps['title'].get('zh', '')} ({STATUS.get(ps.get('status', ''), ps.get('status', ''))})",
        "",
    ]

    out += ["## 出处 Citation", ""]
    lines = c.get("lines") or []
    where = f"clause 条款 {c.get('clause', '')}"
    if lines:
        where += f", line{'s' if len(lines) > 1 else ''} 行 {', '.join(map(str, lines))}"
    out += [f"Document 文件: `{c.get('document') or ps['id']}`, {where}", ""]
    out += ["> " + " ".join(str(c.get("text", "")).split()), ""]

    out += ["## 条件 Conditions", ""]
    if ps.get("applies_to"):
        out.append(f"- the policy set applies to 适用范围: `{' '.join(str(ps['applies_to']).split())}`")
    if ps.get("group"):
        out.append(f"- only when `{ps['id']}` is the chosen version of `{ps['group']}` 仅在选用此版本时")
    when = rule.get("when")
    out.append(
        f"- when 条件: `{' '.join(str(when).split())}`"
        if not absent(when)
        else "- no further condition 无其他条件"
    )
    out.append("")

    out += ["## 金额 Amount", ""]
    out += award_lines(rule.get("award", {}), params)
    out.append(
        f"- form 形式: {FORMS.get(rule.get('form', 'cash'), rule.get('form', ''))}"
        + (f", in kind 实物: {both(rule['in_kind'])}" if rule.get("in_kind") else "")
    )
    out.append(f"- recurrence 频次: {recurrence(rule.get('recurrence'))}")
    rounding = rule.get("rounding") or {}
    out.append(
        f"- rounding 舍入: {rounding.get('mode', 'half_up')} to 至 {rounding.get('quantum', '0.01')}"
        + (" (the default: 四舍五入到分)" if not rounding else "")
    )
    period = gen_policies_md.in_force_text(doc["policy_set"].get("in_force"))
    if rule.get("in_force"):
        period += "; the rule itself 本条: " + gen_policies_md.in_force_text(rule.get("in_force"))
    out.append(f"- in force 施行期间: {period} (a record of year Y is judged on Y-12-31)")
    out.append("")

    out += ["## 支付方 Payer", ""]
    payer = rule.get("payer")
    if absent(payer):
        out += ["None: no money is paid 不涉及资金.", ""]
    else:
        p = folder.payers.get(payer, {})
        out += [f"**{payer}**: {p.get('en', '')} (level 层级: {p.get('level', '')})", ""]
        if str(rule.get("payer_inferred", "")).lower() == "true":
            out += [
                "Inferred 推定: the cited text names no payer; this is the encoders' reading "
                "(see [inferred payers](../../interpretations.md#inferred-payers)).",
                "",
            ]

    texts = [str(when or "")] + expressions(rule.get("award", {}))
    table = names_table(folder, doc, texts)
    if table:
        out += ["## 名称 Names used", ""] + table + [""]
    options = options_used(folder, doc, texts, depth=2)
    if options:
        out += ["## 解释选项 Interpretation options", ""] + options + [""]
    inter = interactions(doc, rule["id"])
    if inter:
        out += ["## 互斥与上限 Exclusions and caps", ""] + inter + [""]

    out += ["## 黄金用例 Golden cases", ""]
    out += [
        "Each case is checked by both test runners (C++ and Python) on every build. "
        "每个用例都由两套测试程序验证。",
        "",
    ]
    out += golden_table(folder, ref) + [""]
    return "\n".join(out)


def set_page(folder: Folder, doc: dict[str, Any]) -> str:
    ps = doc["policy_set"]
    out = [HEADER.format(source=f"rules/{ps['id']}.yaml"), ""]
    out += [f"# {ps['id']}: {ps['title'].get('zh', '')}", "", f"*{ps['title'].get('en', '')}*", ""]
    src = ps.get("source") or {}
    lines = src.get("lines") or []
    rows = [
        ("issuer 发文机关", ps.get("issuer", "")),
        ("document number 文号", "" if absent(ps.get("document_number")) else ps["document_number"]),
        ("date 日期", f"{ps.get('date_as_written', '')} ({ps.get('date', '')})"),
        ("in force 施行期间", gen_policies_md.in_force_text(ps.get("in_force")) + "; a record of year Y is judged on Y-12-31 按年度末日评估"),
        ("status 状态", STATUS.get(ps.get("status", ""), ps.get("status", ""))),
        ("source 来源", f"`{src.get('file', '')}` lines {lines[0]}–{lines[-1]}" if lines else ""),
        ("applies to 适用范围", code(ps.get("applies_to", ""))),
        (
            "group 版本组",
            f"`{ps['group']}`: one of several alternative versions, evaluated only when chosen 多个版本择一"
            if ps.get("group")
            else "none: always evaluated 始终评估",
        ),
    ]
    out += ["| | |", "|---|---|"] + [f"| {k} | {v or '—'} |" for k, v in rows] + [""]
    if not absent(ps.get("notes")):
        out += [" ".join(str(ps["notes"]).split()), ""]

    counts: dict[str, int] = defaultdict(int)
    out += [
        "## 规则 Rules",
        "",
        "| clause 条款 | rule 规则 | title 标题 | form 形式 | payer 支付方 | cases 用例 |",
        "|---|---|---|---|---|---|",
    ]
    for rule in doc.get("rules") or []:
        c = rule.get("citation") or {}
        ref = f"{ps['id']}/{rule['id']}"
        counts[ref] = len(cases_of(folder, ref))
        out.append(
            f"| {cell(c.get('clause', ''))} | [`{rule['id']}`]({rule['id']}.md) | {cell(both(rule.get('title')))} | "
            f"{FORMS.get(rule.get('form', 'cash'), '')} | {cell(gen_coverage.payer_text(rule))} | {counts[ref]} |"
        )
    out.append("")

    params = doc.get("parameters") or {}
    if params:
        out += [
            "## 参数 Parameters",
            "",
            "A parameter keeps its dated versions: the version in force on the record's day applies "
            "(the last day of its year, or the date given; the latest for a record with neither). "
            "参数按生效日期分版本，按记录所属年度的年末日取值。",
            "",
            "| parameter 参数 | meaning 含义 | unit 单位 | value 取值 (from 起) | reference 依据 |",
            "|---|---|---|---|---|",
        ]
        for name, p in params.items():
            versions = p.get("versions") or [
                {"value": p.get("value", ""), "reference": p.get("reference", "")}
            ]
            values = "; ".join(
                f"{v.get('value', '')}" + (f" (from {v['from']})" if v.get("from") else "") for v in versions
            )
            refs = "; ".join(v.get("reference", "") for v in versions if v.get("reference"))
            out.append(
                f"| `{name}` | {cell(both(p.get('label')))} | {p.get('unit', '')} | {cell(values)} | {cell(refs)} |"
            )
        out.append("")
    if doc.get("derived"):
        out += [
            "## 派生值 Derived values",
            "",
            "| name 名称 | meaning 含义 | unit 单位 | expression 表达式 |",
            "|---|---|---|---|",
        ]
        for name, d in doc["derived"].items():
            out.append(
                f"| `{name}` | {cell(both(d.get('label')))} | {d.get('unit', '')} | {code(d.get('expr', ''))} |"
            )
        out.append("")
    if doc.get("budget"):
        out += [
            "## 预算 Budget lines",
            "",
            "| clause 条款 | id | payer 支付方 | per 周期 | amount 金额 | sentence 原文 |",
            "|---|---|---|---|---|---|",
        ]
        for b in doc["budget"]:
            c = b.get("citation") or {}
            out.append(
                f"| {cell(c.get('clause', ''))} | `{b['id']}` | {cell(b.get('payer', ''))} | {b.get('per', '')} | "
                f"{cell(gen_policies_md.budget_amount(b))} | {cell(c.get('text', ''))} |"
            )
        out.append("")
    if doc.get("checks"):
        out += [
            "## 核查 Checks",
            "",
            "| clause 条款 | id | requires 要求 | message 提示 |",
            "|---|---|---|---|",
        ]
        for chk in doc["checks"]:
            c = chk.get("citation") or {}
            out.append(
                f"| {cell(c.get('clause', ''))} | `{chk['id']}` | {code(chk.get('require', ''))} | {cell(both(chk.get('message')))} |"
            )
        out.append("")
    if doc.get("options"):
        out += ["## 解释选项 Interpretation options", ""]
        for name, o in doc["options"].items():
            out.append(f"- `{name}` (default 默认 `{o.get('default', '')}`): {both(o.get('question'))}")
        out.append("")
    return "\n".join(out)


def pages() -> dict[str, str]:
    """Every generated page: its path inside the site's docs → its Markdown."""
    folder = read_folder()
    out = {"policies.md": gen_policies_md.render(link_pages=PAGES), **gen_coverage.pages()}
    for doc in folder.sets:
        sid = doc["policy_set"]["id"]
        out[f"{PAGES}/{sid}/index.md"] = set_page(folder, doc)
        for rule in doc.get("rules") or []:
            out[f"{PAGES}/{sid}/{rule['id']}.md"] = rule_page(folder, doc, rule)
    return out


def nav() -> list[dict[str, str]]:
    """The site's navigation entries for the generated pages (an overview, then a page per set)."""
    entries = [{"Overview 概览": "policies.md"}]
    for doc in read_folder().sets:
        ps = doc["policy_set"]
        entries.append({f"{ps['id']}": f"{PAGES}/{ps['id']}/index.md"})
    return entries + gen_coverage.nav()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else REPO / "build" / "docs-gen"
    generated = pages()
    for rel, text in generated.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(generated)} pages under {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
