"""Import files are measured before they are read (LEAD-3, ADR 0011): a zip bomb, a sheet
of millions of rows, a giant row or string table is refused naming the rule and its limit,
with the process staying small, and rows past the cap are never read."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import zipfile
from functools import partial
from pathlib import Path

import pytest

from application.leads.spreadsheet_limits import LIMITS, SpreadsheetLimits, SpreadsheetTooLarge
from application.leads.spreadsheets import read_table
from application.shared.errors import InvalidInput
from tests.application.workbooks import (
    MAIN,
    SHEET,
    STRINGS,
    numbered_rows,
    repeated,
    sheet,
    workbook,
)

# What reading may add to the process, on top of the file itself and the interpreter with
# openpyxl imported: openpyxl alone would take gigabytes for these files.
GROWTH_BOUND_MB = 40

# Runs read_table in a fresh interpreter and reports its peak memory before and after.
_CHILD = """
import json, resource, sys
from application.leads.spreadsheets import read_table
from application.leads.spreadsheet_limits import SpreadsheetTooLarge
import openpyxl  # paid before measuring: every XLSX import pays it

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

content = open(sys.argv[1], "rb").read()
before = peak_mb()
outcome = {"refused": None}
try:
    table = read_table("bomb.xlsx", content)
    outcome["rows"] = sum(1 for _ in table.rows)
except SpreadsheetTooLarge as refused:
    outcome["refused"] = {"rule": refused.rule, "limit": refused.limit, "detail": refused.message}
