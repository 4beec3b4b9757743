"""The published contract: the docs UI works offline, every operation is documented by
the conventions, and the docs' own example bodies are accepted by their routes (ADR 0010).

The schemathesis run against the same spec is in `test_openapi_conformance.py`.
"""

from __future__ import annotations

import itertools
import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from entrypoints.http import examples
from entrypoints.http.examples import REQUEST_EXAMPLES
from tests.conftest import Api
from tests.e2e.wechat_support import a_fan_wrote
from tests.settling import settle

WRITES = ("post", "put", "patch", "delete")
ERROR_FIELDS = {"code", "title", "detail", "field"}
# Operations whose example is schema-valid but meets a state its route refuses; the
# answer must be this one (status, code), which the example test checks.
DOCUMENTED_REFUSALS: dict[str, tuple[int, str, str]] = {
    "scheduleEmailTask": (
        422,
        "invalid_input",
        "a task is sent only from a verified sending domain, and verification needs DNS "
        "records the example's world cannot publish",
    ),
    "testSendEmailTask": (422, "invalid_input", "as scheduleEmailTask: the domain is unverified"),
    "resumeLeadImport": (
        409,
        "state_conflict",
        "only a failed or interrupted import resumes (a crash makes one, the API cannot); "
        "the example's import completed",
    ),
}


@pytest.fixture
def spec(api: Api) -> dict[str, Any]:
    answer = api.client.get("/schema/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", *WRITES)
    ]
    assert len(found) > 100
    return found


# --- the docs UI -----------------------------------------------------------------------


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


@pytest.mark.parametrize("page", ["/schema", "/schema/swagger"])
def test_docs_page_loads_only_same_origin_assets(api: Api, page: str) -> None:
    answer = api.client.get(page)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    parser = _Assets()
    parser.feed(answer.text)
    assert len(parser.urls) >= 3, parser.urls  # the script, the preset, the style sheet
    for url in parser.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{page} loads {url} from elsewhere"
        asset = api.client.get(url)
        assert asset.status_code == 200, (url, asset.status_code)
        assert len(asset.content) > 0
    # No script fetches anything from another origin either (a CDN URL in inline code).
    assert not re.search(r"https?://(?!testserver)", answer.text.split("spec:")[0])
    assert "cdn." not in answer.text


def test_swagger_ui_script_is_the_packaged_one(api: Api) -> None:
    answer = api.client.get("/schema/assets/swagger-ui-bundle.js")
    assert answer.status_code == 200
    assert "SwaggerUIBundle" in answer.text
    assert api.client.get("/schema/assets/no-such-file.js").status_code == 404


# --- every operation documented ----------------------------------------------------


def test_every_operation_has_a_unique_summary_and_a_description(spec: dict[str, Any]) -> None:
    summaries: dict[str, str] = {}
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        summary = operation.get("summary", "")
        assert 3 <= len(summary) <= 80, (where, summary)
        assert summary not in summaries, (where, summaries.get(summary), summary)
        summaries[summary] = where
        assert operation.get("description"), where
        assert "Wrap a given callable" not in operation["description"], where


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = spec["components"][section][name]
    return node


def test_errors_are_documented_as_problems(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) >= ERROR_FIELDS
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        statuses = {int(code) for code in operation["responses"]}
        for status in statuses - set(range(200, 300)):
            response = _resolve(spec, operation["responses"][str(status)])
            content = response["content"]
            assert list(content) == ["application/problem+json"], (where, status)
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
        if path.startswith("/api/"):
            assert {401, 403, 429} <= statuses, where
        if "{" in path:
            assert 404 in statuses, where
        if method in WRITES:
            assert 409 in statuses, where
        if "requestBody" in operation:
            assert {413, 422} <= statuses, where
        if 400 in statuses:
            assert method in WRITES, where  # only headers of writes are refused with 400


