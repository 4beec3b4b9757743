"""Archive ingestion on both stores (ARCH-1, ADR 0020): the sandbox's fixture pulled,
decrypted, screened and stored once, message rows and alert rows in the behaviour log,
the cursor at the last seq and a second pull storing nothing; a message that will not
open (unknown version, another key, corrupt) stored as `undecryptable` with its sealed
text while the batch goes on; key versions rotated with both opening; a failed pull
recorded and nothing stored; the switch and the edition refusing; the background
round pulling only enabled tenants; retention never forgetting the archive.

Hypothesis: any interleaving of pulls — fetched but never stored (a puller killed),
stored after a newer one (out of order), killed between the append and the cursor,
with batches that repeat messages, re-deliver old ones and come shuffled — never
stores a message twice, and once drained the stored set is exactly the source's."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.archive.decryption import RsaChatCipher, RsaKeyMaker, seal
from adapters.archive.sandbox import fixture_messages
from application.archive.ingestion import ArchiveIngestion, Batch
from application.archive.messages import Alert, ArchivedMessage, message_of
from application.archive.ports import EncryptedChat, IngestionState, SourceAccount
from application.archive.pulling import ArchivePulling
from application.archive.setup import ArchiveSetup
from application.archive.setup_commands import ChangeArchiveSettings, GenerateKey, ImportKey
from application.archive.source_directory import ArchiveSourceQueries
from application.shared.behaviours import Behaviour, BehaviourKind
from application.shared.context import RequestContext, acting
from application.shared.errors import ProviderUnavailable
from application.tenancy.billing_commands import PlaceOrder
from application.tenancy.commands import RegisterTenant
from domain.shared.errors import StateConflict
from domain.tenancy.subscription import SubscriptionInactive
from entrypoints.container import Runtime
from tests.settling import settle

KEYS = [RsaKeyMaker().generate() for _ in range(3)]
CORP, SECRET = "ww0123456789abcdef", "S" * 43
NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
WATCHED = "报价"


class OneWordScreen:
    """A real `MessageScreen`, as small as it gets: one alert per text with 报价."""

    def alerts(self, tenant_id: UUID, messages: Sequence[ArchivedMessage]) -> list[Alert]:
        return [
            Alert(m.msgid, "word", WATCHED, "价格", m.employee, m.sender)
            for m in messages
            if WATCHED in m.text
        ]


class EveryEdition:
    """An edition gate for the properties: every tenant's plan includes the archive."""

    def require_feature(self, tenant_id: UUID, feature: str) -> None:
        return None


class FixedClock:
    def now(self) -> datetime:
        return NOW


def chat(seq: int, text: str = "") -> dict[str, Any]:
    return {"msgid": f"m{seq:04d}", "action": "send", "from": "zhangsan",
            "tolist": ["wmCustomer0001"], "roomid": "",
            "msgtime": int((NOW - timedelta(hours=1)).timestamp() * 1000) + seq,
            "msgtype": "text", "text": {"content": text or f"第{seq}条"}}  # fmt: skip


@dataclass
class ScriptedSource:
    """An `ArchiveSource` of messages sealed under chosen versions, that can repeat,
    re-deliver and shuffle what it answers, or fail the next calls."""

    messages: list[tuple[int, dict[str, Any], int]]  # seq, chat JSON, publickey_ver
    publics: Mapping[int, str]
    perturb: list[tuple[bool, bool, bool]] = field(default_factory=list)  # per call
    failures: int = 0
    corrupt: set[int] = field(default_factory=set)  # seqs sent with a broken seal

    def chat_data(self, account: SourceAccount, seq: int, limit: int) -> list[EncryptedChat]:
        if self.failures:
            self.failures -= 1
            raise ProviderUnavailable("the archive gateway cannot be reached")
        chosen = [entry for entry in self.messages if entry[0] > seq][:limit]
        repeat, old, shuffle = self.perturb.pop(0) if self.perturb else (False, False, False)
        if repeat and chosen:
            chosen = [*chosen, chosen[0]]
        if old:
            chosen = [*[entry for entry in self.messages if entry[0] <= seq][-2:], *chosen]
        if shuffle:
            random.Random(seq).shuffle(chosen)
        return [self._sealed(*entry) for entry in chosen]

    def _sealed(self, seq: int, body: dict[str, Any], version: int) -> EncryptedChat:
        wrapped, sealed = seal(body, self.publics[version])
        if seq in self.corrupt:
            sealed = sealed[:-4]
        return EncryptedChat(seq, str(body["msgid"]), version, wrapped, sealed)


