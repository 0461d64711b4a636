"""Text that is safe to show in a terminal or a report line."""

from __future__ import annotations

import re

__all__ = ["escape_control", "printable"]

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
