"""`shopbot broadcast ...`: create, list, follow, pause and resume broadcasts, and see or set Meta's
messaging limit (issue 17). The sending itself is the worker's (bot.commerce.campaign_runner)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.errors import BroadcastError


def _sessions():
    return current_app.extensions["shopbot.sessions"]


def parse_at(text: str, zone: str, now: datetime) -> datetime:
    """`--at`: "now", or an ISO time (in the shop's time zone unless it names one). Raises BadParameter."""
    if text.strip().lower() == "now":
        return now
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"`{text}` is not a time: use now or an ISO time like 2026-12-24T09:00",
                                 param_hint="--at") from None
    return (at if at.tzinfo else at.replace(tzinfo=ZoneInfo(zone))).astimezone(now.tzinfo)


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else "—"


@click.group("broadcast")
def broadcast_group():
    """Broadcasts: one approved template to many customers, within Meta's limits."""


@broadcast_group.command("create")
@click.option("--template", "name", required=True, help="a marketing or utility template of flows/templates.yaml")
@click.option("--language", help="the template's language, when flows/templates.yaml lists several")
@click.option("--audience", "path", type=click.Path(dir_okay=False), help="a CSV file with a `phone` column")
@click.option("--label", help="the customers whose chat has this label (flows/labels.yaml)")
@click.option("--segment", help='"ordered in last 90 days" or "all opted in"')
@click.option("--at", "at_text", default="now", show_default=True, help="when to start: now, or an ISO time")
@with_appcontext
def broadcast_create(name, language, path, label, segment, at_text):
    """Create a broadcast. It goes only to customers who opted in to marketing (a utility template too: a
    broadcast is never about the customer's own order); a CSV file with any
    bad row (reported as FILE:LINE: message) creates nothing. The worker sends it from --at on."""
    from bot.commerce import audiences, broadcasts
    from bot.db import transaction
    from bot.models import utcnow

    if sum(x is not None for x in (path, label, segment)) != 1:
        raise click.UsageError("choose the audience with one of --audience FILE.csv, --label or --segment")
    content = current_app.extensions["shopbot.content"].current()
    now = utcnow()
    start = parse_at(at_text, content.hours.timezone, now)
    try:
        template = broadcasts.find_template(content, name, language)
        with transaction(_sessions()) as session:
            if path is not None:
                audience, problems = audiences.from_csv(session, Path(path), path, now)
                for problem in problems:
                    click.echo(str(problem))
                if audience is None:
                    errors = sum(p.severity == "error" for p in problems)
                    raise BroadcastError(f"{errors} problem(s) in {path}; no broadcast created")
            elif label is not None:
                audience = audiences.from_label(session, label, tuple(lb.id for lb in content.labels))
            else:
                audience = audiences.from_segment(session, segment, now)
            campaign = broadcasts.create(session, content, template, audience, max(start, now), now)
            summary = broadcasts.summary(session, campaign)
            click.echo(f"campaign {campaign.id}: {template.name} ({template.language}, {template.category}) to "
                       f"{audience.description}: {campaign.audience_total} customer(s), "
                       f"{summary.audience_after_consent} after the consent filter; starts "
                       + ("now" if start <= now else _when(start))
                       + (f" ({audience.merged} duplicate{'s' if audience.merged > 1 else ''} merged)"
                          if audience.merged else ""))
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from None


@broadcast_group.command("list")
@with_appcontext
def broadcast_list():
    """Every broadcast, newest first: its status and how far it got."""
    from bot.commerce import broadcasts
    from bot.db import transaction

    with transaction(_sessions()) as session:
        rows = broadcasts.listing(session)
        if not rows:
            click.echo("no broadcasts yet: shopbot broadcast create --template NAME --segment \"all opted in\"")
        for s in rows:
            c = s.campaign
            click.echo(f"{c.id}\t{c.status}\t{c.template}\t{c.audience}\t{s.progress}%\t"
                       f"sent {s.sent}, failed {s.failed}, remaining {s.remaining + s.sending}\t{_when(c.start_at)}")


