"""A shop's weekly opening hours, kept as wall-clock times in the shop's timezone.

Staff write them in flows/settings.yaml (`mon: "10:00-20:00"`, `sun: closed`).
The bot uses them to tell customers when someone will reply, and to count
handoff and response times only while the shop is open. The module is pure:
every function takes the time it needs, and nothing reads the clock or a
database.

Hours are wall-clock times in the shop's timezone, so 10:00-20:00 stays
10:00-20:00 local time on the days the clocks change. A span runs from the
first moment the shop's clock shows its start to the first moment it shows
its end. If the clocks jump forward over the start, the span opens at the
jump. If the clocks go back, the repeated hour belongs to whichever span was
running when they went back. Results are in UTC. Naive datetimes are read as
UTC, as the rest of the app stores them.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WHOLE_DAY = ((0, 1440),)
_DAY = timedelta(days=1)
_SPAN = re.compile(r"(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})")

Spans = tuple[tuple[int, int], ...]


class HoursError(ValueError):
    """Opening hours or a timezone that cannot be read; the message says what is wrong."""


def _minute(hour: str, minute: str) -> int | None:
    """'10', '30' -> 630; None if it is not a time of day (24:00 is allowed, as an end)."""
    h, m = int(hour), int(minute)
    if m >= 60 or h > 24 or (h == 24 and m):
        return None
    return h * 60 + m


def parse_day(value) -> Spans:
    """Turn one day's hours into spans of minutes since midnight, e.g. '10:00-20:00' -> ((600, 1200),).

    Several spans are separated by commas: '10:00-14:00, 16:00-20:00'. 'closed', None or '' means
    no spans, and '24h' means the whole day. Spans must be in order and must not overlap. A span
    cannot cross midnight, so end it at 24:00 and carry on the next day.
    """
    text = "" if value is None else str(value).strip()
    if text.lower() in ("", "closed"):
        return ()
    if text.lower() == "24h":
        return WHOLE_DAY
    spans: list[tuple[int, int]] = []
    previous = ""
    for part in (piece.strip() for piece in text.split(",")):
        match = _SPAN.fullmatch(part)
        start = _minute(*match.group(1, 2)) if match else None
        end = _minute(*match.group(3, 4)) if match else None
        if start is None or end is None:
            raise HoursError(f'"{part}" is not a time range like 10:00-20:00')
        if end <= start:
            raise HoursError(f'"{part}" must end after it starts; a range cannot cross midnight (end it at 24:00)')
        if spans and start < spans[-1][1]:
            raise HoursError(f'"{part}" overlaps or comes before "{previous}"; list ranges in order without overlap')
        spans.append((start, end))
        previous = part
    return tuple(spans)


def _zone(name: str) -> ZoneInfo:
    """The IANA timezone called `name`; raises HoursError if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise HoursError(f'unknown timezone "{name}"; use an IANA name like Europe/Madrid') from None


def _utc(at: datetime) -> datetime:
    """`at` in UTC; a naive datetime is taken to be UTC already."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _first_reaching(wall: datetime, zone: ZoneInfo) -> datetime:
    """Return the first instant (UTC) at which the clock in `zone` shows the naive time `wall` or later.

    If the clocks go back, a repeated time gives its first occurrence. If they jump forward over
    `wall`, the answer is the moment of the jump.
    """
    guess = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the offset before any change
    if guess.astimezone(zone).replace(tzinfo=None) == wall:
        return guess
    # `wall` was skipped: the jump lies between its two readings. Find it to the second.
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    high = int(guess.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


@dataclass(frozen=True)
class OpeningHours:
    """A shop's opening hours for each day of the week, as wall-clock spans in `timezone`."""

    timezone: str  # IANA name, e.g. "Europe/Madrid"
    week: tuple[Spans, ...]  # 7 entries, Monday first, each as parse_day returns

    def __post_init__(self) -> None:
        _zone(self.timezone)
        if len(self.week) != 7:
            raise HoursError("opening hours need 7 days, Monday first")

    @classmethod
    def from_settings(cls, hours: Mapping | None, timezone: str | None) -> OpeningHours:
        """Build opening hours from settings.yaml's `opening_hours:` mapping and the shop's timezone.

        Days missing from the mapping are closed. With no hours at all, the shop is always open.
        A missing timezone means UTC.
        """
        timezone = timezone or "UTC"
        if not hours:
            return cls(timezone, (WHOLE_DAY,) * 7)
        if not isinstance(hours, Mapping):
            raise HoursError("opening_hours must map mon..sun to hours")
        for key in hours:
            if key not in DAY_KEYS:
                raise HoursError(f'unknown day "{key}" in opening_hours; days are {", ".join(DAY_KEYS)}')
        week = []
        for key in DAY_KEYS:
            try:
                week.append(parse_day(hours.get(key)))
            except HoursError as exc:
                raise HoursError(f"{key}: {exc}") from None
        return cls(timezone, tuple(week))

    @property
    def always_open(self) -> bool:
        """True if every day is open around the clock."""
        return all(sum(end - start for start, end in day) == 1440 for day in self.week)

    def is_open(self, at: datetime) -> bool:
        """True if the shop is open at the instant `at`."""
        at = _utc(at)
        day = self._local_date(at)
        return any(start <= at < end for start, end in self._spans(day - _DAY, day + _DAY))

    def next_opening(self, at: datetime) -> datetime | None:
        """Return when the shop is next open: `at` itself if it is open then, None if it never opens."""
        if not any(self.week):
            return None
        at = _utc(at)
        for start, end in self._spans(self._local_date(at) - _DAY):
            if end > at:
                return max(start, at)
        return None  # not reached: _spans without an end day never stops

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """Count the seconds between `start` and `end` when the shop is open (0 if end <= start)."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return 0.0
        total = timedelta()
        for span_start, span_end in self._spans(self._local_date(start) - _DAY, self._local_date(end) + _DAY):
            if span_start < end and span_end > start:
                total += min(span_end, end) - max(span_start, start)
        return total.total_seconds()

    def add_open_time(self, start: datetime, seconds: float) -> datetime | None:
        """Return the first instant by which `seconds` of open time have passed since `start`.

        Only time inside the spans counts. With 0 seconds (or fewer) this is `start` itself, and
        the answer is None if the shop never opens.
        """
        if not any(self.week):
            return None
        start, left = _utc(start), timedelta(seconds=seconds)
        if left <= timedelta():
            return start
        for span_start, span_end in self._spans(self._local_date(start) - _DAY):
            if span_end <= start:
                continue
            span_start = max(span_start, start)
            if left <= span_end - span_start:
                return span_start + left
            left -= span_end - span_start
        return None  # not reached: _spans without an end day never stops

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(ZoneInfo(self.timezone)).date()

    def _spans(self, first: date, last: date | None = None) -> Iterator[tuple[datetime, datetime]]:
        """Yield the open spans as (start, end) in UTC, in order, for local days first..last (or forever)."""
        zone, day = ZoneInfo(self.timezone), first
        while last is None or day <= last:
            midnight = datetime.combine(day, time())
            for start, end in self.week[day.weekday()]:
                opens = _first_reaching(midnight + timedelta(minutes=start), zone)
                closes = _first_reaching(midnight + timedelta(minutes=end), zone)
                if opens < closes:  # a span wholly inside a skipped hour never opens
                    yield opens, closes
            day += _DAY
