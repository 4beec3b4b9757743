"""Kill the flow worker at random points 20 times during 1,000 enrolments: every action
is executed exactly once in effect (FLOW-5, issue 19 "Tests that must exist"), on
PostgreSQL.

1,000 leads are tagged into a flow that tags them, gives them points, queues them a
text through the SMS pipeline, waits a day, tags them again and ends. The product's
followers and workers (the enrolling policy, the flow worker, the senders: a started
`Runtime`, as `huoke serve` runs them) do the work in a child process that is killed
with SIGKILL at random points and started again on the same store: 12 times while the
leads are enrolled and walked to the wait, then, on a clock a day on, 8 times while the
flow worker wakes the waits. Then every enrolment ended, each node ran once in each
(its steps), each tag was added once (the leads' event histories), the points were
given once, each lead has one text in the send queue, and the sandbox provider got no
text twice.

Children are forked from one process that has imported huoke once (`Zygote`): a fresh
`huoke serve` spends 2–5 s importing, and 21 of them would take minutes.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from application.flows.commands import DraftFlow
from application.flows.directory import FlowQueries
from application.leads.commands import CreateLead
from application.leads.scope import LeadScope
from application.messaging.sms_commands import SubmitSignature
from application.shared.context import RequestContext, acting
from domain.flows.enrolment import enrolment_id
from entrypoints.container import Runtime
from entrypoints.settings import Settings
from tests.conftest import TEST_CIPHER_KEY
from tests.settling import settle

LEADS = 1_000
KILLS_ENROLLING, KILLS_WAKING = 12, 8
A_DAY_ON = 86_400 + 60  # seconds the children's clock is moved once everyone waits
NODES: list[dict[str, Any]] = [
    {"id": "hello", "kind": "add_tag", "tag": "欢迎", "next": "points"},
    {"id": "points", "kind": "add_score", "points": 10, "next": "sms"},
    {"id": "sms", "kind": "send_sms", "text": "欢迎光临 回T退订", "next": "wait"},
    {"id": "wait", "kind": "wait", "amount": 1, "unit": "days", "next": "later"},
    {"id": "later", "kind": "add_tag", "tag": "完成", "next": "end"},
    {"id": "end", "kind": "end"},
]
EXPECTED_STEPS = [
    ("hello", "done"),
    ("points", "done"),
    ("sms", "done"),
    ("wait", "waited"),
    ("later", "done"),
    ("end", "ended"),
]
# Where the work shows, and how much of it each lead makes: up to its wait, six events
# of the enrolment's, a tag, the score opened and the points; after the wait, its tag
# (the one event stored before the flow worker commits a whole batch of woken runs).
TO_THE_WAIT, EVENTS_TO_THE_WAIT = ("flows_events", "leads_events", "scoring_events"), 9
AFTER_IT, EVENTS_AFTER_IT = ("leads_events",), 1

# The zygote imports huoke, then forks a child for each "life <clock offset>" line on
# its stdin: the child starts a Runtime (followers, flow worker, senders) on a clock
# that many seconds on and runs until "kill <pid>" kills it with SIGKILL (and reaps it).
ZYGOTE = """
import os, signal, sys, time
from datetime import UTC, datetime, timedelta
from dependency_injector import providers
from entrypoints.container import Runtime
from entrypoints.settings import Settings

class Later:
    def __init__(self, seconds):
        self.offset = timedelta(seconds=seconds)
    def now(self):
        return datetime.now(UTC) + self.offset

for line in sys.stdin:
    command, argument = line.split()
    if command == "life":
        pid = os.fork()
        if pid == 0:
            runtime = Runtime(Settings.from_environment())
            runtime.container.clock.override(providers.Object(Later(float(argument))))
            runtime.start()
            os.write(1, f"ready {os.getpid()}\\n".encode())
            while True:
                time.sleep(3600)
        print(f"forked {pid}", flush=True)
    elif command == "kill":
        os.kill(int(argument), signal.SIGKILL)
        os.waitpid(int(argument), 0)
        print(f"killed {argument}", flush=True)
