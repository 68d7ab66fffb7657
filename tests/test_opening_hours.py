"""Opening hours: parsing, open or closed at an instant, and time counted inside the hours."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.commerce.opening_hours import DAY_KEYS, HoursError, OpeningHours, parse_day

MADRID = ZoneInfo("Europe/Madrid")
SAMPLE = {"mon": "10:00-20:00", "tue": "10:00-20:00", "wed": "10:00-20:00", "thu": "10:00-20:00",
          "fri": "10:00-21:00", "sat": "11:00-21:00", "sun": "closed"}
HOURS = OpeningHours.from_settings(SAMPLE, "Europe/Madrid")
EVERY_DAY = OpeningHours.from_settings({key: "10:00-20:00" for key in DAY_KEYS}, "Europe/Madrid")
NEVER = OpeningHours.from_settings({key: "closed" for key in DAY_KEYS}, "Europe/Madrid")
ALWAYS = OpeningHours.from_settings(None, None)


def madrid(day: int, hour: int, minute: int = 0, month: int = 11, second: int = 0) -> datetime:
    """A wall-clock time in Madrid in 2026; November unless told (2026-11-23 is a Monday)."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=MADRID)


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# Parsing

@pytest.mark.parametrize("value,spans", [
    ("10:00-20:00", ((600, 1200),)),
    ("10:00-14:00, 16:00-20:00", ((600, 840), (960, 1200))),
    ("9:30 - 13:00", ((570, 780),)),
    ("10:00-14:00,14:00-20:00", ((600, 840), (840, 1200))),
    ("closed", ()), ("Closed", ()), ("CLOSED", ()), (None, ()), ("", ()), ("  ", ()),
    ("24h", ((0, 1440),)), ("24H", ((0, 1440),)), ("00:00-24:00", ((0, 1440),)), ("18:00-24:00", ((1080, 1440),)),
])
def test_parse_day_reads_good_values(value, spans):
    assert parse_day(value) == spans


@pytest.mark.parametrize("value,message", [
    ("25:00-20:00", '"25:00-20:00" is not a time range like 10:00-20:00'),
    ("10:60-20:00", '"10:60-20:00" is not a time range like 10:00-20:00'),
    ("10:00-24:30", '"10:00-24:30" is not a time range like 10:00-20:00'),
    ("10-20", '"10-20" is not a time range like 10:00-20:00'),
    ("open", '"open" is not a time range like 10:00-20:00'),
    ("10:00-14:00, 16:00", '"16:00" is not a time range like 10:00-20:00'),
    ("20:00-10:00", '"20:00-10:00" must end after it starts; a range cannot cross midnight (end it at 24:00)'),
    ("22:00-02:00", '"22:00-02:00" must end after it starts; a range cannot cross midnight (end it at 24:00)'),
    ("10:00-10:00", '"10:00-10:00" must end after it starts; a range cannot cross midnight (end it at 24:00)'),
    ("10:00-14:00, 13:00-20:00",
     '"13:00-20:00" overlaps or comes before "10:00-14:00"; list ranges in order without overlap'),
    ("16:00-20:00, 10:00-14:00",
     '"10:00-14:00" overlaps or comes before "16:00-20:00"; list ranges in order without overlap'),
])
def test_parse_day_refuses_bad_values_saying_why(value, message):
    with pytest.raises(HoursError) as info:
        parse_day(value)
    assert str(info.value) == message


def test_from_settings_names_the_day_with_bad_hours():
    with pytest.raises(HoursError) as info:
        OpeningHours.from_settings({**SAMPLE, "mon": "25:00-20:00"}, "Europe/Madrid")
    assert str(info.value) == 'mon: "25:00-20:00" is not a time range like 10:00-20:00'


def test_from_settings_names_an_unknown_day():
    with pytest.raises(HoursError) as info:
        OpeningHours.from_settings({"monday": "10:00-20:00"}, "Europe/Madrid")
    assert str(info.value) == 'unknown day "monday" in opening_hours; days are mon, tue, wed, thu, fri, sat, sun'


