"""The `huoke` command line: serve, migrate, manage staff, tenants, keys and projections."""

from __future__ import annotations

import getpass
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from adapters.persistence.runners import exclusive, open_view, rebuild
from application.shared.context import Actor, ActorKind, RequestContext, acting
from application.shared.errors import ApplicationError
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


@contextmanager
def operator(reason: str | None = None, *, workers: bool = False) -> Iterator[Runtime]:
    """A runtime for one CLI command, acting as the operator at this console."""
    settings = Settings.from_environment()
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

    settings = Settings.from_environment()
    runtime = Runtime(settings).start()
    with acting(
        RequestContext(
            actor=Actor(ActorKind.SYSTEM, "bootstrap"), request_id=f"bootstrap-{uuid.uuid4().hex}"
        )
    ):
        admin = runtime.container.tenancy().enrol_first_admin(settings.bootstrap_email)
    url = f"http://{host or settings.host}:{port or settings.port}"
    console.print(f"huoke is serving on [bold]{url}[/] (API docs: {url}/schema)")
    console.print(f"storage: {settings.database_url or settings.var_dir.resolve()}")
    if admin is not None:
        console.print(
            f"first run: bootstrap admin [bold]{admin.email}[/] with staff token\n"
            f"  [bold yellow]{admin.token}[/]\n"
            "  (shown once; send it as 'Authorization: Bearer <token>')"
        )
    uvicorn.run(
        create_app(runtime),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


@db.command("migrate")
def db_migrate() -> None:
    """Create every events table and read-model table (run before starting on PostgreSQL)."""
    created = migrate(Settings.from_environment())
    console.print(f"tables ready for: {', '.join(created)}")


@staff.command("create")
def staff_create(
    email: Annotated[str, typer.Option(help="login e-mail")],
    name: Annotated[str, typer.Option(help="display name")],
    role: Annotated[list[str], typer.Option(help="admin, support, billing or auditor")],
) -> None:
    """Enrol a staff member and print their access token (shown once)."""
    with operator() as runtime:
        enrolled = runtime.container.tenancy().enrol_staff(
            EnrolStaff(email=email, display_name=name, roles=role)
        )
    console.print(f"staff {enrolled.id} ({enrolled.email}) token:\n{enrolled.token}")


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
    read_model = models[name]
    with operator() as runtime, exclusive(runtime.container.storage(), read_model):
        view = open_view(read_model, runtime.container.storage(), runtime.container.env())
        application = next(a for a in runtime.applications if isinstance(a, read_model.follows))
        columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*Progress.get_default_columns()[:1], *columns, console=console) as bar:
            task = bar.add_task(f"rebuilding {name}", total=None)
            processed = rebuild(
                read_model,
                view,
                application,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        view.datastore.close()  # type: ignore[attr-defined]
    console.print(f"{name}: replayed {processed} events")


@projections.command("list")
def projections_list() -> None:
    """Each read model, the application it follows, and how far behind it is."""
    with operator() as runtime:
        for view in runtime.views:
            model = view.read_model
            application = next(a for a in runtime.applications if isinstance(a, model.follows))
            head = application.recorder.max_notification_id() or 0
            position = view.max_tracking_id(application.name) or 0
            console.print(
                f"{model.name:24} follows {application.name:10} "
                f"at {position}/{head} (behind {head - position})"
            )


def main() -> None:
    try:
        app()
    except (ApplicationError, DomainError) as refusal:
        # A refused command is the operator's to fix, not a crash: say why, exit non-zero.
        field = f" ({refusal.field})" if getattr(refusal, "field", None) else ""
        Console(stderr=True).print(f"[red]refused[/]{field}: {refusal.message}")
        raise SystemExit(1) from None
