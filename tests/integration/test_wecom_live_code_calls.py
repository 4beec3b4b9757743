"""The WeCom adapter's calls that live codes add (WECOM-1), against the local server
answering in WeCom's documented JSON: a "contact me" code's user list replaced (a
single employee's code takes one), a code deleted, a group code's join way made (its
QR image from get_join_way), updated and deleted, and a welcome message with a link,
a mini-program or an image attachment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.wecom.client import WecomClient
from application.shared.errors import InvalidInput
from application.wecom.ports import WecomRefused, WelcomeAttachment
from tests.integration.wecom_server import EPOCH, WecomServer, serving

CORP_ID, SECRET = "ww1234567890abcdef", "contact-secret-of-the-corp"


def _corp() -> WecomServer:
    corp = WecomServer(corp_id=CORP_ID, secret=SECRET)
    corp.departments = [{"id": 1, "name": "总部", "parentid": 0, "order": 1}]
    corp.employees = [
        {"userid": userid, "name": name, "department": [1], "status": 1}
        for userid, name in (("zhangsan", "张三"), ("lisi", "李四"), ("wangwu", "王五"))
    ]
    corp.group_chats = [
        {"chat_id": f"wrLiveCodeGroup{i}", "name": f"会员{i}群", "owner": "zhangsan",
         "create_time": EPOCH, "status": 0, "member_list": []}
        for i in range(6)
    ]  # fmt: skip
    return corp


@pytest.fixture
def corp() -> Iterator[WecomServer]:
    with serving(_corp()) as server:
        yield server


@pytest.fixture
def wecom(corp: WecomServer) -> Iterator[WecomClient]:
    client = WecomClient(CORP_ID, SECRET, base_url=corp.url, timeout=5, backoff=())
    yield client
    client.close()


def test_a_contact_ways_user_list_is_replaced_and_a_single_employees_takes_one(
    wecom: WecomClient, corp: WecomServer
) -> None:
    several = wecom.add_contact_way(["zhangsan", "lisi"], "lcstate", remark="门店")
    wecom.update_contact_way(several.config_id, ["lisi"], "lcstate", remark="门店")
    assert corp.contact_ways[several.config_id]["user"] == ["lisi"]
    assert corp.contact_ways[several.config_id]["state"] == "lcstate"
    body = corp.calls_to("externalcontact/update_contact_way")[0].body
    assert body == {"config_id": several.config_id, "remark": "门店", "skip_verify": True,
                    "state": "lcstate", "user": ["lisi"]}  # fmt: skip
    single = wecom.add_contact_way(["zhangsan"], "one")
    wecom.update_contact_way(single.config_id, ["wangwu"], "one")  # the backup takes over
    assert corp.contact_ways[single.config_id]["user"] == ["wangwu"]
    with pytest.raises(WecomRefused):
        wecom.update_contact_way(single.config_id, ["zhangsan", "lisi"], "one")
    with pytest.raises(InvalidInput):
        wecom.update_contact_way(single.config_id, [], "one")


def test_a_deleted_contact_way_is_gone(wecom: WecomClient, corp: WecomServer) -> None:
    way = wecom.add_contact_way(["zhangsan"], "gone")
    wecom.delete_contact_way(way.config_id)
    assert way.config_id not in corp.contact_ways
    with pytest.raises(WecomRefused):
        wecom.delete_contact_way(way.config_id)


def test_a_group_codes_join_way_is_made_read_for_its_image_updated_and_deleted(
    wecom: WecomClient, corp: WecomServer
) -> None:
    groups = ["wrLiveCodeGroup0", "wrLiveCodeGroup1"]
    way = wecom.add_join_way(groups, "lcgroup", remark="会员群活码", auto_create_room=True,
                             room_base_name="会员群", room_base_id=3)  # fmt: skip
    assert way.qr_code.startswith("https://wework.qpic.cn/wwpic/join/")
    made = corp.calls_to("externalcontact/groupchat/add_join_way")[0].body
    assert made == {"scene": 2, "chat_id_list": groups, "auto_create_room": 1,
                    "remark": "会员群活码", "state": "lcgroup", "room_base_name": "会员群",
                    "room_base_id": 3}  # fmt: skip
    assert corp.calls_to("externalcontact/groupchat/get_join_way")[0].body == {
        "config_id": way.config_id
    }
    wecom.update_join_way(way.config_id, ["wrLiveCodeGroup2"], "lcgroup")
    assert corp.join_ways[way.config_id]["chat_id_list"] == ["wrLiveCodeGroup2"]
    assert corp.join_ways[way.config_id]["auto_create_room"] == 0
    with pytest.raises(InvalidInput):
        wecom.add_join_way([f"wrLiveCodeGroup{i}" for i in range(6)], "x")  # WeCom takes 5
    with pytest.raises(WecomRefused):
        wecom.update_join_way(way.config_id, ["wrNoSuchGroup"], "lcgroup")
    wecom.delete_join_way(way.config_id)
    assert way.config_id not in corp.join_ways


def test_a_welcome_message_carries_a_link_a_mini_program_or_an_image(
    wecom: WecomClient, corp: WecomServer
) -> None:
    corp.welcome_codes = {"CODE1", "CODE2"}
    wecom.send_welcome(
        "CODE1",
        "您好，送您一份新客礼包",
        [
            WelcomeAttachment("link", title="新客礼包", url="https://acme.cn/gift"),
            WelcomeAttachment(
                "miniprogram",
                title="商城",
                appid="wx8bd80126147dfAAA",
                page="/path/index.html",
                media_id="MEDIA_COVER",
            ),
            WelcomeAttachment("image", url="https://wework.qpic.cn/wwpic/1/0"),
        ],
    )
    wecom.send_welcome("CODE2", "", [WelcomeAttachment("image", media_id="MEDIA_1")])
    assert corp.welcomes == [
        {
            "welcome_code": "CODE1",
            "text": {"content": "您好，送您一份新客礼包"},
            "attachments": [
                {"msgtype": "link", "link": {"title": "新客礼包", "url": "https://acme.cn/gift"}},
                {"msgtype": "miniprogram", "miniprogram": {
                    "title": "商城", "pic_media_id": "MEDIA_COVER",
                    "appid": "wx8bd80126147dfAAA", "page": "/path/index.html"}},
                {"msgtype": "image", "image": {"pic_url": "https://wework.qpic.cn/wwpic/1/0"}},
            ],
        },
        {"welcome_code": "CODE2", "attachments": [
            {"msgtype": "image", "image": {"media_id": "MEDIA_1"}}]},
    ]  # fmt: skip
    with pytest.raises(InvalidInput):
        wecom.send_welcome("CODE3", "")
