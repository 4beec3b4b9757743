"""An operator gives staff members a console login from the command line."""

from __future__ import annotations

import re

from litestar.testing import TestClient
from typer.testing import CliRunner

from entrypoints.cli import app
from entrypoints.container import Runtime
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

_TOKEN = re.compile(r'name="_csrf" value="([^"]+)"')


def test_staff_create_prints_a_console_password_that_signs_in(operator_shell: Settings) -> None:
    assert CliRunner().invoke(app, ["db", "migrate"]).exit_code == 0
    created = CliRunner().invoke(
        app, ["staff", "create", "--email", "ops@huoke.cn", "--name", "运维", "--role", "support"]
    )
    assert created.exit_code == 0, created.output
    password = created.output.strip().splitlines()[-1]
    runtime = Runtime(operator_shell).start()
    try:
        with TestClient(create_app(runtime, close_runtime_on_shutdown=False)) as client:
            token = _TOKEN.search(client.get("/console/sign-in").text)
            assert token
            signed_in = client.post(
                "/console/sign-in",
                data={"_csrf": token.group(1), "identifier": "ops@huoke.cn", "password": password},
                follow_redirects=False,
            )
            assert signed_in.status_code == 303, signed_in.text
            assert client.get("/console").status_code == 200
    finally:
        runtime.close()
