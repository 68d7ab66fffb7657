"""The `shopbot` commands for selling with approved templates (issue 17): `templates check`, which
compares flows/templates.yaml with the WhatsApp account (also run by `shopbot check`), and
`customers optin`, which imports marketing consent from a CSV file."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.errors import GraphUnavailable


def environment_client(environ):
    """A Graph API client from the environment alone (`shopbot check` builds no app): the same token,
    base URL and API version the sender uses."""
    from bot.config import SETTINGS
    from bot.whatsapp.client import make_client

    names = ("WHATSAPP_PHONE_ID", "WHATSAPP_TOKEN", "WHATSAPP_API_VERSION", "WHATSAPP_API_URL")
    config = {name: environ.get(name) or SETTINGS[name][1] for name in names}
    if not config["WHATSAPP_TOKEN"]:
        raise GraphUnavailable("set WHATSAPP_TOKEN too: the account's templates are read with it")
    config["WHATSAPP_API_URL"] = (config["WHATSAPP_API_URL"] or "https://graph.facebook.com").rstrip("/")
    return make_client(dict(config, SEND_TIMEOUT=SETTINGS["SEND_TIMEOUT"][1], SEND_CONCURRENCY=1))


def check_templates(wa, waba_id: str, content) -> int:
    """Print each difference between flows/templates.yaml and account `waba_id`, then a summary line;
    how many problems. Raises GraphUnavailable."""
    from bot.whatsapp.templates import check_account, summary

    problems = check_account(wa, waba_id, content.templates.entries)
    for problem in problems:
        click.echo(str(problem))
    click.echo(summary(len(content.templates.entries), len(problems)))
    return len(problems)


@click.group("templates")
def templates_group():
    """The approved WhatsApp templates listed in flows/templates.yaml."""


@templates_group.command("check")
@with_appcontext
def templates_check():
    """Compare flows/templates.yaml with the templates of WHATSAPP_WABA_ID: missing, not approved
    (rejected, paused, disabled, pending), another category, parameters or buttons. Exit status 1 on a
    problem, 2 when the account could not be read."""
    waba_id = current_app.config.get("WHATSAPP_WABA_ID")
    content = current_app.extensions["shopbot.content"].current()
    if not waba_id:
        click.echo("Error: set WHATSAPP_WABA_ID to your WhatsApp Business Account id (WhatsApp Manager, "
                   "Account tools) to compare the templates with it", err=True)
        sys.exit(2)
    if not content.templates.present:
        click.echo("Error: flows/templates.yaml is missing; list the templates the shop uses there", err=True)
        sys.exit(2)
    try:
        problems = check_templates(current_app.extensions["shopbot.whatsapp"], waba_id, content)
    except GraphUnavailable as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    sys.exit(1 if problems else 0)


@click.group("customers")
def customers_group():
    """Customers: import their marketing consent."""


@customers_group.command("optin")
@click.option("--csv", "path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="columns: phone, source (where they gave consent), optional opted_in (yes/no)")
@with_appcontext
def customers_optin(path):
    """Record marketing opt-ins (or opt-outs) from a CSV file, creating customers by phone number.

    Every bad row is reported as FILE:LINE: message and then nothing is imported: fix the file and
    run the command again.
    """
    from pathlib import Path

    from bot.commerce import consent_import
    from bot.db import transaction
    from bot.models import utcnow as now

    rows, problems = consent_import.read(Path(path), path)
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    if errors:
        raise click.ClickException(f"{errors} problem(s) in {path}; nothing imported")
    with transaction(current_app.extensions["shopbot.sessions"]) as session:
        counts = consent_import.apply(session, rows, Path(path).name, now())
    click.echo(f"{path}: {len(rows)} row(s): {counts['in']} opted in, {counts['out']} opted out, "
               f"{counts['unchanged']} unchanged")