def new_tenant(runtime: Runtime, edition: str | None = "scrm_ten_seats") -> UUID:
    with acting(RequestContext(request_id=f"test-ingestion-{uuid.uuid4().hex[:8]}")):
        tenant = runtime.container.tenancy().register_tenant(
            RegisterTenant(name="存档拉取", owner_name="李雷", owner_contact="li@acme.cn")
        )
        if edition is not None:
            billing = runtime.container.billing()
            order = billing.place_order(tenant.id, PlaceOrder(kind="new", edition=edition))
            billing.confirm_sandbox_payment(order.id)
    return tenant.id


def set_up(setup: ArchiveSetup, tenant_id: UUID, versions: Sequence[int] = (1,)) -> None:
    with acting(RequestContext(request_id=f"test-setup-{uuid.uuid4().hex[:8]}")):
        for version in versions:
            setup.import_key(
                tenant_id,
                ImportKey(publickey_ver=version, private_key_pem=KEYS[version - 1].private_key_pem),
            )
        setup.change(tenant_id, ChangeArchiveSettings(corpid=CORP, sdk_secret=SECRET, enabled=True))


def ingestion_of(
    runtime: Runtime, source: Any, *, batch_size: int = 1000, ledger: Any = None
) -> ArchiveIngestion:
    c = runtime.container
    return ArchiveIngestion(
        c.archive_setup(), source, c.archive_cipher(), OneWordScreen(), c.behaviours(),
        ledger or c.archive_ledger(), EveryEdition(), FixedClock(), batch_size=batch_size,
    )  # fmt: skip


def rows_of(runtime: Runtime, tenant_id: UUID) -> list[Behaviour]:
    log = runtime.container.behaviours()
    rows: list[Behaviour] = []
    while batch := log.behaviours_of(tenant_id, after=rows[-1].position if rows else 0, limit=500):
        rows += batch
    return rows


def messages_of(runtime: Runtime, tenant_id: UUID) -> list[ArchivedMessage]:
    return [
        message_of(row)
        for row in rows_of(runtime, tenant_id)
        if row.kind == BehaviourKind.ARCHIVE_MESSAGE
    ]


def publics() -> dict[int, str]:
    return {version: pair.public_key_pem for version, pair in enumerate(KEYS, start=1)}


# --- the product's own wiring: the sandbox, the cipher, the screen, the cursor ------------


