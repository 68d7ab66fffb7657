"""/staff/campaigns (owners): every broadcast with its progress, and a page per campaign with its audience
after the consent filter, a preview with the first recipient's real parameters, the schedule, live
progress (campaigns.js polls `progress.json`) and pause / resume. Broadcasts are created with
`shopbot broadcast create` (bot.broadcast_cli); this page follows and steers them."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for

from bot.commerce import broadcasts, order_view
from bot.db import transaction
from bot.errors import BroadcastError
from bot.models import CampaignStatus
from bot.models import utcnow as now
from bot.reports import campaigns as results
from bot.staff import bp, owner_only
from bot.whatsapp import messaging_limit


def _progress(summary: broadcasts.Summary, limit: messaging_limit.Limit, used: int, frees) -> dict:
    """What the page shows and `progress.json` returns: the counts, the status, why it waits."""
    c = summary.campaign
    waiting = (c.status == CampaignStatus.RUNNING and summary.remaining > 0 and limit.value is not None
               and used >= limit.value)
    return {
        "status": str(c.status), "progress": summary.progress, "sent": summary.sent, "delivered": summary.delivered,
        "failed": summary.failed, "skipped": summary.skipped, "sending": summary.sending,
        "remaining": summary.remaining, "paused_reason": c.paused_reason,
        "waiting": (f"Waiting for Meta's messaging limit: {used:,} of {messaging_limit.describe(limit.value)} "
                    "customers reached outside their 24-hour window in the last 24 hours"
                    + (f"; more can go from {frees:%Y-%m-%d %H:%M} UTC" if frees else "")) if waiting else None,
    }


@bp.get("/campaigns")
@owner_only
def campaigns_page():
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        rows = broadcasts.listing(s)
        limit = messaging_limit.current(s, current_app.config)
        used = messaging_limit.used(s, now())
    return render_template("staff/campaigns.html", rows=rows, limit=messaging_limit.describe(limit.value), used=used)


def _campaign(campaign_id: int):
    content = current_app.extensions["shopbot.content"].current()
    t = now()
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        campaign = broadcasts.get(s, campaign_id)
        summary = broadcasts.summary(s, campaign)
        preview = broadcasts.preview(s, content, campaign)
        limit = messaging_limit.current(s, current_app.config)
        progress = _progress(summary, limit, messaging_limit.used(s, t), messaging_limit.frees_at(s, t))
        s.expunge(campaign)
    return campaign, summary, preview, progress, content.templates.get(campaign.template, campaign.language)


@bp.get("/campaigns/<id:campaign_id>")
@owner_only
def campaign_page(campaign_id: int):
    try:
        campaign, summary, preview, progress, template = _campaign(campaign_id)
    except BroadcastError as exc:
        return render_template("staff/error.html", title="No such campaign", message=str(exc)), 404
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        earned = results.result_for(s, f"campaign:{campaign.id}")
    content = current_app.extensions["shopbot.content"].current()
    return render_template("staff/campaign.html", c=campaign, s=summary, preview=preview, p=progress,
                           template=template, r=earned, money=lambda minor, currency: order_view.money(
                               content, minor, currency))


@bp.get("/campaigns/<id:campaign_id>/progress.json")
@owner_only
def campaign_progress(campaign_id: int):
    try:
        _campaign_row, _summary, _preview, progress, _template = _campaign(campaign_id)
    except BroadcastError as exc:
        return {"error": str(exc)}, 404
    return progress


@bp.post("/campaigns/<id:campaign_id>/pause")
@owner_only
def pause_campaign(campaign_id: int):
    return _steer(campaign_id, lambda s, campaign, t: broadcasts.pause(
        s, campaign, "paused by the owner in the dashboard", t), "Paused: nothing more is sent until you resume it.")


@bp.post("/campaigns/<id:campaign_id>/resume")
@owner_only
def resume_campaign(campaign_id: int):
    return _steer(campaign_id, broadcasts.resume, "Resumed: it goes on from the first customer not sent yet.")


def _steer(campaign_id: int, change, done: str):
    """`change(session, campaign, now)` on the locked campaign, then back to its page with `done` or the
    BroadcastError's message."""
    try:
        with transaction(current_app.extensions["shopbot.sessions"]) as s:
            change(s, broadcasts.get(s, campaign_id, lock=True), now())
        flash(done)
    except BroadcastError as exc:
        flash(str(exc), "error")
    return redirect(url_for("staff.campaign_page", campaign_id=campaign_id))
