"""Evaluation results: the engine's result types (bound in ``_core``) with what is Python's own
added by thin subclasses (money formatting, explanations, arithmetic on bands and totals). Amounts
are exact ``decimal.Decimal``; each class compares, hashes and pickles by its fields, as the frozen
dataclasses it replaced did."""

from __future__ import annotations

import html
import io
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TextIO

from . import _core, _exact
from ._text import printable
from ._core import SubsidyError

__all__ = [
    "AwardLine",
    "Band",
    "Citation",
    "Evaluation",
    "Finding",
    "PassedOver",
    "Receipt",
    "Text",
    "Unevaluated",
    "Total",
    "Totals",
    "TraceStep",
    "money",
]

_ZERO = Decimal(0)

# The explanation's own words in Chinese (--lang zh); rule titles and sentences are the rules'.
_ZH = {
    "cash": "现金", "in kind": "实物", "unfixed": "项金额未定", "recognised": "项荣誉/优惠",
    "Evaluation of": "评估：", "policy sets": "政策", "error": "错误", "payer": "出资方",
    "tier": "档次", "items": "项数", "note": "说明", "cited": "引用", "check": "检查",
    "passed": "通过", "FAILED": "未通过", "total": "合计", "receipt": "回执",
    "no award line": "无奖励", "no rule's condition held": "没有规则的条件成立",
    "its conditions are not met": "条件不满足",
    "it is not due in this year": "本年度不在其适用年限内",
    "no tier reached (the conditions are met)": "未达到任何档次（条件已满足）",
    "no item qualifies (the conditions are met)": "没有符合的项目（条件已满足）",
    "decided in": "已决定，区间", "withheld": "暂缓", "exact": "确定", "band": "区间",
    "recognised line": "荣誉/优惠", "cash_form": "现金", "in_kind_form": "实物",
    "preference": "优惠", "honour": "荣誉", "one_time": "一次性", "yearly": "每年",
    "it is not in force on the record's day": "在记录的日期不在施行期内",
    "incomplete": "不完整", "not evaluated (missing facts)": "项未评估（缺少数据）",
    "not in the record: its amount is unknown, not 0": "记录中缺少数据：金额未知，不按0计",
}


def _say(text: str, lang: str) -> str:
    return _ZH.get(text, text) if lang == "zh" else text


def money(value: Decimal) -> str:
    """Money as stored, grouped: ``¥1,234,567.89`` (no rounding happens here)."""
    return _core.format_money(value)


class Text(_core.Text):
    """A text in Chinese with its English rendering."""

    __slots__ = ()

    @classmethod
    def _from(cls, data: Mapping[str, Any]) -> Text:
        return cls(zh=str(data["zh"]), en=str(data["en"]))

    def __str__(self) -> str:
        if self.zh and self.en:
            return f"{self.zh} ({self.en})"
        return self.zh or self.en


class Citation(_core.Citation):
    """Where a rule comes from: document, clause as the text numbers it, and the verbatim sentence."""

    __slots__ = ()

    @classmethod
    def _from(cls, data: Mapping[str, Any]) -> Citation:
        return cls(
            document=str(data["document"]),
            clause=str(data["clause"]),
            lines=[int(n) for n in data["lines"]],
            text=str(data["text"]),
        )

    @property
    def where(self) -> str:
        """``document clause, lines a–b``."""
        place = " ".join(part for part in (self.document, self.clause) if part)
        lines = self.lines
        if lines:
            span = str(lines[0]) if len(lines) == 1 else f"{lines[0]}–{lines[-1]}"
            place += f", line{'s' if len(lines) > 1 else ''} {span}"
        return place

    def __str__(self) -> str:
        return f"{self.where}: 「{self.text}」"


class Band(_core.Band):
    """A range of money: ``min`` (the floor) and ``max`` (the ceiling), both exact.

    ``a + b`` adds floors and ceilings; ``a - b`` subtracts them end by end (the change in the floor
    and the change in the ceiling), which is what comparing two scenarios reports."""

    __slots__ = ()

    @property
    def exact(self) -> bool:
        """Whether the band is a single amount."""
        return self.min == self.max

    def __add__(self, other: _core.Band) -> Band:
        return Band(_exact.add(self.min, other.min), _exact.add(self.max, other.max))

    def __sub__(self, other: _core.Band) -> Band:
        return Band(_exact.subtract(self.min, other.min), _exact.subtract(self.max, other.max))

    @classmethod
    def zero(cls) -> Band:
        return cls(_ZERO, _ZERO)

    def __str__(self) -> str:
        if self.exact:
            return money(self.min)
        return f"{money(self.min)} – {money(self.max)}"

    def __repr__(self) -> str:
        return f"Band({str(self.min)!r} – {str(self.max)!r})"


