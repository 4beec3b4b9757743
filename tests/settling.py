"""Waiting for followers in tests: policies commit while they follow (a lead, a visitor),
so "caught up" means every upstream's head is processed and no head moved meanwhile."""

from __future__ import annotations

from entrypoints.container import Runtime


def settle(runtime: Runtime, *, timeout: float = 20) -> None:
    """Wait until every follower has processed every upstream's head, again after what
    the policies committed meanwhile."""
    infrastructure = runtime.container.infrastructure()
    upstreams = [*runtime.applications, runtime.container.behaviours()]
    heads: dict[str, int] = {}
    for _ in range(5):
        now = {u.name: u.recorder.max_notification_id() or 0 for u in upstreams}
        if now == heads:
            return
        heads = now
        for name, head in heads.items():
            if head:
                assert infrastructure.wait_for_followers(name, head, timeout), name
    raise AssertionError("the followers never settled")
