"""Reading import files (LEAD-3): encodings Chinese spreadsheets are saved in, delimiters,
and cells that are text, never formulas run."""

from __future__ import annotations

import codecs

import pytest

from application.leads.imports import row_offer
from application.leads.intake import Offer
from application.leads.spreadsheets import decode_text, read_table
from application.shared.errors import InvalidInput


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("手机,姓名\n".encode(), "utf-8-sig"),
        (codecs.BOM_UTF8 + "手机,姓名\n".encode(), "utf-8-sig"),
        ("手机,姓名\n".encode("gbk"), "gb18030"),
        ("手机,姓名\n".encode("utf-16"), "utf-16"),
    ],
)
def test_text_is_decoded_from_the_encodings_spreadsheets_use(content: bytes, encoding: str) -> None:
    assert decode_text("a.csv", content) == ("手机,姓名\n", encoding)


def test_bytes_in_no_known_encoding_are_refused_naming_the_file() -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_text("scan.csv", b"\x80\xff\x00binary")
    assert refused.value.field == "file" and "scan.csv" in refused.value.message


def test_tab_and_semicolon_separated_files_are_read_and_rows_keep_their_numbers() -> None:
    table = read_table("x.txt", "手机\t姓名\n13800000001\t 张三 \n\n13800000002\t\n".encode())

    assert table.columns == ["手机", "姓名"]
    assert list(table.rows) == [(2, ["13800000001", "张三"]), (3, []), (4, ["13800000002", None])]
    semicolons = read_table("y.csv", b"mobile;name\n13800000003;Li\n")
    assert list(semicolons.rows) == [(2, ["13800000003", "Li"])]


def test_an_empty_file_or_a_broken_workbook_is_refused() -> None:
    for name, content in [("empty.csv", b""), ("broken.xlsx", b"PK\x03\x04not a zip")]:
        with pytest.raises(InvalidInput) as refused:
            read_table(name, content)
        assert refused.value.field == "file" and name in refused.value.message


def test_formula_like_text_is_kept_as_text_and_flagged_but_mobiles_are_not() -> None:
    offer, flagged = row_offer(
        {"mobile": "+86 138 0000 0004", "name": "=1+2", "company": "-Acme", "custom:x": "ok"},
        {},
    )

    assert isinstance(offer, Offer)
    assert offer.profile == {"name": "=1+2", "company": "-Acme"}
    assert flagged == ["name", "company"]