class TraceStep(_core.TraceStep):
    """One explanation step: what was looked at (``kind``) and what it gave (``detail``)."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


class AwardLine(_core.AwardLine):
    """One award line: a rule whose condition held, with its amount, band or status and citation.

    ``status`` is ``exact`` or ``decided`` (``amount`` is set), ``band`` (only ``band``),
    ``unfixed`` (eligible, the text fixes no amount) or ``recognised`` (an honour or preference).
    The engine's own object: its rule (title, payer, citation, ...) is read from the rule set it
    keeps alive."""

    __slots__ = ()

    if TYPE_CHECKING:  # the engine makes them as the package's classes (registered below)
        @property
        def title(self) -> Text: ...
        @property
        def band(self) -> Band | None: ...
        @property
        def citation(self) -> Citation: ...
        @property
        def in_kind(self) -> Text: ...
        @property
        def trace(self) -> tuple[TraceStep, ...]: ...

    @property
    def value_text(self) -> str:
        """The amount as a person reads it: ``¥550,000.00``, a band, ``unfixed: 奖金若干``, ..."""
        return self.value_in("en")

    def value_in(self, lang: str) -> str:
        """:attr:`value_text` in ``lang`` ("en" or "zh": ``金额未定：奖金若干``)."""
        zh = lang == "zh"
        amount, band, status = self.amount, self.band, self.status
        if amount is not None:
            text = money(amount)
            if status == "decided" and band is not None:
                text += f"（已决定，区间 {band}）" if zh else f" (decided in {band})"
        elif status == "band" and band is not None:
            text = str(band)
        elif status == "unfixed":
            word = "金额未定" if zh else "unfixed"
            unfixed = self.unfixed_text
            text = (f"{word}：" if zh else f"{word}: ") + unfixed if unfixed else word
        else:
            text = _say("recognised line", lang) if zh and status == "recognised" else status
        if self.form == "in_kind":
            in_kind = self.in_kind
            if str(in_kind):
                text += f" 实物（{in_kind.zh or in_kind.en}）" if zh else f" in kind ({in_kind})"
        if self.withheld:
            text += f" [{_say('withheld', lang)}]"
        return text

    def __repr__(self) -> str:
        payer = f", payer {self.payer}" if self.payer else ""
        return f"AwardLine({self.qualified_rule}: {self.value_text}{payer})"


class Unevaluated(_core.Unevaluated):
    """A rule (or check, or cap) that a missing fact kept from being evaluated: it gives no
    line, its amount is unknown (never taken as 0), and ``missing`` names the facts to supply.
    ``kind`` is "rule", "check" or "cap"."""

    __slots__ = ()

    if TYPE_CHECKING:  # the engine makes them as the package's classes (registered below)
        @property
        def title(self) -> Text: ...

    def __str__(self) -> str:
        return f"{self.qualified_id} not evaluated: needs {', '.join(self.missing)}"


class PassedOver(_core.PassedOver):
    """A rule that gave no line, with the trace that says why (traced evaluations only).
    ``reason`` is "condition", "recurrence", "no_tier", "no_item" or "not_in_force"."""

    __slots__ = ()

    if TYPE_CHECKING:  # the engine makes them as the package's classes (registered below)
        @property
        def citation(self) -> Citation: ...
        @property
        def trace(self) -> tuple[TraceStep, ...]: ...

    @property
    def why(self) -> str:
        """The reason in words: the conditions not met, or met and no tier reached, ..."""
        return {
            "condition": "its conditions are not met",
            "recurrence": "it is not due in this year",
            "no_tier": "no tier reached (the conditions are met)",
            "no_item": "no item qualifies (the conditions are met)",
            "not_in_force": "it is not in force on the record's day",
        }.get(self.reason, self.reason)


class Total(_core.Total):
    """Floor and ceiling of a total, cash and in kind apart, and what is still undetermined.
    ``unevaluated`` counts rules not evaluated for want of a fact: when not 0 the total is
    incomplete."""

    __slots__ = ()

    if TYPE_CHECKING:  # the engine makes them as the package's classes (registered below)
        @property
        def cash(self) -> Band: ...
        @property
        def in_kind(self) -> Band: ...

    @classmethod
    def _from(cls, data: Mapping[str, Any] | _core.Total) -> Total:
        if isinstance(data, Total):
            return data
        if isinstance(data, _core.Total):
            return cls(data.cash, data.in_kind, data.unfixed, data.recognised, data.lines, data.unevaluated)
        return cls(
            cash=Band(data["cash_min"], data["cash_max"]),
            in_kind=Band(data["in_kind_min"], data["in_kind_max"]),
            unfixed=int(data["unfixed"]),
            recognised=int(data["recognised"]),
            lines=int(data["lines"]),
            unevaluated=int(data.get("unevaluated", 0)),
        )

    @classmethod
    def zero(cls) -> Total:
        return cls(Band.zero(), Band.zero())

    def __add__(self, other: _core.Total) -> Total:
        return Total(
            _band(self.cash) + other.cash,
            _band(self.in_kind) + other.in_kind,
            self.unfixed + other.unfixed,
            self.recognised + other.recognised,
            self.lines + other.lines,
            self.unevaluated + other.unevaluated,
        )

    def __str__(self) -> str:
        return self.text()

    def text(self, lang: str = "en") -> str:
        """``cash ¥1,000.00, in kind ¥500.00, 2 unfixed`` (``lang="zh"``: 现金 ¥1,000.00，...)."""
        space = "" if lang == "zh" else " "
        parts = [f"{_say('cash', lang)} {_band(self.cash)}"]
        in_kind = _band(self.in_kind)
        if in_kind != Band.zero():
            parts.append(f"{_say('in kind', lang)} {in_kind}")
        if self.unfixed:
            parts.append(f"{self.unfixed}{space}{_say('unfixed', lang)}")
        if self.recognised:
            parts.append(f"{self.recognised}{space}{_say('recognised', lang)}")
        if self.unevaluated:
            parts.append(f"{_say('incomplete', lang)}: {self.unevaluated}{space}"
                         f"{_say('not evaluated (missing facts)', lang)}")
        return ("，" if lang == "zh" else ", ").join(parts)

    def __repr__(self) -> str:
        return f"Total({self}; {self.lines} line{'' if self.lines == 1 else 's'})"


def _band(band: _core.Band) -> Band:
    """The package's Band (the engine makes its results as the package's classes once they are
    registered, below; a band built before that is converted)."""
    return band if isinstance(band, Band) else Band(band.min, band.max)


class Totals(_core.Totals):
    """Totals of one evaluation: overall, by payer and by policy set."""

    __slots__ = ()

    if TYPE_CHECKING:  # the engine makes them as the package's classes (registered below)
        @property
        def all(self) -> Total: ...
        @property
        def by_payer(self) -> Mapping[str, Total]: ...
        @property
        def by_policy_set(self) -> Mapping[str, Total]: ...


class Finding(_core.Finding):
    """The outcome of a validity check (not an award)."""

    __slots__ = ()

    if TYPE_CHECKING:  # the engine makes them as the package's classes (registered below)
        @property
        def citation(self) -> Citation | None: ...


@dataclass(frozen=True)
class Receipt:
    """What reproduces a result byte for byte: the SHA-256 the engine computed over rules, facts,
    scenario and engine version, with the parts a reader can check without the engine."""

    digest: str
    fingerprint: str
    scenario: str
    engine: str

    def __str__(self) -> str:
        return f"sha256:{self.digest}"


@dataclass(frozen=True)
class Evaluation:
    """The outcome of evaluating one enterprise: award lines, totals as bands, findings, receipt.

    An evaluation that failed (a missing fact, say) has ``error`` set and no lines; nothing is
    taken as zero. ``json`` is the engine's canonical JSON: the bytes the receipt vouches for."""

    enterprise: str
    name: str
    year: int | None
    policy_sets: tuple[str, ...]
    lines: tuple[AwardLine, ...]
    totals: Totals
    findings: tuple[Finding, ...]
    error: SubsidyError | None
    receipt: Receipt
    json: str = field(repr=False, default="")
    passed_over: tuple[PassedOver, ...] = field(repr=False, default=())
    #: Rules a missing fact kept from being evaluated; the totals are then incomplete.
    unevaluated: tuple[Unevaluated, ...] = ()

    @classmethod
    def _from_core(cls, handle: _core.Evaluation, fingerprint: str, scenario: str) -> Evaluation:
        return cls(
            enterprise=handle.enterprise,
            name=handle.name,
            year=handle.year,
            policy_sets=handle.policy_sets,
            lines=handle.lines,  # type: ignore[arg-type]  # the registered subclasses, below
            totals=handle.totals,  # type: ignore[arg-type]
            findings=handle.findings,  # type: ignore[arg-type]
            error=handle.error,
            receipt=Receipt(
                digest=handle.receipt,
                fingerprint=fingerprint,
                scenario=scenario,
                engine=_core.engine_version(),
            ),
            json=handle.to_json(False),
            passed_over=handle.passed_over,  # type: ignore[arg-type]
            unevaluated=handle.unevaluated,  # type: ignore[arg-type]
        )

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def complete(self) -> bool:
        """Evaluated without error and with every rule that applies (no fact missing)."""
        return self.error is None and not self.unevaluated

    @property
    def total(self) -> Total:
        return self.totals.all

    def raise_for_error(self) -> None:
        """Raises the evaluation's error, if it has one."""
        if self.error is not None:
            raise self.error

    def line(self, qualified_rule: str) -> AwardLine:
        """The line a rule gave; KeyError if it gave none."""
        for line in self.lines:
            if line.qualified_rule == qualified_rule:
                return line
        raise KeyError(f"no award line from {qualified_rule!r}")

    def explain_text(self, rule: str | None = None, lang: str = "en") -> str:
        """The explanation as text: each line with its cited sentence and trace, then totals.
        With ``rule`` (qualified ``policy-set/rule-id``, or a bare rule id), only that rule: its
        line, or why it gave none (the condition that failed, with the figures substituted, or
        the tier not reached). ``lang="zh"`` writes the explanation's own words in Chinese."""
        out = io.StringIO()
        def say(text: str) -> str:
            return _say(text, lang)

        colon = "：" if lang == "zh" else ": "
        title = printable(self.enterprise + (f" {self.name}" if self.name else ""))
        if self.year is not None:
            title += f", {self.year}"
        out.write(f"{say('Evaluation of')}{'' if lang == 'zh' else ' '}{title}\n")
        if self.policy_sets:
            out.write(f"{say('policy sets')}{colon}{', '.join(self.policy_sets)}\n")
        if self.error is not None:
            out.write(f"{say('error')}{colon}{printable(str(self.error))}\n")
        if rule is not None:
            return out.getvalue() + self._explain_rule(rule, lang)
        for line in self.lines:
            self._write_line(line, out, lang)
        if not self.lines and self.error is None and not self.unevaluated:
            out.write(f"\n{say('no award line')}{colon}{say('no rule' + chr(39) + 's condition held')}\n")
        for left_out in self.unevaluated:
            out.write(f"\n• {left_out} ({say('not in the record: its amount is unknown, not 0')})\n")
        for finding in self.findings:
            verdict = say("passed" if finding.passed else "FAILED")
            out.write(f"\n{say('check')} {finding.policy_set}/{finding.check}{colon}{verdict}")
            if finding.message:
                out.write(f" — {finding.message}")
            out.write("\n")
            if finding.detail:
                out.write(f"  {printable(finding.detail)}\n")
            if finding.citation is not None:
                out.write(f"  {say('cited')}{colon}{finding.citation}\n")
        out.write(f"\n{say('total')}{colon}{self.totals.all.text(lang)}\n")
        for payer, total in self.totals.by_payer.items():
            out.write(f"  {payer}{colon}{total.text(lang)}\n")
        out.write(f"{say('receipt')}{colon}{self.receipt}\n")
        return out.getvalue()

    @staticmethod
    def _write_line(line: AwardLine, out: TextIO, lang: str = "en") -> None:
        zh = lang == "zh"
        colon = "：" if zh else ": "
        title = (line.title.zh or line.title.en) if zh else str(line.title)
        out.write(f"\n• {line.qualified_rule} — {title}\n")
        payer = f"; {_say('payer', lang)} {line.payer}" if line.payer else ""
        if line.payer_inferred:
            payer += "（推定：原文未写明出资方）" if zh else " (inferred: the text names no payer)"
        form = _say(f"{line.form}_form" if line.form in ("cash", "in_kind") else line.form, lang)
        out.write(f"  {line.value_in(lang)}{payer}; {form if zh else line.form}")
        if line.recurrence:
            out.write(f"; {_say(line.recurrence, lang)}")
        out.write("\n")
        for word, value in (("tier", line.tier), ("items", line.items), ("note", line.note)):
            if value:
                out.write(f"  {_say(word, lang)}{colon}{value}\n")
        out.write(f"  {_say('cited', lang)}{colon}{line.citation.where}\n")
        out.write(f"    「{line.citation.text}」\n")
        Evaluation._write_steps(line.trace, out)

    @staticmethod
    def _write_steps(trace: tuple[TraceStep, ...], out: TextIO) -> None:
        for step in trace:
            if step.kind != "rule":  # the heading names the rule, the citation its sentence
                out.write(f"    {step.kind}: {printable(step.detail)}\n")

    def _explain_rule(self, rule: str, lang: str = "en") -> str:
        def matches(qualified: str) -> bool:
            return qualified == rule or qualified.split("/", 1)[1] == rule

        colon = "：" if lang == "zh" else ": "
        out = io.StringIO()
        found = False
        for line in self.lines:
            if matches(line.qualified_rule):
                found = True
                self._write_line(line, out, lang)
        for passed in self.passed_over:
            if matches(passed.qualified_rule):
                why = _say(passed.why, lang)
                out.write(f"\n• {passed.qualified_rule}{colon}{_say('no award line', lang)}{colon}{why}\n")
                out.write(f"  {_say('cited', lang)}{colon}{passed.citation.where}\n")
                out.write(f"    「{passed.citation.text}」\n")
                self._write_steps(passed.trace, out)
                found = True
        for left_out in self.unevaluated:
            if matches(left_out.qualified_id):
                out.write(f"\n• {left_out}\n  {left_out.message}\n")
                found = True
        if not found:
            out.write(f"\n{printable(rule)}: not evaluated (no such rule in the policy sets evaluated: "
                      f"{', '.join(self.policy_sets)})\n")
        return out.getvalue()

    def explain(self, file: TextIO | None = None) -> None:
        """Prints the explanation: each line, the Chinese sentence it cites, and its trace steps
        (evaluate with ``trace=True``, the default for single evaluations, to record them)."""
        print(self.explain_text(), end="", file=file if file is not None else sys.stdout)

    def __repr__(self) -> str:
        if self.error is not None:
            return f"<Evaluation {self.enterprise}: error {self.error}>"
        count = len(self.lines)
        return (
            f"<Evaluation {self.enterprise}: {count} line{'s' if count != 1 else ''}, "
            f"{self.totals.all}>"
        )

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(
            "<tr>"
            f"<td>{esc(line.qualified_rule)}</td><td>{esc(str(line.title))}</td>"
            f"<td>{esc(line.payer)}</td><td style='text-align:right'>{esc(line.value_text)}</td>"
            f"<td title='{esc(line.citation.text, quote=True)}'>{esc(line.citation.where)}</td>"
            "</tr>"
            for line in self.lines
        )
        error = f"<p><b>error:</b> {esc(str(self.error))}</p>" if self.error is not None else ""
        return (
            f"<div><b>{esc(self.enterprise)}</b> {esc(self.name)}{error}"
            "<table><thead><tr><th>rule</th><th>title</th><th>payer</th><th>amount</th>"
            f"<th>cited</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<p>total: {esc(str(self.totals.all))}</p></div>"
        )


# From here on the engine makes every result as an instance of these classes.
_core.register_result_classes({
    "Text": Text, "Citation": Citation, "TraceStep": TraceStep, "Band": Band, "Total": Total,
    "Totals": Totals, "AwardLine": AwardLine, "Finding": Finding, "PassedOver": PassedOver,
    "Unevaluated": Unevaluated,
})
