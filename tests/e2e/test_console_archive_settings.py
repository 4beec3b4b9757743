"""The archive's setup page in the console on both stores (ARCH-1): a tenant admin
generates a key pair and sees the public key to copy with its version, saves the corp
and the Secret with the archive switched on, pulls now and sees the counts; a corp id
that is no WeCom corp and a version already kept are named on their fields and change
nothing; a newer key takes over and the older one is retired, the one in use refused;
an auditor sees the page without its forms; a marketer gets 403; an edition without
the archive shows why nothing can be changed."""

from __future__ import annotations

import re

from adapters.archive.sandbox import fixture_messages
from tests.conftest import Api
from tests.e2e.console_support import ConsoleSession, employee_login, open_session
from tests.e2e.test_archive_reading_routes import paid

PAGE = "/console/archive/settings"


def _person(api: Api, token: str, role: str) -> ConsoleSession:
    _employee, email = employee_login(api, token, role, name="合规小王")
    return open_session(api, email)


def _version(html: str, form: str) -> str:
    found = re.search(rf'id="{form}".*?name="version" value="(\d+)"', html, re.S)
    assert found, form
    return found.group(1)


def test_set_up_the_archive_and_pull_in_the_console(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    paid(api, token, "scrm_ten_seats")
    session = _person(api, token, "tenant_admin")
    try:
        empty = session.client.get(PAGE)
        assert empty.status_code == 200 and 'id="no-key"' in empty.text
        assert "会话存档设置" in empty.text and 'id="pull-now"' not in empty.text

        made = session.post(
            f"{PAGE}/keys",
            {"publickey_ver": "1", "version": _version(empty.text, "generate-key")},
        )
        assert made.status_code == 303, made.text
        shown = session.client.get(PAGE)
        assert "已生成密钥（版本 1）" in shown.text
        public = re.search(r'id="public-key"[^>]*>([^<]+)</textarea>', shown.text)
        assert public and public.group(1).startswith("-----BEGIN PUBLIC KEY-----")
        assert "版本号填写 1" in shown.text and "PRIVATE" not in shown.text

        twice = session.post(
            f"{PAGE}/keys",
            {"publickey_ver": "1", "version": _version(shown.text, "generate-key")},
        )
        assert twice.status_code == 409 and 'id="e-publickey_ver"' in twice.text
        wrong = session.post(
            f"{PAGE}/source",
            {"corpid": "not-a-corp", "sdk_secret": "x" * 43, "enabled": "1",
             "version": _version(shown.text, "source-form")},
        )  # fmt: skip
        assert wrong.status_code == 422 and 'id="e-corpid"' in wrong.text
        assert 'value="not-a-corp"' in wrong.text and "x" * 43 not in wrong.text

        saved = session.post(
            f"{PAGE}/source",
            {"corpid": "ww0123456789abcdef", "sdk_secret": "x" * 43, "enabled": "1",
             "version": _version(shown.text, "source-form")},
        )  # fmt: skip
        assert saved.status_code == 303, saved.text
        enabled = session.client.get(PAGE)
        assert "已保存，会话存档已开启" in enabled.text and 'id="pull-now"' in enabled.text
        assert "（已保存，留空不变）" in enabled.text

        pulled = session.post(f"{PAGE}/pull")
        assert pulled.status_code == 303, pulled.text
        counted = session.client.get(PAGE)
        total = len(fixture_messages())
        assert f"已拉取 {total} 条，新存档 {total} 条，无法解密 0 条" in counted.text
        assert re.search(rf'id="stored-count">{total}<', counted.text)
        assert re.search(rf'id="cursor-seq"><code>{fixture_messages()[-1][0]}<', counted.text)

        newer = session.post(
            f"{PAGE}/keys", {"publickey_ver": "2", "version": _version(counted.text, "source-form")}
        )
        assert newer.status_code == 303, newer.text
        shown = session.client.get(PAGE)
        assert "公钥（版本 2，使用中）" in shown.text and "停用版本 1" in shown.text
        version = re.search(r'name="version" value="(\d+)"', shown.text)
        assert version
        in_use = session.post(f"{PAGE}/keys/2/retire", {"version": version.group(1)})
        assert in_use.status_code == 409 and "使用中的密钥版本不能停用" in in_use.text
        retired = session.post(f"{PAGE}/keys/1/retire", {"version": version.group(1)})
        assert retired.status_code == 303, retired.text
        shown = session.client.get(PAGE)
        assert "已停用密钥版本 1" in shown.text and "已停用的版本：1" in shown.text
        assert session.post(f"{PAGE}/keys/7/retire", {"version": "1"}).status_code == 404
    finally:
        session.close()


def test_who_sees_what(api: Api) -> None:
    _tenant, token = api.tenant_with_key("tenant_admin")
    bare = _person(api, token, "tenant_admin")
    try:
        page = bare.client.get(PAGE)
        assert page.status_code == 200 and 'id="edition-notice"' in page.text
        assert 'id="generate-key"' not in page.text
    finally:
        bare.close()
    paid(api, token, "scrm_ten_seats")
    auditor = _person(api, token, "auditor")
    marketer = _person(api, token, "marketer")
    try:
        read = auditor.client.get(PAGE)
        assert read.status_code == 200 and 'id="stored-count"' in read.text
        assert 'id="generate-key"' not in read.text and 'id="source-form"' not in read.text
        assert auditor.post(f"{PAGE}/pull").status_code == 403
        assert marketer.client.get(PAGE).status_code == 403
    finally:
        auditor.close()
        marketer.close()
