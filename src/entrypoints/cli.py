"""The `huoke` command line: serve, migrate, manage staff, tenants, keys and projections."""

from __future__ import annotations

import getpass
import secrets
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Annotated, NoReturn
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from adapters.persistence.runners import FollowerHeld
from application.leads.scope import LeadScope
from application.logins.commands import GrantStaffLogin
from application.shared.context import Actor, ActorKind, RequestContext, acting
from application.shared.errors import ApplicationError, NotFound
from application.tenancy.commands import EnrolStaff, IssueApiKey, RegisterTenant
from domain.shared.errors import DomainError
from domain.tenancy.order import Order
from entrypoints.container import READ_MODELS, Runtime, migrate
from entrypoints.settings import Settings

app = typer.Typer(help="huoke (获客): marketing cloud and social CRM.", no_args_is_help=True)
db = typer.Typer(help="Database tasks.", no_args_is_help=True)
staff = typer.Typer(help="Platform staff accounts.", no_args_is_help=True)
tenant = typer.Typer(help="Tenants.", no_args_is_help=True)
apikey = typer.Typer(help="Tenant API keys.", no_args_is_help=True)
worker = typer.Typer(help="Background workers.", no_args_is_help=True)
projections = typer.Typer(help="Read models (projections).", no_args_is_help=True)
payments = typer.Typer(help="Payments (sandbox provider).", no_args_is_help=True)
for group, name in [
    (db, "db"),
    (staff, "staff"),
    (tenant, "tenant"),
    (apikey, "apikey"),
    (worker, "worker"),
    (projections, "projections"),
    (payments, "payments"),
]:
    app.add_typer(group, name=name)
console = Console(soft_wrap=True)  # never wrap a token across lines
# Where the store is and why a command was refused: stderr, so stdout stays the answer.
notices = Console(stderr=True, soft_wrap=True)


def say_refused(message: str, field: str | None = None) -> None:
    notices.print(f"[red]refused[/]{f' ({field})' if field else ''}: {message}")


def refuse(message: str, field: str | None = None) -> NoReturn:
    """End the command with one line saying why (nothing was stored), exit status 1."""
    say_refused(message, field)
    raise typer.Exit(1)


def open_store(settings: Settings, *, create: bool = False) -> Settings:
    """Say which store this command opens; refuse to make up a new one (or a new cipher
    key) for a command that expects existing data, as a command run from another folder
    with the default relative HUOKE_VAR_DIR would otherwise do silently."""
    notices.print(f"store: {settings.store_location}")
    if settings.database_url is not None:
        return settings  # the database is named explicitly, and its key must be given
    # Storage keeps each application's events in var/events-<application>.sqlite.
    has_events = any(settings.var_dir.glob("events-*.sqlite"))
    key_file = settings.var_dir / "cipher.key"
    if has_events and settings.cipher_key is None and not key_file.exists():
        refuse(
            f"{key_file.resolve()} is missing and the events there are encrypted with it; "
            "restore the file or set the key that wrote them",
            "HUOKE_CIPHER_KEY",
        )
    if not has_events and not create:
        refuse(
            f"no huoke store in {settings.var_dir.resolve()}; point HUOKE_VAR_DIR at the "
            "existing one, or create one there with `huoke db migrate` (or `huoke serve`)",
            "HUOKE_VAR_DIR",
        )
    return settings


def known_tenant(runtime: Runtime, tenant_id: UUID) -> None:
    """Refuse a tenant id that no tenant has, before anything is stored under it."""
    try:
        runtime.container.tenancy().tenant(tenant_id)
    except NotFound:
        refuse(f"no tenant {tenant_id} (`huoke tenant create` registers one)", "--tenant")