@pytest.mark.parametrize("name", ["Mars/Olympus", "europe/madrid", "Europe", "../etc/passwd"])
def test_from_settings_refuses_an_unknown_timezone(name):
    with pytest.raises(HoursError) as info:
        OpeningHours.from_settings(SAMPLE, name)
    assert str(info.value) == f'unknown timezone "{name}"; use an IANA name like Europe/Madrid'


def test_from_settings_builds_the_week_monday_first_with_missing_days_closed():
    assert HOURS.timezone == "Europe/Madrid"
    assert HOURS.week == (((600, 1200),),) * 4 + (((600, 1260),), ((660, 1260),), ())
    partial = OpeningHours.from_settings({"sat": "11:00-14:00"}, "Europe/Madrid")
    assert partial.week == ((), (), (), (), (), ((660, 840),), ())


# Open or closed

@pytest.mark.parametrize("at,is_open", [
    (madrid(23, 9, 59, second=59), False),
    (madrid(23, 10), True),  # Monday 10:00 exactly: open
    (madrid(23, 19, 59, second=59), True),
    (madrid(23, 20), False),  # Monday 20:00 exactly: closed
    (utc(23, 9), True),  # 10:00 in Madrid (CET, UTC+1)
    (utc(23, 8, 59), False),
    (datetime(2026, 11, 23, 4, 0, tzinfo=ZoneInfo("America/New_York")), True),  # 10:00 in Madrid
    (madrid(27, 20, 30), True),  # Friday until 21:00
    (madrid(27, 21), False),
    (madrid(28, 10, 59), False),  # Saturday from 11:00
    (madrid(28, 11), True),
    (madrid(29, 12), False),  # Sunday: closed
    (madrid(29, 0), False),
    (madrid(30, 10), True),
])
def test_is_open_around_the_boundaries(at, is_open):
    assert HOURS.is_open(at) is is_open


def test_a_naive_time_is_read_as_utc():
    assert HOURS.is_open(datetime(2026, 11, 23, 9, 0)) and not HOURS.is_open(datetime(2026, 11, 23, 8, 59))


# Next opening

@pytest.mark.parametrize("at,opens", [
    (madrid(28, 22), utc(30, 9)),  # Saturday night -> Monday 10:00 Madrid
    (madrid(29, 12), utc(30, 9)),  # Sunday noon -> Monday
    (madrid(28, 21), utc(30, 9)),  # Saturday at closing time
    (madrid(23, 7), utc(23, 9)),  # Monday early -> today at 10:00
    (madrid(27, 21), utc(28, 10)),  # Friday at closing -> Saturday 11:00
    (madrid(24, 0, 30), utc(24, 9)),  # just after midnight
])
def test_next_opening_when_closed(at, opens):
    result = HOURS.next_opening(at)
    assert result == opens and result.tzinfo is UTC


def test_next_opening_when_open_is_now_in_utc():
    at = madrid(23, 12, 34, second=56)
    result = HOURS.next_opening(at)
    assert result == at and result.tzinfo is UTC


# Split days

SPLIT = OpeningHours.from_settings({**SAMPLE, "mon": "10:00-14:00, 16:00-20:00"}, "Europe/Madrid")


def test_a_split_day_is_closed_over_lunch():
    assert SPLIT.is_open(madrid(23, 13, 59))
    assert not SPLIT.is_open(madrid(23, 14)) and not SPLIT.is_open(madrid(23, 15))
    assert SPLIT.is_open(madrid(23, 16)) and not SPLIT.is_open(madrid(23, 20))
    assert SPLIT.next_opening(madrid(23, 14, 30)) == madrid(23, 16)
    assert SPLIT.open_seconds(madrid(23, 0), madrid(24, 0)) == 8 * 3600
    assert SPLIT.add_open_time(madrid(23, 13, 30), 3600) == madrid(23, 16, 30)


# Open seconds

