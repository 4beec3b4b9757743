"""Intake at scale (LEAD-3): pasting mobiles/e-mails, importing CSV and XLSX files with a
column mapping, bad rows reported one by one, duplicates vs "update existing", and an
interrupted import that resumes without losing or repeating a row."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from application.leads.imports import ImportOptions, LeadImports
from application.leads.scope import LeadScope
from application.leads.spreadsheet_limits import LIMITS, SpreadsheetLimits, SpreadsheetTooLarge
from application.leads.spreadsheets import Table, read_table
from application.shared.context import RequestContext, acting
from application.shared.errors import InvalidInput
from application.tenancy.commands import RegisterTenant
from entrypoints.cli import app
from entrypoints.container import Runtime
from entrypoints.settings import Settings
from tests.application.workbooks import SHEET, repeated, sheet, workbook
from tests.conftest import Api

RYW = {"Prefer": "read-your-writes"}


def upload(
    api: Api,
    token: str,
    content: bytes,
    mapping: dict[str, str],
    *,
    file_name: str = "leads.csv",
    **options: Any,
):
    body = {
        "file_name": file_name,
        "content_base64": base64.b64encode(content).decode(),
        "mapping": mapping,
        **options,
    }
    return api.client.post("/api/v1/lead-imports", json=body, headers={**api.key(token), **RYW})


def rows_of(api: Api, token: str, import_id: str, **params: Any) -> list[dict[str, Any]]:
    """Every row result of an import, following the cursor page by page."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 2, **params, **({"cursor": cursor} if cursor else {})}
        page = api.client.get(
            f"/api/v1/lead-imports/{import_id}", params=query, headers=api.key(token)
        )
        assert page.status_code == 200, page.text
        rows += page.json()["results"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return rows


def leads_with(api: Api, token: str, **filters: str) -> list[dict[str, Any]]:
    answer = api.client.get("/api/v1/leads", params=filters, headers=api.key(token))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def csv_file(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


# --- paste -------------------------------------------------------------------------------


def test_pasting_reports_every_line_and_bad_lines_never_block_good_ones(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    headers = {**api.key(token), **RYW}
    existing = api.client.post("/api/v1/leads", json={"mobile": "13800000001"}, headers=headers)
    text = "13800000001\n\n 13800000002 \nnot a phone\nWang@Example.CN\n13800000002\nx@\n"

    answer = api.client.post("/api/v1/leads/paste", json={"text": text}, headers=headers)

    assert answer.status_code == 200, answer.text
    lines = {line["line"]: line for line in answer.json()["results"]}
    assert {n: line["outcome"] for n, line in lines.items()} == {
        1: "duplicate",  # already a lead: left for cleaning, untouched
        3: "created",
        4: "rejected",
        5: "created",
        6: "duplicate",  # the same person twice in one paste is still one lead
        7: "rejected",
    }
    assert lines[1]["lead_id"] == existing.json()["lead"]["id"]
    assert lines[6]["lead_id"] == lines[3]["lead_id"]
    assert lines[4]["field"] == "mobile" and "not a phone" in lines[4]["reason"]
    assert lines[7]["field"] == "email"
    assert answer.json()["counts"] == {"created": 2, "updated": 0, "duplicate": 2, "rejected": 2}
    assert len(leads_with(api, token, mobile="+8613800000002")) == 1
    assert len(leads_with(api, token, email="wang@example.cn")) == 1


def test_pasting_with_update_existing_updates_instead_of_reporting_duplicates(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    headers = {**api.key(token), **RYW}
    api.client.post("/api/v1/leads", json={"email": "a@example.cn"}, headers=headers)

    answer = api.client.post(
        "/api/v1/leads/paste",
        json={"lines": ["a@example.cn", "b@example.cn"], "update_existing": True},
        headers=headers,
    )

    assert [line["outcome"] for line in answer.json()["results"]] == ["updated", "created"]


def test_pasting_more_than_500_lines_is_refused_and_stores_nothing(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    before = api.event_positions()
    text = "\n".join(f"139{n:08d}" for n in range(501))

    answer = api.client.post("/api/v1/leads/paste", json={"text": text}, headers=api.key(token))

    assert answer.status_code == 422 and answer.json()["field"] == "text", answer.text
    assert api.event_positions() == before


# --- file imports ------------------------------------------------------------------------


def define_text_field(api: Api, tenant_id: str, key: str) -> None:
    """Custom fields exist before an import maps a column to them (LEAD-2)."""
    admin = api.key(api.new_key(tenant_id, "tenant_admin"))
    answer = api.client.post(
        "/api/v1/lead-settings/custom-fields",
        json={"key": key, "name": key, "type": "text"},
        headers=admin,
    )
    assert answer.status_code in (200, 201), answer.text


def test_a_csv_import_creates_good_rows_and_reports_each_bad_one_by_row_number(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("marketer")
    define_text_field(api, tenant_id, "remark")
    content = csv_file(
        "手机,邮箱,姓名,公司,一级来源,备注",
        "13811110001,,张三,火客科技,展会,老客户",
        "12345,,李四,,,",  # invalid mobile
        ",,王五,无联系方式,,",  # neither mobile nor e-mail
        "",  # blank rows are skipped, not rejected
        '13811110002,zhao@example.cn,"=HYPERLINK(""http://evil"",""点我"")",,,@SUM(1)',
        ",qian@example.cn,钱七,,,",
    )
    mapping = {
        "手机": "mobile",
        "邮箱": "email",
        "姓名": "name",
        "公司": "company",
        "一级来源": "source.level1",
        "备注": "custom:remark",
    }

    answer = upload(api, token, content, mapping)

    assert answer.status_code == 201, answer.text
    started = answer.json()
    assert (started["status"], started["file_name"], started["rows"]) == (
        "completed",
        "leads.csv",
        5,
    )
    assert started["counts"] == {"created": 3, "updated": 0, "duplicate": 0, "rejected": 2}
    rows = {row["row"]: row for row in rows_of(api, token, started["id"])}
    assert sorted(rows) == [2, 3, 4, 6, 7]  # spreadsheet row numbers: the header is row 1
    assert (rows[3]["outcome"], rows[3]["field"]) == ("rejected", "mobile")
    assert (rows[4]["outcome"], rows[4]["reason"]) == (
        "rejected",
        "missing identity: at least one of mobile/email",
    )
    assert rows[6]["flagged"] == ["name", "custom:remark"]  # stored as text, never run
    flagged_lead = api.client.get(f"/api/v1/leads/{rows[6]['lead_id']}", headers=api.key(token))
    assert flagged_lead.json()["profile"]["name"] == '=HYPERLINK("http://evil","点我")'
    assert flagged_lead.json()["custom"] == {"remark": "@SUM(1)"}
    first = api.client.get(f"/api/v1/leads/{rows[2]['lead_id']}", headers=api.key(token)).json()
    assert (first["profile"]["company"], first["source"]["level1"]) == ("火客科技", "展会")
    rejected = rows_of(api, token, started["id"], outcome="rejected")
    assert [row["row"] for row in rejected] == [3, 4]


def test_a_mapping_naming_a_column_the_file_lacks_refuses_the_file_and_stores_nothing(
    api: Api,
) -> None:
    _, token = api.tenant_with_key("marketer")
    before = api.event_positions()

    answer = upload(api, token, csv_file("手机,姓名", "13811110003,甲"), {"电话": "mobile"})

    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "mapping.电话"
    assert api.event_positions() == before


def test_files_over_5_mb_are_refused_naming_the_file(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    before = api.event_positions()
    row = "13811110004,某某某某某某某某某某某某某某某某\n"
    six_mb = ("手机,姓名\n" + row * (6 * 1024 * 1024 // len(row.encode()))).encode()
    just_over = six_mb[: 5 * 1024 * 1024 + 64 * 1024]

    too_big = upload(api, token, six_mb, {"手机": "mobile"}, file_name="big.csv")
    over = upload(api, token, just_over, {"手机": "mobile"}, file_name="big.csv")

    assert too_big.status_code == 413, too_big.text[:300]
    assert over.status_code == 422, over.text[:300]
    assert over.json()["field"] == "file" and "big.csv" in over.json()["detail"]
    assert api.event_positions() == before


def test_a_gbk_csv_is_read_correctly_and_undecodable_bytes_are_refused(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    gbk = csv_file("手机,姓名,公司", "13811110005,欧阳娜娜,上海火客", encoding="gbk")

    answer = upload(api, token, gbk, {"手机": "mobile", "姓名": "name", "公司": "company"})

    assert answer.status_code == 201, answer.text
    lead_id = answer.json()["results"][0]["lead_id"]
    lead = api.client.get(f"/api/v1/leads/{lead_id}", headers=api.key(token)).json()
    assert (lead["profile"]["name"], lead["profile"]["company"]) == ("欧阳娜娜", "上海火客")

    garbage = b"mobile\n13811110006\x80\xff\xfe\n"
    refused = upload(api, token, garbage, {"mobile": "mobile"}, file_name="weird.csv")
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "file" and "weird.csv" in refused.json()["detail"]


def test_an_xlsx_import_reads_numbers_as_mobiles_and_keeps_formulas_as_text(api: Api) -> None:
    tenant_id, token = api.tenant_with_key("marketer")
    define_text_field(api, tenant_id, "score")
    book = Workbook()
    sheet = book.active
    sheet.append(["Mobile", "Name", "Score"])
    sheet.append([13811110007, "孙八", "=1+1"])
    sheet.append([13811110008.0, "周九", None])
    content = io.BytesIO()
    book.save(content)

    answer = upload(
        api,
        token,
        content.getvalue(),
        {"Mobile": "mobile", "Name": "name", "Score": "custom:score"},
        file_name="leads.xlsx",
    )

    assert answer.status_code == 201, answer.text
    results = answer.json()["results"]
    assert [(r["row"], r["outcome"], r["flagged"]) for r in results] == [
        (2, "created", ["custom:score"]),
        (3, "created", []),
    ]
    lead = api.client.get(f"/api/v1/leads/{results[0]['lead_id']}", headers=api.key(token))
    assert lead.json()["custom"] == {"score": "=1+1"}
    assert lead.json()["identities"] == [{"kind": "mobile", "value": "+8613811110007"}]


def test_duplicates_are_left_alone_unless_update_existing_is_chosen(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    first = upload(api, token, csv_file("m,n", "13811110009,吴十"), {"m": "mobile", "n": "name"})
    lead_id = first.json()["results"][0]["lead_id"]
    again = csv_file("m,n", "13811110009,吴十一")

    reported = upload(api, token, again, {"m": "mobile", "n": "name"})
    unchanged = api.client.get(f"/api/v1/leads/{lead_id}", headers=api.key(token)).json()
    updated = upload(api, token, again, {"m": "mobile", "n": "name"}, update_existing=True)
    changed = api.client.get(f"/api/v1/leads/{lead_id}", headers=api.key(token)).json()

    assert [(r["outcome"], r["lead_id"]) for r in reported.json()["results"]] == [
        ("duplicate", lead_id)
    ]
    assert unchanged["profile"]["name"] == "吴十"
    assert [(r["outcome"], r["lead_id"]) for r in updated.json()["results"]] == [
        ("updated", lead_id)
    ]
    assert changed["profile"]["name"] == "吴十一"
    assert len(leads_with(api, token, mobile="+8613811110009")) == 1


def test_a_repeated_upload_with_the_same_idempotency_key_imports_once(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    body = {
        "file_name": "once.csv",
        "content_base64": base64.b64encode(csv_file("m", "13811110010")).decode(),
        "mapping": {"m": "mobile"},
    }
    headers = {**api.key(token), **RYW, "Idempotency-Key": "import-once"}

    first = api.client.post("/api/v1/lead-imports", json=body, headers=headers)
    second = api.client.post("/api/v1/lead-imports", json=body, headers=headers)

    assert first.json()["id"] == second.json()["id"]
    assert second.json()["counts"]["created"] == 1
    assert len(leads_with(api, token, mobile="+8613811110010")) == 1


# --- limits (ADR 0011) -------------------------------------------------------------------


def test_a_zip_bomb_is_refused_naming_the_limit_and_stores_nothing(api: Api) -> None:
    _, token = api.tenant_with_key("marketer")
    before = api.event_positions()
    empty_rows = repeated(b'<row ht="15" customHeight="1"/>', 200 * 1024 * 1024)
    bomb = workbook({SHEET: sheet(empty_rows)})
    assert len(bomb) < 5 * 1024 * 1024

    answer = upload(api, token, bomb, {"mobile": "mobile"}, file_name="bomb.xlsx")

    assert answer.status_code == 422, answer.text[:300]
    problem = answer.json()
    assert (problem["code"], problem["field"]) == ("spreadsheet_too_large", "file")
    assert (problem["rule"], problem["limit"]) == ("max_expanded_bytes", 128 * 1024 * 1024)
    assert "bomb.xlsx" in problem["detail"]
    assert api.event_positions() == before


def test_a_file_with_more_rows_than_the_cap_is_refused_before_a_row_is_applied(
    api: Api,
) -> None:
    _, token = api.tenant_with_key("marketer")
    before = api.event_positions()
    rows = [f"138{n:08d}" for n in range(LIMITS.max_rows + 1)]  # one over: 1.2 MB of CSV

    answer = upload(api, token, csv_file("mobile", *rows), {"mobile": "mobile"})

    assert answer.status_code == 422, answer.text[:300]
    problem = answer.json()
    assert (problem["code"], problem["rule"], problem["limit"]) == (
        "spreadsheet_too_large",
        "max_rows",
        100_000,
    )
    assert api.event_positions() == before
    assert leads_with(api, token, mobile="+8613800000000") == []


def test_a_file_at_the_row_cap_imports_every_row(api: Api) -> None:
    tenant_id = UUID(api.new_tenant())
    read = partial(read_table, limits=SpreadsheetLimits(max_rows=3))
    container = api.runtime.container
    imports = LeadImports(container.leads(), container.lead_queries(), read=read)
    mobiles = ["13811115000", "13811115001", "13811115002", "13811115003"]
    mapping = ImportOptions(mapping={"mobile": "mobile"})
    before = api.event_positions()

    with acting(RequestContext(read_your_writes=True)), pytest.raises(SpreadsheetTooLarge):
        imports.start(tenant_id, "four.csv", csv_file("mobile", *mobiles), mapping)
    assert api.event_positions() == before  # not even the import was recorded
    with acting(RequestContext(read_your_writes=True)):
        details = imports.start(tenant_id, "three.csv", csv_file("mobile", *mobiles[:3]), mapping)

    assert (details.status, details.counts["created"]) == ("completed", 3)


# --- interrupted imports -----------------------------------------------------------------


def crashing_after(rows: int):
    """A reader whose file 'disappears' after `rows` rows, like a process that dies."""

    def read(file_name: str, content: bytes) -> Table:
        table = read_table(file_name, content)

        def limited() -> Iterator[tuple[int, list[str | None]]]:
            for count, row in enumerate(table.rows):
                if count == rows:
                    raise ConnectionError("lost the file")
                yield row

        return Table(table.columns, limited())

    return read


def test_an_interrupted_import_resumes_after_its_last_batch_without_losing_or_repeating_rows(
    api: Api,
) -> None:
    tenant_id, token = api.tenant_with_key("marketer")
    mobiles = [f"1381112{n:04d}" for n in range(10)]
    content = csv_file("mobile", *mobiles)
    leads = api.runtime.container.leads()
    crashing = LeadImports(
        leads, api.runtime.container.lead_queries(), batch_rows=3, read=crashing_after(7)
    )

    started: list[str] = []

    with acting(RequestContext(read_your_writes=True)), pytest.raises(ConnectionError):
        crashing.start(
            UUID(tenant_id),
            "ten.csv",
            content,
            ImportOptions(mapping={"mobile": "mobile"}),
            progress=lambda import_id, *_: started.append(str(import_id)),
        )

    import_id = started[0]
    halfway = api.client.get(f"/api/v1/lead-imports/{import_id}", headers=api.key(token)).json()
    assert (halfway["status"], halfway["applied_through_row"], halfway["rows"]) == (
        "failed",
        7,  # two batches of three rows (rows 2-7) committed; row 8 was read but not applied
        6,
    )
    other_file = api.client.post(
        f"/api/v1/lead-imports/{import_id}/resume",
        json={"content_base64": base64.b64encode(csv_file("mobile", "13800000000")).decode()},
        headers=api.key(token),
    )
    assert other_file.status_code == 422 and other_file.json()["field"] == "file"

    resumed = api.client.post(
        f"/api/v1/lead-imports/{import_id}/resume",
        json={"content_base64": base64.b64encode(content).decode()},
        headers={**api.key(token), **RYW},
    )

    assert resumed.status_code == 200, resumed.text
    assert (resumed.json()["status"], resumed.json()["counts"]["created"]) == ("completed", 10)
    rows = rows_of(api, token, import_id)
    assert [row["row"] for row in rows] == list(range(2, 12))  # each row exactly once
    for mobile in mobiles:
        assert len(leads_with(api, token, mobile=f"+86{mobile}")) == 1, mobile


class LaggingIndex:
    """A read model that has not seen any identity yet."""

    def claimed(self, tenant_id: Any, claim_ids: Any) -> set[Any]:
        return set()


def test_when_the_read_model_lags_the_event_store_decides_and_the_batch_is_redone(
    api: Api,
) -> None:
    tenant_id, token = api.tenant_with_key("marketer")
    headers = {**api.key(token), **RYW}
    known = api.client.post("/api/v1/leads", json={"mobile": "13811113000"}, headers=headers)
    imports = LeadImports(api.runtime.container.leads(), LaggingIndex())

    with acting(RequestContext(read_your_writes=True)):
        details = imports.start(
            UUID(tenant_id),
            "lag.csv",
            csv_file("mobile", "13811113000", "13811113001"),
            ImportOptions(mapping={"mobile": "mobile"}),
        )

    first = details.results[0]
    assert (first.outcome, str(first.lead_id)) == ("duplicate", known.json()["lead"]["id"])
    assert details.counts == {"created": 1, "updated": 0, "duplicate": 1, "rejected": 0}
    assert len(leads_with(api, token, mobile="+8613811113000")) == 1


def test_the_use_case_refuses_an_oversized_file_before_reading_it() -> None:
    imports = LeadImports(None, LaggingIndex(), max_file_bytes=10)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as refused:
        imports.start(uuid4(), "x.csv", b"m\n13800000000\n", ImportOptions(mapping={"m": "mobile"}))
    assert refused.value.field == "file"


# --- the command line --------------------------------------------------------------------


def test_an_operator_imports_a_file_from_the_command_line(
    operator_shell: Settings, tmp_path: Any
) -> None:
    runtime = Runtime(operator_shell).start()
    try:
        with acting(RequestContext(request_id="test-setup")):
            tenant = runtime.container.tenancy().register_tenant(
                RegisterTenant(name="Acme 科技", owner_name="李雷", owner_contact="li@acme.cn")
            )
    finally:
        runtime.close()
    file = tmp_path / "客户.csv"
    file.write_bytes(csv_file("手机,姓名", "13811114000,甲", "13811114001,乙", "999,丙"))

    imported = CliRunner().invoke(
        app,
        [
            *("leads", "import", str(file), "--tenant", str(tenant.id)),
            *("--map", "手机=mobile", "--map", "姓名=name", "--source", "level1=展会"),
        ],
    )

    assert imported.exit_code == 0, imported.output
    assert "2 created, 0 updated, 0 duplicate, 1 rejected" in imported.output
    found = re.search(r"import ([0-9a-f-]{36}) completed", imported.output)
    assert found, imported.output
    runtime = Runtime(operator_shell).start()
    try:
        details = runtime.container.lead_imports().details(tenant.id, UUID(found.group(1)))
        company = LeadScope.whole_company(tenant.id)
        lead = runtime.container.leads().lead(company, details.results[0].lead_id)
        assert (lead.profile["name"], lead.source["level1"]) == ("甲", "展会")
    finally:
        runtime.close()

    unmapped = CliRunner().invoke(app, ["leads", "import", str(file), "--tenant", str(tenant.id)])
    assert unmapped.exit_code != 0 and "--map" in unmapped.output

    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(workbook({SHEET: sheet(repeated(b"<row/>", 200 * 1024 * 1024))}))
    big = tmp_path / "big.csv"
    big.write_bytes(b"mobile\n" + b"13811114002\n" * (6 * 1024 * 1024 // 12))
    for refused_file, rule in [(bomb, "max_expanded_bytes"), (big, "max_file_bytes")]:
        refused = CliRunner().invoke(
            app,
            [
                *("leads", "import", str(refused_file), "--tenant", str(tenant.id)),
                *("--map", "mobile=mobile"),
            ],
        )
        assert refused.exit_code != 0, refused.output
        assert isinstance(refused.exception, SpreadsheetTooLarge), refused.output
        assert refused.exception.rule == rule