@contextmanager
def operator(reason: str | None = None, *, workers: bool = False) -> Iterator[Runtime]:
    """A runtime for one CLI command on an existing store, acting as the operator."""
    settings = open_store(Settings.from_environment())
    runtime = Runtime(replace(settings, in_process_projections=workers))
    actor = Actor(ActorKind.SYSTEM, f"cli:{getpass.getuser()}")
    try:
        with acting(
            RequestContext(actor=actor, request_id=f"cli-{uuid.uuid4().hex}", reason=reason)
        ):
            yield runtime.start()
    finally:
        runtime.close()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on [HUOKE_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="port [HUOKE_PORT]")] = None,
) -> None:
    """Run the HTTP API (embedded default: SQLite under ./var, projections in-process)."""
    import uvicorn

    from entrypoints.http.app import create_app

    settings = open_store(Settings.from_environment(), create=True)
    runtime = Runtime(settings).start()
    with acting(
        RequestContext(
            actor=Actor(ActorKind.SYSTEM, "bootstrap"), request_id=f"bootstrap-{uuid.uuid4().hex}"
        )
    ):
        admin = runtime.container.tenancy().enrol_first_admin(settings.bootstrap_email)
        password = None if admin is None else grant_console_login(runtime, admin.id, admin.email)
    url = f"http://{host or settings.host}:{port or settings.port}"
    console.print(
        f"huoke is serving on [bold]{url}[/] (console: {url}/console, API docs: {url}/schema)"
    )
    if admin is not None:
        console.print(
            f"first run: bootstrap admin [bold]{admin.email}[/] with staff token\n"
            f"  [bold yellow]{admin.token}[/]\n"
            "  (shown once; send it as 'Authorization: Bearer <token>')\n"
            f"  console password [bold yellow]{password}[/] (shown once; change it after "
            "signing in, 修改密码)"
        )
    uvicorn.run(
        create_app(runtime),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


def grant_console_login(runtime: Runtime, staff_id: uuid.UUID, email: str) -> str:
    """Give a staff member a console login with a generated password; answers it."""
    password = secrets.token_urlsafe(12)
    runtime.container.logins().grant_staff_login(
        GrantStaffLogin(staff_id=staff_id, identifier=email, password=password)
    )
    return password


@db.command("migrate")
def db_migrate() -> None:
    """Create every events table and read-model table (run before starting on PostgreSQL)."""
    created = migrate(open_store(Settings.from_environment(), create=True))
    console.print(f"tables ready for: {', '.join(created)}")


@staff.command("create")
def staff_create(
    email: Annotated[str, typer.Option(help="login e-mail")],
    name: Annotated[str, typer.Option(help="display name")],
    role: Annotated[list[str], typer.Option(help="admin, support, billing or auditor")],
    console_login: Annotated[
        bool, typer.Option("--console/--no-console", help="also a console login")
    ] = True,
) -> None:
    """Enrol a staff member and print their access token and console password (shown once)."""
    with operator() as runtime:
        enrolled = runtime.container.tenancy().enrol_staff(
            EnrolStaff(email=email, display_name=name, roles=role)
        )
        password = (
            grant_console_login(runtime, enrolled.id, enrolled.email) if console_login else None
        )
    console.print(f"staff {enrolled.id} ({enrolled.email}) token:\n{enrolled.token}")
    if password is not None:
        console.print(f"console password (sign in at /console/sign-in):\n{password}")


@tenant.command("create")
def tenant_create(
    name: Annotated[str, typer.Option(help="enterprise name")],
    owner_name: Annotated[str, typer.Option(help="owner's name")],
    owner_contact: Annotated[str, typer.Option(help="owner's mobile or e-mail")],
    timezone: Annotated[str, typer.Option(help="IANA timezone")] = "Asia/Shanghai",
) -> None:
    """Register a tenant and print its id."""
    with operator() as runtime:
        created = runtime.container.tenancy().register_tenant(
            RegisterTenant(
                name=name, owner_name=owner_name, owner_contact=owner_contact, timezone=timezone
            )
        )
    console.print(f"tenant {created.id} ({created.name})")


@apikey.command("create")
def apikey_create(
    tenant_id: Annotated[UUID, typer.Option("--tenant", help="tenant id")],
    name: Annotated[str, typer.Option(help="what the key is for")],
    role: Annotated[list[str], typer.Option(help="tenant_admin, marketer, sales, ...")],
) -> None:
    """Issue an API key for a tenant and print it (shown once)."""
    with operator() as runtime:
        known_tenant(runtime, tenant_id)
        issued = runtime.container.tenancy().issue_api_key(
            tenant_id, IssueApiKey(name=name, roles=role)
        )
    console.print(f"API key {issued.id} for tenant {tenant_id}:\n{issued.token}")


@worker.command("projections")
def worker_projections() -> None:
    """Keep every read model up to date until stopped (one runner per view, guarded)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with operator(workers=True), suppress(KeyboardInterrupt):
        console.print(f"running projections: {', '.join(m.name for m in READ_MODELS)}")
        stop.wait()
    console.print("projections stopped")


@worker.command("scheduler")
def worker_scheduler() -> None:
    """Expire ended subscriptions and send approved refunds until stopped (one process)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with operator() as runtime, suppress(KeyboardInterrupt):
        runtime.start_scheduler()
        console.print("scheduler running")
        stop.wait()
    console.print("scheduler stopped")


@worker.command("sender")
def worker_sender() -> None:
    """Send e-mail, SMS and WeChat tasks and run flows' due waits until stopped (any number
    of processes may run it)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with operator() as runtime, suppress(KeyboardInterrupt):
        runtime.start_sender()
        console.print("sender running")
        stop.wait()
    console.print("sender stopped")


@payments.command("confirm")
def payments_confirm(
    order: Annotated[str, typer.Argument(help="order number (HK...) or order id")],
    reason: Annotated[str | None, typer.Option(help="why, recorded with the events")] = None,
) -> None:
    """Confirm a sandbox order as paid; the subscription it bought opens at once."""
    try:
        order_id = UUID(order)
    except ValueError:
        order_id = Order.create_id(order.strip())
    with operator(reason) as runtime:
        confirmed = runtime.container.billing().confirm_sandbox_payment(order_id)
    console.print(f"order {confirmed.number} is {confirmed.status} ({confirmed.paid_fen} fen)")


@projections.command("rebuild")
def projections_rebuild(
    name: Annotated[str, typer.Argument(help="read model name (see `huoke projections list`)")],
) -> None:
    """Empty a read model and replay its application's events into it, with progress."""
    models = {model.name: model for model in READ_MODELS}
    if name not in models:
        raise typer.BadParameter(f"unknown read model; one of: {', '.join(models)}")
    with operator() as runtime:
        columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        progress = Progress(
            *Progress.get_default_columns()[:1], *columns, console=console, transient=True
        )  # transient: the refusal or the summary below is the last line left
        try:
            with progress as bar:
                task = bar.add_task(f"rebuilding {name}", total=None)
                processed = runtime.rebuild(
                    name, lambda done, total: bar.update(task, completed=done, total=total)
                )
        except FollowerHeld as held:  # a runner (serve or worker) keeps the view
            refuse(str(held), name)
    console.print(f"{name}: replayed {processed} events")


@projections.command("list")
def projections_list() -> None:
    """Each read model, the applications it follows, and how far behind each it is."""
    with operator() as runtime:
        for at in runtime.positions():
            console.print(
                f"{at.follower:24} follows {at.upstream:10} "
                f"at {at.position}/{at.head} (behind {at.head - at.position})"
            )


demo = typer.Typer(help="Demo data for trying huoke and measuring it at size.")
app.add_typer(demo, name="demo")


@demo.command("seed")
def demo_seed(
    tenant_id: Annotated[UUID, typer.Option("--tenant", help="tenant id")],
    leads: Annotated[int, typer.Option("--leads", min=1, help="how many demo leads")] = 1000,
    batch: Annotated[int, typer.Option(min=1, max=5000, help="leads per commit")] = 1000,
) -> None:
    """Make sure the tenant has demo leads 0..N-1 (re-running skips what exists), then
    wait until the lead list shows them; prints the rates."""
    with operator("demo seed", workers=True) as runtime:
        container = runtime.container
        known_tenant(runtime, tenant_id)
        columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*Progress.get_default_columns()[:1], *columns, console=console) as bar:
            task = bar.add_task("writing leads", total=leads)
            started = time.monotonic()
            created, _ = container.lead_demo().seed(
                tenant_id,
                leads,
                batch_size=batch,
                progress=lambda done, _: bar.update(task, completed=done),
            )
            written = time.monotonic() - started
            application, view = container.leads(), container.lead_view()
            head = application.recorder.max_notification_id() or 0
            start = view.max_tracking_id(application.name) or 0
            shown = bar.add_task("updating the lead list", total=max(head - start, 1))
            while (done := view.max_tracking_id(application.name) or 0) < head:
                bar.update(shown, completed=done - start)
                time.sleep(0.5)
            bar.update(shown, completed=max(head - start, 1))
        total = time.monotonic() - started
    console.print(
        f"{created} leads created ({leads - created} already there) in {written:.1f} s "
        f"({created / max(written, 1e-9):,.0f} leads/s written); "
        f"lead list up to date after {total:.1f} s ({created / max(total, 1e-9):,.0f} leads/s)"
    )