def test_open_seconds_over_a_weekend():
    # Friday 20:00-21:00, Saturday 11:00-21:00, Sunday closed, Monday 10:00-11:00
    assert HOURS.open_seconds(madrid(27, 20), madrid(30, 11)) == 12 * 3600


def test_open_seconds_inside_one_span_and_while_closed():
    assert HOURS.open_seconds(madrid(23, 10, 15), madrid(23, 10, 45)) == 1800
    assert HOURS.open_seconds(madrid(29, 1), madrid(29, 23)) == 0
    assert HOURS.open_seconds(madrid(23, 12), madrid(23, 12)) == 0
    assert HOURS.open_seconds(madrid(23, 12), madrid(23, 11)) == 0


def test_open_seconds_over_thirteen_weeks():
    week = (4 * 10 + 11 + 10) * 3600  # Monday-Thursday 10h, Friday 11h, Saturday 10h
    start = madrid(23, 0)
    assert HOURS.open_seconds(start, start + timedelta(weeks=13)) == 13 * week


def test_open_seconds_with_times_in_other_timezones():
    start = datetime(2026, 11, 23, 4, 30, tzinfo=ZoneInfo("America/New_York"))  # 10:30 in Madrid
    assert HOURS.open_seconds(start, utc(23, 10)) == 1800


def test_open_seconds_across_the_end_of_summer_time():
    # Sunday 2026-10-25 clocks go back from 03:00 to 02:00 in Madrid; the day has 25 hours.
    assert HOURS.open_seconds(madrid(24, 0, month=10), madrid(27, 0, month=10)) == 20 * 3600
    assert HOURS.is_open(utc(24, 9, month=10)) and not HOURS.is_open(utc(24, 8, 59, month=10))  # 11:00 CEST
    assert HOURS.is_open(utc(26, 9, month=10)) and not HOURS.is_open(utc(26, 8, 59, month=10))  # 10:00 CET
    assert EVERY_DAY.open_seconds(madrid(25, 0, month=10), madrid(26, 0, month=10)) == 10 * 3600
    assert EVERY_DAY.is_open(utc(25, 9, month=10)) and not EVERY_DAY.is_open(utc(25, 19, month=10))
    assert not EVERY_DAY.is_open(utc(25, 8, 59, month=10)) and EVERY_DAY.is_open(utc(25, 18, 59, month=10))
    assert ALWAYS.open_seconds(madrid(25, 0, month=10), madrid(26, 0, month=10)) == 25 * 3600
    whole_sunday = OpeningHours.from_settings({"sun": "24h"}, "Europe/Madrid")
    assert whole_sunday.open_seconds(madrid(24, 0, month=10), madrid(27, 0, month=10)) == 25 * 3600


def test_open_seconds_across_the_start_of_summer_time():
    # Sunday 2026-03-29 clocks jump from 02:00 to 03:00 in Madrid; the day has 23 hours.
    assert EVERY_DAY.is_open(utc(29, 8, month=3)) and not EVERY_DAY.is_open(utc(29, 7, 59, month=3))
    assert EVERY_DAY.next_opening(madrid(29, 1, month=3)) == utc(29, 8, month=3)
    assert EVERY_DAY.open_seconds(madrid(28, 0, month=3), madrid(30, 0, month=3)) == 20 * 3600
    whole_sunday = OpeningHours.from_settings({"sun": "24h"}, "Europe/Madrid")
    assert whole_sunday.open_seconds(madrid(28, 0, month=3), madrid(31, 0, month=3)) == 23 * 3600


def test_a_span_starting_in_the_skipped_hour_opens_at_the_jump():
    night = OpeningHours.from_settings({"sun": "02:30-05:00"}, "Europe/Madrid")
    assert night.next_opening(madrid(28, 12, month=3)) == utc(29, 1, month=3)  # 03:00 CEST, just after the jump
    assert night.open_seconds(madrid(28, 0, month=3), madrid(30, 0, month=3)) == 2 * 3600


