"""Column headers as clerks write them: a fact's name (``sales_revenue``), its Chinese label
(``当年销售收入``) or English label, in any width or case, or the template's two-line header
(label above name). Every header problem of a table is reported in one error, each located at
the header row and column, with a "did you mean" found by edit distance and by label."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ._core import SubsidyError
from .xlsx import column_letters, located_error

__all__ = ["Column", "HeaderResolver", "key_of", "edit_distance"]

#: The record's own columns (not facts), with the Chinese words accepted for them.
RECORD_COLUMNS = {
    "id": ("企业编号", "enterprise id", "编号", "统一社会信用代码"),
    "name": ("企业名称", "enterprise name", "名称"),
    "year": ("年度", "年份", "record year"),
}


def key_of(text: str) -> str:
    """What two spellings of one header share: NFKC (full-width forms), case, spaces, '_'/'-'."""
    folded = unicodedata.normalize("NFKC", text).casefold().strip()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "_-")


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 once it is certain to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(ch in letters for ch in short)


@dataclass(frozen=True)
class Column:
    index: int  # 0-based position in the row
    name: str  # the fact (or id/name/year) it holds


class HeaderResolver:
    """Maps headers to names: ``names`` are the canonical names, ``labels`` their other spellings."""

    def __init__(self, labels: dict[str, Sequence[str]]) -> None:
        self._by_key: dict[str, str] = {}
        self._labels = labels
        for name, spellings in labels.items():
            for spelling in (name, *spellings):
                if spelling:
                    self._by_key.setdefault(key_of(spelling), name)

    def lookup(self, header: str) -> str | None:
        found = self._by_key.get(key_of(header))
        if found is not None:
            return found
        # The template's header: the label and the name on two lines ("当年销售收入\nsales_revenue").
        parts = [p for p in header.splitlines() if p.strip()]
        hits = {self._by_key.get(key_of(p)) for p in parts} - {None}
        return hits.pop() if len(hits) == 1 else None

    def suggest(self, header: str) -> list[str]:
        """Close names: by edit distance on names and labels, and by a label containing the header
        (or contained in it)."""
        key = key_of(header.splitlines()[0] if header.strip() else header)
        if not key:
            return []
        scored: list[tuple[int, str]] = []
        limit = max(2, len(key) // 3)
        for name, spellings in self._labels.items():
            best = limit + 1
            for spelling in (name, *spellings):
                other = key_of(spelling)
                if not other:
                    continue
                if len(key) >= 2 and (key in other or other in key):
                    best = min(best, 1 if len(other) != len(key) else 0)
                elif len(key) >= 4 and len(other) <= 2 * len(key) and _subsequence(key, other):
                    best = min(best, 2)  # letters left out: landtax for land_use_tax
                best = min(best, edit_distance(key, other, limit))
            if best <= limit:
                scored.append((best, name))
        scored.sort()
        return [name for _, name in scored[:3]]

    def describe(self, name: str) -> str:
        zh = next((s for s in self._labels.get(name, ()) if s and not s.isascii()), "")
        return f"'{name}'" + (f" ({zh})" if zh else "")

    def resolve(self, headers: Sequence[str | None], source: str, row: int,
                required: Sequence[str] = ("id",)) -> list[Column]:
        """The columns of a header row; raises one SubsidyError listing every unknown, duplicate
        or missing header, each located at (source, row, column)."""
        errors: list[SubsidyError] = []
        columns: list[Column] = []
        seen: dict[str, int] = {}
        for index, header in enumerate(headers):
            text = (header or "").strip()
            where = f"column {column_letters(index)}"
            if not text:
                continue  # an unnamed column is allowed only if it is empty (checked by the reader)
            name = self.lookup(text)
            if name is None:
                hint = self.suggest(text)
                did = (" (did you mean " + " or ".join(self.describe(h) for h in hint) + "?)") if hint else ""
                errors.append(located_error("schema", f"{where}: unknown header '{text}'{did}",
                                            source, row, index + 1, text))
                continue
            if name in seen:
                errors.append(located_error(
                    "schema", f"{where}: header '{text}' is '{name}' again (first in column "
                    f"{column_letters(seen[name])})", source, row, index + 1, name))
                continue
            seen[name] = index
            columns.append(Column(index, name))
        for name in required:
            if name not in seen:
                errors.append(located_error("schema", f"no column for {self.describe(name)}", source, row, 0, name))
        if errors:
            raise combined(errors)
        return columns


def combined(errors: list[SubsidyError]) -> SubsidyError:
    """One error for several: str() lists them all, one a line; ``errors`` holds each."""
    if len(errors) == 1:
        return errors[0]
    first = errors[0]
    error = SubsidyError("\n".join(str(e) for e in errors))
    for name in ("kind", "file", "line", "column", "field", "location"):
        setattr(error, name, getattr(first, name))
    error.message = f"{len(errors)} problems: " + "; ".join(str(getattr(e, "message")) for e in errors)
    error.errors = errors
    return error