leads_cli = typer.Typer(help="Leads.", no_args_is_help=True)
app.add_typer(leads_cli, name="leads")


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """`A=b` options as {A: b}; the last `=` splits, so a column name may contain one."""
    pairs: dict[str, str] = {}
    for value in values or []:
        key, equals, target = value.rpartition("=")
        if not equals or not key.strip() or not target.strip():
            raise typer.BadParameter(f"{value!r} is not NAME=VALUE", param_hint=option)
        pairs[key.strip()] = target.strip()
    return pairs


@leads_cli.command("import")
def leads_import(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV (UTF-8 or GBK) or XLSX")
    ],
    tenant_id: Annotated[UUID, typer.Option("--tenant", help="tenant id")],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="COLUMN=FIELD, once per column: mobile, email, name, company, …, "
            "custom:<key>, source.level1 … (e.g. --map 手机=mobile)",
        ),
    ] = None,
    update_existing: Annotated[
        bool, typer.Option(help="update leads that exist (otherwise: duplicates to clean)")
    ] = False,
    source: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE source of every row (level1=展会)")
    ] = None,
    resume: Annotated[
        UUID | None, typer.Option(help="continue this failed or interrupted import")
    ] = None,
) -> None:
    """Import leads from a file in batches, with a progress bar (LEAD-3)."""
    from application.leads.imports import MAX_FILE_BYTES, ImportOptions
    from application.leads.spreadsheet_limits import check_file_size

    if resume is None and not mapping:
        raise typer.BadParameter("map at least one column: --map COLUMN=FIELD", param_hint="--map")
    check_file_size(file.name, file.stat().st_size, MAX_FILE_BYTES)  # before reading it in
    content = file.read_bytes()
    with operator(f"lead import {file.name}") as runtime:
        known_tenant(runtime, tenant_id)
        imports = runtime.container.lead_imports()
        columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*Progress.get_default_columns()[:1], *columns, console=console) as bar:
            task = bar.add_task(f"importing {file.name}", total=None)

            def progress(import_id: UUID, rows: int, total: int | None) -> None:
                if rows == 0:
                    bar.console.print(f"import {import_id} started")
                bar.update(task, completed=rows, total=total)

            try:
                if resume is not None:
                    details = imports.resume(tenant_id, resume, content, progress=progress)
                else:
                    options = ImportOptions(
                        mapping=_pairs(mapping, "--map"),
                        update_existing=update_existing,
                        source=_pairs(source, "--source"),
                    )
                    details = imports.start(
                        tenant_id, file.name, content, options, progress=progress
                    )
            except (ApplicationError, DomainError, typer.BadParameter):
                raise
            except Exception:
                console.print("[red]the import stopped[/]; run again with --resume <import id>")
                raise
    counts = ", ".join(f"{count} {outcome}" for outcome, count in details.counts.items())
    console.print(f"import {details.id} {details.status}: {details.rows} rows ({counts})")
    if details.failure:
        console.print(f"[red]stopped[/]: {details.failure}; fix the file or --resume {details.id}")
    if details.counts.get("rejected"):
        console.print(f"rejected rows: GET /api/v1/lead-imports/{details.id}?outcome=rejected")


