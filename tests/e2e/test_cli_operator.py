"""The command line as an operator meets it: an unknown `--tenant` is refused before
anything is stored, every command says which store it opens and will not make up a new
one (or a new cipher key) where data is expected, and a rebuild that a running runner
blocks ends with one line."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from application.shared.context import RequestContext, acting
from application.tenancy.commands import RegisterTenant
from application.wechat.commands import BindAccount
from entrypoints.cli import app
from entrypoints.container import Runtime
from entrypoints.settings import Settings

ACME = RegisterTenant(name="Acme 科技", owner_name="李雷", owner_contact="li@acme.cn")
REGISTER = ("--name", ACME.name, "--owner-name", ACME.owner_name, "--owner-contact", "li@acme.cn")


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def event_heads(settings: Settings) -> dict[str, int]:
    """The head of every event store: a refused command leaves each where it was."""
    runtime = Runtime(settings).start()
    try:
        return {a.name: a.recorder.max_notification_id() or 0 for a in runtime.applications}
    finally:
        runtime.close()


def register_tenant(settings: Settings) -> uuid.UUID:
    runtime = Runtime(settings).start()
    try:
        with acting(RequestContext(request_id="test-setup")):
            return runtime.container.tenancy().register_tenant(ACME).id
    finally:
        runtime.close()


def bind_account(settings: Settings, tenant_id: uuid.UUID) -> uuid.UUID:
    """An Official Account of the tenant (its fans are what the sandbox was seeded with)."""
    runtime = Runtime(settings).start()
    try:
        with acting(RequestContext(request_id="test-setup")):
            command = BindAccount(
                name="服务号",
                appid="wx0000000000000c1a",
                app_secret="0" * 32,
                callback_token="token",
                encoding_aes_key="k" * 43,
                kind="service",
            )
            return runtime.container.wechat_accounts().bind(tenant_id, command).id
    finally:
        runtime.close()


# --- an unknown tenant -------------------------------------------------------------------


def archive_on(settings: Settings, tenant_id: uuid.UUID) -> None:
    """The tenant's archive switched on: the edition with it, a key pair, the corp."""
    from application.archive.setup_commands import ChangeArchiveSettings, GenerateKey
    from application.tenancy.billing_commands import PlaceOrder

    runtime = Runtime(settings).start()
    try:
        with acting(RequestContext(request_id="test-setup")):
            billing = runtime.container.billing()
            order = billing.place_order(tenant_id, PlaceOrder(kind="new", edition="scrm_ten_seats"))
            billing.confirm_sandbox_payment(order.id)
            setup = runtime.container.archive_setup()
            setup.generate_key(tenant_id, GenerateKey(publickey_ver=1))
            on = ChangeArchiveSettings(
                corpid="ww0123456789abcdef", sdk_secret="s" * 43, enabled=True
            )
            setup.change(tenant_id, on)
    finally:
        runtime.close()


def _tenant_commands() -> set[str]:
    """Every command of `huoke` that has a --tenant option, found in the CLI itself."""
    found: set[str] = set()

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):  # a group (typer ships its own click)
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
        elif any("--tenant" in getattr(param, "opts", ()) for param in command.params):
            found.add(" ".join(path))

    walk(typer.main.get_command(app), ())
    return found


def _arguments(command: str, tenant: str, spreadsheet: Path, account: str = "") -> list[str]:
    return {
        "apikey create": ["--name", "crm", "--role", "tenant_admin"],
        "archive pull": [],
        "demo seed": ["--leads", "3", "--batch", "3"],
        "leads import": [str(spreadsheet), "--map", "手机=mobile"],
        "leads scan-duplicates": [],
        "wechat sync-fans": ["--account", account or str(uuid.uuid4())],
    }[command] + ["--tenant", tenant]


TENANT_COMMANDS = [
    "apikey create",
    "archive pull",
    "demo seed",
    "leads import",
    "leads scan-duplicates",
    "wechat sync-fans",
]


def test_every_command_that_takes_a_tenant_is_checked_here() -> None:
    assert _tenant_commands() == set(TENANT_COMMANDS)


