"""/staff/reports (owners): the figures for a period with charts, the CSV exports, and "add as FAQ"."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, redirect, render_template, request, url_for

from bot import reports
from bot.commerce import order_view
from bot.db import transaction
from bot.models import utcnow as now
from bot.reports import exports, faq_drafts
from bot.staff import bp, owner_only
from bot.staff.charts import bars, lines

PRESETS = {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days"}


def _period():
    """The period asked for: a preset, or the date picker's from/to; errors fall back to 30 days."""
    content = current_app.extensions["shopbot.content"].current()
    zone = content.hours.timezone
    first, last, preset = request.args.get("from"), request.args.get("to"), request.args.get("preset")
    try:
        if first and last:
            return reports.between(first, last, zone), None
        return reports.since(preset if preset in PRESETS else "30d", zone, now()), None
    except reports.PeriodError as exc:
        return reports.since("30d", zone, now()), f"{exc}; showing the last 30 days."


@bp.get("/reports")
@owner_only
def reports_page():
    content = current_app.extensions["shopbot.content"].current()
    period, problem = _period()
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        report = reports.build(s, content, period, now())

    def money(minor, currency=None):
        return order_view.money(content, minor, currency or content.catalog.currency) if minor is not None else "—"

    days = report["by_day"]
    series = days if len(days) <= 92 else report["by_week"]
    labels = [d["period"][5:] for d in series]
    charts = {
        "revenue": bars(labels, [d["revenue"] for d in series], fmt=lambda v: money(int(v)), title="Revenue"),
        "activity": lines(labels, {"Conversations": [d["conversations"] for d in series],
                                   "Orders": [d["orders"] for d in series]}, title="Conversations and orders"),
    }
    return render_template("staff/reports.html", r=report, money=money, charts=charts, presets=PRESETS,
                           preset=request.args.get("preset", "30d" if not request.args.get("from") else ""),
                           problem=problem, first=period.first.isoformat(), last=period.last.isoformat(),
                           by_week=series is not days)


#: The CSV exports: one row per order, one row per customer who wrote in the period.
EXPORTS = {"orders": exports.orders_csv, "conversations": exports.conversations_csv}


@bp.get("/reports/<kind>.csv")
@owner_only
def export(kind: str):
    if kind not in EXPORTS:
        return render_template("staff/error.html", title="No such export",
                               message="The exports are orders.csv and conversations.csv."), 404
    period, _ = _period()
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        rows = list(EXPORTS[kind](s, period))
    filename = f"shopbot-{kind}-{period.first}-{period.last}.csv"
    return Response(rows, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/reports/faq-draft")
@owner_only
def add_faq_draft():
    content = current_app.extensions["shopbot.content"].current()
    try:
        added = faq_drafts.add(content.root, request.form.get("question", ""), request.form.get("count", 0, type=int),
                               now().astimezone(ZoneInfo(content.hours.timezone)).date())
        flash(f"Added to {faq_drafts.DRAFTS}: write its answer there, then move it into flows/faq.yaml."
              if added else f"That question is already in {faq_drafts.DRAFTS}.")
    except ValueError as exc:
        flash(f"Nothing added: {exc}.", "error")
    back = {k: v for k, v in request.form.items() if k in ("from", "to", "preset") and v}
    return redirect(url_for("staff.reports_page", **back) + "#questions")


