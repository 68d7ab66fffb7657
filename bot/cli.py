"""The `shopbot` command: a Flask CLI group (`shopbot routes` and `shopbot shell` work too)."""
from __future__ import annotations

import logging
import os
import signal
import sys

import click
from flask import current_app
from flask.cli import (
    FlaskGroup,
    ScriptInfo,
    routes_command,
    shell_command,
    with_appcontext,
)

from bot import schema
from bot.app import create_app
from bot.broadcast_cli import broadcast_group
from bot.config import is_on
from bot.content import load_content
from bot.errors import ConfigError, ContentError, GraphUnavailable
from bot.marketing_cli import check_templates, customers_group, environment_client, templates_group

log = logging.getLogger(__name__)


def _create_app():
    return create_app()


class ShopbotGroup(FlaskGroup):
    """Flask's CLI group, telling a configuration problem in one line instead of a traceback, and
    speaking for shopbot alone: no Flask options (--env-file, --app, --debug), shopbot's version."""

    def __init__(self, **kwargs):
        super().__init__(add_version_option=False, **kwargs)
        self.params = [p for p in self.params if p.name not in ("env_file", "app", "debug")]
        self.params.append(click.Option(["--version"], is_flag=True, expose_value=False, is_eager=True,
                                        callback=_print_version, help="Show shopbot's version and exit."))

    def list_commands(self, ctx):
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except ConfigError as exc:  # `shopbot --help` still lists the commands that need no app
            click.secho(f"Error: {exc}\n", err=True, fg="red")
            return sorted(click.Group.list_commands(self, ctx))
        return super().list_commands(ctx)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from importlib.metadata import version

        click.echo(f"shopbot {version('shopbot')}")
        ctx.exit()


@click.group(cls=ShopbotGroup, create_app=_create_app, add_default_commands=False,
             help="shopbot: a WhatsApp commerce bot. Run `shopbot run` to start the sandbox.")
def cli():
    pass


cli.add_command(routes_command)
cli.add_command(shell_command)


def _sender(app):
    from bot.whatsapp.sender import Sender

    sender = app.extensions.get("shopbot.sender")
    if sender is None:
        sender = app.extensions["shopbot.sender"] = Sender(app)
    return sender


def run_overrides(environ, host: str, port: int) -> dict:
    """The configuration `shopbot run` adds to the environment's.

    Without a WHATSAPP_TOKEN (and without an explicit SHOPBOT_SANDBOX) it switches the
    sandbox on, so the README's bare `shopbot run` needs no configuration; the sandbox's
    own address (its fake Graph API, and the /webhook its status feedback goes to) is
    the one this process binds, reached from this machine.
    """
    explicit = environ.get("SHOPBOT_SANDBOX")
    sandbox = is_on(explicit) if explicit else not environ.get("WHATSAPP_TOKEN")
    if not sandbox:
        return {}
    local = "127.0.0.1" if host in ("", "0.0.0.0", "localhost") else "[::1]" if host == "::" else host
    if ":" in local and not local.startswith("["):
        local = f"[{local}]"
    return {"SHOPBOT_SANDBOX": True, "SANDBOX_URL": environ.get("SANDBOX_URL") or f"http://{local}:{port}"}


