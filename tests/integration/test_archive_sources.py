"""The archive's sources (ARCH-1): the gateway adapter against a local gateway speaking
GetChatData's JSON — messages after a seq, at most `limit`, sealed under their
publickey_ver and opened by the cipher; busy codes and an unreachable gateway are
`ProviderUnavailable`, other codes `ArchiveRefused` with WeCom's errcode — and the
sandbox replaying its bundled fixture sealed with the tenant's key in use."""

from __future__ import annotations

from collections import Counter
from uuid import uuid4

import pytest

from adapters.archive.decryption import RsaChatCipher, RsaKeyMaker
from adapters.archive.gateway import GatewayArchive
from adapters.archive.sandbox import SandboxArchive, fixture_messages
from application.archive.ports import ArchiveRefused, SourceAccount
from application.shared.errors import ProviderUnavailable
from tests.integration.archive_gateway import (
    INVALID_SECRET,
    NETWORK_ERROR,
    ArchiveGateway,
    serving,
)

KEYS = {1: RsaKeyMaker().generate(), 2: RsaKeyMaker().generate()}
PRIVATE = {version: pair.private_key_pem for version, pair in KEYS.items()}
CORP, SECRET = "ww0123456789abcdef", "S" * 43


def account(version: int = 2, secret: str = SECRET) -> SourceAccount:
    return SourceAccount(uuid4(), CORP, secret, version, KEYS[version].public_key_pem)


def chat(seq: int) -> dict[str, object]:
    return {"msgid": f"msg{seq}", "action": "send", "from": "zhangsan", "tolist": ["wmA"],
            "roomid": "", "msgtime": 1_767_225_600_000 + seq, "msgtype": "text",
            "text": {"content": f"第{seq}条"}}  # fmt: skip


@pytest.fixture
def gateway() -> ArchiveGateway:
    corp = ArchiveGateway(CORP, SECRET, {v: k.public_key_pem for v, k in KEYS.items()})
    for seq in (1, 2, 4, 7):
        corp.add(seq, chat(seq), version=1)
    corp.version = 2
    for seq in (8, 9, 10):
        corp.add(seq, chat(seq))
    with serving(corp):
        yield corp


def test_the_gateway_answers_the_messages_after_a_seq_sealed_by_version(
    gateway: ArchiveGateway,
) -> None:
    source = GatewayArchive(gateway.url)
    first = source.chat_data(account(), 0, 3)
    assert [(c.seq, c.msgid, c.publickey_ver) for c in first] == [
        (1, "msg1", 1), (2, "msg2", 1), (4, "msg4", 1)
    ]  # fmt: skip
    rest = source.chat_data(account(), 4, 1000)
    assert [c.seq for c in rest] == [7, 8, 9, 10]
    assert [c.publickey_ver for c in rest] == [1, 2, 2, 2]
    opened = RsaChatCipher(threads=1).open([*first, *rest], PRIVATE)
    assert [o.document["text"]["content"] for o in opened if o.document] == [
        f"第{seq}条" for seq in (1, 2, 4, 7, 8, 9, 10)
    ]
    assert source.chat_data(account(), 10, 1000) == []
    assert gateway.calls[0] == {"corpid": CORP, "seq": 0, "limit": 3, "timeout": 10}


def test_busy_codes_are_unavailable_and_others_refusals(gateway: ArchiveGateway) -> None:
    source = GatewayArchive(gateway.url)
    gateway.failures = [(NETWORK_ERROR, "网络请求错误"), (-1, "system busy"), (301052, "expired")]
    for _ in range(2):
        with pytest.raises(ProviderUnavailable) as busy:
            source.chat_data(account(), 0, 10)
        assert not isinstance(busy.value, ArchiveRefused)
    with pytest.raises(ArchiveRefused) as refused:
        source.chat_data(account(), 0, 10)
    assert (refused.value.errcode, refused.value.code) == (301052, "archive_refused")
    with pytest.raises(ArchiveRefused) as wrong:
        source.chat_data(account(secret="x" * 43), 0, 10)
    assert wrong.value.errcode == INVALID_SECRET
    assert [c.seq for c in source.chat_data(account(), 0, 10)] == [1, 2, 4, 7, 8, 9, 10]


def test_an_unreachable_or_odd_gateway_is_unavailable(gateway: ArchiveGateway) -> None:
    with pytest.raises(ProviderUnavailable, match="cannot be reached"):
        GatewayArchive("http://127.0.0.1:9", timeout=2).chat_data(account(), 0, 10)
    with pytest.raises(ProviderUnavailable, match="HTTP 404"):
        GatewayArchive(gateway.url + "/elsewhere").chat_data(account(), 0, 10)


def test_the_sandbox_replays_its_fixture_sealed_with_the_key_in_use() -> None:
    messages = fixture_messages()
    assert 180 <= len(messages) <= 220
    seqs = [seq for seq, _ in messages]
    assert seqs == sorted(set(seqs)) and seqs[-1] > len(seqs)  # ascending, with gaps
    kinds = Counter(chat["msgtype"] for _, chat in messages)
    for kind in ("text", "image", "voice", "file", "link", "redpacket", "revoke", "weapp"):
        assert kinds[kind] > 0, kind
    assert any(chat["roomid"] for _, chat in messages)
    assert any(chat["action"] == "recall" for _, chat in messages)
    texts = " ".join(chat.get("text", {}).get("content", "") for _, chat in messages)
    for sample in ("13812345678", "zhou.laoshi@school.example.edu.cn", "6222 0212 3456 7890"):
        assert sample in texts

    sandbox = SandboxArchive()
    first = sandbox.chat_data(account(version=1), 0, 50)
    assert [c.seq for c in first] == seqs[:50]
    assert {c.publickey_ver for c in first} == {1}
    rest = sandbox.chat_data(account(), first[-1].seq, 1000)
    assert [c.seq for c in rest] == seqs[50:]
    opened = RsaChatCipher().open([*first, *rest], PRIVATE)
    assert [o.document for o in opened] == [chat for _, chat in messages]
    with pytest.raises(ArchiveRefused):
        sandbox.chat_data(account(), 0, 1001)