"""


class Zygote:
    """The parent of the killed children (see the module)."""

    def __init__(self, settings: Settings, log: Path) -> None:
        env = {
            **os.environ,
            "HUOKE_VAR_DIR": str(settings.var_dir),
            "HUOKE_DATABASE_URL": str(settings.database_url),
            "HUOKE_CIPHER_KEY": TEST_CIPHER_KEY,
            "HUOKE_FAST_HASHING": "y",
            "HUOKE_AUTO_MIGRATE": "y",
            "HUOKE_POOL_SIZE": "4",
            "HUOKE_INPROCESS_PROJECTIONS": "y",  # as `huoke serve` runs them
            "HUOKE_SEND_INTERVAL_SECONDS": "0.05",
        }
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", ZYGOTE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=out,
                env=env,
                text=True,
            )
        self.child: int | None = None
        self._early: dict[str, str] = {}  # answers read before they were waited for

    def life(self, clock_offset: float) -> None:
        """Start a child; answers once its Runtime has started."""
        self._send(f"life {clock_offset}")
        self.child = int(self._answer("forked"))
        self._answer("ready")  # the child's line may come before its parent's

    def kill(self) -> None:
        assert self.child is not None
        self._send(f"kill {self.child}")
        self._answer("killed")
        self.child = None

    def close(self) -> None:
        if self.process.poll() is None:
            if self.child is not None:
                self.kill()
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=20)

    def _send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def _answer(self, word: str) -> str:
        assert self.process.stdout is not None
        if word in self._early:
            return self._early.pop(word)
        while line := self.process.stdout.readline():
            said, value = line.split()
            if said == word:
                return value
            self._early[said] = value
        pytest.fail("the zygote or its child died:\n" + self.log.read_text()[-3000:])


class Progress:
    """Events stored in some events tables so far, counted in the database."""

    def __init__(self, connection: psycopg.Connection[Any], *tables: str) -> None:
        self.connection = connection
        self.query = "SELECT " + " + ".join(f"(SELECT count(*) FROM {t})" for t in tables)

    def __call__(self) -> int:
        row = self.connection.execute(self.query).fetchone()
        assert row is not None
        return int(row[0])


def prepare(settings: Settings) -> tuple[UUID, UUID, list[UUID]]:
    """A tenant with SMS set up, its leads and the enabled flow (followers caught up)."""
    tenant_id = uuid4()
    scope = LeadScope.whole_company(tenant_id)
    runtime = Runtime(settings).start()
    try:
        c = runtime.container
        signatures = c.sms_signatures()
        signature = signatures.submit(
            tenant_id, SubmitSignature(text="获客科技", purpose="公司简称")
        )
        signatures.approve(tenant_id, signature.id, reviewer="admin", expected_version=1)
        leads = [
            c.leads().create_lead(scope, CreateLead(mobile=f"139{n:08d}")).lead.id
            for n in range(LEADS)
        ]
        nodes = [dict(node) for node in NODES]
        nodes[2]["signature_id"] = str(signature.id)
        trigger = {"kind": "tag_added", "tag": "新客"}
        draft = c.flows().draft(
            tenant_id,
            DraftFlow(name="断电流程", trigger=trigger, graph={"start": "hello", "nodes": nodes}),
        )
        assert draft.problems == [], draft.problems
        c.flows().enable(tenant_id, draft.flow_id, expected_version=draft.version)
        settle(runtime, timeout=60)
        return tenant_id, draft.flow_id, leads
    finally:
        runtime.close()


def tag_everyone(settings: Settings, tenant_id: UUID, leads: list[UUID]) -> None:
    """The start condition met 1,000 times, with no follower running here: the child's
    enrolling policy is the one to see it."""
    runtime = Runtime(replace(settings, in_process_projections=False)).start()
    try:
        scope = LeadScope.whole_company(tenant_id)
        for lead_id in leads:
            runtime.container.leads().tag(scope, lead_id, ["新客"], add=True)
    finally:
        runtime.close()


def kill_at_random_points(
    zygote: Zygote,
    progress: Progress,
    *,
    kills: int,
    work: int,
    clock_offset: float,
    finished: Callable[[], bool],
) -> list[int]:
    """Start and kill children `kills` times, each once the events counted since the
    first start pass a random point of the `work` expected; then let one finish (until
    `finished`) and stop it. Answers how far the work had got at each kill."""
    rng = random.Random()
    baseline = progress()
    points = sorted(rng.randrange(1, work * 9 // 10) for _ in range(kills))
    at_kills = []
    for point in points:
        zygote.life(clock_offset)
        deadline = time.monotonic() + 60
        while progress() - baseline < point:
            assert time.monotonic() < deadline, f"no progress to {point} of {work}"
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))  # somewhere in the step after the point
        zygote.kill()
        at_kills.append(progress() - baseline)
    zygote.life(clock_offset)
    deadline = time.monotonic() + 90
    while not finished():
        assert time.monotonic() < deadline, "the work never finished"
        time.sleep(0.1)
    zygote.kill()
    done = progress() - baseline
    assert all(at < done for at in at_kills), (at_kills, done)  # each came with work left
    return at_kills


def test_killed_20_times_each_action_of_1000_enrolments_happens_once(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    settings = fresh_settings
    if settings.database_url is None:
        pytest.skip("the crash test runs on PostgreSQL (one process at a time on SQLite)")
    with acting(RequestContext(request_id="test-flows-crash")):
        tenant_id, flow_id, leads = prepare(settings)
        tag_everyone(settings, tenant_id, leads)
    reader = Runtime(replace(settings, in_process_projections=False))  # reads, runs nothing
    queries: FlowQueries = reader.container.flow_queries()
    connection = psycopg.connect(settings.database_url, autocommit=True)
    zygote = Zygote(settings, tmp_path / "children.log")
    try:
        kill_at_random_points(
            zygote,
            Progress(connection, *TO_THE_WAIT),
            kills=KILLS_ENROLLING,
            work=LEADS * EVENTS_TO_THE_WAIT,
            clock_offset=0,
            finished=lambda: queries.status_counts(tenant_id, flow_id) == {"waiting": LEADS},
        )
        kill_at_random_points(
            zygote,
            Progress(connection, *AFTER_IT),
            kills=KILLS_WAKING,
            work=LEADS * EVENTS_AFTER_IT,
            clock_offset=A_DAY_ON,
            finished=lambda: queries.status_counts(tenant_id, flow_id) == {"ended": LEADS},
        )
    finally:
        zygote.close()
        connection.close()

    try:
        c = reader.container
        for lead_id in leads:
            steps = queries.steps(tenant_id, enrolment_id(flow_id, lead_id))
            assert [(s.node_id, s.outcome) for s in steps] == EXPECTED_STEPS, lead_id
            assert {s.run for s in steps} == {1}, lead_id
            tags = Counter(
                tag
                for event in c.leads().history(lead_id)
                if type(event).__name__ == "Tagged"
                for tag in event.tags
            )
            assert tags == {"新客": 1, "欢迎": 1, "完成": 1}, (lead_id, tags)
            assert c.scoring().lead_score(tenant_id, lead_id).behaviour_score == 10, lead_id
    finally:
        reader.close()
    with psycopg.connect(settings.database_url) as connection:
        queued = connection.execute(
            "SELECT lead_id, message_id, state FROM messaging_queue WHERE tenant_id = %s",
            (str(tenant_id),),
        ).fetchall()
    per_lead = Counter(lead for lead, _, _ in queued)
    assert set(per_lead) == {str(lead) for lead in leads}  # a text for everyone…
    twice = [row for row in queued if per_lead[row[0]] > 1]
    assert twice == []  # …once
    outbox = [
        json.loads(line)
        for path in sorted((settings.var_dir / "sms-outbox").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    handed = Counter(text["message_id"] for text in outbox)
    assert set(handed) <= {message for _, message, _ in queued}
    assert [m for m, n in handed.items() if n > 1] == []  # the provider got no text twice