@cli.command("run", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run_command(host, port):
    """Run the bot on one process: migrations, web server and sender thread.

    Without a WHATSAPP_TOKEN this is the sandbox, the whole local shop: open
    http://HOST:PORT/sandbox and chat as a customer. With one, the bot runs live.
    """
    _refuse_busy_port(host, port)
    app = create_app(run_overrides(os.environ, host, port))
    schema.upgrade(app.extensions["shopbot.engine"])
    sender = _sender(app)
    sender.start()
    mode = "sandbox" if app.config["SANDBOX"] else "live"
    click.echo(f" * shopbot ({mode}) on http://{host}:{port}/" + ("sandbox" if mode == "sandbox" else ""))
    from werkzeug.serving import run_simple

    logging.getLogger("werkzeug").addFilter(_QuietPolls())
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        sender.stop()


def _refuse_busy_port(host: str, port: int) -> None:
    """Say which option to change when the port is taken (before anything starts)."""
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise click.UsageError(f"cannot listen on {host}:{port} ({exc.strerror}): another program (perhaps another"
                               f" shopbot) uses it; stop it, or choose another port: shopbot run --port {port + 1}"
                               ) from exc


class _QuietPolls(logging.Filter):
    """The sandbox page asks for new messages every 700 ms: those answered lines are not logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ('"GET /sandbox/api/feed' in message and '" 200 ' in message)


@click.command("worker")
@with_appcontext
def worker_command():
    """Run the sender (and the sweep of unhandled events) until SIGTERM or Ctrl-C.

    With METRICS_PORT set, it also serves its own counters at /metrics there (bot.metrics.serve).
    """
    from bot import metrics

    app = current_app._get_current_object()
    metrics_server = metrics.serve(app)  # ConfigError when it would be public without a token
    sender = _sender(app)

    def stop(*_):
        sender.stopping.set()
        sender.wakeup.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("shopbot worker: sending")  # a log line, so that with LOG_FORMAT=json every line is JSON
    sender.start()  # the dispatch loop, and on PostgreSQL the LISTEN thread that wakes it
    while not sender.stopping.wait(1.0):
        pass
    sender.stop()
    if metrics_server is not None:
        metrics_server.shutdown()


@cli.command("check", with_appcontext=False)
@click.option("--dir", "root", default=".", show_default=True, help="the shop folder holding flows/ and catalog/")
def check_command(root):
    """Check flows/ and catalog/; print every problem as path:line: message."""
    try:
        content, warnings = load_content(root)
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        errors = sum(p.severity == "error" for p in exc.problems)
        click.echo(f"{errors} error(s), {len(exc.problems) - errors} warning(s). Fix the errors: until then a"
                   " running bot keeps serving the last content that passed, and a bot starting now refuses"
                   " to start.")
        sys.exit(1)
    for problem in warnings:
        click.echo(str(problem))
    waba_id = os.environ.get("WHATSAPP_WABA_ID")
    if not waba_id:
        click.echo("templates not compared with the WhatsApp account: WHATSAPP_WABA_ID is not set")
    else:
        try:
            if check_templates(environment_client(os.environ), waba_id, content):
                sys.exit(1)
        except GraphUnavailable as exc:
            click.echo(f"Error: {exc}")
            sys.exit(1)
    click.echo(f"ok ({len(warnings)} warning(s))")


@click.group("db")
def db_group():
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Apply every pending migration."""
    schema.upgrade(current_app.extensions["shopbot.engine"])
    click.echo("database is up to date")


@click.group("events")
def events_group():
    """Inbound events that failed or were left unhandled."""


@events_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@with_appcontext
def events_retry(ids):
    """Process failed events again (all of them, or the given ids)."""
    from bot.whatsapp.inbound import retry_failed

    handled, failing = retry_failed(current_app._get_current_object(), list(ids) or None)
    click.echo(f"{handled} event(s) handled, {failing} still failing")
    current_app.extensions["shopbot.wakeup"].set()
    if failing:
        sys.exit(1)


@events_group.command("list")
@click.option("--status", default="failed", show_default=True, type=click.Choice(["failed", "pending", "processed"]))
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def events_list(status, limit):
    """List stored events by status, newest first."""
    from sqlalchemy import select

    from bot.db import transaction
    from bot.models import InboundEvent

    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        rows = session.scalars(select(InboundEvent).where(InboundEvent.status == status)
                               .order_by(InboundEvent.id.desc()).limit(limit)).all()
        if not rows:
            click.echo(f"No {status} events.")
        for e in rows:
            first_line = (e.error or "").splitlines()[0] if e.error else ""
            click.echo(f"{e.id}\t{e.received_at:%Y-%m-%d %H:%M:%S}\t{e.kind}/{e.subtype}\t{e.external_id}\t"
                       f"{first_line}")


@click.group("outbox")
def outbox_group():
    """Replies waiting to be sent, and the ones we gave up on (dead)."""


@outbox_group.command("list")
@click.option("--dead", is_flag=True, help="only the replies we gave up on (the default: every unsent reply)")
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def outbox_list(dead, limit):
    """List replies that are not sent, oldest first: id, queued at, status, attempts, customer, error."""
    from sqlalchemy import select

    from bot.db import transaction
    from bot.models import UNFINISHED, OutboundMessage, OutboundStatus

    wanted = (OutboundStatus.DEAD,) if dead else (*UNFINISHED, OutboundStatus.HELD, OutboundStatus.DEAD)
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        rows = session.scalars(select(OutboundMessage).where(OutboundMessage.status.in_(wanted))
                               .order_by(OutboundMessage.id).limit(limit)).all()
        for r in rows:
            click.echo(f"{r.id}\t{r.created_at:%Y-%m-%d %H:%M:%S}\t{r.status}\t{r.attempts} attempt(s)\t"
                       f"customer {r.customer_id}\t{r.error_title or ''}")
    if not rows:
        click.echo("no dead replies" if dead else "nothing waiting")


@outbox_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@with_appcontext
def outbox_retry(ids):
    """Queue dead replies again (all of them, or the given ids); exit 1 if any id was refused."""
    from bot.db import transaction
    from bot.models import utcnow as now
    from bot.whatsapp import outbox

    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        result = outbox.requeue_dead(session, list(ids) or None, now())
    current_app.extensions["shopbot.wakeup"].set()
    for row_id, reason in result.refused.items():
        click.echo(f"outbox {row_id}: refused, {reason}", err=True)
    click.echo(f"{len(result.ids)} repl{'y' if len(result.ids) == 1 else 'ies'} queued again")
    if result.refused:
        sys.exit(1)


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="machine-readable")
@with_appcontext
def status_command(as_json):
    """Outbox depth, oldest waiting reply, dead letters, failed events, last send, circuit."""
    import json

    from bot import status
    from bot.db import transaction
    from bot.models import utcnow as now

    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        figures = status.snapshot(session, now())
    click.echo(json.dumps(status.as_json(figures), indent=2) if as_json else status.as_text(figures), nl=as_json)