@broadcast_group.command("status")
@click.argument("campaign_id", type=int)
@with_appcontext
def broadcast_status(campaign_id):
    """One broadcast: its audience before and after consent, sent, failed, skipped, remaining, why it waits
    or was paused."""
    from bot.commerce import broadcasts, order_view
    from bot.db import transaction
    from bot.models import CampaignStatus, utcnow
    from bot.reports import campaigns as campaign_results
    from bot.whatsapp import messaging_limit

    now = utcnow()
    try:
        with transaction(_sessions()) as session:
            campaign = broadcasts.get(session, campaign_id)
            s = broadcasts.summary(session, campaign)
            limit = messaging_limit.current(session, current_app.config)
            used = messaging_limit.used(session, now)
            frees = messaging_limit.frees_at(session, now)
            earned = campaign_results.result_for(session, f"campaign:{campaign.id}")
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"campaign {campaign.id}: {campaign.template} ({campaign.language}, {campaign.category}), "
               f"{campaign.status}")
    click.echo(f"audience: {campaign.audience}: {campaign.audience_total} before the consent filter, "
               f"{s.audience_after_consent} after")
    click.echo(f"schedule: from {_when(campaign.start_at)}"
               + (f", finished {_when(campaign.finished_at)}" if campaign.finished_at else ""))
    click.echo(f"sent {s.sent} (delivered {s.delivered}), failed {s.failed}, skipped {s.skipped}, "
               f"remaining {s.remaining + s.sending} ({s.sending} in the outbox)")
    for why, count in sorted(s.errors.items(), key=lambda e: -e[1]):
        click.echo(f"  failed: {why}: {count}")
    click.echo(f"messaging limit: {used} of {messaging_limit.describe(limit.value)} customers reached outside "
               "their 24-hour window in the last 24 hours"
               + (f"; room again from {_when(frees)}" if limit.value is not None and used >= limit.value else ""))
    content = current_app.extensions["shopbot.content"].current()
    revenue = " + ".join(order_view.money(content, minor, currency) for currency, minor in earned.revenue.items())
    revenue = revenue or "none"
    click.echo(f"within 7 days: read {earned.read}, replied {earned.replied}, opted out {earned.opted_out}, "
               f"orders {earned.orders}, revenue {revenue}")
    if campaign.status == CampaignStatus.PAUSED:
        click.echo(f"paused: {campaign.paused_reason}")
        click.echo(f"resume with: shopbot broadcast resume {campaign.id}")


@broadcast_group.command("pause")
@click.argument("campaign_id", type=int)
@click.option("--reason", default="paused by the owner", show_default=True)
@with_appcontext
def broadcast_pause(campaign_id, reason):
    """Pause a broadcast: nothing more is sent (messages already with Meta still arrive)."""
    from bot.commerce import broadcasts

    pulled = _steer(campaign_id, lambda session, campaign, now: broadcasts.pause(session, campaign, reason, now))
    click.echo(f"campaign {campaign_id}: paused ({pulled} message(s) taken back from the outbox)")


@broadcast_group.command("resume")
@click.argument("campaign_id", type=int)
@with_appcontext
def broadcast_resume(campaign_id):
    """Go on with a paused broadcast from the first recipient not sent yet."""
    from bot.commerce import broadcasts

    _steer(campaign_id, broadcasts.resume)
    click.echo(f"campaign {campaign_id}: resumed")


def _steer(campaign_id: int, change):
    """`change(session, campaign, now)` on the locked campaign in one transaction; its result. A
    BroadcastError (no such campaign, not pausable...) is the command's error message."""
    from bot.commerce import broadcasts
    from bot.db import transaction
    from bot.models import utcnow

    try:
        with transaction(_sessions()) as session:
            return change(session, broadcasts.get(session, campaign_id, lock=True), utcnow())
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from None


@broadcast_group.command("limit")
@click.argument("value", required=False)
@with_appcontext
def broadcast_limit(value):
    """Show Meta's messaging limit in force and its use, or set it (250, 2000, 10000, 100000, unlimited)
    when WhatsApp Manager shows another than the webhook told us."""
    from bot.db import transaction
    from bot.models import utcnow
    from bot.whatsapp import messaging_limit

    now = utcnow()
    with transaction(_sessions()) as session:
        if value is not None:
            try:
                messaging_limit.store(session, messaging_limit.parse(value), "command", now)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="VALUE") from None
        limit = messaging_limit.current(session, current_app.config)
        used = messaging_limit.used(session, now)
    source = {"setting": "the MESSAGING_LIMIT setting", "webhook": "Meta's webhook",
              "command": "shopbot broadcast limit"}.get(limit.source, limit.source)
    click.echo(f"messaging limit: {messaging_limit.describe(limit.value)} customers a day (from {source}"
               + (f", {_when(limit.at)}" if limit.at else "") + f"); {used} reached outside their window "
               "in the last 24 hours")
