"""One command line: `subsidy` (Python) and `subsidy-cpp` (C++, built by scripts/test.sh before
pytest runs) take the same subcommands and flags for what they share, print the same text and
end with the same exit status; `--help` works everywhere; a closed pipe ends quietly."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from subsidy.cli import build_parser, main

TOOL = REPO / "build" / "tools" / "subsidy-cpp"
FACTS = "examples/enterprises.yaml"
SHARED = ("check", "evaluate", "explain", "audit")

SAME_OUTPUT = [
    ["check", "rules"],
    ["evaluate", "--rules", "rules", FACTS],
    ["evaluate", "--rules", "rules", FACTS, "--explain"],
    ["evaluate", "--rules", "rules", FACTS, "--alternatives"],
    ["evaluate", "--rules", "rules", FACTS, "--format", "json", "--choose",
     "electromechanical-policy=machining-survey", "--on", "2010-06-30"],
    ["explain", "--rules", "rules", FACTS, "--enterprise", "xinghua-machinery", "--choose",
     "electromechanical-policy=machining-survey"],
    ["explain", "--rules", "rules", FACTS, "--enterprise", "xinke-mining-electric",
     "--rule", "O21-national-standard"],
    ["audit", "--rules", "rules", "--facts", FACTS, "--grants", "examples/ledger.csv"],
    ["evaluate", "--rules", "rules", "no-such-file.yaml"],
    ["evaluate", "--rules", "rules", FACTS, "--set", "no-equals-sign"],
    ["evaluate", "--rules", "rules", FACTS, "--no-such-flag"],
]


def cpp(*args: str) -> subprocess.CompletedProcess[str]:
    assert TOOL.exists(), "build the C++ tools first (scripts/test.sh does)"
    return subprocess.run([str(TOOL), *args], capture_output=True, text=True, check=False, cwd=REPO)


def python(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.chdir(REPO)
    out = io.StringIO()
    try:
        code = main(args, out=out)
    except SystemExit as stop:  # argparse: usage errors (2) and --help (0)
        code = int(stop.code or 0)
    return code, out.getvalue()


@pytest.mark.parametrize("args", SAME_OUTPUT, ids=lambda a: " ".join(a[:1] + a[-2:]))
def test_both_commands_print_the_same_and_exit_the_same(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = python(args, monkeypatch)
    capsys.readouterr()
    done = cpp(*args)
    assert done.returncode == code
    assert done.stdout == out


def test_help_works_everywhere() -> None:
    for args in (["--help"], ["-h"], *([command, "--help"] for command in SHARED)):
        done = cpp(*args)
        assert done.returncode == 0 and "usage:" in done.stdout, args
        python = subprocess.run([sys.executable, "-m", "subsidy.cli", *args],
                                capture_output=True, text=True, check=False)
        assert python.returncode == 0 and "usage:" in python.stdout, args
    assert cpp().returncode == 2 and cpp("frobnicate").returncode == 2


def test_every_flag_of_the_cpp_tool_is_a_flag_of_subsidy() -> None:
    flags = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", cpp("--help").stdout))
    assert {"--rules", "--explain", "--alternatives", "--facts", "--grants"} <= flags
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    known = {"--help", "--version"}
    for command in SHARED:
        known |= {o for action in commands[command]._actions for o in action.option_strings}
    assert flags <= known, flags - known
    for command in SHARED:
        assert f"  {command} " in cpp("--help").stdout


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    facts = tmp_path / "many.yaml"
    records = (REPO / FACTS).read_text(encoding="utf-8")
    facts.write_text(records, encoding="utf-8")
    command = [sys.executable, "-m", "subsidy.cli", "evaluate", "--rules", str(REPO / "rules"),
               *[str(facts)] * 40, "--explain"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.readline()
        child.stdout.close()  # as `| head -1` does
        errors = child.stderr.read().decode()
        child.wait()
    assert "Broken pipe" not in errors and "Traceback" not in errors