@click.command("link")
@click.option("--product", help="a product id from catalog/products.csv (default: the general link)")
@click.option("--source", help="where you share it, for reports: instagram, flyer, website...")
@click.option("--qr", "qr_path", type=click.Path(dir_okay=False, writable=True),
              help="also write the QR code to this .png or .svg file")
@with_appcontext
def link_command(product, source, qr_path):
    """Print a click-to-chat link with a prefilled message (and write its QR code)."""
    from bot.commerce.links import chat_text, qr_png, qr_svg, wa_me
    from bot.errors import NotFound

    content = current_app.extensions["shopbot.content"].current()
    try:
        text = chat_text(content, product, source)
    except NotFound:
        raise click.BadParameter(f"no product `{product}` in catalog/products.csv", param_hint="--product") from None
    url = wa_me(current_app.config["WHATSAPP_DISPLAY_NUMBER"], text)
    click.echo(url)
    if qr_path:
        data = qr_svg(url) if qr_path.lower().endswith(".svg") else qr_png(url)
        with open(qr_path, "wb") as f:
            f.write(data)
        click.echo(f"QR code written to {qr_path}")


@click.group("order")
def order_group():
    """Orders: change a status as staff; list carrier events held for a tracking number."""


@order_group.command("set")
@click.argument("reference")
@click.argument("status")
@click.option("--by", "actor", default="staff", show_default=True, help="who does it, for the order's history")
@click.option("--tracking", help="tracking number (when shipping)")
@click.option("--carrier", help="carrier id from flows/carriers.yaml (when shipping)")
@with_appcontext
def order_set(reference, status, actor, tracking, carrier):
    """Move an order to STATUS (confirmed, shipped, cancelled, ...) or a payment status (paid,
    cash_on_delivery, refunded), if the order's tables allow it."""
    from sqlalchemy import select

    from bot.commerce import orders
    from bot.db import transaction
    from bot.errors import InvalidInput
    from bot.models import Order
    from bot.models import utcnow as now

    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        order = session.scalars(select(Order).where(Order.reference == reference.upper()).with_for_update()).first()
        if order is None:
            raise click.ClickException(f"no order {reference}")
        content = current_app.extensions["shopbot.content"].current()
        try:
            event = orders.event_for(order, status)
            orders.apply(session, content, order, event, f"staff:{actor}", now(), carrier=carrier,
                         tracking_number=tracking)
        except orders.IllegalTransition as exc:
            raise click.ClickException(str(exc)) from exc
        except InvalidInput as exc:
            option = {"carrier": "--carrier", "tracking_number": "--tracking"}.get(exc.field, exc.field)
            raise click.UsageError(f"{option}: {exc.message}") from exc
    current_app.extensions["shopbot.wakeup"].set()
    click.echo(f"{order.reference} is now {order.status} and {order.payment_status}")


