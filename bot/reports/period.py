"""The period a report covers, and its days and weeks in the shop's timezone.

Day boundaries are the shop's local midnights (from `flows/settings.yaml`'s
timezone), computed here with zoneinfo so they are right across daylight
saving changes, then handed to SQL as a small table of (label, from, to)
rows: the same query groups by local day on SQLite and PostgreSQL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal, select, union_all
from sqlalchemy.orm import Session

from bot.db import is_postgres
from bot.models import UTCDateTime

_SINCE = re.compile(r"^\s*(\d+)\s*([dw])\s*$")


class PeriodError(ValueError):
    """A period that cannot be read, with what to write instead."""


@dataclass(frozen=True)
class Period:
    first: date  # local dates, both included
    last: date
    zone: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), ZoneInfo(self.zone)).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), ZoneInfo(self.zone)).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def buckets(self, size: str) -> list[tuple[str, datetime, datetime]]:
        """(label, from, to) per local day, or per ISO week (labelled by its Monday) clipped to the period."""
        zone, result = ZoneInfo(self.zone), []
        day = self.first
        while day <= self.last:
            if size == "week":
                nxt = min(day + timedelta(days=7 - day.weekday()), self.last + timedelta(days=1))
                label = (day - timedelta(days=day.weekday())).isoformat()
            else:
                nxt, label = day + timedelta(days=1), day.isoformat()
            result.append((label, datetime.combine(day, time(0), zone).astimezone(UTC),
                           datetime.combine(nxt, time(0), zone).astimezone(UTC)))
            day = nxt
        return result


def bucket_table(buckets: list[tuple[str, datetime, datetime]]):
    """The buckets as a SQL subquery with columns label, lo, hi (portable: a UNION ALL of literals)."""
    rows = [select(literal(label).label("label"), literal(lo, UTCDateTime()).label("lo"),
                   literal(hi, UTCDateTime()).label("hi")) for label, lo, hi in buckets]
    return union_all(*rows).subquery("bucket") if len(rows) > 1 else rows[0].subquery("bucket")


def by_bucket(session: Session, period: Period, size: str, ts, *aggregates, where=()) -> dict:
    """{label: aggregates} grouped by the shop's local day or week, for rows with `ts` in the period.

    PostgreSQL converts each timestamp to local time itself (fast on big
    tables); SQLite, which has no timezones, joins a table of the period's
    local day boundaries. Both give the same labels and counts.
    """
    if is_postgres(session):
        label = func.to_char(func.date_trunc(size, func.timezone(period.zone, ts)), "YYYY-MM-DD")
        stmt = (select(label, *aggregates).where(ts >= period.start, ts < period.end, *where).group_by(label))
    else:
        b = bucket_table(period.buckets(size))
        stmt = (select(b.c.label, *aggregates).select_from(b).join(ts.class_, and_(ts >= b.c.lo, ts < b.c.hi))
                .where(*where).group_by(b.c.label))
    return {label: values[0] if len(values) == 1 else tuple(values) for label, *values in session.execute(stmt)}


def since(text: str, zone: str, now: datetime) -> Period:
    """"30d" or "8w": that many days up to and including today, in the shop's timezone."""
    match = _SINCE.match(text or "")
    if not match:
        raise PeriodError(f"{text!r} is not a period; write it like 30d (days) or 8w (weeks)")
    count = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
    if not 1 <= count <= 3660:
        raise PeriodError("a period runs from 1 day to 10 years")
    today = now.astimezone(ZoneInfo(zone)).date()
    return Period(today - timedelta(days=count - 1), today, zone)


def between(first: str, last: str, zone: str) -> Period:
    """From the date picker: two ISO dates, both included."""
    try:
        a, b = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        raise PeriodError("dates are written like 2026-11-24") from None
    if b < a:
        raise PeriodError("the period ends before it starts")
    if (b - a).days > 3660:
        raise PeriodError("a period runs from 1 day to 10 years")
    return Period(a, b, zone)