@pytest.mark.parametrize("command", TENANT_COMMANDS)
def test_a_tenant_no_one_has_is_refused_in_one_line_and_nothing_is_stored(
    command: str, operator_shell: Settings, tmp_path: Path
) -> None:
    tenant_id = register_tenant(operator_shell)
    spreadsheet = tmp_path / "客户.csv"
    spreadsheet.write_text("手机\n13811115000\n13811115001\n", encoding="utf-8")
    before = event_heads(operator_shell)
    stranger = str(uuid.uuid4())

    refused = run(*command.split(), *_arguments(command, stranger, spreadsheet))

    assert refused.exit_code == 1, refused.output
    assert refused.stderr.splitlines()[-1] == (
        f"refused (--tenant): no tenant {stranger} (`huoke tenant create` registers one)"
    )
    assert "Traceback" not in refused.output
    assert event_heads(operator_shell) == before
    # the same command for a tenant that exists goes through
    if command == "archive pull":  # a tenant whose archive is on (the sandbox's)
        archive_on(operator_shell, tenant_id)
    account = str(bind_account(operator_shell, tenant_id)) if command.startswith("wechat") else ""
    accepted = run(*command.split(), *_arguments(command, str(tenant_id), spreadsheet, account))
    assert accepted.exit_code == 0, accepted.output


# --- where the store is ------------------------------------------------------------------


@pytest.fixture
def embedded_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An operator's shell for the embedded default: no HUOKE_* store settings at all,
    working in an empty folder (returned)."""
    for name in ("HUOKE_DATABASE_URL", "HUOKE_VAR_DIR", "HUOKE_CIPHER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUOKE_FAST_HASHING", "y")
    folder = tmp_path / "deploy"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_a_command_says_which_store_it_opens_and_makes_no_new_one(
    embedded_shell: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrated = run("db", "migrate")
    assert migrated.exit_code == 0, migrated.output
    store = embedded_shell / "var"
    assert migrated.stderr.splitlines()[0] == f"store: {store} (HUOKE_VAR_DIR)"
    assert (store / "cipher.key").is_file()
    created = run("tenant", "create", *REGISTER)
    assert created.exit_code == 0, created.output
    assert created.stderr.splitlines()[0] == f"store: {store} (HUOKE_VAR_DIR)"

    elsewhere = embedded_shell.parent / "home"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the default ./var is now another folder's
    lost = run("tenant", "create", *REGISTER)

    assert lost.exit_code == 1, lost.output
    assert lost.stderr.splitlines() == [
        f"store: {elsewhere / 'var'} (HUOKE_VAR_DIR)",
        f"refused (HUOKE_VAR_DIR): no huoke store in {elsewhere / 'var'}; point HUOKE_VAR_DIR "
        "at the existing one, or create one there with `huoke db migrate` (or `huoke serve`)",
    ]
    assert list(elsewhere.iterdir()) == []  # no store, no cipher key made up
    monkeypatch.setenv("HUOKE_VAR_DIR", str(store))
    found = run("projections", "list")
    assert found.exit_code == 0, found.output
    # the tenant registered from the first folder is there (no runner has shown it yet)
    assert re.search(r"tenancy_directory +follows tenancy +at 0/[1-9]", found.output), found.output


def test_a_store_whose_cipher_key_is_gone_is_not_given_a_new_one(embedded_shell: Path) -> None:
    assert run("db", "migrate").exit_code == 0
    key_file = embedded_shell / "var" / "cipher.key"
    key_file.unlink()

    for command in (["projections", "list"], ["db", "migrate"]):
        refused = run(*command)

        assert refused.exit_code == 1, refused.output
        assert refused.stderr.splitlines()[-1] == (
            f"refused (HUOKE_CIPHER_KEY): {key_file} is missing and the events there are "
            "encrypted with it; restore the file or set the key that wrote them"
        )
        assert not key_file.exists()


# --- a rebuild that a runner blocks ------------------------------------------------------


def test_a_rebuild_while_a_runner_keeps_the_view_ends_with_one_line(
    operator_shell: Settings,
) -> None:
    running = Runtime(replace(operator_shell, in_process_projections=True)).start()
    try:
        with acting(RequestContext(request_id="test-setup", read_your_writes=True)):
            # answered once the views show it: their runners are up and hold them
            running.container.tenancy().register_tenant(ACME)

        blocked = run("projections", "rebuild", "tenancy_directory")
    finally:
        running.close()

    assert blocked.exit_code == 1, blocked.output
    [store, refusal] = blocked.stderr.splitlines()
    assert store.startswith("store: ")
    assert refusal.startswith("refused (tenancy_directory): ") and "stop" in refusal
    assert "Traceback" not in blocked.output
    rebuilt = run("projections", "rebuild", "tenancy_directory")  # the runner has stopped
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "tenancy_directory: replayed" in rebuilt.output