@order_group.command("held")
@click.option("--limit", default=200, show_default=True)
@with_appcontext
def order_held(limit):
    """Carrier events waiting for an order with their tracking number, newest first.

    Each is applied when an order is shipped with that carrier and tracking number.
    """
    from bot.commerce import tracking
    from bot.db import transaction

    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        rows, total = tracking.held(session, limit)
        for e in rows:
            click.echo(f"{e.carrier}\t{e.tracking_number}\t{e.code}\t{e.occurred_at:%Y-%m-%d %H:%M}Z\t"
                       f"received {e.received_at:%Y-%m-%d %H:%M}Z\t{e.event_id}")
    click.echo(f"{total} carrier event(s) held" + (f", {len(rows)} shown" if total > len(rows) else ""), err=True)


@click.group("staff")
def staff_group():
    """Staff accounts for the dashboard at /staff."""


@staff_group.command("add")
@click.argument("email")
@click.option("--name", required=True, help="shown to colleagues in the inbox")
@click.option("--role", type=click.Choice(["owner", "staff"]), default="staff", show_default=True,
              help="owners also see settings and reports")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="at least 10 characters (prompted for when not given)")
@with_appcontext
def staff_add(email, name, role, password):
    """Create an account that can log in to /staff."""
    from bot.db import transaction
    from bot.errors import InvalidInput
    from bot.models import utcnow as now
    from bot.staff.accounts import add

    try:
        with transaction(current_app.extensions["shopbot.sessions"]) as session:
            member = add(session, email, name, role, password, now())
            click.echo(f"{member.email} ({member.role}) can log in at /staff/login")
    except InvalidInput as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.field}" if exc.field != "email" else "EMAIL") from exc


@staff_group.command("list")
@with_appcontext
def staff_list():
    """Every account, with its role and whether it can log in."""
    from sqlalchemy import select

    from bot.db import transaction
    from bot.models import StaffMember

    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        for m in session.scalars(select(StaffMember).order_by(StaffMember.email)):
            click.echo(f"{m.email}\t{m.name}\t{m.role}\t{'active' if m.active else 'switched off'}")


@click.command("report")
@click.option("--since", "since_text", default="30d", show_default=True, help="the last N days (30d) or weeks (8w)")
@click.option("--from", "first", help="first day, like 2026-11-01 (with --to, instead of --since)")
@click.option("--to", "last", help="last day, included")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@with_appcontext
def report_command(since_text, first, last, fmt):
    """The owner's figures: conversion, response times, common questions, sales and operations."""
    from bot import reports
    from bot.commerce import order_view
    from bot.db import transaction
    from bot.models import utcnow as now
    from bot.reports import formats

    content = current_app.extensions["shopbot.content"].current()
    zone = content.hours.timezone
    try:
        if bool(first) != bool(last):
            raise reports.PeriodError("--from and --to go together")
        period = reports.between(first, last, zone) if first else reports.since(since_text, zone, now())
    except reports.PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint="--from/--to" if first or last else "--since") from exc
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        report = reports.build(session, content, period, now())

    def money(minor, currency=None):
        return order_view.money(content, minor, currency or content.catalog.currency)

    click.echo({"json": lambda: formats.as_json(report), "csv": lambda: formats.as_csv(report, money),
                "text": lambda: formats.as_text(report, money)}[fmt](), nl=False)


def register_commands(app) -> None:
    """Attach the commands that need an app to `app.cli` (so `app.test_cli_runner()` sees them)."""
    for command in (worker_command, db_group, events_group, outbox_group, status_command, link_command,
                    order_group, staff_group, customers_group, report_command, templates_group, broadcast_group):
        app.cli.add_command(command)


def main():
    try:
        cli(prog_name="shopbot")
    except ConfigError as exc:  # raised while the app is built: one clear line, not a traceback
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
