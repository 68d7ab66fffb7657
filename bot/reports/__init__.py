"""The owner's reports: conversion, response times, common questions, commerce, campaigns and operations.

`build(session, content, period, now)` returns every figure as plain data;
the dashboard (/staff/reports), `shopbot report` and the JSON/CSV outputs
all show this one result. Every figure is SQL over rows the bot already
keeps (inbound events, the outbox, conversation events, orders and their
history, handoffs), so there is no second bookkeeping to drift.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.db import is_postgres
from bot.reports import campaigns, commerce, conversations, response
from bot.reports.period import Period, PeriodError, between, since

__all__ = ["Period", "PeriodError", "between", "build", "since"]


def _series(session: Session, period: Period) -> dict[str, list[dict]]:
    """Conversations, orders and revenue per local day and per local week."""
    talks = dict(zip(("day", "week"), conversations.per_day_and_week(session, period), strict=True))
    result = {}
    for size in ("day", "week"):
        sales = commerce.per_bucket(session, period, size)
        result[size] = [{"period": label, "conversations": talks[size].get(label, 0),
                         "orders": sales.get(label, (0, 0))[0], "revenue": sales.get(label, (0, 0))[1]}
                        for label, _lo, _hi in period.buckets(size)]
    return result


def build(session: Session, content, period: Period, now: datetime,
          campaign_names: Mapping[str, str] | None = None) -> dict:
    """Every figure for `period`, as plain data (money in minor units of the shop's currency).

    `campaign_names` maps a campaign's outbox source (`campaign:12`) to its name for the
    "campaigns" figures (bot/reports/campaigns.py); without it a campaign shows as "Campaign 12".
    """
    if is_postgres(session):
        session.execute(text("SET LOCAL work_mem = '32MB'"))  # sorts for distinct counts stay in memory
    steps = conversations.funnel(session, period)
    series = _series(session, period)
    by_step = {s["step"]: s["customers"] for s in steps}
    talks = by_step["conversations"]
    return {
        "period": {"from": period.first.isoformat(), "to": period.last.isoformat(), "timezone": period.zone,
                   "currency": content.catalog.currency},
        "funnel": steps,
        "enquiry_to_order": round(by_step["order_placed"] / talks, 4) if talks else None,
        "by_day": series["day"],
        "by_week": series["week"],
        "sources": commerce.sources(session, period),
        "response": {
            "bot": response.bot_latency(session, period),
            "staff": response.staff_first_response(session, period, content.hours,
                                                   content.handoff.reply_within_minutes, now),
        },
        "resolution": conversations.resolution(session, period, talks),
        "labels": conversations.labels(session, period, content.labels),
        "questions": {
            "top_faq": conversations.top_faq(session, period, content),
            "unanswered": conversations.unanswered(session, period),
            "searches_without_results": conversations.searches_without_results(session, period),
        },
        "commerce": {
            **commerce.totals(session, period),
            "best_sellers": commerce.best_sellers(session, period),
            "abandoned": conversations.abandoned(session, period),
        },
        "campaigns": [r.as_dict() for r in campaigns.results(session, period, campaign_names)],
        "operations": {
            "forgotten_orders": commerce.forgotten(session, now, content.handoff.forgotten_after_hours),
            "failed_messages": commerce.failed_messages(session, period),
            "order_to_delivery": commerce.order_to_delivery(session, period),
        },
    }
