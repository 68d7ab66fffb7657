"""The sending gate every sender process shares: an account pause, or a circuit breaker.

One `Setting` row (`sender_pause`) holds it, so all processes obey it:

- **paused**: Meta refused our account or token; nothing is sent until the pause ends.
- **open**: a run of consecutive server errors, timeouts or connection errors
  (`SEND_CIRCUIT_THRESHOLD`) told us the Graph API is down. Nothing is sent
  until the cool-down ends, so rows do not burn attempts against an outage.
- **half-open**: the cool-down ended; one message at a time goes out as a
  probe. Any answer from the API closes the circuit; another server error
  opens it again for twice as long (up to `SEND_BACKOFF_CAP`).
- **closed**: sending as usual; the row counts consecutive failures.

Functions take a session and never commit; the sender commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import insert_ignore
from bot.models import Setting

PAUSE_KEY = "sender_pause"


class State(StrEnum):
    CLOSED = "closed"
    PAUSED = "paused"  # account error: wait for the pause to end
    OPEN = "open"  # the API is down: wait for the cool-down to end
    HALF_OPEN = "half-open"  # probing with one message at a time


@dataclass(frozen=True)
class Gate:
    """What the sending gate says now."""

    state: State
    until: datetime | None = None  # when a pause or an open circuit ends
    reason: str | None = None
    failures: int = 0  # consecutive failures counted so far
    probe: int | None = None  # the outbox row being sent as a probe (half-open)

    @property
    def blocks(self) -> bool:
        """True while nothing at all may be sent."""
        return self.state in (State.PAUSED, State.OPEN)


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _gate(value: dict, now: datetime) -> Gate:
    until = _at(value.get("until"))
    kind = value.get("kind", "account")  # rows written before the circuit existed were account pauses
    failures = int(value.get("failures") or 0)
    reason = value.get("reason")
    if kind == "circuit":
        if until and until > now:
            return Gate(State.OPEN, until, reason, failures)
        probe_until = _at(value.get("probe_until"))
        probe = value.get("probe") if probe_until and probe_until > now else None
        return Gate(State.HALF_OPEN, until, reason, failures, probe)
    if kind == "account" and until and until > now:
        return Gate(State.PAUSED, until, reason, failures)
    return Gate(State.CLOSED, failures=failures)


#: The gate's value alone, built once: the sender reads it on every dispatch round.
_READ = select(Setting.value).where(Setting.key == PAUSE_KEY)


def read(session: Session, now: datetime) -> Gate:
    """The gate as it stands, without locking (the sender's fast path, `shopbot status`)."""
    return _gate(session.scalar(_READ) or {}, now)


def _locked(session: Session) -> tuple[Setting, dict]:
    """The gate's row, locked; created first if missing (senders in several processes may race to)."""
    setting = session.get(Setting, PAUSE_KEY, with_for_update=True, populate_existing=True)
    if setting is None:
        session.execute(insert_ignore(session, Setting).values(key=PAUSE_KEY, value={}))
        setting = session.get_one(Setting, PAUSE_KEY, with_for_update=True, populate_existing=True)
    return setting, dict(setting.value)


def pause(session: Session, until: datetime, reason: str) -> None:
    """Pause every sender (all processes read it) until `until`: an account error."""
    setting, _ = _locked(session)
    setting.value = {"kind": "account", "until": until.isoformat(), "reason": reason, "failures": 0}


def take_probe(session: Session, now: datetime) -> bool:
    """While half-open, reserve the one probe slot; False if a probe is already in flight.

    The row is locked so that two sender processes never probe at once.
    """
    _setting, value = _locked(session)
    gate = _gate(value, now)
    return gate.state is State.HALF_OPEN and gate.probe is None


def set_probe(session: Session, row_id: int, until: datetime) -> None:
    """Record the row sent as the probe; another may go when it is answered or at `until`."""
    setting, value = _locked(session)
    setting.value = dict(value, probe=row_id, probe_until=until.isoformat())


def failed(session: Session, row_id: int, now: datetime, threshold: int, cooldown: float, cap: float,
           reason: str) -> bool:
    """Count a server error, timeout or connection error; True if the circuit is open now.

    The `threshold`-th consecutive failure opens the circuit for `cooldown`
    seconds. A failed probe opens it again for twice the last cool-down, at
    most `cap`. Failures of sends that were in flight when it opened change
    nothing more.
    """
    setting, value = _locked(session)
    gate = _gate(value, now)
    if gate.state is State.PAUSED:
        return True
    if gate.state is State.OPEN or (gate.state is State.HALF_OPEN and value.get("probe") != row_id):
        return True
    failures = gate.failures + 1
    if gate.state is State.HALF_OPEN:
        wait = min(float(value.get("cooldown") or cooldown) * 2, cap)
    elif failures >= threshold:
        wait = min(cooldown, cap)
    else:
        setting.value = dict(value, kind="closed", failures=failures)
        return False
    setting.value = {"kind": "circuit", "until": (now + timedelta(seconds=wait)).isoformat(), "cooldown": wait,
                     "failures": failures, "reason": reason, "probe": None, "probe_until": None}
    return True


def answered(session: Session, now: datetime) -> bool:
    """The Graph API answered (success or a client error): close the circuit. True if it was open.

    Reads first without a lock, so the usual case (closed, no failures) costs
    one primary-key lookup and no write.
    """
    gate = read(session, now)
    if gate.state is State.PAUSED or (gate.state is State.CLOSED and not gate.failures):
        return False
    setting, value = _locked(session)
    gate = _gate(value, now)
    if gate.state is State.PAUSED:
        return False
    setting.value = {"kind": "closed", "failures": 0}
    return gate.state in (State.OPEN, State.HALF_OPEN)
