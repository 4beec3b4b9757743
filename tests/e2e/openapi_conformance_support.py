"""schemathesis against the app's own spec: no mismatch between what `/schema` says and
what the routes answer (status codes, content types, headers, schemas), ADR 0010.

The operations are dealt into `PARTS` stable parts (by a CRC of the operation's label),
each checked by a test file of its own (`test_openapi_conformance_<n>.py`), so that the
parallel workers (`--dist loadfile` keeps a file in one worker) share the run instead
of one worker carrying it alone. Every operation is in exactly one part; each part
checks that it tested every operation dealt to it.

It runs on the embedded default (SQLite) only: the spec and the answers do not depend on
the backend, and the other suites already run every route on both. The number of
examples per operation is bounded so that it stays within a couple of minutes.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections import Counter
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic

from entrypoints.http.app import create_app
from tests.conftest import Api

MAX_EXAMPLES = 3
PARTS = 6
SEED = 20_261_202


def part_of(label: str) -> int:
    """The part an operation ("GET /api/v1/leads") is checked in: stable across runs
    and processes (unlike `hash`), and independent of which other operations exist."""
    return zlib.crc32(label.encode()) % PARTS


def _beyond_the_schema(status: int, problem: dict[str, Any]) -> bool:
    """An answer the spec documents but no JSON schema can predict, so it is not a
    mismatch when schemathesis sends schema-valid data: a 422 without `errors` is a
    rule beyond the schema (an unknown timezone, a department id that does not exist,
    a cursor not handed out, `edition` needed for `kind: new`); a 400 on `X-Reason` is
    an escape that is not UTF-8; a 400 `invalid_json` from a Segment route (`/v1/*`),
    whose body is documented as raw bytes because it may be gzip-compressed. A 422
    *with* `errors` is the schema itself refusing and always counts."""
    if status == 422:
        return "errors" not in problem
    segment_body = problem.get("code") == "invalid_json" and str(
        problem.get("instance", "")
    ).startswith("/v1/")
    return status == 400 and (problem.get("field") == "X-Reason" or segment_body)


def _empty_header_dropped(failure: Any, case: Any) -> bool:
    """schemathesis's ASGI transport sends no header whose generated value is empty, so
    "an empty If-Match was accepted" is the route answering a request without If-Match,
    which an optional If-Match allows (sent directly, an empty one is 422)."""
    message = str(getattr(failure, "message", ""))
    headers = getattr(case, "headers", None) or {}
    return (
        "parameter `If-Match` in header" in message
        and headers.get("If-Match") == ""
        and str(getattr(failure, "title", "")).startswith("Schema-violating request accepted")
    )


def _config(api: Api, records: dict[str, str]) -> SchemathesisConfig:
    staff = f"Bearer {api.staff_token}"
    tenant = f"Bearer {records['token']}"
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            # One undeclared method per path is enough to check 405 and its `Allow`.
            "phases": {
                "stateful": {"enabled": False},
                "coverage": {"unexpected-methods": ["TRACE"]},
            },
            "checks": {
                # 428 is the answer RFC 6585 gives a missing If-Match.
                "missing_required_header": {
                    "expected-statuses": [400, 401, 403, 406, 415, 422, 428]
                },
                # Would need the ids other requests create (stateful testing).
                "use_after_free": {"enabled": False},
                "ensure_resource_availability": {"enabled": False},
            },
            "parameters": {
                f"path.{name}": value for name, value in records.items() if name != "token"
            },
            "operations": [
                {"include-path-regex": "^/api/v1/admin", "headers": {"Authorization": staff}},
                {"exclude-path-regex": "^/api/v1/admin", "headers": {"Authorization": tenant}},
            ],
        }
    )


def check_part(api: Api, records: dict[str, str], part: int) -> None:
    """Run schemathesis on the operations dealt to `part`; fail on any mismatch."""
    app = create_app(api.runtime, close_runtime_on_shutdown=False)
    config = _config(api, records)
    whole = schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=config)
    labels = [result.ok().label for result in whole.get_all_operations()]
    assert len(labels) > 100, f"the spec lists only {len(labels)} operations"
    mine = {label for label in labels if part_of(label) == part}
    assert mine, f"part {part} of {PARTS} holds no operation"
    # An exclude, not an include: include filters are OR-ed, and the `operations` of the
    # config already include everything (which would let every operation through).
    schema = whole.exclude(lambda context: part_of(context.operation.label) != part)

    @schema.hook
    def map_headers(context: Any, headers: dict[str, Any] | None) -> dict[str, Any] | None:
        # A key is for one request: reusing one with another body is refused (422).
        key = (headers or {}).get("Idempotency-Key")
        if headers is not None and isinstance(key, str) and 1 <= len(key) <= 255:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return headers

    @schema.hook
    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        if _empty_header_dropped(failure, case):
            return False
        try:
            problem = json.loads(response.content)
        except ValueError:
            return True
        if not isinstance(problem, dict):
            return True
        return not _beyond_the_schema(response.status_code, problem)

    statistic = Statistic()
    fatal: list[str] = []
    phase_cases: Counter[str] = Counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            statistic.on_scenario_finished(event.recorder)
            phase_cases[str(getattr(event, "phase", "fuzz"))] += len(event.recorder.cases)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            fatal.append(repr(event))
    failures = [
        f"{label} [{case_id}]: {failure.title}: {failure.message}"
        f" -> {group.response.status_code if group.response else ''} "
        f"{group.response.content[:300]!r} {group.code_sample}"
        if group.response
        else ""
        for label, grouped in statistic.failures.items()
        for case_id, group in grouped.items()
        for failure in group.failures
    ]
    print(
        f"schemathesis part {part}/{PARTS}: {len(statistic.tested_operations)} of "
        f"{len(labels)} operations, {statistic.total_cases} cases {dict(phase_cases)}, "
        f"{len(failures)} failures, {statistic.filtered_failures} answers with a "
        "documented reason"
    )
    assert not fatal, fatal
    assert statistic.tested_operations == mine, sorted(mine ^ statistic.tested_operations)
    assert not failures, "\n".join(failures)