@leads_cli.command("scan-duplicates")
def leads_scan_duplicates(
    tenant_id: Annotated[UUID, typer.Option("--tenant", help="tenant id")],
) -> None:
    """Queue leads with the same name at the same company for cleaning (LEAD-4); the
    tenant's merge rules merge matching pairs at once. Reads the lead list as the
    projection worker last wrote it."""
    with operator("duplicate scan") as runtime:
        known_tenant(runtime, tenant_id)
        # The operator scans the whole tenant.
        scope = LeadScope.whole_company(tenant_id)
        found = runtime.container.lead_cleaning().detect_duplicates(scope)
    console.print(
        f"{found.examined} leads examined: {found.opened} cases opened, "
        f"{found.merged_automatically} merged by rule, {found.already_queued} already queued"
    )


behaviours_cli = typer.Typer(help="The behaviour log (page views, clicks, messages).")
app.add_typer(behaviours_cli, name="behaviours")


@behaviours_cli.command("forget-expired")
def behaviours_forget_expired() -> None:
    """Delete every tenant's behaviours older than its plan keeps (ADR 0013); the
    scheduler does this once a day, this runs it now."""
    with operator("behaviour retention") as runtime:
        forgotten = runtime.container.behaviour_retention().sweep()
    console.print(f"{forgotten} behaviours forgotten (older than their tenant's retention)")


