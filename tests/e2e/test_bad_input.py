"""Every write route rejects bad bodies with problem+json naming the field, recording nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from application.shared.stamping import metadata_of
from entrypoints.http.limits import MAX_JSON_DEPTH
from tests.conftest import Api
from tests.e2e.routes import Route, api_routes
from tests.settling import settle

QUIET_SECONDS = 0.5


@pytest.fixture
def own_records(api: Api) -> dict[str, str]:
    """The caller's own records, so a good body would succeed on every route."""
    records = {**api.one_of_each(), "staff_id": "00000000-0000-0000-0000-000000000000"}
    _quiet(api)
    return records


def _written_by_requests(api: Api, before: dict[str, int]) -> list[str]:
    """The events stored since `before` by anyone but the background workers (a WeCom
    transfer's worker sends its calls a few seconds after the records were made)."""
    workers = {getattr(worker, "name", "") for worker in api.runtime.workers}
    written = []
    for app in api.runtime.applications:
        start, head = before.get(app.name, 0), app.recorder.max_notification_id() or 0
        if head <= start:
            continue
        for notification in app.recorder.select_notifications(start + 1, head - start):
            metadata = metadata_of(app.mapper.to_domain_event(notification))
            if metadata.get("request_id") not in workers:
                written.append(f"{app.name}: {notification.topic} ({metadata})")
    return written


def _quiet(api: Api, *, timeout: float = 30) -> None:
    """Wait until what making the records set going has finished: followers, and the
    background workers they hand work to (a WeCom transfer's calls), so the event stores'
    heads move only for what a test sends."""
    deadline = time.monotonic() + timeout
    heads: dict[str, int] = {}
    while time.monotonic() < deadline:
        settle(api.runtime)
        now = api.event_positions()
        if now == heads:
            return
        heads = now
        time.sleep(QUIET_SECONDS)
    raise AssertionError(f"the event stores never stopped moving: {heads}")


def _body_routes(api: Api) -> list[Route]:
    routes = [route for route in api_routes(api.client.app) if route.is_write]
    assert len(routes) >= 15
    return [route for route in routes if route.body() is not None]


def _send(api: Api, route: Route, ids: dict[str, str], **kwargs: Any):
    auth = api.staff() if route.is_admin else api.key(ids["token"])
    headers = {
        **auth,
        "If-Match": '"1"',
        "content-type": "application/json",
        **kwargs.pop("headers", {}),
    }
    return api.client.request(route.method, route.url(ids), headers=headers, **kwargs)


def _body_limit(api: Api, route: Route) -> int:
    """The route's own body limit: uploads (lead imports) take more than the app-wide one."""
    default = api.runtime.settings.max_body_bytes
    for candidate in api.client.app.routes:
        if candidate.path_format == route.path:
            for handler in getattr(candidate, "route_handlers", []):
                if route.method in handler.http_methods:
                    return handler.resolve_request_max_body_size() or default
    return default


def _assert_problem(answer: Any, status: int, route: Route) -> dict[str, Any]:
    assert answer.status_code == status, (route, answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith("application/problem+json"), route
    return dict(answer.json())


def test_malformed_json_is_422(api: Api, own_records: dict[str, str]) -> None:
    before = api.event_positions()
    for route in _body_routes(api):
        problem = _assert_problem(_send(api, route, own_records, content=b'{"name": '), 422, route)
        assert problem["code"] == "malformed_json"
    assert not _written_by_requests(api, before)


def test_json_nested_past_the_bound_is_422_naming_the_limit_never_500(
    api: Api, own_records: dict[str, str]
) -> None:
    before = api.event_positions()
    for route in _body_routes(api):
        for depth in (MAX_JSON_DEPTH + 1, 1_000):  # 1,000 levels: 2 KB that once answered 500
            body = b'{"name": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
            problem = _assert_problem(_send(api, route, own_records, content=body), 422, route)
            assert (problem["code"], problem["limit"]) == ("json_too_deep", MAX_JSON_DEPTH), route
        at_bound = b'{"name": ' + b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1) + b"}"
        problem = _assert_problem(_send(api, route, own_records, content=at_bound), 422, route)
        assert problem["code"] != "json_too_deep", route  # decoded, then refused by the schema
    assert not _written_by_requests(api, before)


def test_wrong_types_name_the_field(api: Api, own_records: dict[str, str]) -> None:
    before = api.event_positions()
    for route in _body_routes(api):
        body = route.body() or {}
        for field in body:
            wrong = {**body, field: {"nested": ["not", "a", "value"]}}
            problem = _assert_problem(_send(api, route, own_records, json=wrong), 422, route)
            # An object field given an object names the key it does not know.
            assert problem["field"] in (field, f"{field}.nested"), (route, problem)
    assert not _written_by_requests(api, before)


def test_unknown_fields_are_refused(api: Api, own_records: dict[str, str]) -> None:
    before = api.event_positions()
    for route in _body_routes(api):
        body = {**(route.body() or {}), "is_superuser": True}
        problem = _assert_problem(_send(api, route, own_records, json=body), 422, route)
        assert problem["field"] == "is_superuser"
    assert not _written_by_requests(api, before)


def test_oversize_bodies_are_413(api: Api, own_records: dict[str, str]) -> None:
    before = api.event_positions()
    for route in _body_routes(api):
        limit = _body_limit(api, route)
        huge = b'{"name": "' + b"x" * (limit + 10) + b'"}'
        _assert_problem(_send(api, route, own_records, content=huge), 413, route)
    assert not _written_by_requests(api, before)


def test_domain_rules_name_the_field(api: Api, own_records: dict[str, str]) -> None:
    before = api.event_positions()
    headers = {**api.key(own_records["token"]), "If-Match": '"1"'}
    for body, field in [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"settings": {"Bad Key": 1}}, "settings.Bad Key"),
        ({"name": "   "}, "name"),
    ]:
        answer = api.client.patch("/api/v1/tenant", json=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field
    answer = api.client.post(
        "/api/v1/employees", json={"name": "x", "roles": ["king"]}, headers=headers
    )
    assert answer.status_code == 422 and answer.json()["field"] == "roles"
    assert not _written_by_requests(api, before)
