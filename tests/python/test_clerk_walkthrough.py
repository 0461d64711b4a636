"""docs/clerk.md, the clerk's walk-through, runs as written: every `$ subsidy ...` line of its
console blocks is run (from a folder holding the repository's rules/ and examples/) and must
print the lines the page shows under it, in order ("..." stands for lines left out); its python
blocks run in the same folder, after the commands before them."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from pathlib import Path

import matplotlib
from conftest import REPO

from subsidy.cli import main

matplotlib.use("Agg")

PAGE = REPO / "docs" / "clerk.md"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)


def steps() -> list[tuple[str, str]]:
    return FENCE.findall(PAGE.read_text(encoding="utf-8"))


def commands(block: str) -> list[tuple[str, list[str]]]:
    """(command line, the output lines shown under it) of a console block."""
    out: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line.rstrip())
    return out


def same(want: str, line: str) -> bool:
    """A shown line ending in " ..." is the start of the printed one (its notes left out)."""
    return line.startswith(want[:-4]) if want.endswith(" ...") else line == want


def shows(expected: list[str], printed: str) -> bool:
    """Whether the printed lines contain the expected ones in order, "..." skipping any."""
    lines = [line.rstrip() for line in printed.splitlines()]
    at = 0
    for want in (w for w in expected if w not in ("...", "")):
        while at < len(lines) and not same(want, lines[at]):
            at += 1
        if at == len(lines):
            return False
        at += 1
    return True


def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    for name in ("rules", "examples"):
        (tmp_path / name).symlink_to(REPO / name)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    ran = 0
    try:
        for lang, block in steps():
            if lang == "console":
                for line, expected in commands(block):
                    argv = shlex.split(line)
                    assert argv[0] == "subsidy", line
                    out = io.StringIO()
                    with contextlib.redirect_stderr(io.StringIO()):
                        code = main(argv[1:], out=out)
                    assert code in (0, 1), line  # 1: the audit's findings
                    assert shows(expected, out.getvalue()), f"{line}\n{out.getvalue()}"
                    ran += 1
            elif lang == "python":
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(block, str(PAGE), "exec"), {"__name__": "__docs__"})
                ran += 1
    finally:
        os.chdir(cwd)
    assert ran >= 6
    for made in ("结果.xlsx", "审核.xlsx", "结果.csv"):
        assert (tmp_path / made).stat().st_size > 0, made


def test_the_walkthrough_covers_the_clerks_path() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for step in ("subsidy evaluate", "subsidy explain", "subsidy audit", "-o 结果.xlsx",
                 "--excel", "img/compare-by-payer.png", "subsidy template"):
        assert step in text, step
