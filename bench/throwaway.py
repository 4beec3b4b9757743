"""What the benchmarks share: the PostgreSQL server to measure on, and a database of
their own that is dropped afterwards."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg


def server_url() -> str:
    """HUOKE_BENCH_DATABASE_URL, else HUOKE_TEST_DATABASE_URL; exits with advice if neither."""
    url = os.environ.get("HUOKE_BENCH_DATABASE_URL") or os.environ.get("HUOKE_TEST_DATABASE_URL")
    if not url:
        sys.exit(
            "set HUOKE_BENCH_DATABASE_URL or HUOKE_TEST_DATABASE_URL "
            '(eval "$(scripts/postgres-for-tests)" starts a local server)'
        )
    return url


@contextmanager
def throwaway_database(url: str) -> Iterator[str]:
    """A new database on the server of `url`, dropped (even if still in use) afterwards."""
    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    name = f"huoke_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