def test_a_day_whose_midnight_is_skipped_starts_at_the_jump():
    # Chile moves its clocks from Saturday 24:00 to Sunday 01:00 on 2026-09-06.
    santiago = ZoneInfo("America/Santiago")
    sundays = OpeningHours.from_settings({"sun": "00:00-02:00"}, "America/Santiago")
    saturday_noon = datetime(2026, 9, 5, 12, 0, tzinfo=santiago)
    assert sundays.next_opening(saturday_noon) == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert sundays.open_seconds(saturday_noon, saturday_noon + timedelta(days=2)) == 3600
    whole = OpeningHours.from_settings(None, "America/Santiago")
    assert whole.open_seconds(saturday_noon, saturday_noon + timedelta(days=2)) == 47 * 3600


# Adding open time

@pytest.mark.parametrize("start,minutes,due", [
    (madrid(27, 19, 50), 20, madrid(27, 20, 10)),  # Friday, within the day
    (madrid(27, 20, 50), 20, madrid(28, 11, 10)),  # Friday near closing -> Saturday
    (madrid(27, 19, 50), 70, madrid(27, 21)),  # exactly up to closing time
    (madrid(28, 20, 50), 20, madrid(30, 10, 10)),  # Saturday -> across the closed Sunday -> Monday
    (madrid(29, 12), 60, madrid(30, 11)),  # starting while closed
    (madrid(27, 20, 30), 120, madrid(28, 12, 30)),
    (madrid(23, 10), 120 * 60, madrid(5, 19, month=12)),  # a 61-hour week, 51h Mon-Fri, then 8h on Sat 5 Dec
])
def test_add_open_time(start, minutes, due):
    result = HOURS.add_open_time(start, minutes * 60)
    assert result == due and result.tzinfo is UTC
    assert HOURS.open_seconds(start, result) == minutes * 60


def test_add_open_time_accepts_any_timezone_and_zero():
    start = datetime(2026, 11, 27, 13, 50, tzinfo=ZoneInfo("America/New_York"))  # Friday 19:50 in Madrid
    assert HOURS.add_open_time(start, 1200) == madrid(27, 20, 10)
    assert HOURS.add_open_time(start, 0) == start
    assert HOURS.add_open_time(madrid(29, 12), 0.5) == madrid(30, 10) + timedelta(seconds=0.5)


def test_add_open_time_across_the_end_of_summer_time():
    # Saturday 2026-10-24 20:50 CEST + 20 min -> Monday 10:10 CET (Sunday closed, clocks went back)
    assert HOURS.add_open_time(madrid(24, 20, 50, month=10), 1200) == utc(26, 9, 10, month=10)
    assert ALWAYS.add_open_time(madrid(25, 0, month=10), 24 * 3600) == madrid(25, 23, month=10)


# Always and never open

@pytest.mark.parametrize("hours,timezone", [(None, None), ({}, "Europe/Madrid"), (None, "")])
def test_no_hours_means_always_open(hours, timezone):
    always = OpeningHours.from_settings(hours, timezone)
    assert always.always_open and always.week == (((0, 1440),),) * 7
    assert always.timezone == (timezone or "UTC")
    at = madrid(29, 3, 17)
    assert always.is_open(at) and always.next_opening(at) == at
    assert always.open_seconds(at, at + timedelta(days=90)) == 90 * 24 * 3600
    assert always.add_open_time(at, 3 * 24 * 3600 + 1) == at + timedelta(days=3, seconds=1)


def test_always_open_is_every_day_around_the_clock():
    assert OpeningHours.from_settings({key: "24h" for key in DAY_KEYS}, "Europe/Madrid").always_open
    assert not HOURS.always_open and not NEVER.always_open
    assert not OpeningHours.from_settings({key: "24h" for key in DAY_KEYS[:6]}, "Europe/Madrid").always_open


def test_a_shop_that_never_opens():
    at = madrid(23, 12)
    assert not NEVER.is_open(at)
    assert NEVER.next_opening(at) is None
    assert NEVER.add_open_time(at, 60) is None
    assert NEVER.open_seconds(at, at + timedelta(days=30)) == 0