def test_the_sandbox_archive_is_stored_once_with_its_alerts(runtime: Runtime) -> None:
    tenant_id = new_tenant(runtime)
    setup = runtime.container.archive_setup()
    with acting(RequestContext(request_id="test-sandbox-setup")):
        made = setup.generate_key(tenant_id, GenerateKey(publickey_ver=3))
        assert made.keys[0].public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
        setup.change(tenant_id, ChangeArchiveSettings(corpid=CORP, sdk_secret=SECRET, enabled=True))
    ingestion = runtime.container.archive_ingestion()

    first = ingestion.pull(tenant_id)
    again = ingestion.pull(tenant_id)

    fixture = fixture_messages()
    assert (first.fetched, first.stored, first.undecryptable) == (len(fixture), len(fixture), 0)
    assert first.seq == fixture[-1][0] and not first.more
    assert (again.fetched, again.stored, again.seq) == (0, 0, first.seq)
    stored = messages_of(runtime, tenant_id)
    assert [m.msgid for m in stored] == [chat["msgid"] for _, chat in fixture]
    assert [m.seq for m in stored] == [seq for seq, _ in fixture]
    recall = next(m for m in stored if m.action == "recall")
    assert recall.msgtype == "revoke" and recall.content["pre_msgid"]
    group = next(m for m in stored if m.roomid)
    assert group.conversation == f"room:{group.roomid}"
    alerts = [r for r in rows_of(runtime, tenant_id) if r.kind == BehaviourKind.ARCHIVE_ALERT]
    assert len(alerts) == first.alerts  # the product's screen (ARCH-3) found its behaviours
    status = ingestion.status(tenant_id)
    assert (status.enabled, status.seq, status.stored, status.pulls) == (
        True, first.seq, len(fixture), 2
    )  # fmt: skip
    assert status.last_pull_at is not None and status.last_error == ""


def test_a_message_that_will_not_open_is_stored_sealed_and_the_batch_goes_on(
    runtime: Runtime,
) -> None:
    tenant_id = new_tenant(runtime)
    set_up(runtime.container.archive_setup(), tenant_id, versions=(1,))
    source = ScriptedSource(
        [(1, chat(1), 1), (2, chat(2), 3), (3, chat(3, "这是报价单"), 1), (5, chat(5), 1)],
        publics(),
        corrupt={5},
    )
    # seq 2 says version 3, which this tenant never kept
    report = ingestion_of(runtime, source).pull_once(tenant_id)

    assert (report.stored, report.undecryptable, report.alerts, report.seq) == (4, 2, 1, 5)
    stored = {m.seq: m for m in messages_of(runtime, tenant_id)}
    assert [stored[s].msgtype for s in (1, 2, 3, 5)] == [
        "text",
        "undecryptable",
        "text",
        "undecryptable",
    ]
    assert stored[2].content["failure"] == "unknown_key_version"
    assert stored[5].content["failure"] == "corrupt"
    assert stored[2].content["publickey_ver"] == 3 and stored[2].content["encrypt_chat_msg"]
    assert stored[3].text == "这是报价单"
    state = runtime.container.archive_ledger().state(tenant_id)
    assert (state.stored, state.undecryptable, state.alerts) == (4, 2, 1)


def test_key_versions_rotate_and_a_retired_one_no_longer_opens(runtime: Runtime) -> None:
    tenant_id = new_tenant(runtime)
    setup = runtime.container.archive_setup()
    set_up(setup, tenant_id, versions=(1, 2))
    source = ScriptedSource([(1, chat(1), 1), (2, chat(2), 2)], publics())
    ingestion = ingestion_of(runtime, source)
    assert ingestion.pull_once(tenant_id).undecryptable == 0
    assert setup.account_of(setup.stored(tenant_id)).publickey_ver == 2  # the newest in use
    with acting(RequestContext(request_id="test-retire")):
        setup.retire_key(tenant_id, 1)
        with pytest.raises(StateConflict):
            setup.retire_key(tenant_id, 2)
    source.messages += [(3, chat(3), 1), (4, chat(4), 2)]
    later = ingestion.pull_once(tenant_id)
    assert (later.stored, later.undecryptable) == (2, 1)
    failures = {m.seq: m.content.get("failure") for m in messages_of(runtime, tenant_id)}
    assert failures == {1: None, 2: None, 3: "unknown_key_version", 4: None}


