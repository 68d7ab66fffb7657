"""Response times: the bot's reply latency, and staff's first response after a handoff.

Staff times count only opening hours (a chat handed over at 23:00 and
answered at 10:05 the next morning waited 5 minutes of the shop's time).
The database gives the handoffs; `OpeningHours.open_seconds` counts the
time, the same on every database.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bot.models import Handoff, OutboundMessage
from bot.reports.period import Period
from bot.reports.sql import nearest_rank, percentiles, seconds_between


def bot_latency(session: Session, period: Period) -> dict:
    """Seconds from a customer's message reaching us to the bot's reply leaving for WhatsApp."""
    latency = seconds_between(session, OutboundMessage.sent_at, OutboundMessage.cause_received_at)
    latencies = (select(latency.label("v"))
                 .where(OutboundMessage.cause_received_at >= period.start,
                        OutboundMessage.cause_received_at < period.end,
                        OutboundMessage.sent_at.is_not(None), OutboundMessage.staff_id.is_(None)).subquery())
    p = percentiles(session, latencies)
    return {"p50_seconds": _round(p[0.5]), "p90_seconds": _round(p[0.9])}


def staff_first_response(session: Session, period: Period, hours, promise_minutes: int, now: datetime) -> dict:
    """Median and p90 of the first staff reply (opening-hours minutes), and the share within the promise.

    A handoff still unanswered counts against the promise once the promised
    time has passed; one still inside its promised time is left out. One
    answered entirely outside opening hours (no open minute between the
    handoff and the reply) is counted apart: its "0 minutes" would flatter the
    figures, and it says something of its own (staff answering after hours).
    """
    rows = session.execute(select(Handoff.opened_at, Handoff.first_response_at).where(
        and_(Handoff.opened_at >= period.start, Handoff.opened_at < period.end))).all()
    answered, kept, within, after_hours = [], 0, 0, 0
    for opened, first in rows:
        waited = hours.open_seconds(opened, first or now)
        if first is not None and waited == 0:
            after_hours += 1
            continue
        if first is not None:
            answered.append(waited)
        if first is None and waited <= promise_minutes * 60:
            continue
        kept += 1
        within += first is not None and waited <= promise_minutes * 60
    return {"handoffs": len(rows), "answered": len(answered) + after_hours, "answered_outside_hours": after_hours,
            "median_minutes": _minutes(nearest_rank(answered, 0.5)),
            "p90_minutes": _minutes(nearest_rank(answered, 0.9)),
            "promise_minutes": promise_minutes, "share_within_promise": round(within / kept, 4) if kept else None}


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def _minutes(seconds: float | None) -> float | None:
    return round(seconds / 60, 1) if seconds is not None else None