def main() -> None:
    try:
        app()
    except (ApplicationError, DomainError) as refusal:
        # A refused command is the operator's to fix, not a crash: say why, exit non-zero.
        say_refused(refusal.message, getattr(refusal, "field", None))
        raise SystemExit(1) from None


archive_cli = typer.Typer(help="The session archive (会话内容存档).", no_args_is_help=True)
app.add_typer(archive_cli, name="archive")


@archive_cli.command("pull")
def archive_pull(
    tenant_id: Annotated[
        UUID | None,
        typer.Option("--tenant", help="tenant id [default: every tenant with the archive on]"),
    ] = None,
) -> None:
    """Pull archived chats until the source has no more, with a progress bar: one
    tenant's (its archive switched on), or every tenant's whose archive is on."""
    with operator("archive pull") as runtime:
        if tenant_id is not None:
            known_tenant(runtime, tenant_id)
        tenants = [tenant_id] if tenant_id else runtime.container.archive_pulling().tenants()
        ingestion = runtime.container.archive_ingestion()
        columns = (BarColumn(), MofNCompleteColumn())
        with Progress(*Progress.get_default_columns()[:1], *columns, console=console) as bar:
            for tenant in tenants:
                task = bar.add_task(f"tenant {tenant}", total=None)
                report = ingestion.pull(
                    tenant, progress=lambda done, t=task: bar.update(t, completed=done.fetched)
                )
                bar.update(task, total=report.fetched, completed=report.fetched)
                console.print(
                    f"{tenant}: {report.stored} messages stored ({report.undecryptable} "
                    f"undecryptable, {report.repeated} already stored), {report.alerts} "
                    f"alerts, seq {report.seq}"
                )


wechat_cli = typer.Typer(help="WeChat Official Accounts.", no_args_is_help=True)
app.add_typer(wechat_cli, name="wechat")


@wechat_cli.command("sync-fans")
def wechat_sync_fans(
    tenant_id: Annotated[UUID, typer.Option("--tenant", help="tenant id")],
    account_id: Annotated[UUID, typer.Option("--account", help="Official Account id")],
) -> None:
    """Sync an account's followers and their profiles from WeChat, with a progress bar."""
    with operator(f"WeChat fan sync {account_id}") as runtime:
        known_tenant(runtime, tenant_id)
        columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*Progress.get_default_columns()[:1], *columns, console=console) as bar:
            task = bar.add_task("syncing fans", total=None)
            report = runtime.container.wechat_fan_sync().sync(
                tenant_id,
                account_id,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    console.print(
        f"fan sync {report.sync_id}: {report.synced} profiles of {report.followers} followers"
    )