def _headers(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for parameter in operation.get("parameters", []):
        parameter = _resolve(spec, parameter)
        if parameter["in"] == "header":
            found[parameter["name"]] = parameter
    return found


def test_conventional_headers_are_documented(api: Api, spec: dict[str, Any]) -> None:
    with_if_match = 0
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        headers = _headers(spec, operation)
        assert "X-Request-Id" in headers, where
        for response in operation["responses"].values():
            assert "X-Request-Id" in _resolve(spec, response)["headers"], where
        if path.startswith("/api/") and method in WRITES:
            assert {"Prefer", "X-Reason"} <= set(headers), where
        if path.startswith("/api/") and method == "post":
            assert "Idempotency-Key" in headers, where
        if "428" in operation["responses"]:
            assert headers["If-Match"]["required"] is True, where
            with_if_match += 1
    assert with_if_match >= 10


def test_documented_if_match_is_what_the_route_demands(api: Api, spec: dict[str, Any]) -> None:
    """Every write documented with a required If-Match answers 428 without one; the
    others never do (the documentation is derived, so this checks the derivation)."""
    _documentation_runs_once(api)
    for path, method, operation in operations(spec):
        if method not in WRITES or not path.startswith("/api/"):
            continue
        world = World(api, operation["operationId"])
        url = world.url(path)
        documented = "428" in operation["responses"]
        # The example where 428 is expected (it gets past validation); else an empty body,
        # which changes nothing when refused.
        body = world.fill(REQUEST_EXAMPLES.get(operation["operationId"])) if documented else {}
        if "requestBody" not in operation:
            body = None
        answer = api.client.request(method, url, json=body, headers=world.auth(path))
        assert (answer.status_code == 428) == documented, (
            f"{method.upper()} {path}",
            answer.status_code,
            answer.text,
        )


def test_dict_fields_are_objects_and_commands_refuse_extra_fields(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    create = schemas["CreateLead"]
    for field in ("custom", "source"):
        assert create["properties"][field]["type"] == "object", field
    assert schemas["UploadLeadImport"]["properties"]["mapping"]["type"] == "object"
    for path, method, operation in operations(spec):
        body = operation.get("requestBody")
        if body is None:
            continue
        schema = _resolve(spec, body["content"]["application/json"]["schema"])
        assert schema.get("additionalProperties") is False, (method, path)


def test_the_xlsx_export_is_documented_as_a_spreadsheet(spec: dict[str, Any]) -> None:
    content = spec["paths"]["/api/v1/leads/export"]["get"]["responses"]["200"]["content"]
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert list(content) == [media]
    assert content[media]["schema"] == {"type": "string", "format": "binary"}


def test_405_names_the_allowed_methods(api: Api) -> None:
    answer = api.client.request("PUT", "/api/v1/departments", headers=api.staff())
    assert answer.status_code == 405
    assert set(answer.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert answer.headers["content-type"].startswith("application/problem+json")


# --- the docs' examples are accepted -----------------------------------------------


def test_every_body_has_a_realistic_example(spec: dict[str, Any]) -> None:
    with_body = []
    for _, _, operation in operations(spec):
        if "requestBody" not in operation:
            continue
        with_body.append(operation["operationId"])
        example = operation["requestBody"]["content"]["application/json"].get("example")
        assert example, f"add an example for {operation['operationId']} to examples.py"
    assert set(REQUEST_EXAMPLES) == set(with_body)  # none left over for a removed route
    assert any(
        re.search(r"[\u4e00-\u9fff]", json.dumps(e, ensure_ascii=False))
        for e in REQUEST_EXAMPLES.values()
    )


def test_the_docs_examples_are_accepted_by_their_routes(api: Api, spec: dict[str, Any]) -> None:
    """Each example body sent, as the docs show it, to its route in a tenant of its own
    that holds the records it names: 2xx, or the documented refusal."""
    _documentation_runs_once(api)
    tried, refused = 0, []
    for path, method, operation in operations(spec):
        if method not in ("post", "put", "patch") or "requestBody" not in operation:
            continue
        op_id = operation["operationId"]
        world = World(api, op_id)
        url = world.url(path)
        body = world.fill(operation["requestBody"]["content"]["application/json"]["example"])
        headers = {**world.auth(path), "Prefer": "read-your-writes"}
        if "428" in operation["responses"] or "If-Match" in _headers(spec, operation):
            headers["If-Match"] = world.version_of(url)
        answer = api.client.request(method, url, json=body, headers=headers)
        tried += 1
        if op_id in DOCUMENTED_REFUSALS:
            status, code, _ = DOCUMENTED_REFUSALS[op_id]
            if (answer.status_code, answer.json().get("code")) != (status, code):
                refused.append((op_id, answer.status_code, answer.text))
        elif not 200 <= answer.status_code < 300:
            refused.append((op_id, answer.status_code, answer.text))
    assert not refused, "\n".join(map(str, refused))
    assert tried >= 50


_MOBILES = itertools.count(13_700_000_000)


# Operations whose tenant must have the session archive's edition (scrm_ten_seats).
ARCHIVE_SETUP = {
    "changeArchiveSettings", "generateArchiveKey", "importArchiveKey", "retireArchiveKey",
    "pullArchiveNow",
}  # fmt: skip


class World:
    """A tenant of its own with, made on demand, the records one example names."""

    def __init__(self, api: Api, operation_id: str) -> None:
        self.api = api
        self.operation_id = operation_id
        self.tenant_id, self.token = api.tenant_with_key("tenant_admin")
        self.headers = {**api.key(self.token), "Prefer": "read-your-writes"}
        self.made: dict[str, str] = {}
        if operation_id in ARCHIVE_SETUP:  # the archive's setup needs an edition with it
            from tests.e2e.wecom_support import ensure_scrm

            ensure_scrm(api, self.token)

    def auth(self, path: str) -> dict[str, str]:
        return self.api.staff() if path.startswith("/api/v1/admin") else self.api.key(self.token)

    def post(self, url: str, body: dict[str, Any] | None = None, staff: bool = False) -> Any:
        headers = {**self.api.staff(), "Prefer": "read-your-writes"} if staff else self.headers
        answer = self.api.client.post(url, json=body, headers=headers)
        assert answer.status_code in (200, 201), (url, answer.text)
        return answer.json()

    def get(self, name: str) -> str:
        if name not in self.made:
            self.made[name] = getattr(self, f"make_{name}")()
        return self.made[name]

    def url(self, path: str) -> str:
        return re.sub(r"\{([^}]+)\}", lambda m: quote(self.get(m.group(1)), safe=""), path)

    def fill(self, example: Any) -> Any:
        """The example with its placeholder ids replaced by this world's records."""
        placeholders = {
            examples.EMPLOYEE_ID: "colleague_id",
            examples.DEPARTMENT_ID: "department_id",
            examples.ORDER_ID: "delivered_order_id",
            examples.LEAD_ID: "lead_id",
            examples.DUPLICATE_LEAD_ID: "duplicate_id",
            examples.LEAD_GROUP_ID: "lead_group_id",
            examples.OTHER_LEAD_GROUP_ID: "other_lead_group_id",
            examples.EMAIL_TEMPLATE_ID: "email_template_id",
            examples.SMS_SIGNATURE_ID: "approved_signature_id",
            examples.WECHAT_ACCOUNT_ID: "account_id",
            examples.WECHAT_TEMPLATE_ACCOUNT_ID: "template_account_id",
            examples.WECOM_BACKUP_USERID: "wecom_backup_userid",
            examples.WECOM_HANDOVER_EMPLOYEE_ID: "wecom_handover_employee_id",
            examples.WECOM_TAKEOVER_EMPLOYEE_ID: "wecom_takeover_employee_id",
            examples.ARCHIVE_PRIVATE_KEY: "archive_private_key",
        }
        text = json.dumps(example, ensure_ascii=False)
        for placeholder, name in placeholders.items():
            if placeholder in text:
                text = text.replace(placeholder, self.get(name))
        return json.loads(text)

    def version_of(self, url: str) -> str:
        """The ETag of the record at `url`, or of the nearest resource above it."""
        parts = url.split("/")
        while len(parts) > 3:
            answer = self.api.client.get("/".join(parts), headers=self.auth(url))
            if answer.status_code == 200 and "etag" in answer.headers:
                return str(answer.headers["etag"])
            parts.pop()
        raise AssertionError(f"no ETag above {url}")

    # records, by the name of the path parameter or placeholder they fill

    def make_tenant_id(self) -> str:
        return self.tenant_id

    def make_staff_id(self) -> str:
        body = {
            "email": f"s{next(_MOBILES)}@huoke.test",
            "display_name": "客服",
            "roles": ["support"],
        }
        return str(self.post("/api/v1/admin/staff", body, staff=True)["id"])

    def make_key_id(self) -> str:
        return str(self.post("/api/v1/api-keys", {"name": "同步", "roles": ["marketer"]})["id"])

    def make_branch_id(self) -> str:
        body = {"name": "分公司", "owner_name": "王", "owner_contact": "wang@acme.cn"}
        return str(self.post("/api/v1/branches", body)["id"])

    def make_aggregate_id(self) -> str:
        return self.get("department_id")

    def make_level1(self) -> str:
        self.post("/api/v1/lead-settings/sources", {"level1": "线下", "level2": "展会"})
        return "线下"

    def make_level2(self) -> str:
        self.get("level1")
        return "展会"

    def make_provider(self) -> str:
        return "sandbox"

    def make_department_id(self) -> str:
        return str(self.post("/api/v1/departments", {"name": "华东销售部"})["id"])

    def make_employee_id(self) -> str:
        body = {"name": "王五", "roles": ["sales"]}
        return str(self.post("/api/v1/employees", body)["id"])

    def make_colleague_id(self) -> str:
        body = {"name": "赵六", "roles": ["sales"]}
        return str(self.post("/api/v1/employees", body)["id"])

    def make_lead_id(self) -> str:
        if self.operation_id in ("mergeDuplicateCase",):
            return self.case()[1][0]
        body: dict[str, Any] = {"mobile": str(next(_MOBILES)), "name": "张三"}
        if self.operation_id in ("followUpLead", "releaseLead"):  # an owned lead
            body["owner_id"] = self.get("employee_id")
        return str(self.post("/api/v1/leads", body)["lead"]["id"])

    def make_duplicate_id(self) -> str:
        if self.operation_id in ("deleteDuplicateLead",):
            return self.case()[1][1]
        body = {"mobile": str(next(_MOBILES)), "name": "张三"}
        return str(self.post("/api/v1/leads", body)["lead"]["id"])

    def case(self) -> tuple[str, list[str]]:
        if "case" not in self.made:
            ids = []
            for _ in range(2):
                twin = {"mobile": str(next(_MOBILES)), "name": "王五", "company": "火客科技"}
                ids.append(str(self.post("/api/v1/leads", twin)["lead"]["id"]))
            assert self.post("/api/v1/lead-duplicates/scan")["opened"] == 1
            cases = self.api.client.get("/api/v1/lead-duplicates", headers=self.headers)
            self.made["case"] = json.dumps([cases.json()["items"][0]["id"], ids])
        case_id, ids = json.loads(self.made["case"])
        return case_id, ids

    def make_case_id(self) -> str:
        return self.case()[0]

    def make_import_id(self) -> str:
        body = {
            "file_name": "one.csv",
            "content_base64": examples.SAMPLE_CSV,
            "mapping": {"手机": "mobile"},
        }
        return str(self.post("/api/v1/lead-imports", body)["id"])

    def make_order_id(self) -> str:
        body = {"kind": "new", "edition": "qs_micro_entry"}
        return str(self.post("/api/v1/orders", body)["id"])

    def make_delivered_order_id(self) -> str:
        order_id = self.make_order_id()
        self.post(f"/api/v1/admin/orders/{order_id}/confirm-payment", staff=True)
        return order_id

    def make_refund_id(self) -> str:
        body = {"order_id": self.get("delivered_order_id"), "reason": "testing"}
        return str(self.post("/api/v1/refunds", body)["id"])

    def make_subscription_id(self) -> str:
        self.get("delivered_order_id")
        answer = self.api.client.get("/api/v1/subscription", headers=self.headers)
        return str(answer.json()["subscriptions"][0]["id"])

    def make_field_key(self) -> str:
        self.post("/api/v1/lead-settings/custom-fields", REQUEST_EXAMPLES["defineCustomField"])
        return str(REQUEST_EXAMPLES["defineCustomField"]["key"])

    def make_status_key(self) -> str:
        self.post("/api/v1/lead-settings/statuses", REQUEST_EXAMPLES["addLeadStatus"])
        return str(REQUEST_EXAMPLES["addLeadStatus"]["key"])

    def make_group_id(self) -> str:
        answer = self.post("/api/v1/lead-settings/tag-groups", {"name": "行业"})
        return str(next(g["id"] for g in answer["tag_groups"] if g["name"] == "行业"))

    def make_tag(self) -> str:
        body = {"name": "制造业", "group_id": self.get("group_id")}
        self.post("/api/v1/lead-settings/tags", body)
        return "制造业"

    def make_user_type(self) -> str:
        self.post("/api/v1/lead-settings/user-types", REQUEST_EXAMPLES["addUserType"])
        return str(REQUEST_EXAMPLES["addUserType"]["key"])

    def make_channel(self) -> str:
        return "官网"

    def make_source_id(self) -> str:
        return str(self.post("/api/v1/tracking/sources", {"name": "官网", "kind": "website"})["id"])

    def make_lead_group_id(self) -> str:
        return str(self.post("/api/v1/groups", {"name": "春季展会名单"})["id"])

    def make_other_lead_group_id(self) -> str:
        return str(self.post("/api/v1/groups", {"name": "展会补录"})["id"])

    def make_saved_search_id(self) -> str:
        body = REQUEST_EXAMPLES["saveSearch"]
        return str(self.post("/api/v1/saved-searches", body)["id"])

    def make_link_id(self) -> str:
        return str(
            self.post("/api/v1/tracking/links", REQUEST_EXAMPLES["createPromotionLink"])["id"]
        )

    def make_sending_domain_id(self) -> str:
        return str(self.post("/api/v1/sending-domains", {"domain": "mail.acme.cn"})["id"])

    def make_email_template_id(self) -> str:
        return str(
            self.post("/api/v1/email-templates", REQUEST_EXAMPLES["createEmailTemplate"])["id"]
        )

    def make_email_task_id(self) -> str:
        body = self.fill(REQUEST_EXAMPLES["draftEmailTask"])
        return str(self.post("/api/v1/email-tasks", body)["id"])

    def make_sms_signature_id(self) -> str:
        """A signature waiting for review."""
        return str(
            self.post("/api/v1/sms/signatures", REQUEST_EXAMPLES["submitSmsSignature"])["id"]
        )

    def make_approved_signature_id(self) -> str:
        signature = self.post("/api/v1/sms/signatures", {"text": "获客云"})
        answer = self.api.client.post(
            f"/api/v1/sms/signatures/{signature['id']}/approve",
            headers={**self.headers, "If-Match": f'"{signature["version"]}"'},
        )
        assert answer.status_code == 200, answer.text
        return str(signature["id"])

    def make_sms_task_id(self) -> str:
        task = self.post("/api/v1/sms/tasks", self.fill(REQUEST_EXAMPLES["draftSmsTask"]))
        if self.operation_id == "rejectSmsTask":  # only a task under review is rejected
            answer = self.api.client.post(
                f"/api/v1/sms/tasks/{task['id']}/submit",
                json={"send_at": None},
                headers={**self.headers, "If-Match": f'"{task["version"]}"'},
            )
            assert answer.status_code == 200, answer.text
        return str(task["id"])

    def make_account_id(self) -> str:
        return str(
            self.post("/api/v1/wechat/accounts", REQUEST_EXAMPLES["bindWechatAccount"])["id"]
        )

    def make_openid(self) -> str:
        openid = a_fan_wrote(self.api, self.tenant_id, self.get("account_id"))
        settle(self.api.runtime)  # the fan directory has them before a route asks
        return openid

    def make_word_list_id(self) -> str:
        body = REQUEST_EXAMPLES["makeArchiveWordList"]
        return str(self.post("/api/v1/archive/word-lists", body)["id"])

    def make_qr_code_id(self) -> str:
        url = f"/api/v1/wechat/accounts/{self.get('account_id')}/qr-codes"
        return str(self.post(url, REQUEST_EXAMPLES["makeWechatQrCode"])["id"])

    def make_mass_send_id(self) -> str:
        body = {**REQUEST_EXAMPLES["draftWechatMassSend"], "account_id": self.get("account_id")}
        return str(self.post("/api/v1/wechat/mass-sends", body)["id"])

    def make_template_account_id(self) -> str:
        """An account holding the template the template-send example names."""
        account = self.get("account_id")
        url = f"/api/v1/wechat/accounts/{account}/templates"
        version = self.api.client.get(
            f"/api/v1/wechat/accounts/{account}", headers=self.headers
        ).headers["etag"]
        answer = self.api.client.post(
            url,
            json=REQUEST_EXAMPLES["addWechatTemplate"],
            headers={**self.headers, "If-Match": version},
        )
        assert answer.status_code == 200, answer.text
        return account

    def make_template_send_id(self) -> str:
        body = {
            **REQUEST_EXAMPLES["sendWechatTemplate"],
            "account_id": self.get("template_account_id"),
        }
        answer = self.api.client.post(
            "/api/v1/wechat/template-sends", json=body, headers=self.headers
        )
        assert answer.status_code == 202, answer.text
        return str(answer.json()["id"])

    def make_corp_id(self) -> str:
        return str(self.post("/api/v1/wecom/corps", REQUEST_EXAMPLES["bindWecomCorp"])["id"])

    def make_userid(self) -> str:
        from tests.e2e.wecom_support import a_member

        return a_member(self.api, self.tenant_id)

    def make_external_userid(self) -> str:
        from tests.e2e.wecom_support import a_customer_added

        self.get("corp_id")
        external = a_customer_added(self.api, self.tenant_id, "ww0a1b2c3d4e5f6a7b", "LiNa")
        settle(self.api.runtime)  # the customer directory has them before a route asks
        return external

    def make_live_code_id(self) -> str:
        self.get("wecom_department_id")  # the SCRM plan, the corp and its contacts
        body = REQUEST_EXAMPLES["makeWecomLiveCode"]
        return str(self.post("/api/v1/wecom/live-codes", body)["id"])

    def make_wecom_mass_send_id(self) -> str:
        return str(
            self.post("/api/v1/wecom/mass-sends", REQUEST_EXAMPLES["draftWecomMassSend"])["id"]
        )

    def make_follow_up_id(self) -> str:
        return str(
            self.post("/api/v1/wecom/follow-ups", REQUEST_EXAMPLES["assignWecomFollowUp"])["id"]
        )

    def make_material_id(self) -> str:
        body = REQUEST_EXAMPLES["addWecomSidebarMaterial"]
        return str(self.post("/api/v1/wecom/sidebar-materials", body)["id"])

    def make_transfer_id(self) -> str:
        from tests.e2e.wecom_transfer_support import start_body

        body = start_body(self.get("wecom_handover_employee_id"),
                          self.get("wecom_takeover_employee_id"))  # fmt: skip
        return str(self.post("/api/v1/wecom/transfers", body)["id"])

    def make_wecom_handover_employee_id(self) -> str:
        """ZhangWei's employee with a WeCom customer (the sandbox corp bound and synced)."""
        from tests.e2e.wecom_transfer_support import transfer_ready

        self.get("wecom_department_id")  # the SCRM plan, the corp and its contacts
        handover, takeover = transfer_ready(self.api, self.token, self.tenant_id)
        self.made["wecom_takeover_employee_id"] = takeover
        return handover

    def make_wecom_takeover_employee_id(self) -> str:
        self.get("wecom_handover_employee_id")
        return self.made["wecom_takeover_employee_id"]

    def make_wecom_backup_userid(self) -> str:
        self.get("wecom_department_id")  # the SCRM plan, the corp and its contacts
        return examples.WECOM_BACKUP_USERID

    def make_wecom_department_id(self) -> str:
        from tests.e2e.wecom_support import ensure_scrm

        ensure_scrm(self.api, self.token)
        self.post(f"/api/v1/wecom/corps/{self.get('corp_id')}/contacts/sync")
        return "2"  # the sandbox corp's 销售部

    def make_archive_private_key(self) -> str:
        """A real private key, escaped for the example's JSON text it is put into."""
        from adapters.archive.decryption import RsaKeyMaker

        return json.dumps(RsaKeyMaker().generate().private_key_pem)[1:-1]

    def make_publickey_ver(self) -> str:
        """An archive key version not in use (a newer one is), so it can be retired."""
        from tests.e2e.wecom_support import ensure_scrm

        ensure_scrm(self.api, self.token)
        for version in (7, 8):
            self.post("/api/v1/archive/settings/keys", {"publickey_ver": version})
        return "7"

    def make_flow_id(self) -> str:
        """An enabled flow (disabling needs one)."""
        flow = self.post("/api/v1/flows", REQUEST_EXAMPLES["draftFlow"])
        answer = self.api.client.post(
            f"/api/v1/flows/{flow['flow_id']}/enable",
            headers={**self.headers, "If-Match": f'"{flow["version"]}"'},
        )
        assert answer.status_code == 200, answer.text
        return str(flow["flow_id"])

    def make_campaign_id(self) -> str:
        """A planned reach campaign whose content is complete (scheduling needs one)."""
        body = self.fill(REQUEST_EXAMPLES["planReachCampaign"])
        return str(self.post("/api/v1/reach-campaigns", body)["campaign_id"])

    def make_rule_id(self) -> str:
        return str(self.post("/api/v1/scoring/rules", REQUEST_EXAMPLES["createScoreRule"])["id"])


def _documentation_runs_once(api: Api) -> None:
    # The documentation is the same for both stores and the routes' behaviour on
    # PostgreSQL is walked by the isolation and bad-input suites: one store is enough
    # for these two walks over every operation (about 25 s each).
    if api.runtime.settings.database_url:
        pytest.skip("the documentation does not depend on the backend: run on the embedded one")
