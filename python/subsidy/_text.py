"""Text that is safe to show in a terminal or a report line."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TextIO

__all__ = ["escape_control", "markdown_table", "printable", "text_table", "width"]

# C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional overrides and
# isolates (which reorder what a reader sees): shown as escapes, never passed to a terminal.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_control(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return {9: "\\t", 10: "\\n", 13: "\\r"}.get(code, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\\n``, ``\\x1b``): an id or
    name can neither drive a terminal nor start a line of its own in a report."""
    return _UNSAFE.sub(escape_control, text)


def width(text: str) -> int:
    """Display width in a terminal: East Asian wide and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    """Columns padded to their display width (CJK characters take two), control characters
    escaped."""
    rows = [[printable(c) for c in row] for row in rows]
    widths = [max(width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    out.write("  ".join(pad(h, w) for h, w in zip(header, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in rows:
        out.write("  ".join(pad(c, w) for c, w in zip(row, widths)).rstrip() + "\n")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    def cell(text: str) -> str:
        return printable(text).replace("|", "\\|")

    out.write("| " + " | ".join(cell(h) for h in header) + " |\n")
    out.write("|" + "|".join("---" for _ in header) + "|\n")
    for row in rows:
        out.write("| " + " | ".join(cell(c) for c in row) + " |\n")
