"""One send rate per business phone number, shared by every sender process.

Meta limits the messages a phone number sends per second (80 by default, up
to 1,000). A limiter in each process lets N senders send N times that, so the
pace lives where every sender sees it: a row of `send_pace` in the database,
or a Redis key when `REDIS_URL` is set. It is a GCRA without burst: the next
free slot moves forward by 1/rate (plus a 2.5 % margin for jitter) for each
message, so the sends of all processes together are spaced at least that far apart.

A sender asks how many slots are free within the next `HORIZON` seconds
(`budget`), claims at most that many rows, then takes a slot for each of them
(`reserve`) and sends each at its slot. With the database the two steps run
under the pace row's lock in the claim's transaction, so two senders never
take the same slot; with Redis the reservation itself is atomic.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from bot.db import insert_ignore
from bot.models import SendPace

#: Slots are spaced this much wider than 1/rate: a send whose thread wakes a few ms late would
#: otherwise share a one-second window with a whole second's worth of others (rate + 1).
JITTER_MARGIN = 1.025

#: A send may leave at most this late after its slot, else it takes a new one (the sender's
#: `_wait_for_slot`). Below the margin's 25 ms a second, so no window of one second holds more than
#: `rate` sends whoever's threads wake late; RENEWALS new slots at most, then it goes anyway.
LATE = 0.02
RENEWALS = 3

#: How far ahead a sender may take slots. Small, so a busy sender cannot take
#: the slots another sender's rows need; long enough to keep sends in flight.
HORIZON = 1.0


def spacing(rate: float) -> float:
    """Seconds between two slots at `rate` sends a second, with the jitter margin."""
    return JITTER_MARGIN / rate


@dataclass(frozen=True)
class Slots:
    """`count` slots, the first `first` seconds from now, then one every `interval` seconds."""

    count: int
    first: float
    interval: float

    def delay(self, i: int) -> float:
        """Seconds from now until slot `i` may be used."""
        return max(self.first + i * self.interval, 0.0)


class Pace(Protocol):
    def budget(self, session: Session, now: float) -> int: ...

    def reserve(self, session: Session, count: int, now: float) -> Slots: ...


_PACE = cast(Table, SendPace.__table__)
# Built once: both run on every dispatch round.
_READ_LOCKED = select(_PACE.c.next_at).where(_PACE.c.phone_id == bindparam("pace_phone")).with_for_update()
_MOVE = update(_PACE).where(_PACE.c.phone_id == bindparam("pace_phone")).values(next_at=bindparam("pace_next"))


class DatabasePace:
    """The pace in the `send_pace` table: the claim's transaction holds the row's lock until it commits."""

    def __init__(self, phone_id: str, rate: float):
        self.phone_id, self.interval = phone_id, spacing(rate)
        self._read: tuple[Any, float] | None = None  # (the transaction, next_at) last read under the lock

    def _locked(self, session: Session) -> float:
        """`next_at`, locked for the session's transaction (read once per transaction)."""
        tx = session.get_transaction()
        if self._read is not None and self._read[0] is tx:
            return self._read[1]
        params = {"pace_phone": self.phone_id}
        next_at = session.scalar(_READ_LOCKED, params)
        if next_at is None:
            session.execute(insert_ignore(session, SendPace).values(phone_id=self.phone_id, next_at=0.0))
            next_at = session.scalar(_READ_LOCKED, params)
        self._read = (tx, float(next_at or 0.0))
        return self._read[1]

    def budget(self, session: Session, now: float) -> int:
        return _free(self._locked(session), now, self.interval)

    def reserve(self, session: Session, count: int, now: float) -> Slots:
        start = max(self._locked(session), now)
        if count:
            session.execute(_MOVE, {"pace_phone": self.phone_id, "pace_next": start + count * self.interval})
            self._read = None
        return Slots(count, start - now, self.interval)


# KEYS[1]: the pace key. ARGV: now, count, interval. Returns the first slot's time as a string.
_RESERVE = """
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
if next_at < now then next_at = now end
redis.call('SET', KEYS[1], tostring(next_at + tonumber(ARGV[2]) * tonumber(ARGV[3])), 'EX', 3600)
return tostring(next_at)
"""


class RedisPace:
    """The pace in Redis (`REDIS_URL`): no database row lock on the claim path."""

    def __init__(self, phone_id: str, rate: float, client: Any):
        self.key, self.interval, self.redis = f"shopbot:send_pace:{phone_id}", spacing(rate), client
        self._reserve = client.register_script(_RESERVE)

    def budget(self, session: Session, now: float) -> int:
        return _free(float(self.redis.get(self.key) or 0.0), now, self.interval)

    def reserve(self, session: Session, count: int, now: float) -> Slots:
        if not count:
            return Slots(0, 0.0, self.interval)
        start = float(self._reserve(keys=[self.key], args=[repr(now), count, repr(self.interval)]))
        return Slots(count, start - now, self.interval)


def _free(next_at: float, now: float, interval: float) -> int:
    """Slots left between the next free one and the end of the horizon."""
    return max(math.floor((now + HORIZON - max(next_at, now)) / interval + 1e-9), 0)


class LocalGate:
    """Keeps one process's sends at least one interval apart, whatever their slots said.

    Slots space the sends of all processes; but threads that wake late together (a stalled
    process, a busy core) would send at once. The gate lets one through per interval.
    """

    def __init__(self, interval: float):
        self.interval = interval
        self._next = 0.0
        self._lock = threading.Lock()

    def pass_at(self, now: float) -> float | None:
        """None: go now (and hold the next one back an interval); else when to ask again."""
        with self._lock:
            if now >= self._next:
                self._next = now + self.interval
                return None
            return self._next


_gates: dict[tuple[str, float], LocalGate] = {}
_gates_lock = threading.Lock()


def local_gate(config: dict) -> LocalGate:
    """The gate of this process for the app's phone number (shared by every sender in the process)."""
    key = (str(config["WHATSAPP_PHONE_ID"]), float(config["SEND_RATE"]))
    with _gates_lock:
        return _gates.setdefault(key, LocalGate(spacing(key[1])))


def make(config: dict) -> Pace:
    """The pace for this app's phone number: in Redis when `REDIS_URL` is set, else in the database."""
    phone_id, rate = str(config["WHATSAPP_PHONE_ID"]), float(config["SEND_RATE"])
    if config.get("REDIS_URL"):
        import redis

        return RedisPace(phone_id, rate, redis.Redis.from_url(config["REDIS_URL"]))
    return DatabasePace(phone_id, rate)
