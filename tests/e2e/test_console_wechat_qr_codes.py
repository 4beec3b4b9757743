"""Console pages of parameter QR codes (渠道二维码; TRK-3) on both stores: a marketer makes
a temporary code with a reply and a tag, sees its scans, follows and retention after
fans scan it, changes what a scan does and archives it after a confirmation step; a
form with mistakes names each field and makes nothing; sales read the codes but may not
make, change or archive one."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session
from tests.e2e.wechat_support import bind, event_xml, push
from tests.settling import settle

BASE = "/console/wechat/accounts"
CODES = "/console/wechat/qr-codes"


def _signed_in(api: Api, *roles: str) -> tuple[str, ConsoleSession]:
    _tenant, token = api.tenant_with_key("tenant_admin")
    _employee, email = employee_login(api, token, *(roles or ("marketer",)), name="市场小王")
    return token, open_session(api, email)


def _codes(api: Api, token: str, account: dict[str, Any]) -> list[dict[str, Any]]:
    answer = api.client.get(
        f"/api/v1/wechat/accounts/{account['id']}/qr-codes", headers=api.key(token)
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def _form(**fields: str) -> dict[str, str]:
    return {"name": "2026 展会", "scene": "expo2026", "valid_days": "7", "reply": "欢迎来到展会",
            "tag_id": "101", **fields}  # fmt: skip


def test_make_a_code_see_its_stats_change_its_reply_and_archive_it(api: Api) -> None:
    token, session = _signed_in(api)
    account = bind(api, token, n=701)
    listed_at = f"{BASE}/{account['id']}/qr-codes"
    try:
        empty = session.client.get(listed_at)
        assert empty.status_code == 200 and "还没有渠道二维码" in empty.text
        assert f'href="{listed_at}"' in session.client.get(f"{BASE}/{account['id']}").text

        made = session.post(listed_at, _form())

        assert made.status_code == 303, made.text
        where = made.headers["location"]
        page = session.client.get(where)
        assert page.status_code == 200 and "二维码已生成" in page.text
        assert "expo2026" in page.text and "临时，至" in page.text and "欢迎来到展会" in page.text
        assert "2026 展会" in session.client.get(listed_at).text
        [code] = _codes(api, token, account)
        assert (code["valid_days"], code["tag_id"]) == (7, 101)
        assert code["image_url"] and code["image_url"] in page.text

        now = int(time.time())
        push(api, account, event_xml("oQrA", "subscribe", at=now - 30, key="qrscene_expo2026"))
        push(api, account, event_xml("oQrB", "subscribe", at=now - 20, key="qrscene_expo2026"))
        push(api, account, event_xml("oQrA", "SCAN", at=now - 10, key="expo2026"))
        push(api, account, event_xml("oQrB", "unsubscribe", at=now - 5))
        settle(api.runtime)
        stats = session.client.get(where).text
        assert 'id="stat-scans">3<' in stats and 'id="stat-follows">2<' in stats
        assert 'id="stat-retained">1<' in stats and "尚无数据" in stats  # nobody 7 days in

        bad = session.post(where, {"reply": "新回复", "tag_id": "标签", "version": "1"})
        assert bad.status_code == 422 and 'id="e-tag_id"' in bad.text and "新回复" in bad.text
        revised = session.post(where, {"reply": "展会专属优惠", "tag_id": "", "version": "1"})
        assert revised.status_code == 303, revised.text
        [code] = _codes(api, token, account)
        assert (code["reply"], code["tag_id"]) == ("展会专属优惠", None)

        confirm = session.client.get(f"{where}/archive")
        assert confirm.status_code == 200 and "统计保留" in confirm.text
        archived = session.post(f"{where}/archive", {"version": str(code["version"])})
        assert archived.status_code == 303, archived.text
        after = session.client.get(where).text
        assert "已停用" in after and f'action="{where}"' not in after
        assert 'id="stat-scans">3<' in after  # the counts stay
        again = session.post(f"{where}/archive", {"version": str(code["version"] + 1)})
        assert again.status_code == 409 and 'role="alert"' in again.text
    finally:
        session.close()


def test_a_form_with_mistakes_names_each_field_and_makes_nothing(api: Api) -> None:
    token, session = _signed_in(api)
    account = bind(api, token, n=702)
    subscription = bind(api, token, n=703, kind="subscription")
    listed_at = f"{BASE}/{account['id']}/qr-codes"
    try:
        refused = session.post(listed_at, _form(name="", scene="展会!", tag_id="x"))
        assert refused.status_code == 422
        for name in ("name", "scene", "tag_id"):
            assert f'id="e-{name}"' in refused.text, name
        assert 'value="展会!"' in refused.text  # what was typed stays
        no_days = session.post(listed_at, _form(valid_days=""))
        assert no_days.status_code == 422 and 'id="e-valid_days"' in no_days.text
        too_long = session.post(listed_at, _form(valid_days="31"))
        assert too_long.status_code == 422 and 'id="e-valid_days"' in too_long.text
        assert _codes(api, token, account) == []

        permanent = session.post(listed_at, _form(valid_days="", permanent="1"))
        assert permanent.status_code == 303, permanent.text
        taken = session.post(listed_at, _form(name="重复"))
        assert taken.status_code == 422 and 'id="e-scene"' in taken.text
        assert [c["permanent"] for c in _codes(api, token, account)] == [True]

        page = session.client.get(f"{BASE}/{subscription['id']}/qr-codes")
        assert "订阅号不能生成带参数二维码" in page.text
        refused = session.post(f"{BASE}/{subscription['id']}/qr-codes", _form())
        assert refused.status_code == 409 and 'role="alert"' in refused.text
        assert _codes(api, token, subscription) == []
    finally:
        session.close()


def test_sales_read_the_codes_but_may_not_make_change_or_archive_one(api: Api) -> None:
    token, marketer = _signed_in(api)
    _employee, email = employee_login(api, token, "sales", name="销售小李")
    sales = open_session(api, email)
    account = bind(api, token, n=704)
    listed_at = f"{BASE}/{account['id']}/qr-codes"
    try:
        where = marketer.post(listed_at, _form()).headers["location"]

        listed = sales.client.get(listed_at)
        assert listed.status_code == 200 and "2026 展会" in listed.text
        assert f'action="{listed_at}"' not in listed.text
        page = sales.client.get(where)
        assert page.status_code == 200 and f'action="{where}"' not in page.text
        assert f"{where}/archive" not in page.text
        assert sales.post(listed_at, _form(scene="other")).status_code == 403
        assert sales.post(where, {"reply": "x", "version": "1"}).status_code == 403
        assert sales.client.get(f"{where}/archive").status_code == 403
        assert sales.post(f"{where}/archive", {"version": "1"}).status_code == 403
        [code] = _codes(api, token, account)
        assert (code["reply"], code["archived"]) == ("欢迎来到展会", False)
    finally:
        for session in (marketer, sales):
            session.close()
