"""Pure rules behind exports: formula escaping (group listings: test_segment_membership)."""

from __future__ import annotations

import pytest

from application.leads.export import safe_cell


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("  =1+1", "'  =1+1"),
        ("\t=1+1", "'\t=1+1"),
        ("\r\n@x", "'\r\n@x"),
        ("\tplain", "'\tplain"),
        ("+8613800138000", "+8613800138000"),
        ("-12.5", "-12.5"),
        ("a=b", "a=b"),
        ("张三", "张三"),
        ("", ""),
        (None, None),
        (42, 42),
    ],
)
def test_cells_a_spreadsheet_would_evaluate_are_escaped(typed: object, written: object) -> None:
    assert safe_cell(typed) == written  # type: ignore[arg-type]