def test_a_failed_pull_is_recorded_stores_nothing_and_the_next_one_resumes(
    runtime: Runtime,
) -> None:
    tenant_id = new_tenant(runtime)
    set_up(runtime.container.archive_setup(), tenant_id)
    source = ScriptedSource([(s, chat(s), 1) for s in range(1, 6)], publics(), failures=1)
    ingestion = ingestion_of(runtime, source, batch_size=2)
    with pytest.raises(ProviderUnavailable):
        ingestion.pull_once(tenant_id)
    failed = ingestion.status(tenant_id)
    assert (failed.seq, failed.stored) == (0, 0)
    assert "cannot be reached" in failed.last_error and failed.last_error_at == NOW
    assert messages_of(runtime, tenant_id) == []

    done = ingestion.pull(tenant_id)

    assert (done.batches, done.stored, done.seq, done.more) == (3, 5, 5, False)
    assert ingestion.status(tenant_id).last_error == ""


def test_the_switch_and_the_edition_refuse(runtime: Runtime) -> None:
    tenant_id = new_tenant(runtime)
    setup = runtime.container.archive_setup()
    ingestion = runtime.container.archive_ingestion()
    with pytest.raises(StateConflict, match="not enabled"):
        ingestion.pull_once(tenant_id)
    assert ingestion.pull_now(tenant_id, batches=1).pulled.stored == 0  # off: nothing pulled
    refused = pytest.raises(StateConflict, match="key pair")
    with acting(RequestContext(request_id="test-switch")), refused:
        setup.change(tenant_id, ChangeArchiveSettings(corpid=CORP, sdk_secret=SECRET, enabled=True))
    assert setup.settings(tenant_id).version == 0  # nothing stored by the refusal

    bare = new_tenant(runtime, edition=None)
    assert setup.settings(bare).edition_includes_archive is False
    with acting(RequestContext(request_id="test-edition")), pytest.raises(SubscriptionInactive):
        setup.generate_key(bare, GenerateKey(publickey_ver=1))
    with pytest.raises(SubscriptionInactive):
        ingestion.pull_now(bare, batches=1)


def test_the_round_pulls_enabled_tenants_only_and_one_failing_holds_up_none(
    runtime: Runtime,
) -> None:
    setup = runtime.container.archive_setup()
    on, failing, off = new_tenant(runtime), new_tenant(runtime), new_tenant(runtime)
    for tenant_id in (on, failing):
        set_up(setup, tenant_id)
    with acting(RequestContext(request_id="test-round-off")):
        setup.import_key(off, ImportKey(publickey_ver=1, private_key_pem=KEYS[0].private_key_pem))

    class PerTenant:
        def __init__(self) -> None:
            self.asked: list[UUID] = []

        def chat_data(self, account: SourceAccount, seq: int, limit: int) -> list[EncryptedChat]:
            if account.tenant_id not in (on, failing, off):
                return []  # other tests' tenants: nothing new
            self.asked.append(account.tenant_id)
            if account.tenant_id == failing:
                raise ProviderUnavailable("this corp's gateway is down")
            return ScriptedSource([(1, chat(1), 1)], publics()).chat_data(account, seq, limit)

    source = PerTenant()
    settle(runtime)
    pulling = ArchivePulling(
        ingestion_of(runtime, source),
        ArchiveSourceQueries(runtime.container.archive_source_view()),
    )
    done = pulling.run_once()
    assert on in source.asked and failing in source.asked and off not in source.asked
    assert done.failed >= 1 and done.sent >= 1
    assert [m.msgid for m in messages_of(runtime, on)] == ["m0001"]
    assert "down" in runtime.container.archive_ledger().state(failing).last_error


def test_retention_never_forgets_the_archive(runtime: Runtime) -> None:
    tenant_id = new_tenant(runtime)
    set_up(runtime.container.archive_setup(), tenant_id)
    ingestion_of(runtime, ScriptedSource([(1, chat(1, "报价"), 1)], publics())).pull_once(tenant_id)
    log = runtime.container.behaviours()
    page_view = Behaviour(
        tenant_id=tenant_id, kind="page", channel="web", occurred_at=NOW, received_at=NOW,
        message_id=f"page-{uuid.uuid4()}", anonymous_id="a1",
    )  # fmt: skip
    log.append([page_view])

    forgotten = log.forget_before(tenant_id, NOW + timedelta(days=1))

    assert forgotten == 1  # the page view; the message and its alert stay
    kinds = sorted(row.kind for row in rows_of(runtime, tenant_id))
    assert kinds == ["archive_alert", "archive_message"]
    # The source hands the message out again (a re-pull from before the cursor):
    source = ScriptedSource([(1, chat(1, "报价"), 1)], publics(), perturb=[(True, True, False)])
    replayed = ingestion_of(runtime, source).pull_once(tenant_id)
    assert (replayed.fetched, replayed.stored, replayed.alerts) == (1, 0, 0)  # ids stay claimed
    assert len(rows_of(runtime, tenant_id)) == 2


