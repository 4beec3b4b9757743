"""The WeChat API adapter (wechatpy's client) against a local server speaking WeChat's
JSON, with its token cache on SQLite and on PostgreSQL (WX-1, item 9): the token is
fetched once for all callers (threads and "processes" sharing the table), refreshed
once when WeChat calls it expired, 45009 is waited out within bounds, other errcodes
are refusals, each call sends WeChat's documented body and its answer is parsed; the
sandbox records what it would send."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from eventsourcing.postgres import PostgresDatastore

from adapters.wechat.access_tokens import (
    SQLITE_FILE,
    AccessTokenCache,
    postgres_access_tokens,
    sqlite_access_tokens,
)
from adapters.wechat.api import WechatBusy, WechatpyApi
from adapters.wechat.sandbox import SandboxWechatApi
from application.shared.errors import ProviderUnavailable
from application.wechat.ports import (
    AccountKeys,
    FanProfile,
    Material,
    OutgoingMessage,
    WechatRefused,
)
from tests.conftest import TEST_CIPHER_KEY
from tests.integration.wechat_standin import WechatStandIn, serving

APPID, SECRET = "wx1234567890abcdef", "s3cret-of-the-account"
TEXT = OutgoingMessage("text", text="你好，欢迎关注")
START = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


class Clock:
    """Now, as the test moves it."""

    def __init__(self) -> None:
        self.moment = START

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def stand_in() -> Iterator[WechatStandIn]:
    with serving(WechatStandIn(accounts={APPID: SECRET})) as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgres"])
def new_cache(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> Iterator[Callable[[], AccessTokenCache]]:
    """Makes token caches over one table, each as a process of its own would have it
    (SQLite: its own connection to the file; PostgreSQL: its own pool)."""
    made: list[AccessTokenCache] = []
    pools: list[PostgresDatastore] = []

    def make() -> AccessTokenCache:
        if request.param == "sqlite":
            cache = sqlite_access_tokens(tmp_path, TEST_CIPHER_KEY, clock=clock)
        else:
            parts = urlsplit(request.getfixturevalue("postgres_url"))
            datastore = PostgresDatastore(
                dbname=parts.path.lstrip("/"),
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 5432,
                user=parts.username or "postgres",
                password=parts.password or "",
                pool_size=8,
            )
            pools.append(datastore)
            cache = postgres_access_tokens(
                datastore, TEST_CIPHER_KEY, create_tables=True, clock=clock
            )
        made.append(cache)
        return cache

    yield make
    for cache in made:
        cache.close()
    for pool in pools:
        pool.close()


@pytest.fixture
def keys() -> AccountKeys:
    return AccountKeys(uuid.uuid4(), APPID, SECRET)  # a new account: tests share the table


def _api(cache: AccessTokenCache, stand_in: WechatStandIn, **options: Any) -> WechatpyApi:
    return WechatpyApi(cache, base_url=stand_in.url, timeout=5, **options)


def _at_once(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run `work(i)` on `count` threads released together; the errors they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


# --- (1) one refresh for everyone ----------------------------------------------------------


def test_50_concurrent_calls_with_an_expired_token_trigger_one_refresh(
    new_cache: Callable[[], AccessTokenCache],
    stand_in: WechatStandIn,
    clock: Clock,
    keys: AccountKeys,
) -> None:
    api = _api(new_cache(), stand_in)
    api.send_customer_message(keys, "o-first", TEXT)
    assert stand_in.token_requests == 1
    # Two hours on: the cached token has lapsed, and WeChat says so too.
    clock.moment += timedelta(hours=2)
    stand_in.expire_all(42001)
    stand_in.token_delay = 0.3  # the refresh is slow enough for all 50 to be waiting

    errors = _at_once(50, lambda i: api.send_customer_message(keys, f"o-{i}", TEXT))

    assert errors == []
    assert stand_in.token_requests == 2
    sent = stand_in.calls_to("message/custom/send")
    assert len(sent) == 51
    fresh = stand_in.issued()[-1]
    assert {c.query["access_token"] for c in sent[1:]} == {fresh}


def test_two_processes_sharing_the_table_fetch_the_token_once(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    first, second = _api(new_cache(), stand_in), _api(new_cache(), stand_in)
    stand_in.token_delay = 0.3

    errors = _at_once(
        20, lambda i: (first if i % 2 else second).send_customer_message(keys, f"o-{i}", TEXT)
    )

    assert errors == []
    assert stand_in.token_requests == 1
    assert len(stand_in.calls_to("message/custom/send")) == 20


def test_a_token_is_refreshed_five_minutes_before_it_expires(
    new_cache: Callable[[], AccessTokenCache],
    stand_in: WechatStandIn,
    clock: Clock,
    keys: AccountKeys,
) -> None:
    api = _api(new_cache(), stand_in)
    api.tag_fans(keys, 1, ["o-1"])
    clock.moment += timedelta(seconds=7200 - 301)
    api.tag_fans(keys, 1, ["o-1"])
    assert stand_in.token_requests == 1  # still 5 min 1 s to go
    clock.moment += timedelta(seconds=2)
    api.tag_fans(keys, 1, ["o-1"])
    assert stand_in.token_requests == 2


def test_the_cached_token_is_stored_encrypted(
    tmp_path: Path, stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    cache = sqlite_access_tokens(tmp_path, TEST_CIPHER_KEY)
    _api(cache, stand_in).tag_fans(keys, 1, ["o-1"])
    token = stand_in.issued()[0]
    with sqlite3.connect(tmp_path / SQLITE_FILE) as db:
        (stored,) = db.execute("SELECT token FROM wechat_access_tokens").fetchone()
    assert token not in stored
    cached = cache.cached(keys.account_id)
    assert cached is not None and cached.token == token
    cache.close()


# --- (2) WeChat calls the token invalid mid-life -------------------------------------------


@pytest.mark.parametrize("errcode", [40001, 42001])
def test_a_token_refused_mid_life_is_refreshed_once_and_the_call_succeeds(
    new_cache: Callable[[], AccessTokenCache],
    stand_in: WechatStandIn,
    keys: AccountKeys,
    errcode: int,
) -> None:
    api = _api(new_cache(), stand_in)
    api.send_customer_message(keys, "o-1", TEXT)
    stand_in.expire(stand_in.issued()[0], errcode)  # another party fetched a new one
    stand_in.token_delay = 0.2

    errors = _at_once(20, lambda i: api.send_customer_message(keys, f"o-{i}", TEXT))

    assert errors == []
    assert stand_in.token_requests == 2
    assert len(stand_in.calls_to("message/custom/send")) == 21


def test_a_refreshed_token_refused_again_is_not_retried_without_end(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    api = _api(new_cache(), stand_in)
    stand_in.failures["menu/create"] = (40001, "invalid credential")
    with pytest.raises(WechatRefused) as refused:
        api.publish_menu(keys, [{"type": "click", "name": "A", "key": "a"}])
    assert refused.value.errcode == 40001
    assert stand_in.token_requests == 2
    assert len(stand_in.calls_to("menu/create")) == 2


# --- (3) rate limits -----------------------------------------------------------------------


def test_45009_twice_is_waited_out(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    waited: list[float] = []
    api = _api(new_cache(), stand_in, busy_delays=(0.01, 0.02, 0.03), sleep=waited.append)
    stand_in.busy = 2
    assert api.send_template(keys, "o-1", "tpl", {"first": "hi"}).isdigit()
    assert waited == [0.01, 0.02]
    assert len(stand_in.calls_to("message/template/send")) == 1


def test_a_refresh_the_token_endpoint_answers_45009_to_is_waited_out(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    waited: list[float] = []
    api = _api(new_cache(), stand_in, busy_delays=(0.01, 0.02, 0.03), sleep=waited.append)
    api.send_customer_message(keys, "o-1", TEXT)
    stand_in.expire(stand_in.issued()[0])
    stand_in.token_busy = 1  # the refresh itself is refused once for the rate limit

    api.send_customer_message(keys, "o-2", TEXT)

    assert waited == [0.01]
    assert stand_in.token_requests == 3  # the first token, the busy refresh, its retry
    assert len(stand_in.calls_to("message/custom/send")) == 2


def test_45009_that_does_not_end_raises_after_the_bounded_retries(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    api = _api(new_cache(), stand_in, busy_delays=(0.001, 0.001, 0.001), sleep=time.sleep)
    stand_in.busy = 1000
    with pytest.raises(WechatBusy) as busy:
        api.mass_send(keys, ["o-1", "o-2"], TEXT)
    assert isinstance(busy.value, ProviderUnavailable)
    assert busy.value.errcode == 45009
    assert stand_in.busy == 1000 - 4  # the first try and three retries
    assert stand_in.calls_to("message/mass/send") == []


# --- (4) refusals and failures -------------------------------------------------------------


def test_another_errcode_is_a_refusal_with_wechats_code_and_message(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    api = _api(new_cache(), stand_in, sleep=lambda _: pytest.fail("a refusal is not retried"))
    stand_in.failures["message/template/send"] = (40037, "invalid template_id")
    with pytest.raises(WechatRefused) as refused:
        api.send_template(keys, "o-1", "nope", {"first": "hi"})
    assert (refused.value.errcode, refused.value.errmsg) == (40037, "invalid template_id")
    assert len(stand_in.calls_to("message/template/send")) == 1


def test_a_wrong_secret_is_refused_and_nothing_is_cached(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn
) -> None:
    cache = new_cache()
    keys = AccountKeys(uuid.uuid4(), APPID, "not-the-secret")
    with pytest.raises(WechatRefused) as refused:
        _api(cache, stand_in).followers(keys)
    assert refused.value.errcode == 40125
    assert cache.cached(keys.account_id) is None
    assert stand_in.calls == []


def test_wechat_out_of_reach_is_provider_unavailable(
    new_cache: Callable[[], AccessTokenCache], keys: AccountKeys
) -> None:
    api = WechatpyApi(new_cache(), base_url="http://127.0.0.1:9/cgi-bin/", timeout=2)
    with pytest.raises(ProviderUnavailable) as failed:
        api.followers(keys)
    assert not isinstance(failed.value, WechatRefused)


# --- (5) WeChat's bodies and answers -------------------------------------------------------


def test_each_call_sends_wechats_documented_body(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    api = _api(new_cache(), stand_in)
    api.send_customer_message(keys, "o-1", TEXT)
    api.send_customer_message(keys, "o-1", OutgoingMessage("image", media_id="m-img"))
    api.send_customer_message(keys, "o-1", OutgoingMessage("mpnews", media_id="m-news"))
    msg_id = api.mass_send(keys, ["o-1", "o-2"], TEXT)
    api.mass_send(keys, ["o-1", "o-2"], OutgoingMessage("news", media_id="m-news"))
    api.mass_preview(keys, "o-1", OutgoingMessage("video", media_id="m-vid"))
    msgid = api.send_template(
        keys, "o-1", "tpl-1", {"first": "您好", "keyword1": "订单 42"}, url="https://acme.cn/l"
    )
    api.send_template(keys, "o-2", "tpl-1", {"first": "x"})
    api.publish_menu(keys, [{"type": "view", "name": "官网", "url": "https://acme.cn/"}])
    api.tag_fans(keys, 134, ["o-1", "o-2"])

    bodies = {c.path: [] for c in stand_in.calls}  # type: dict[str, list[Any]]
    for call in stand_in.calls:
        bodies[call.path].append(call.body)
    assert bodies["message/custom/send"] == [
        {"touser": "o-1", "msgtype": "text", "text": {"content": "你好，欢迎关注"}},
        {"touser": "o-1", "msgtype": "image", "image": {"media_id": "m-img"}},
        {"touser": "o-1", "msgtype": "mpnews", "mpnews": {"media_id": "m-news"}},
    ]
    assert bodies["message/mass/send"] == [
        {"touser": ["o-1", "o-2"], "msgtype": "text", "text": {"content": "你好，欢迎关注"}},
        {
            "touser": ["o-1", "o-2"],
            "msgtype": "mpnews",
            "mpnews": {"media_id": "m-news"},
            "send_ignore_reprint": 0,
        },
    ]
    assert bodies["message/mass/preview"] == [
        {"touser": "o-1", "msgtype": "mpvideo", "mpvideo": {"media_id": "m-vid"}}
    ]
    assert bodies["message/template/send"] == [
        {
            "touser": "o-1",
            "template_id": "tpl-1",
            "url": "https://acme.cn/l",
            "data": {"first": {"value": "您好"}, "keyword1": {"value": "订单 42"}},
        },
        {"touser": "o-2", "template_id": "tpl-1", "data": {"first": {"value": "x"}}},
    ]
    assert bodies["menu/create"] == [
        {"button": [{"type": "view", "name": "官网", "url": "https://acme.cn/"}]}
    ]
    assert bodies["tags/members/batchtagging"] == [{"tagid": 134, "openid_list": ["o-1", "o-2"]}]
    mass = stand_in.calls_to("message/mass/send")[0]
    template = stand_in.calls_to("message/template/send")[0]
    assert msg_id != "" and msg_id.isdigit() and msgid.isdigit()
    assert {c.query["access_token"] for c in stand_in.calls} == {stand_in.issued()[0]}
    assert mass.query["access_token"] == template.query["access_token"]


def test_qr_codes_temporary_and_permanent(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    api = _api(new_cache(), stand_in)
    temporary = api.create_qr_code(keys, "expo-2026", 7 * 86400)
    permanent = api.create_qr_code(keys, "poster-a", None)
    first, second = (c.body for c in stand_in.calls_to("qrcode/create"))
    assert first == {
        "expire_seconds": 604800,
        "action_name": "QR_STR_SCENE",
        "action_info": {"scene": {"scene_str": "expo-2026"}},
    }
    assert second == {
        "action_name": "QR_LIMIT_STR_SCENE",
        "action_info": {"scene": {"scene_str": "poster-a"}},
    }
    assert temporary.expires_in == 604800 and permanent.expires_in is None
    assert temporary.ticket.startswith("gQH47")
    assert temporary.url.startswith("https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47")
    assert temporary.url.endswith("%3D%3D")  # the ticket, URL-encoded


def test_followers_are_paged_with_next_openid(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    api = _api(new_cache(), stand_in)
    everyone = [f"o-{i:03}" for i in range(5)]
    stand_in.followers[APPID] = everyone
    stand_in.page_size = 2
    seen: list[str] = []
    pages = 0
    cursor = ""
    while True:
        page = api.followers(keys, cursor)
        pages += 1
        assert page.total == 5
        seen.extend(page.openids)
        if not page.next_openid:
            break
        cursor = page.next_openid
    assert seen == everyone
    assert pages == 4  # 2 + 2 + 1, then WeChat's empty page
    queries = [c.query.get("next_openid") for c in stand_in.calls_to("user/get")]
    assert queries == [None, "o-001", "o-003", "o-004"]


def test_fan_profiles_are_read_from_batchget(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    api = _api(new_cache(), stand_in)
    stand_in.profiles["o-1"] = {
        "subscribe": 1,
        "openid": "o-1",
        "nickname": "小明",
        "sex": 1,
        "language": "zh_CN",
        "city": "广州",
        "province": "广东",
        "country": "中国",
        "headimgurl": "http://thirdwx.qlogo.cn/mmopen/x/0",
        "subscribe_time": 1782979200,
        "unionid": "u-1",
        "remark": "VIP",
        "groupid": 0,
        "tagid_list": [128, 2],
        "subscribe_scene": "ADD_SCENE_QR_CODE",
        "qr_scene": 0,
        "qr_scene_str": "expo-2026",
    }
    found = api.fan_profiles(keys, ["o-1", "o-2"])
    assert stand_in.calls_to("user/info/batchget")[0].body == {
        "user_list": [{"openid": "o-1"}, {"openid": "o-2"}]
    }
    assert found == [
        FanProfile(
            openid="o-1",
            subscribed=True,
            unionid="u-1",
            nickname="小明",
            sex=1,
            country="中国",
            province="广东",
            city="广州",
            language="zh_CN",
            subscribed_at=datetime(2026, 7, 2, 8, 0, tzinfo=UTC),
            remark="VIP",
            tag_ids=(128, 2),
            subscribe_scene="ADD_SCENE_QR_CODE",
            qr_scene="expo-2026",
        ),
        FanProfile(openid="o-2", subscribed=False),
    ]
    assert api.fan_profiles(keys, []) == []
    assert len(stand_in.calls_to("user/info/batchget")) == 1


def test_materials_are_read_from_batchget_material(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    api = _api(new_cache(), stand_in)
    article = {"title": "新品", "thumb_media_id": "t-1", "author": "A", "url": "http://mp/s"}
    stand_in.materials["news"] = [
        {"media_id": "n-1", "content": {"news_item": [article]}, "update_time": 1782979200}
    ]
    stand_in.materials["image"] = [
        {
            "media_id": f"i-{i}",
            "name": f"{i}.jpg",
            "update_time": 1782979200,
            "url": f"http://i/{i}",
        }
        for i in range(3)
    ]
    news = api.materials(keys, "news", 0, 20)
    images = api.materials(keys, "image", 1, 2)
    assert news == [
        Material(
            "n-1",
            "news",
            updated_at=datetime(2026, 7, 2, 8, 0, tzinfo=UTC),
            articles=(article,),
        )
    ]
    assert [(m.media_id, m.name, m.url, m.kind) for m in images] == [
        ("i-1", "1.jpg", "http://i/1", "image"),
        ("i-2", "2.jpg", "http://i/2", "image"),
    ]
    assert stand_in.calls_to("material/batchget_material")[1].body == {
        "type": "image",
        "offset": 1,
        "count": 2,
    }


# --- (6) the sandbox -----------------------------------------------------------------------


def test_the_sandbox_records_what_would_be_sent_and_answers_what_was_seeded(
    tmp_path: Path, keys: AccountKeys
) -> None:
    outbox = tmp_path / "outbox"
    sandbox = SandboxWechatApi(outbox)
    sandbox.send_customer_message(keys, "o-1", TEXT)
    msg_id = sandbox.mass_send(keys, ["o-1", "o-2"], TEXT)
    msgid = sandbox.send_template(keys, "o-1", "tpl", {"first": "hi"}, url="https://acme.cn/")
    ticket = sandbox.create_qr_code(keys, "expo", None)
    sandbox.publish_menu(keys, [{"type": "click", "name": "A", "key": "a"}])

    lines = (outbox / "wechat.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    recorded = sandbox.sent()
    assert [r["call"] for r in recorded] == [
        "customer_message",
        "mass_send",
        "template",
        "qr_code",
        "menu",
    ]
    assert recorded[0]["message"] == {"kind": "text", "text": "你好，欢迎关注", "media_id": ""}
    assert recorded[1]["touser"] == ["o-1", "o-2"] and recorded[1]["msg_id"] == msg_id
    assert recorded[2]["data"] == {"first": "hi"} and recorded[2]["msgid"] == msgid
    assert recorded[3]["ticket"] == ticket.ticket and ticket.expires_in is None
    assert {r["account_id"] for r in recorded} == {str(keys.account_id)}
    assert msg_id != msgid

    assert sandbox.followers(keys).openids == ()
    sandbox.seed_followers(APPID, ["o-1", "o-2"])
    profile = FanProfile("o-1", subscribed=True, nickname="小明", tag_ids=(2,), subscribed_at=START)
    sandbox.seed_profiles(APPID, [profile])
    image = Material("i-1", "image", name="a.jpg", updated_at=START)
    sandbox.seed_materials(APPID, "image", [image])
    again = SandboxWechatApi(outbox)  # another process reads the seeds from the file
    assert again.followers(keys).openids == ("o-1", "o-2")
    assert again.fan_profiles(keys, ["o-1", "o-2", "o-9"]) == [
        profile,
        FanProfile("o-2", subscribed=True),
        FanProfile("o-9", subscribed=False),
    ]
    assert again.materials(keys, "image", 0, 20) == [image]
    assert again.materials(keys, "voice", 0, 20) == []


# --- (7) sending once: clientmsgid and client_msg_id --------------------------------------


def test_a_mass_send_repeated_with_its_clientmsgid_answers_the_first_msg_id(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    api = _api(new_cache(), stand_in)
    first = api.mass_send(keys, ["o-1", "o-2"], TEXT, clientmsgid="send-1-0")
    again = api.mass_send(keys, ["o-1", "o-2"], TEXT, clientmsgid="send-1-0")
    other = api.mass_send(keys, ["o-1", "o-2"], TEXT, clientmsgid="send-1-1")
    msgid = api.send_template(keys, "o-1", "tpl-1", {"first": "x"}, client_msg_id="t-1")

    assert again == first and other != first
    bodies = [c.body for c in stand_in.calls_to("message/mass/send")]
    assert [b["clientmsgid"] for b in bodies] == ["send-1-0", "send-1-0", "send-1-1"]
    assert stand_in.calls_to("message/template/send")[0].body["client_msg_id"] == "t-1"
    assert msgid.isdigit()


def test_the_sandbox_sends_a_clientmsgid_once_even_after_a_restart(
    tmp_path: Path, keys: AccountKeys
) -> None:
    outbox = tmp_path / "outbox"
    first = SandboxWechatApi(outbox).mass_send(keys, ["o-1", "o-2"], TEXT, clientmsgid="s-0")
    restarted = SandboxWechatApi(outbox)
    again = restarted.mass_send(keys, ["o-1", "o-2"], TEXT, clientmsgid="s-0")
    msgid = restarted.send_template(keys, "o-1", "tpl", {"first": "hi"}, client_msg_id="t-0")
    repeat = restarted.send_template(keys, "o-1", "tpl", {"first": "hi"}, client_msg_id="t-0")

    assert again == first and repeat == msgid
    assert [r["call"] for r in restarted.sent()] == ["mass_send", "template"]


def test_tags_are_read_from_tags_get(
    new_cache: Callable[[], AccessTokenCache], stand_in: WechatStandIn, keys: AccountKeys
) -> None:
    tags = _api(new_cache(), stand_in).tags(keys)

    assert [(t.tag_id, t.name, t.count) for t in tags] == [(2, "星标组", 12), (101, "展会客户", 3)]
    assert [c.path for c in stand_in.calls] == ["tags/get"]