outcome.update(before_mb=before, after_mb=peak_mb())
print(json.dumps(outcome))
"""


def _limit_address_space() -> None:
    # A regression should fail the test, not take the shared machine's memory with it.
    two_gb = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (two_gb, two_gb))


def read_in_child(path: Path) -> dict[str, object]:
    """`read_table` of the file in a subprocess: what it answered and its peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        preexec_fn=_limit_address_space,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 1 MB that expands to 400 MB of formatted empty rows (the kind that took the
    server to 4.75 GB)."""
    rows = repeated(b'<row ht="15" customHeight="1" spans="1:3"/>', 400 * 1024 * 1024)
    path = tmp_path_factory.mktemp("bombs") / "bomb.xlsx"
    path.write_bytes(workbook({SHEET: sheet(rows)}, level=9))
    return path


def test_a_1_mb_zip_bomb_is_refused_from_its_directory_and_memory_stays_flat(
    bomb: Path,
) -> None:
    assert 200 * 1024 < bomb.stat().st_size < 2 * 1024 * 1024  # about a megabyte

    outcome = read_in_child(bomb)

    assert outcome["refused"] is not None, outcome
    refused = outcome["refused"]
    assert isinstance(refused, dict)
    assert (refused["rule"], refused["limit"]) == (
        "max_expanded_bytes",
        LIMITS.max_expanded_bytes,
    )
    assert "bomb.xlsx" in refused["detail"] and "128 MiB" in refused["detail"]
    growth = float(outcome["after_mb"]) - float(outcome["before_mb"])  # type: ignore[arg-type]
    assert growth < GROWTH_BOUND_MB, outcome


def test_rows_past_the_cap_inside_the_size_limits_are_refused_without_being_read(
    tmp_path: Path,
) -> None:
    # A million numbered rows with a cell each, 2.5 MB: within the upload size and under
    # the expansion and ratio limits, so only the row count refuses it (openpyxl alone
    # would parse every row; a file like it once ran 6 minutes and wrote 330 MB of events).
    cell = b'<c t="n"><v>1</v></c>'
    content = workbook({SHEET: sheet(numbered_rows(2, 1_000_001, cell))})
    assert len(content) < 5 * 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        part = archive.getinfo(SHEET)
        assert sum(entry.file_size for entry in archive.infolist()) < LIMITS.max_expanded_bytes
        assert part.file_size / part.compress_size < LIMITS.max_compression_ratio
    path = tmp_path / "rows.xlsx"
    path.write_bytes(content)

    outcome = read_in_child(path)

    refused = outcome["refused"]
    assert isinstance(refused, dict), outcome
    assert (refused["rule"], refused["limit"]) == ("max_rows", LIMITS.max_rows)
    growth = float(outcome["after_mb"]) - float(outcome["before_mb"])  # type: ignore[arg-type]
    assert growth < GROWTH_BOUND_MB, outcome


SMALL = SpreadsheetLimits(
    max_rows=5,
    max_columns=3,
    max_entries=20,
    max_expanded_bytes=4 * 1024 * 1024,
    max_xml_elements=1_500,
    max_elements_per_row=40,
    max_shared_strings=10,
    max_other_elements=1_000,  # an empty workbook of openpyxl's has about 350 (theme, styles)
)


def refusal(content: bytes, file_name: str = "f.xlsx") -> tuple[str, int]:
    with pytest.raises(SpreadsheetTooLarge) as refused:
        read_table(file_name, content, SMALL)
    assert refused.value.field == "file" and file_name in refused.value.message
    return refused.value.rule, refused.value.limit


def rows_of(content: bytes, file_name: str = "f.xlsx") -> list[tuple[int, list[str | None]]]:
    return list(read_table(file_name, content, SMALL).rows)


def test_the_row_cap_counts_rows_as_the_sheet_numbers_them() -> None:
    five = workbook({SHEET: sheet(numbered_rows(2, 6, b'<c t="n"><v>7</v></c>'))})
    six = workbook({SHEET: sheet(numbered_rows(2, 7, b'<c t="n"><v>7</v></c>'))})
    far_down = workbook({SHEET: sheet([b'<row r="1048576"><c t="n"><v>7</v></c></row>'])})
    unnumbered = workbook({SHEET: sheet([b"<row/>"] * 6)})

    assert [number for number, _ in rows_of(five)] == [2, 3, 4, 5, 6]
    assert refusal(six) == ("max_rows", 5)
    assert refusal(far_down) == ("max_rows", 5)  # openpyxl would hand out a million rows
    assert refusal(unnumbered) == ("max_rows", 5)


def test_the_row_cap_holds_for_csv_too() -> None:
    header = "mobile\n"
    assert len(list(read_table("a.csv", (header + "1\n" * 5).encode(), SMALL).rows)) == 5
    with pytest.raises(SpreadsheetTooLarge) as refused:
        read_table("a.csv", (header + "1\n" * 6).encode(), SMALL)
    assert (refused.value.rule, refused.value.limit) == ("max_rows", 5)
    with pytest.raises(SpreadsheetTooLarge) as blank_lines:  # blank rows count: cheap to
        read_table("a.csv", (header + "1\n" + "\n" * 10).encode(), SMALL)  # make, not to read
    assert blank_lines.value.rule == "max_rows"


def test_a_claimed_sheet_size_is_not_trusted() -> None:
    # The dimension says 16,384 columns by a million rows: openpyxl would pad every row
    # to it and add blank rows down to it; the import reads the two rows there are.
    claim = b'<dimension ref="A1:XFD1048576"/>'
    content = workbook(
        {SHEET: sheet(numbered_rows(2, 3, b'<c t="n"><v>7</v></c>'), before_data=claim)}
    )
    assert rows_of(content) == [(2, ["7"]), (3, ["7"])]


@pytest.mark.parametrize(
    ("parts", "rule"),
    [
        (
            {SHEET: sheet([], before_data=b"<cols>" + b"<col/>" * 800 + b"</cols>")},
            "max_other_elements",
        ),
        (
            {SHEET: sheet([b"<row>" + b'<c t="n"><v>1</v></c>' * 30 + b"</row>"])},
            "max_elements_per_row",
        ),
        (
            {STRINGS: [b'<sst xmlns="' + MAIN + b'">' + b"<si><t>a</t></si>" * 11 + b"</sst>"]},
            "max_shared_strings",
        ),
        (
            {
                STRINGS: [
                    b'<sst xmlns="' + MAIN + b'"><si>' + b"<r><t>a</t></r>" * 30 + b"</si></sst>"
                ]
            },
            "max_elements_per_row",
        ),
        (  # sheets each within every other limit, together over the element budget
            {
                f"xl/worksheets/extra{n}.xml": sheet(numbered_rows(2, 6, b"<c><v>1</v></c>" * 19))
                for n in range(8)
            },
            "max_xml_elements",
        ),
    ],
)
def test_parts_that_would_grow_openpyxl_are_refused_naming_the_rule(
    parts: dict[str, list[bytes]], rule: str
) -> None:
    assert refusal(workbook(parts)) == (rule, getattr(SMALL, rule))


def test_the_zip_directory_is_checked_before_any_part_is_read() -> None:
    many = workbook(extra_entries=25)
    expands = workbook({SHEET: sheet(repeated(b"<row/>", 5 * 1024 * 1024))}, level=1)
    ratio = workbook({SHEET: sheet(repeated(b"<row/>", 3 * 1024 * 1024))}, level=9)

    assert refusal(many) == ("max_entries", 20)
    assert refusal(expands) == ("max_expanded_bytes", 4 * 1024 * 1024)
    assert refusal(ratio) == ("max_compression_ratio", LIMITS.max_compression_ratio)


def test_a_wide_header_is_refused_but_trailing_blank_cells_are_not_columns() -> None:
    wide = (
        b'<row r="1">'
        + b"".join(b'<c t="inlineStr"><is><t>c%d</t></is></c>' % n for n in range(4))
        + b"</row>"
    )
    blank_tail = (
        b'<row r="1"><c t="inlineStr"><is><t>mobile</t></is></c>' + b'<c r="XFD1" s="1"/></row>'
    )

    def with_header(header: bytes) -> bytes:
        return workbook(
            {
                SHEET: [
                    b'<worksheet xmlns="' + MAIN + b'"><sheetData>',
                    header,
                    b"</sheetData></worksheet>",
                ]
            }
        )

    assert refusal(with_header(wide)) == ("max_columns", 3)
    assert read_table("f.xlsx", with_header(blank_tail), SMALL).columns == ["mobile"]
    with pytest.raises(SpreadsheetTooLarge) as csv_wide:
        read_table("w.csv", b"a,b,c,d\n1,2,3,4\n", SMALL)
    assert csv_wide.value.rule == "max_columns"
    assert read_table("t.csv", b"a,b,,,,,,\n1,2\n", SMALL).columns[:2] == ["a", "b"]


def test_a_part_with_a_dtd_or_broken_xml_is_not_a_workbook() -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><x>&a;</x>'
    for parts in ({"xl/extra.xml": [laughs]}, {SHEET: [b"<worksheet><sheetData><row>"]}):
        with pytest.raises(InvalidInput) as refused:
            read_table("bad.xlsx", workbook(parts), SMALL)
        assert not isinstance(refused.value, SpreadsheetTooLarge)
        assert refused.value.field == "file" and "not an XLSX" in refused.value.message


def test_an_ordinary_workbook_reads_as_before_under_the_default_limits() -> None:
    content = workbook()
    table = read_table("leads.xlsx", content)
    assert table.columns == ["mobile"]
    assert list(table.rows) == [(2, ["13800000000"])]


def test_a_custom_reader_can_tighten_the_limits() -> None:
    read = partial(read_table, limits=SpreadsheetLimits(max_rows=1))
    with pytest.raises(SpreadsheetTooLarge):
        read("a.csv", b"mobile\n1\n2\n")
