"""A real `huoke serve` process for crash tests: started on a store, killed with
SIGKILL, started again (the ingestion and send-pipeline crash tests share it)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from entrypoints.settings import Settings
from tests.conftest import TEST_CIPHER_KEY


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    settings: Settings
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    staff_token: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. HUOKE_SMTP_URL

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "HUOKE_VAR_DIR": str(self.settings.var_dir),
            "HUOKE_CIPHER_KEY": TEST_CIPHER_KEY,
            "HUOKE_FAST_HASHING": "y",
            "HUOKE_AUTO_MIGRATE": "y",
            "HUOKE_RATE_LIMIT_PER_MINUTE": "1000000",
            "HUOKE_TRACKING_RATE_LIMIT": "1000000",
            "HUOKE_POOL_SIZE": "4",
            "HUOKE_INPROCESS_PROJECTIONS": "y",  # one process, as `huoke serve` embedded
            "COLUMNS": "400",  # rich must not wrap the token line
            **self.extra_env,
        }
        if self.settings.database_url:
            env["HUOKE_DATABASE_URL"] = self.settings.database_url
        else:
            env.pop("HUOKE_DATABASE_URL", None)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).with_name("huoke")), "serve", "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("huoke serve did not start:\n" + self.log.read_text()[-3000:])
        found = re.search(r"staff token\s+(\S+)", self.log.read_text())
        if found and not self.staff_token:
            self.staff_token = found.group(1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@contextmanager
def serving(
    settings: Settings, tmp_path: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    server = Server(settings, free_port(), tmp_path / "serve.log", extra_env=extra_env or {})
    server.start()
    try:
        yield server
    finally:
        server.stop()