# --- the property: interleavings never duplicate, and draining leaves no gap ---------------


class KillableLedger:
    """The product's ledger, with the process killed (at chosen calls) between the
    batch's append and the cursor's advance."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self.kill_next = False

    def state(self, tenant_id: UUID) -> IngestionState:
        return self.ledger.state(tenant_id)

    def advance(self, tenant_id: UUID, **moved: Any) -> IngestionState:
        if self.kill_next:
            self.kill_next = False
            raise KilledBetweenAppendAndCursor()
        return self.ledger.advance(tenant_id, **moved)

    def failed(self, tenant_id: UUID, *, error: str, at: datetime) -> None:
        self.ledger.failed(tenant_id, error=error, at=at)


class KilledBetweenAppendAndCursor(Exception):
    pass


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["fetch", "store", "drop", "kill"]),
        st.integers(0, 5),  # which in-flight batch
        st.tuples(st.booleans(), st.booleans(), st.booleans()),  # repeat, re-deliver, shuffle
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seqs=st.lists(st.integers(1, 60), min_size=1, max_size=25, unique=True),
    batch_size=st.integers(1, 5),
    steps=STEPS,
)
def test_any_interleaving_of_pulls_stores_each_message_once(
    runtime: Runtime, seqs: list[int], batch_size: int, steps: list[Any]
) -> None:
    tenant_id = new_tenant(runtime, edition=None)
    setup = ArchiveSetup(runtime.container.archive(), RsaKeyMaker(), EveryEdition())
    set_up(setup, tenant_id)
    source = ScriptedSource([(s, chat(s), 1) for s in sorted(seqs)], publics())
    ledger = KillableLedger(runtime.container.archive_ledger())
    c = runtime.container
    ingestion = ArchiveIngestion(
        setup, source, RsaChatCipher(threads=1), OneWordScreen(), c.behaviours(), ledger,
        EveryEdition(), FixedClock(), batch_size=batch_size,
    )  # fmt: skip
    settings_now = setup.stored(tenant_id)
    assert settings_now is not None
    in_flight: list[Batch] = []
    for step, which, perturb in steps:
        if step == "fetch":
            source.perturb.append(perturb)
            in_flight.append(ingestion.fetch(settings_now))
        elif in_flight:
            batch = in_flight.pop(which % len(in_flight))  # any order: out-of-order stores
            if step == "kill":
                ledger.kill_next = True
                with pytest.raises(KilledBetweenAppendAndCursor):
                    ingestion.store(settings_now, batch)
            elif step == "store":
                ingestion.store(settings_now, batch)
            # "drop": the puller died before storing
        stored = [m.msgid for m in messages_of(runtime, tenant_id)]
        assert len(stored) == len(set(stored)), "a message was stored twice"
        cursor = ledger.state(tenant_id).seq
        assert {m.seq for m in messages_of(runtime, tenant_id)} >= {s for s in seqs if s <= cursor}

    ingestion.pull(tenant_id)  # resume after whatever happened: drain

    stored = [m.msgid for m in messages_of(runtime, tenant_id)]
    assert sorted(stored) == sorted(f"m{s:04d}" for s in seqs)
    assert len(stored) == len(set(stored))
    assert ledger.state(tenant_id).seq == max(seqs)
