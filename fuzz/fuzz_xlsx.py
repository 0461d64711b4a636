"""Fuzzing the workbook reader (subsidy.xlsx, and the ledger and facts readers above it) with
Hypothesis: workbooks built from seeds (the data template, filled; a ledger) and mutated at the
zip level (bytes flipped, cut, parts dropped or replaced) and at the XML level (cell references,
cell kinds, numbers, row numbers, text). Every input must end in a result or a SubsidyError;
any other exception, a crash or a hang (120 s per input) fails the run, and the input
is saved as ARTIFACTS/xlsx-crash-N.xlsx.

    python fuzz/fuzz_xlsx.py SECONDS ARTIFACTS_DIR
"""

from __future__ import annotations

import io
import os
import signal
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import subsidy
from subsidy import intake, xlsx
from subsidy.template import write_template

ROOT = Path(__file__).resolve().parents[1]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _seeds(rules: subsidy.RuleSet, folder: Path) -> list[bytes]:
    template = folder / "template.xlsx"
    write_template(rules._core, template)
    ledger = folder / "ledger.xlsx"
    sheet = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'
             '<c r="A1" t="inlineStr"><is><t>enterprise</t></is></c><c r="B1" t="s"><v>0</v></c>'
             '<c r="C1" t="inlineStr"><is><t>rule</t></is></c><c r="D1" t="inlineStr"><is><t>year</t></is></c>'
             '<c r="E1" t="inlineStr"><is><t>amount</t></is></c></row><row r="2">'
             '<c r="A2" t="inlineStr"><is><t>a</t></is></c><c r="B2" t="s"><v>1</v></c>'
             '<c r="C2" t="str"><v>r</v></c><c r="D2"><v>2010</v></c><c r="E2"><v>300000.5</v></c>'
             '</row></sheetData></worksheet>')
    with zipfile.ZipFile(ledger, "w") as book:
        book.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxml'
                      'formats.org/officeDocument/2006/relationships"><sheets><sheet name="g" sheetId="1" '
                      'r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxml'
                      'formats.org/package/2006/relationships"><Relationship Id="rId1" '
                      'Target="worksheets/sheet1.xml"/></Relationships>')
        book.writestr("xl/worksheets/sheet1.xml", sheet)
        book.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}"><si><t>policy_set</t></si>'
                      '<si><r><t>em-</t></r><r><t>opinions-draft</t></r></si></sst>')
    return [template.read_bytes(), ledger.read_bytes()]


FRAGMENTS = [b'r="A1"', b'r="XFD1048576"', b'r="XFE1"', b'r="ZZZZZZZZZZ1"', b'r=""', b't="b"', b't="e"',
             b't="s"', b't="str"', b't="inlineStr"', b"<v>1E+999999</v>", b"<v>300000.00000000006</v>",
             b"<v>-</v>", b"<v>99999999999</v>", b'<row r="0">', b'<row r="2000000">', b"<!DOCTYPE x>",
             b"&#0;", b"\xff\xfe", b"<c>", b"</c>", b"<si>", b"</row>", b"\x00"]


@st.composite
def workbooks(draw: Any, seeds: list[bytes]) -> bytes:
    data = draw(st.sampled_from(seeds))
    if draw(st.booleans()):  # XML level: rewrite one part
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            parts = {i.filename: book.read(i) for i in book.infolist()}
        name = draw(st.sampled_from(sorted(parts)))
        text = parts[name]
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(text)))
            cut = draw(st.integers(0, 40))
            text = text[:at] + draw(st.sampled_from(FRAGMENTS + [draw(st.binary(max_size=12))])) + text[at + cut:]
        if draw(st.booleans()):
            parts[name] = text
        else:
            parts.pop(draw(st.sampled_from(sorted(parts))))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
            for part, content in parts.items():
                book.writestr(part, content)
        return out.getvalue()
    mutable = bytearray(data)  # zip level: flip, cut
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(mutable) - 1))
        mutable[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        del mutable[draw(st.integers(0, len(mutable))):]
    return bytes(mutable)


class Hang(Exception):
    pass


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    artifacts = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("fuzz-artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)
    rules = subsidy.RuleSet.load(ROOT / "rules")
    scratch = Path(tempfile.mkdtemp(prefix="fuzz-xlsx-"))
    seeds = _seeds(rules, scratch)
    runs = 0
    failures: list[str] = []

    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang()

    signal.signal(signal.SIGALRM, on_alarm)

    @settings(max_examples=200, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(workbooks(seeds))
    def one(data: bytes) -> None:
        nonlocal runs
        runs += 1
        path = scratch / "input.xlsx"
        path.write_bytes(data)
        signal.alarm(120)  # as the libFuzzer targets: generous on a loaded machine
        try:
            for read in (xlsx.read_workbook, subsidy.Ledger.load,
                         lambda p: intake.read_facts(rules._core, [str(p)])):
                try:
                    read(path)
                except subsidy.SubsidyError:
                    pass
        except Exception:
            saved = artifacts / f"xlsx-crash-{len(failures)}.xlsx"
            saved.write_bytes(data)
            failures.append(f"{saved}:\n{traceback.format_exc()}")
        finally:
            signal.alarm(0)

    started = time.monotonic()
    while time.monotonic() - started < seconds and not failures:
        one()
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"fuzz_xlsx: {seconds:.0f}s, {'FAILED' if failures else 'no crash'}")
    print(f"stat::number_of_executed_units: {runs}")  # as libFuzzer prints it, for scripts/fuzz.sh
    for leftover in scratch.iterdir():
        os.unlink(leftover)
    scratch.rmdir()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
