"""The WeCom corp's rules (WECOM-1…5, WECOM-8): one corp per tenant, keys WeCom would
issue (each refusal naming its field), a rebinding only after an unbinding and at a new
callback URL, departments recorded only when they change; a member's sync records only
changes, leaving the visible range once, and a link made by hand."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.shared.errors import InvalidValue, StateConflict
from domain.wecom.corp import CallbackAddress, WecomCorp, callback_address_id, corp_id_for
from domain.wecom.member import WecomMember, member_id_for

TENANT = uuid.uuid4()
KEYS = {
    "agentid": 1000002,
    "app_secret": "Kx3cS9-aV2mP7qL0wE5rT8yU1iO4pA6sD_fG3hJ9kL2",
    "callback_token": "QDG6eK",
    "encoding_aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
}


def corp(**overrides: object) -> WecomCorp:
    fields: dict[str, object] = {
        "tenant_id": TENANT,
        "name": "火客科技",
        "corpid": "ww1234567890abcdef",
        "callback_key": "cb-0123456789abcdef",
        **KEYS,
        **overrides,
    }
    return WecomCorp.bind(**fields)  # type: ignore[arg-type]


def test_a_tenant_has_one_corp_record_whatever_corp_it_binds() -> None:
    assert corp().id == corp(corpid="wwffffffffffffffff").id == corp_id_for(TENANT)
    assert corp_id_for(uuid.uuid4()) != corp_id_for(TENANT)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("corpid", "ww123"),
        ("corpid", "xx1234567890abcdef"),
        ("agentid", 0),
        ("agentid", True),
        ("app_secret", "short"),
        ("app_secret", "has spaces in it and is long enough"),
        ("callback_token", ""),
        ("callback_token", "t" * 33),
        ("encoding_aes_key", "a" * 42),
        ("encoding_aes_key", "a" * 42 + "!"),
        ("name", " "),
        ("callback_key", "short"),
    ],
)
def test_a_key_wecom_would_not_issue_is_refused_naming_its_field(field: str, value: object) -> None:
    with pytest.raises(InvalidValue) as refused:
        corp(**{field: value})
    assert refused.value.field == field


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
               min_size=43, max_size=43))  # fmt: skip
def test_every_43_character_base64_aes_key_is_taken(key: str) -> None:
    assert corp(encoding_aes_key=key).encoding_aes_key == key


def test_keys_change_while_bound_and_an_unchanged_set_records_nothing() -> None:
    bound = corp()
    bound.collect_events()
    bound.change_keys(**KEYS)
    assert bound.collect_events() == []
    bound.change_keys(**{**KEYS, "app_secret": "N" * 43})
    assert [type(e).__name__ for e in bound.collect_events()] == ["KeysChanged"]
    assert bound.app_secret == "N" * 43 and bound.callback_key == "cb-0123456789abcdef"


def test_an_unbound_corp_takes_no_change_and_is_bound_again_at_a_new_url() -> None:
    bound = corp()
    bound.unbind()
    with pytest.raises(StateConflict):
        bound.change_keys(**KEYS)
    with pytest.raises(StateConflict):
        bound.unbind()
    rebinding = {"name": "新企业", "corpid": "wwabcdefabcdefabcd", **KEYS}
    with pytest.raises(StateConflict, match="new callback key"):
        bound.rebind(**rebinding, callback_key="cb-0123456789abcdef")
    bound.rebind(**rebinding, callback_key="cb-fedcba9876543210")
    assert not bound.unbound and bound.corpid == "wwabcdefabcdefabcd"
    with pytest.raises(StateConflict, match="bound already"):
        bound.rebind(**rebinding, callback_key="cb-000000000000000000")


def test_departments_are_recorded_when_they_change_only() -> None:
    bound = corp()
    departments = [{"id": 2, "name": "销售部", "parent_id": 1}, {"id": 1, "name": "火客"}]
    assert bound.record_departments(departments) is True
    assert [d["id"] for d in bound.departments] == [1, 2]
    assert bound.record_departments(list(reversed(departments))) is False
    with pytest.raises(InvalidValue):
        bound.record_departments([{"id": 1}, {"id": 1}])


def test_a_callback_key_indexes_one_tenants_corp() -> None:
    address = CallbackAddress.claim(
        tenant_id=TENANT, corp_id=corp_id_for(TENANT), callback_key="cb-0123456789abcdef"
    )
    assert address.id == callback_address_id("cb-0123456789abcdef")
    assert address.corp_id == corp_id_for(TENANT)


def member() -> WecomMember:
    return WecomMember.found(
        tenant_id=TENANT,
        userid="ZhangWei",
        name="张伟",
        department_ids=[2, 1, 2],
        mobile="13800138000",
        email="ZW@acme.cn",
        status=1,
    )


def test_a_member_sync_records_changes_only_and_leaving_the_range_once() -> None:
    found = member()
    assert found.id == member_id_for(TENANT, "ZhangWei")
    assert found.department_ids == [1, 2] and found.email == "zw@acme.cn"
    same = {"name": "张伟", "department_ids": [1, 2], "mobile": "13800138000",
            "email": "zw@acme.cn", "status": 1}  # fmt: skip
    assert found.sync(**same) is False  # type: ignore[arg-type]
    assert found.leave_range() is True and found.leave_range() is False
    assert found.sync(**same) is True  # type: ignore[arg-type]  # back in range
    assert found.in_visible_range
    with pytest.raises(InvalidValue) as refused:
        found.sync(**{**same, "status": 3})  # type: ignore[arg-type]
    assert refused.value.field == "status"


def test_a_link_by_hand_is_kept_and_unlinking_is_a_link_to_nobody() -> None:
    found = member()
    employee = uuid.uuid4()
    found.link(employee)
    found.link(employee)
    found.link(None)
    names = [type(e).__name__ for e in found.collect_events()]
    assert names == ["Found", "Linked", "Linked"]
    assert found.employee_id is None and found.linked_by_hand
